"""Telegram, on python-telegram-bot 22: webhook ``/webhooks/telegram/webhook`` or polling.

Webhook mode (production): Telegram must send the secret token set with ``setWebhook``
in ``X-Telegram-Bot-Api-Secret-Token``; without it, or with another, the request gets 401.
Polling mode (``TELEGRAM_MODE=polling``, for local use without a public URL): a
python-telegram-bot ``Application`` inside the Rasa server polls ``getUpdates``.

Both modes hand every ``Update`` to the same code: it is recorded by ``update_id`` (Telegram
re-sends updates it could not deliver, so each is handled once), text messages run
through the bot, inline-keyboard taps (callback queries) are acknowledged and their
button's payload runs through the bot, anything else a citizen sends (photos, stickers,
voice) gets a polite text. Replies go through the outbox: HTML-escaped text split at
Telegram's 4,096 characters, buttons as an inline keyboard, retried with backoff
(Telegram's own ``retry_after`` wins) and kept when they cannot be delivered.
"""

from __future__ import annotations

import asyncio
import hmac
import inspect
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from rasa.core.channels.channel import UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import Bot, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError
from telegram.ext import Application, ContextTypes, TypeHandler
from telegram.request import HTTPXRequest

from connectors.delivery import DeliveryError
from connectors.messages import (
    BodyError,
    clean_text,
    empty_message_text,
    json_object_body,
    unsupported_text,
)
from connectors.push import PushInput
from connectors.settings import RasaSettings
from tthc_data.channels import ChannelStore, InboxEvent
from tthc_text.platform_messages import TelegramRenderer

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram commands that mean "hello".
GREETING_COMMANDS = {"/start", "/help"}


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramApi:
    """The Bot API at the network boundary (python-telegram-bot's ``Bot``)."""

    channel = CHANNEL

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, recipient: str, message: dict[str, Any]) -> None:
        markup = message.get("reply_markup")
        try:
            await self.bot.send_message(
                chat_id=recipient,
                text=message["text"],
                parse_mode=message.get("parse_mode"),
                reply_markup=InlineKeyboardMarkup.de_json(markup, self.bot) if markup else None,
                link_preview_options=None,
            )
        except RetryAfter as error:
            raise DeliveryError(str(error), retry_after=_seconds(error.retry_after)) from error
        except InvalidToken as error:  # a configuration error: keep the message until it is fixed
            raise DeliveryError(f"Telegram refused the bot token: {error}") from error
        except (Forbidden, BadRequest) as error:  # blocked by the user, chat gone, bad message
            raise DeliveryError(f"Telegram refused the message: {error}", permanent=True) from error
        except TelegramError as error:  # NetworkError, TimedOut, 5xx
            raise DeliveryError(f"Telegram API unreachable: {error!r}") from error


def make_bot(settings: RasaSettings) -> Bot:
    timeout = settings.send_timeout
    return Bot(
        settings.telegram_token or "",
        base_url=settings.telegram_api_base,
        request=HTTPXRequest(connect_timeout=timeout, read_timeout=timeout, write_timeout=timeout),
        get_updates_request=HTTPXRequest(connect_timeout=timeout, read_timeout=timeout + 30,
                                         write_timeout=timeout),
    )


OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


class TelegramInput(PushInput):
    """The Telegram channel (enabled when TELEGRAM_TOKEN is set)."""

    channel = CHANNEL

    def __init__(self, settings: RasaSettings) -> None:
        super().__init__(settings)
        self.bot = make_bot(self.settings)
        self.api = TelegramApi(self.bot)
        self.application: Application | None = None  # type: ignore[type-arg]
        self._polling_task: asyncio.Task[None] | None = None

    def make_renderer(self, app: Any, store: ChannelStore) -> TelegramRenderer:
        return TelegramRenderer()

    async def handle(self, app: Any, on_new_message: OnNewMessage, data: dict[str, Any], attempt: int = 0) -> None:
        """One update (already recorded in the inbox) through the bot."""
        conversations = self._runtime(app)
        domain = getattr(getattr(app.ctx, "agent", None), "domain", None)
        key = str(data.get("update_id"))
        update = Update.de_json(data, self.bot)
        if update.callback_query is not None:
            query = update.callback_query
            chat = query.message.chat if query.message is not None else None
            sender = str(chat.id if chat is not None else query.from_user.id)
            try:
                await query.answer()  # stops the button's spinner; best effort
            except TelegramError as error:
                logger.warning("could not answer a callback query: %s", error)
            data_key = query.data or ""
            payload = await asyncio.to_thread(conversations.store.choice, CHANNEL, sender, data_key)
            await conversations.converse(on_new_message, sender, payload or data_key, event_key=key,
                                         domain=domain, metadata={"telegram": "callback_query"}, attempt=attempt)
            return
        message = update.message
        if message is not None and message.chat.type == "private":
            sender = str(message.chat.id)
            if message.text is not None:
                text = clean_text(message.text)
                if text.strip().split("@")[0] in GREETING_COMMANDS:
                    text = "/greet"
                if not text.strip():
                    await conversations.reply(sender, [{"text": empty_message_text(domain)}])
                else:
                    await conversations.converse(on_new_message, sender, text, event_key=key, domain=domain,
                                                 metadata={"telegram": "message"}, attempt=attempt)
                    return
            else:
                await conversations.reply(sender, [{"text": unsupported_text(domain)}])
        # other updates (edits, group chats, membership changes) need no answer
        await asyncio.to_thread(conversations.store.mark_processed, CHANNEL, key)

    async def accept(self, app: Any, data: dict[str, Any]) -> bool:
        """Record an update; False if it was handled before."""
        conversations = self._runtime(app)
        sender = ""
        for part in ("message", "callback_query", "edited_message"):
            if isinstance(data.get(part), dict):
                who = data[part].get("chat") or data[part].get("from") or {}
                sender = str(who.get("id", "")) if isinstance(who, dict) else ""
                break
        return await asyncio.to_thread(conversations.store.accept, CHANNEL, str(data["update_id"]), sender, data)

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        module = inspect.getmodule(self)
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", module.__name__ if module else None)
        channel = self

        @webhook.listener("after_server_start")
        async def start(app: Any, _loop: Any) -> None:
            conversations = channel._runtime(app)

            async def redo(event: InboxEvent) -> None:
                await channel.handle(app, on_new_message, event.payload, attempt=1)

            conversations.worker.register(channel.api, redo)
            conversations.worker.start()
            if channel.settings.telegram_mode == "polling":
                channel._polling_task = asyncio.ensure_future(channel._poll(app, on_new_message))

        @webhook.listener("before_server_stop")
        async def stop(app: Any, _loop: Any) -> None:
            if channel._polling_task is not None:
                channel._polling_task.cancel()
            if channel.application is not None and channel.application.running:
                if channel.application.updater is not None:
                    await channel.application.updater.stop()
                await channel.application.stop()
                await channel.application.shutdown()
            if channel.conversations is not None:
                await channel.conversations.drain()
                await channel.conversations.worker.stop()

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "mode": channel.settings.telegram_mode})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            secret = channel.settings.telegram_webhook_secret
            given = request.headers.get(SECRET_HEADER) or ""
            if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
                return response.json({"error": f"missing or wrong {SECRET_HEADER}"}, status=401)
            try:
                data = json_object_body(request.body or b"")
            except BodyError as error:
                return response.json({"error": str(error)}, status=error.status)
            if not isinstance(data.get("update_id"), int):
                return response.json({"error": "the body must be a Telegram Update with an update_id"}, status=400)
            try:
                Update.de_json(data, channel.bot)
            except Exception:  # noqa: BLE001 - whatever the structure is wrong about
                return response.json({"error": "not a valid Telegram Update"}, status=400)
            try:
                accepted = await channel.accept(request.app, data)
            except Exception:  # noqa: BLE001 - not recorded: let Telegram retry
                logger.exception("could not record a Telegram update")
                return response.json({"error": "temporarily unavailable"}, status=503, headers={"Retry-After": "5"})
            if accepted:
                chat = (data.get("message") or data.get("callback_query") or {})
                sender = str((chat.get("chat") or chat.get("from") or {}).get("id", "")) if isinstance(chat, dict) else ""
                channel._runtime(request.app).in_background(channel.handle(request.app, on_new_message, data),
                                                            sender=sender)
            return response.json({"status": "accepted" if accepted else "duplicate"})

        return webhook

    async def _poll(self, app: Any, on_new_message: OnNewMessage) -> None:
        """Polling mode: python-telegram-bot's Application fetches updates; the same handling."""

        async def on_update(update: object, _context: ContextTypes.DEFAULT_TYPE) -> None:
            if not isinstance(update, Update):
                return
            data = update.to_dict()
            if await self.accept(app, data):
                await self.handle(app, on_new_message, data)

        application = Application.builder().bot(self.bot).build()
        application.add_handler(TypeHandler(Update, on_update))
        self.application = application
        while True:
            try:
                await application.initialize()
                assert application.updater is not None
                await application.updater.start_polling(allowed_updates=["message", "callback_query"])
                await application.start()
                logger.info("Telegram polling started")
                return
            except asyncio.CancelledError:
                raise
            except TelegramError as error:
                logger.error("Telegram polling could not start (%s); retrying in 30 s", error)
                await asyncio.sleep(30)
