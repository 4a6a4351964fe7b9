"""The REST channel (``/webhooks/rest/webhook``), Rasa-compatible and never silent.

It takes ``{"sender": "...", "message": "...", "metadata": {...}}`` like Rasa's own REST
channel and returns the bot's messages as a JSON list, with these differences:

- bad requests (not a JSON object, missing or mistyped fields, oversized text) get a
  400 with a clear error instead of a 500;
- a sender over the rate limit gets 429 with ``Retry-After`` and a polite text (the
  message is not processed; the widget keeps it and sends it again);
- text is NFC-normalised at the entrance;
- a message may carry the client's ``message_id``: sent again (the client retries after
  losing the answer, e.g. when a replica died), it is not handled twice: the answer is
  the bot's replies recorded for it (``replayed_replies``);
- when the bot produced nothing (the action server is down, an action failed, a slow
  reply), the citizen gets the polite ``utter_service_unavailable`` message from the
  domain instead of silence, and the failure is logged;
- when processing raised, or the conversation store failed (Rasa's fail-safe wrapper
  would silently keep the conversation in memory only), the answer is 503 with ``Retry-After`` and the polite text: the message was
  not accepted, and the client sends it again (Rasa's own channel answers 200 and the
  message is lost).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from connectors.messages import empty_message_text, parse_rest_body, too_fast_text, unavailable_text
from connectors.pipeline import replies_or_apology, run_turn
from connectors.ratelimit import app_limiter
from connectors.runtime import close_kept_sessions, tune_after_start
from connectors.settings import RasaSettings, get_settings
from connectors.trace import trace_message, turn_record, wants_trace
from tthc_text.conversation_keys import is_widget_id

logger = logging.getLogger(__name__)

BOT_MESSAGE_KEYS = ("image", "buttons", "attachment", "custom", "elements", "quick_replies")


def replayed_replies(events: Any, sender: str, message_id: str) -> list[dict[str, Any]] | None:
    """The bot's messages that answered the user message ``message_id`` in a
    conversation's events, as the channel sent them; None if it was never handled."""
    replies: list[dict[str, Any]] | None = None
    for event in events:
        if isinstance(event, UserUttered):
            if replies is not None:
                break  # the next user message: the answer is complete
            if event.message_id == message_id:
                replies = []
        elif replies is not None and isinstance(event, BotUttered):
            message: dict[str, Any] = {"recipient_id": sender}
            if event.text:
                message["text"] = event.text
            message.update({key: event.data[key] for key in BOT_MESSAGE_KEYS if event.data.get(key)})
            replies.append(message)
    return replies


async def traced_turn(agent: Any, sender: str) -> dict[str, Any] | None:
    """The record of the turn just handled for ``sender`` (see ``connectors.trace``)."""
    store = getattr(agent, "tracker_store", None)
    if store is None:
        return None
    try:
        tracker = await store.retrieve(sender)
    except Exception:  # noqa: BLE001 - a trace is diagnostics: never fail the answer for it
        logger.exception("could not read the turn record of %s", sender)
        return None
    return turn_record(tracker.events) if tracker else None


async def answered_before(agent: Any, sender: str, message_id: str) -> list[dict[str, Any]] | None:
    """The replies already given to ``message_id`` (see ``replayed_replies``)."""
    store = getattr(agent, "tracker_store", None)
    if store is None:
        return None
    tracker = await store.retrieve_full_tracker(sender)
    return replayed_replies(tracker.events, sender, message_id) if tracker else None


class PoliteRestInput(InputChannel):
    """Drop-in replacement for Rasa's ``rest`` channel (same name, same URL)."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls(get_settings())  # Rasa makes the channel at its start, with the runtime's settings

    def __init__(self, settings: RasaSettings) -> None:
        self.settings = settings

    # Whether this channel counts the messages of each client address too (the web channel's
    # come through the web front, which counts them itself).
    limits_addresses = True
    # A REST client may not write into the widget's conversations (ids the web front issues).
    refuses_widget_ids = True

    def wait_time(self, request: Request, sender: str) -> float:
        """0 if the message may be handled now, else the seconds to wait: per client address
        (behind the balancer, the one it forwards: SANIC_PROXIES_COUNT; local tools exempt),
        then per sender, counted once for the REST and web channels (their clients choose
        their ids from one space); in Redis across replicas when it is set."""
        settings = self.settings
        address = request.remote_addr or request.ip or "unknown"
        if self.limits_addresses and address not in settings.rate_limit_exempt_addresses:
            wait = app_limiter(request.app, f"{self.name()}-address", settings.rate_limit_address_messages,
                               settings.rate_limit_window, settings.redis_url).wait_time(address)
            if wait:
                return wait
        return app_limiter(request.app, "client", settings.rate_limit_messages, settings.rate_limit_window,
                           settings.redis_url).wait_time(sender)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        module = inspect.getmodule(self)
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", module.__name__ if module else None)
        webhook.listener("after_server_start")(tune_after_start)
        webhook.listener("before_server_stop")(close_kept_sessions)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            parsed = parse_rest_body(request.body)
            if isinstance(parsed, str):
                return response.json({"error": parsed}, status=400)
            if self.refuses_widget_ids and is_widget_id(parsed.sender):
                return response.json({"error": "'sender' must not start with 'web-' (the web widget's "
                                               "conversations)"}, status=400)
            agent = getattr(request.app.ctx, "agent", None)
            domain = agent.domain if agent else None
            wait = self.wait_time(request, parsed.sender)
            if wait:
                logger.warning("rate limit: %s on %s must wait %.1fs", parsed.sender, self.name(), wait)
                return response.json([{"recipient_id": parsed.sender, "text": too_fast_text(domain)}],
                                     status=429, headers={"Retry-After": str(max(1, round(wait)))})
            if not parsed.text.strip():
                # Nothing to understand: ask for a question without involving the bot.
                logger.info("empty message from %s", parsed.sender)
                return response.json([{"recipient_id": parsed.sender, "text": empty_message_text(domain)}])
            if parsed.message_id and agent is not None:
                try:
                    replayed = await answered_before(agent, parsed.sender, parsed.message_id)
                except Exception:  # noqa: BLE001 - the store is down: the 503 below tells the client
                    logger.exception("could not look up message %s of %s", parsed.message_id, parsed.sender)
                    return response.json([{"recipient_id": parsed.sender, "text": unavailable_text(domain)}],
                                         status=503, headers={"Retry-After": "5"})
                if replayed is not None:
                    logger.info("message %s of %s was handled before: answered again", parsed.message_id,
                                parsed.sender)
                    return response.json(replayed or [{"recipient_id": parsed.sender,
                                                       "text": unavailable_text(domain)}])
            message = UserMessage(
                parsed.text,
                CollectingOutputChannel(),
                parsed.sender,
                input_channel=self.name(),
                message_id=parsed.message_id,
                metadata=parsed.metadata,
            )
            turn = await run_turn(on_new_message, message, self.settings.reply_timeout, self.name())
            trace = wants_trace(parsed.metadata)
            if turn.failed:
                # Not saved: ask the client to send it again rather than pretend it arrived.
                messages = [*turn.messages, {"recipient_id": parsed.sender, "text": unavailable_text(domain)}]
                if trace:
                    messages.append(trace_message(parsed.sender, None))
                return response.json(messages, status=503, headers={"Retry-After": "5"})
            record = await traced_turn(agent, parsed.sender) if trace else None
            replies, answered = replies_or_apology(turn, domain)
            if not answered:
                logger.error("empty reply for sender %s: sending the service-unavailable message", parsed.sender)
                replies = [{"recipient_id": parsed.sender, **reply} for reply in replies]
                record = None
            if trace:
                return response.json([*replies, trace_message(parsed.sender, record)])
            return response.json(replies)

        return webhook
