"""The one delivery path for replies on push platforms (Zalo, Telegram), bot and staff alike.

Channels put what they have to send in the outbox (``tthc_data.channels``); the delivery
worker running in the Rasa server sends it through each platform's sender, in order per
recipient. A failed send is retried with exponential backoff (a platform's own
"retry after" wins); a message the platform refuses for good (the user blocked the bot)
is kept as undeliverable with the reason. The worker also re-processes inbox events that
were accepted but never processed (the server stopped half-way).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from tthc_data.channels import ChannelStore, InboxEvent, OutboxMessage

logger = logging.getLogger(__name__)


def report_failed(channel: str, key: str, sender: str, attempts: int) -> None:
    """An incoming event that failed every attempt: no longer retried, kept for the staff
    (the console's admin page lists it)."""
    logger.error("%s event %s from %s failed %d times: marked failed, not retried", channel, key, sender, attempts)


class DeliveryError(Exception):
    """A send that failed; ``permanent`` when retrying cannot help."""

    def __init__(self, reason: str, *, permanent: bool = False, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.permanent = permanent
        self.retry_after = retry_after


class Sender(Protocol):
    """Sends one platform message; raises ``DeliveryError`` when it could not."""

    channel: str

    async def send(self, recipient: str, message: dict[str, Any]) -> None: ...


InboxHandler = Callable[[InboxEvent], Awaitable[None]]


def backoff_delay(attempts: int, base: float = 2.0, maximum: float = 300.0) -> float:
    """Exponential backoff with jitter: about 2, 4, 8 ... seconds, capped at ``maximum``."""
    delay = min(maximum, base * (2 ** max(0, attempts - 1)))
    return delay * random.uniform(0.8, 1.2)


@dataclass
class DeliveryWorker:
    store: ChannelStore
    poll_interval: float = 2.0
    backoff_base: float = 2.0
    max_backoff: float = 300.0
    lease: float = 60.0
    # an inbox event still unprocessed this long after it was accepted is processed again
    inbox_lease: float = 120.0
    # ... unless it failed this many times: then it is marked failed (INBOX_MAX_ATTEMPTS)
    inbox_max_attempts: int = 5

    def __post_init__(self) -> None:
        self.senders: dict[str, Sender] = {}
        self.inbox_handlers: dict[str, InboxHandler] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def register(self, sender: Sender, inbox_handler: InboxHandler | None = None) -> None:
        self.senders[sender.channel] = sender
        if inbox_handler is not None:
            self.inbox_handlers[sender.channel] = inbox_handler

    def kick(self) -> None:
        """Deliver now rather than at the next scan."""
        self._wake.set()

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._stopping = False
            self._task = asyncio.get_running_loop().create_task(self._run(), name="delivery-worker")

    async def stop(self, grace: float = 5.0) -> None:
        """End the loop after the sends in flight, their outcome recorded (a message the platform
        received is marked sent, not sent again after a restart); cancel it after ``grace``
        seconds if a send still hangs."""
        if self._task is None:
            return
        self._stopping = True  # the loop ends at its next turn
        self._wake.set()
        done, _ = await asyncio.wait({self._task}, timeout=grace)
        if not done:
            self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass
        self._task = None

    async def _run(self) -> None:
        scans = 0
        while not self._stopping:
            try:
                while not self._stopping and await self.deliver_due() > 0:
                    pass
                scans += 1
                if scans % 15 == 1 and not self._stopping:
                    await self.reprocess_inbox()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the database may be briefly unavailable: try again
                logger.exception("delivery scan failed; retrying")
            if not self._stopping:
                await self._until_kicked()

    async def _until_kicked(self) -> None:
        """Sleep until :meth:`kick` or the next scan. Not ``asyncio.wait_for``: on Python 3.10
        it swallows a cancel that arrives just after the event was set (a kick then a stop),
        and :meth:`stop` would wait for ever."""
        wake = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({wake}, timeout=self.poll_interval)
        finally:
            wake.cancel()
        self._wake.clear()

    async def deliver_due(self) -> int:
        """Send what is due (one message per recipient per call); the number handled."""
        claimed = await asyncio.to_thread(self.store.claim_due, sorted(self.senders), self.lease)
        if claimed:
            await asyncio.gather(*(self._deliver(m) for m in claimed))
        return len(claimed)

    async def _deliver(self, message: OutboxMessage) -> None:
        sender = self.senders[message.channel]
        try:
            await sender.send(message.recipient, message.message)
        except DeliveryError as error:
            if error.permanent:
                logger.error("%s message %s to %s undeliverable: %s", message.channel, message.id,
                             message.recipient, error)
                await asyncio.to_thread(self.store.mark_undeliverable, message.id, str(error))
                return
            delay = error.retry_after if error.retry_after is not None else backoff_delay(
                message.attempts, base=self.backoff_base, maximum=self.max_backoff)
            logger.warning("%s message %s to %s failed (%s); retry in %.1fs", message.channel, message.id,
                           message.recipient, error, delay)
            await asyncio.to_thread(self.store.mark_retry, message.id, str(error), delay)
            return
        except Exception as error:  # noqa: BLE001 - unexpected: keep the message and retry
            logger.exception("%s message %s: unexpected error", message.channel, message.id)
            await asyncio.to_thread(self.store.mark_retry, message.id, repr(error),
                                    backoff_delay(message.attempts, base=self.backoff_base,
                                                  maximum=self.max_backoff))
            return
        await asyncio.to_thread(self.store.mark_sent, message.id)

    async def reprocess_inbox(self) -> int:
        """Process events accepted long ago but never processed; the number handled."""
        handled = 0
        for channel, handler in self.inbox_handlers.items():
            events = await asyncio.to_thread(self.store.claim_unprocessed, channel, self.inbox_lease)
            for event in events:
                logger.warning("re-processing %s event %s from %s", channel, event.key, event.sender)
                try:
                    await handler(event)
                    handled += 1
                except Exception as error:  # noqa: BLE001 - counted: an event that always fails stops
                    logger.exception("re-processing %s event %s failed", channel, event.key)
                    if await asyncio.to_thread(self.store.record_failure, channel, event.key, repr(error),
                                               self.inbox_max_attempts):
                        report_failed(channel, event.key, event.sender, self.inbox_max_attempts)
        return handled


def worker_for(app: Any, store: ChannelStore, settings: Any) -> DeliveryWorker:
    """The one delivery worker of a Sanic app (the first channel to ask creates it)."""
    worker = getattr(app.ctx, "delivery_worker", None)
    if worker is None:
        worker = DeliveryWorker(store, poll_interval=settings.delivery_poll_interval,
                                backoff_base=settings.delivery_backoff_base,
                                max_backoff=settings.delivery_max_backoff,
                                inbox_max_attempts=settings.inbox_max_attempts)
        app.ctx.delivery_worker = worker
    return worker
