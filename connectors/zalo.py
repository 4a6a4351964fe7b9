"""Zalo Official Account: webhook ``/webhooks/zalo/webhook`` in, OA API v3 out.

In: every event must carry ``X-ZEvent-Signature: mac=<sha256(app_id + body + timestamp +
OA secret key)>``; a missing or wrong one gets 401. A signed event is recorded (so Zalo's
retries and replays are recognised by ``msg_id``) and answered with 200 at once; the
message then runs through the bot in the background. Stickers, images, files... get a
polite text asking for a typed question; a new follower gets the greeting.

Out: replies go to the outbox and the delivery worker sends them with the OA v3
``message/cs`` API: text split at Zalo's 2,000 characters, buttons as ``oa.query.show``
buttons (a tap sends the button's text back, mapped to its payload). An expired access
token is refreshed with the refresh token (Zalo rotates both; the new ones are kept in
the database). 5xx answers, timeouts and rate limits are retried with backoff.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from rasa.core.channels.channel import UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from connectors.delivery import DeliveryError
from connectors.messages import (
    BodyError,
    clean_text,
    empty_message_text,
    greet_message,
    json_object_body,
    response_text,
    unsupported_text,
)
from connectors.push import PushInput
from connectors.settings import RasaSettings
from tthc_data.channels import ChannelStore, InboxEvent
from tthc_text.platform_messages import MORE_CHOICES, ZaloRenderer

logger = logging.getLogger(__name__)

CHANNEL = "zalo"
TOKEN_EXPIRED = {-216, -124}  # access token expired / invalid
RATE_LIMITED = {-32}
# the user has not written to the OA within the window for consultation messages
OUTSIDE_WINDOW = {-230}
ENDPOINTS = {"cs": "/v3.0/oa/message/cs", "transaction": "/v3.0/oa/message/transaction"}
# Events that are the user writing something other than text.
UNSUPPORTED_EVENTS = {
    "user_send_image", "user_send_gif", "user_send_sticker", "user_send_file", "user_send_audio",
    "user_send_video", "user_send_location", "user_send_link", "user_send_business_card",
}


def signature(app_id: str, body: bytes, timestamp: str, secret: str) -> str:
    """Zalo's event signature: hex SHA-256 of app id + raw body + timestamp + OA secret."""
    return hashlib.sha256(app_id.encode() + body + timestamp.encode() + secret.encode()).hexdigest()


# A signed event dated more than this ahead of our clock is refused too (clocks drift a little).
FUTURE_SKEW_SECONDS = 60.0


def event_is_fresh(timestamp: str, max_age: float, now: float) -> bool:
    """Whether a signed event's timestamp (milliseconds since the epoch, as Zalo sends it) is
    within ``max_age`` seconds before ``now`` and not clearly ahead of it (``max_age`` 0: any
    readable timestamp). A captured event sent again later is refused even after its id has
    left the de-duplication table."""
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 16:
        return False
    age = now - int(timestamp) / 1000.0
    return age >= -FUTURE_SKEW_SECONDS and (max_age == 0 or age <= max_age)


def signature_is_valid(header: str | None, app_id: str, body: bytes, timestamp: str, secret: str) -> bool:
    if not header:
        return False
    given = header.strip()
    if given.startswith("mac="):
        given = given[4:]
    return hmac.compare_digest(given.lower(), signature(app_id, body, timestamp, secret))


class ZaloApi:
    """The OA API v3 at the network boundary: sends messages, refreshes the access token."""

    channel = CHANNEL

    def __init__(self, settings: RasaSettings, store: ChannelStore) -> None:
        self.settings = settings
        self.store = store
        self._refresh_lock = asyncio.Lock()
        self._client: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None or self._client.is_closed:
            self._client = httpx.AsyncClient(timeout=self.settings.send_timeout)
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def access_token(self) -> str:
        saved = await asyncio.to_thread(self.store.token, "zalo_access_token")
        if saved is None:
            if not self.settings.zalo_access_token:
                return await self.refresh()
            return self.settings.zalo_access_token
        value, expires_at = saved
        if expires_at is not None and time.time() >= expires_at - 60:
            return await self.refresh(stale=value)
        return value

    async def refresh(self, stale: str | None = None) -> str:
        """A new access token from the refresh token (once, if several senders ask)."""
        async with self._refresh_lock:
            saved = await asyncio.to_thread(self.store.token, "zalo_access_token")
            if saved is not None and stale is not None and saved[0] != stale:
                return saved[0]  # another sender refreshed it meanwhile
            refresh_saved = await asyncio.to_thread(self.store.token, "zalo_refresh_token")
            refresh_token = refresh_saved[0] if refresh_saved else self.settings.zalo_refresh_token
            if not refresh_token or not self.settings.zalo_app_secret_key:
                raise DeliveryError("the Zalo access token expired and no refresh token / app secret is set")
            try:
                answer = await self.client.post(
                    f"{self.settings.zalo_oauth_base}/v4/oa/access_token",
                    headers={"secret_key": self.settings.zalo_app_secret_key},
                    data={"refresh_token": refresh_token, "app_id": self.settings.zalo_app_id or "",
                          "grant_type": "refresh_token"},
                )
                data = answer.json()
            except (httpx.HTTPError, ValueError) as error:
                raise DeliveryError(f"token refresh failed: {error!r}") from error
            if answer.status_code >= 400 or not isinstance(data, dict) or not data.get("access_token"):
                raise DeliveryError(f"token refresh refused: HTTP {answer.status_code} {str(data)[:200]}")
            token = str(data["access_token"])
            expires_in = float(data.get("expires_in") or 90000)
            await asyncio.to_thread(self.store.save_token, "zalo_access_token", token, time.time() + expires_in)
            if data.get("refresh_token"):
                await asyncio.to_thread(self.store.save_token, "zalo_refresh_token", str(data["refresh_token"]))
            logger.info("Zalo access token refreshed")
            return token

    async def send(self, recipient: str, message: dict[str, Any]) -> None:
        """Send one message: a consultation message (``message/cs``), or the kind the outbox
        row names (``"_endpoint": "transaction"``, a dossier update outside Zalo's window)."""
        body = {k: v for k, v in message.items() if k != "_endpoint"}
        endpoint = ENDPOINTS.get(str(message.get("_endpoint") or "cs"), ENDPOINTS["cs"])
        token = await self.access_token()
        error = await self._post(recipient, body, token, endpoint)
        if error in TOKEN_EXPIRED:
            error = await self._post(recipient, body, await self.refresh(stale=token), endpoint)
            if error in TOKEN_EXPIRED:
                raise DeliveryError("the Zalo access token is refused even after a refresh")
        if error in RATE_LIMITED:
            raise DeliveryError("Zalo rate limit", retry_after=60)
        if error in OUTSIDE_WINDOW:
            raise DeliveryError(f"Zalo refused the message (error {error}): the citizen has not written to the OA "
                                "within the window for consultation messages", permanent=True)
        if error != 0:
            raise DeliveryError(f"Zalo refused the message (error {error})", permanent=True)

    async def _post(self, recipient: str, message: dict[str, Any], token: str, endpoint: str = ENDPOINTS["cs"]) -> int:
        """Zalo's error code for one send (0 = sent); raises for a retryable failure."""
        try:
            answer = await self.client.post(
                f"{self.settings.zalo_api_base}{endpoint}",
                headers={"access_token": token},
                json={"recipient": {"user_id": recipient}, "message": message},
            )
        except httpx.HTTPError as error:
            raise DeliveryError(f"Zalo API unreachable: {error!r}") from error
        if answer.status_code == 429 or answer.status_code >= 500:
            raise DeliveryError(f"Zalo API answered HTTP {answer.status_code}")
        try:
            data = answer.json()
            return int(data.get("error", -1))
        except (ValueError, AttributeError, TypeError) as error:
            raise DeliveryError(f"Zalo API answered HTTP {answer.status_code} without JSON") from error


OnNewMessage = Callable[[UserMessage], Awaitable[Any]]



def _part(data: dict[str, Any], key: str) -> dict[str, Any]:
    """A nested object of the event, or an empty one when it is missing or not an object."""
    value = data.get(key)
    return value if isinstance(value, dict) else {}

class ZaloInput(PushInput):
    """The Zalo OA channel (enabled when ZALO_APP_ID and ZALO_OA_SECRET_KEY are set)."""

    channel = CHANNEL

    def __init__(self, settings: RasaSettings) -> None:
        super().__init__(settings)
        self.api: ZaloApi | None = None

    def make_renderer(self, app: Any, store: ChannelStore) -> ZaloRenderer:
        self.api = ZaloApi(self.settings, store)
        domain = getattr(getattr(app.ctx, "agent", None), "domain", None)
        return ZaloRenderer(response_text(domain, "utter_more_choices", MORE_CHOICES))

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        module = inspect.getmodule(self)
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", module.__name__ if module else None)
        channel = self

        async def process(app: Any, data: dict[str, Any], key: str, attempt: int = 0) -> None:
            conversations = channel._runtime(app)
            domain = getattr(getattr(app.ctx, "agent", None), "domain", None)
            event = str(data.get("event_name") or "")
            sender_part = _part(data, "sender")
            message_part = _part(data, "message")
            sender = str(sender_part.get("id") or "")
            if event == "user_send_text":
                text = clean_text(str(message_part.get("text") or ""))
                if not text.strip():
                    await conversations.reply(sender, [{"text": empty_message_text(domain)}])
                else:
                    text = await conversations.text_for(sender, text)
                    await conversations.converse(on_new_message, sender, text, event_key=key, domain=domain,
                                                 metadata={"zalo_event": event}, attempt=attempt)
                    return
            elif event == "follow":
                await conversations.reply(sender, [greet_message(domain)])
            else:
                await conversations.reply(sender, [{"text": unsupported_text(domain)}])
            await asyncio.to_thread(conversations.store.mark_processed, CHANNEL, key)

        @webhook.listener("after_server_start")
        async def start_delivery(app: Any, _loop: Any) -> None:
            conversations = channel._runtime(app)
            assert channel.api is not None

            async def redo(event: InboxEvent) -> None:
                await process(app, event.payload, event.key, attempt=1)

            conversations.worker.register(channel.api, redo)
            conversations.worker.start()

        @webhook.listener("before_server_stop")
        async def stop_delivery(app: Any, _loop: Any) -> None:
            if channel.conversations is not None:
                await channel.conversations.drain()
                await channel.conversations.worker.stop()
            if channel.api is not None:
                await channel.api.close()

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            header = request.headers.get("X-ZEvent-Signature")
            if not header:
                return response.json({"error": "missing X-ZEvent-Signature"}, status=401)
            body = request.body or b""
            try:
                data = json_object_body(body)
            except BodyError as error:
                return response.json({"error": str(error)}, status=error.status)
            settings = channel.settings
            timestamp = str(data.get("timestamp") or "")
            if not signature_is_valid(header, settings.zalo_app_id or "", body, timestamp,
                                      settings.zalo_oa_secret_key or ""):
                logger.warning("Zalo event with a bad signature refused")
                return response.json({"error": "invalid signature"}, status=401)
            if not event_is_fresh(timestamp, settings.zalo_event_max_age, time.time()):
                logger.warning("Zalo event dated %r refused: not within %ss of now", timestamp[:20],
                               settings.zalo_event_max_age)
                return response.json({"error": "the event's timestamp is too old or not a time"}, status=403)
            event = data.get("event_name")
            sender = data.get("sender") if isinstance(data.get("sender"), dict) else {}
            sender_id = sender.get("id") if sender else None
            if not isinstance(event, str) or not isinstance(sender_id, (str, int)) or not str(sender_id):
                return response.json({"error": "'event_name' and 'sender.id' are required"}, status=400)
            if event != "user_send_text" and event != "follow" and event not in UNSUPPORTED_EVENTS:
                return response.json({"status": "ignored"})  # seen/received receipts, OA's own messages...
            message = data.get("message") if isinstance(data.get("message"), dict) else {}
            msg_id = message.get("msg_id") if message else None
            key = str(msg_id) if msg_id else hashlib.sha256(body).hexdigest()[:40]
            conversations = channel._runtime(request.app)
            try:
                accepted = await asyncio.to_thread(conversations.store.accept, CHANNEL, key, str(sender_id), data)
            except Exception:  # noqa: BLE001 - not recorded: let Zalo retry later
                logger.exception("could not record a Zalo event")
                return response.json({"error": "temporarily unavailable"}, status=503, headers={"Retry-After": "5"})
            if not accepted:
                return response.json({"status": "duplicate"})
            conversations.in_background(process(request.app, data, key), sender=str(sender_id))
            return response.json({"status": "accepted"})

        return webhook
