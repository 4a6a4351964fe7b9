"""What Zalo and Telegram share: platforms that call a webhook and get replies pushed later.

An accepted event is recorded in the inbox (de-duplication), the webhook answers at once,
and the message runs through the bot in the background. The bot's replies are rendered
for the platform and put in the outbox in one transaction; the delivery worker sends them.
If the bot produced nothing (action server down, an error), the citizen gets the domain's
polite "service unavailable" message instead of silence.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from typing import Any, ClassVar

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage

from connectors.delivery import DeliveryWorker, report_failed, worker_for
from connectors.messages import too_fast_text, unavailable_text
from connectors.pipeline import OnNewMessage, replies_or_apology, run_turn
from connectors.ratelimit import make_limiter
from connectors.settings import RasaSettings, get_settings
from tthc_data.channels import ChannelStore, queue_messages, shared_store
from tthc_text.conversation_keys import conversation_key
from tthc_text.message_parts import choice_text_key
from tthc_text.platform_messages import Renderer

logger = logging.getLogger(__name__)


class PushConversations:
    """Runs citizens' messages through the bot and queues the replies for one platform."""

    def __init__(self, channel: str, store: ChannelStore, worker: DeliveryWorker, renderer: Renderer,
                 settings: RasaSettings) -> None:
        self.channel = channel
        self.settings = settings
        self.store = store
        self.worker = worker
        self.renderer = renderer
        self._tasks: set[asyncio.Task[None]] = set()
        self._last_task: dict[str, asyncio.Task[None]] = {}
        self._warned: dict[str, float] = {}  # sender -> when last told to slow down
        self.limiter = make_limiter(channel, settings.rate_limit_messages, settings.rate_limit_window,
                                    settings.redis_url)

    def in_background(self, coroutine: Awaitable[None], sender: str = "") -> None:
        """Run a coroutine after the webhook has answered (a reference is kept until done).

        One sender's messages are handled one after the other, in the order they came."""
        previous = self._last_task.get(sender)

        async def in_turn() -> None:
            if previous is not None and not previous.done():
                await asyncio.gather(previous, return_exceptions=True)
            await coroutine

        task = asyncio.ensure_future(in_turn())
        self._tasks.add(task)
        self._last_task[sender] = task

        def done(finished: asyncio.Task[None]) -> None:
            self._tasks.discard(finished)
            if self._last_task.get(sender) is finished:
                del self._last_task[sender]

        task.add_done_callback(done)

    async def drain(self) -> list[BaseException]:
        """Wait for the messages being processed (tests, shutdown); the errors they raised."""
        errors: list[BaseException] = []
        while self._tasks:
            results = await asyncio.gather(*list(self._tasks), return_exceptions=True)
            errors += [r for r in results if isinstance(r, BaseException)]
        return errors

    async def converse(
        self,
        on_new_message: OnNewMessage,
        sender: str,
        text: str,
        *,
        event_key: str,
        domain: Any,
        metadata: dict[str, Any] | None = None,
        attempt: int = 0,
    ) -> None:
        """One citizen message through the bot; the replies queued; the event marked done.

        A sender over the rate limit is told (once per window) to slow down; the event is
        deferred, not dropped: it is processed when the sender may send again."""
        settings = self.settings
        wait = self.limiter.wait_time(sender)
        if wait:
            await asyncio.to_thread(self.store.defer, self.channel, event_key, wait + 1)
            now = time.monotonic()
            if now - self._warned.get(sender, -1e9) > settings.rate_limit_window:
                self._warned[sender] = now
                await self.reply(sender, [{"text": too_fast_text(domain)}], origin="system")
            return
        # the conversation is scoped by channel (zalo:<id>); replies go to the platform id
        message = UserMessage(text, CollectingOutputChannel(), conversation_key(self.channel, sender),
                              input_channel=self.channel, message_id=f"{self.channel}-{event_key}",
                              metadata=metadata or {})
        turn = await run_turn(on_new_message, message, settings.reply_timeout * 3, self.channel)
        error = turn.error
        if error is not None and await asyncio.to_thread(
                self.store.record_failure, self.channel, event_key, repr(error), settings.inbox_max_attempts):
            report_failed(self.channel, event_key, sender, settings.inbox_max_attempts)
            return
        if turn.failed:  # not saved: the event stays unprocessed and is processed again later
            if attempt == 0:  # tell the citizen once; the event stays unprocessed and is retried
                try:
                    await self.reply(sender, [{"text": unavailable_text(domain)}], origin="system")
                except Exception:  # noqa: BLE001 - the database itself may be the problem
                    logger.exception("%s: could not queue the apology", self.channel)
            return
        replies, _ = replies_or_apology(turn, domain, keep=lambda m: bool(m.get("text") or m.get("buttons")))
        await self.reply(sender, replies)
        await asyncio.to_thread(self.store.mark_processed, self.channel, event_key)

    async def reply(self, recipient: str, messages: list[dict[str, Any]], origin: str = "bot") -> None:
        """Render bot-style messages (text, buttons) for the platform and queue them."""
        queued = await asyncio.to_thread(lambda: queue_messages(
            self.store, channel=self.channel, recipient=recipient, messages=messages, origin=origin,
            renderer=self.renderer))
        if queued:
            self.worker.kick()

    async def text_for(self, sender: str, text: str) -> str:
        """What a citizen's text means: the payload of a button it names, else the text."""
        payload = await asyncio.to_thread(self.store.choice, self.channel, sender, choice_text_key(text))
        return payload or text


class PushInput(InputChannel):
    """An input channel of a push platform: its settings, and its conversations (store,
    delivery worker, renderer) created on first use in the Sanic app."""

    channel: ClassVar[str]

    @classmethod
    def name(cls) -> str:
        return cls.channel

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        # Rasa makes the channel at its start: it gets the runtime's settings (secrets come
        # from there, never from credentials.yml)
        return cls(get_settings())

    def __init__(self, settings: RasaSettings) -> None:
        self.settings = settings
        self.conversations: PushConversations | None = None

    def make_renderer(self, app: Any, store: ChannelStore) -> Renderer:
        raise NotImplementedError

    def _runtime(self, app: Any) -> PushConversations:
        if self.conversations is None:
            store = shared_store(self.settings.database_url)
            worker = worker_for(app, store, self.settings)
            self.conversations = PushConversations(self.channel, store, worker, self.make_renderer(app, store),
                                                   self.settings)
        return self.conversations
