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
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from connectors.delivery import DeliveryWorker
from connectors.formats import Renderer, queue_messages
from connectors.messages import unavailable_text
from connectors.render import choice_text_key
from connectors.settings import get_settings
from connectors.store import ChannelStore

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


class PushConversations:
    """Runs citizens' messages through the bot and queues the replies for one platform."""

    def __init__(self, channel: str, store: ChannelStore, worker: DeliveryWorker, renderer: Renderer) -> None:
        self.channel = channel
        self.store = store
        self.worker = worker
        self.renderer = renderer
        self._tasks: set[asyncio.Task[None]] = set()

    def in_background(self, coroutine: Awaitable[None]) -> None:
        """Run a coroutine after the webhook has answered (a reference is kept until done)."""
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for the messages being processed (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

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
        """One citizen message through the bot; the replies queued; the event marked done."""
        collector = CollectingOutputChannel()
        message = UserMessage(text, collector, sender, input_channel=self.channel,
                              message_id=f"{self.channel}-{event_key}", metadata=metadata or {})
        task = asyncio.ensure_future(on_new_message(message))
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=get_settings().reply_timeout * 3)
        except asyncio.TimeoutError:
            logger.error("%s: no reply for %s in time", self.channel, sender)
        except Exception:  # noqa: BLE001 - e.g. the conversation store is down: not saved
            logger.exception("%s: failed to handle a message from %s; it will be processed again",
                             self.channel, sender)
            if attempt == 0:  # tell the citizen once; the event stays unprocessed and is retried
                try:
                    await self.reply(sender, [{"text": unavailable_text(domain)}], origin="system")
                except Exception:  # noqa: BLE001 - the database itself may be the problem
                    logger.exception("%s: could not queue the apology", self.channel)
            return
        replies = [m for m in collector.messages if m.get("text") or m.get("buttons")]
        if not replies:
            replies = [{"text": unavailable_text(domain)}]
        await self.reply(sender, replies)
        await asyncio.to_thread(self.store.mark_processed, self.channel, event_key)

    async def reply(self, recipient: str, messages: list[dict[str, Any]], origin: str = "bot") -> None:
        """Render bot-style messages (text, buttons) for the platform and queue them."""
        queued = await asyncio.to_thread(queue_messages, self.store, self.channel, recipient, messages,
                                         origin, self.renderer)
        if queued:
            self.worker.kick()

    async def text_for(self, sender: str, text: str) -> str:
        """What a citizen's text means: the payload of a button it names, else the text."""
        payload = await asyncio.to_thread(self.store.choice, self.channel, sender, choice_text_key(text))
        return payload or text
