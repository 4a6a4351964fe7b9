"""Rasa's Redis lock store, made safe for several replicas: ``REDIS_URL`` in the settings.

Rasa handles a message only while it holds a ticket of the conversation's ``TicketLock``
(tickets are served in the order they were issued), so with one lock store shared by every
replica, one conversation's messages are handled one at a time and in order, whichever
replica received them. Rasa 3.6's ``RedisLockStore`` keeps each lock as one JSON value
but changes it with a plain read, change, write: two replicas issuing tickets at the same
moment can both read the lock, and the second write erases the first ticket (both then
think it is their turn), and a replica finishing can delete a lock another one has just
joined. Later Rasa releases fixed this with a new "concurrent" Redis lock store; this is
the same fix for 3.6: the very same ``TicketLock`` in the very same Redis value, with every
change made in a Redis transaction (``WATCH``/``MULTI``: a change that raced another one
is redone on the fresh value).

One more difference: a ticket's lifetime runs from the moment it is issued, waiting
included, so when a replica dies holding a conversation, the message waiting behind it may
expire together with the dead ticket, and Rasa then gives up on it (``LockError``). Here
it queues again instead and is handled.

Configured in the ``lock_store`` section of the endpoints that ``connectors.serve`` writes
when ``REDIS_URL`` is set.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore

from connectors.settings import get_settings

logger = logging.getLogger(__name__)

T = TypeVar("T")

KEY_PREFIX = "tthc"


def redis_options(url: str) -> dict[str, Any]:
    """``redis://[user:password@]host[:port][/db]`` (``rediss://`` for TLS) as the
    keyword arguments of Rasa's ``RedisLockStore``."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise ValueError(f"REDIS_URL must look like redis://host:6379/0, not {url!r}")
    path = parts.path.strip("/")
    if path and not path.isdigit():
        raise ValueError(f"the database in REDIS_URL must be a number, not {path!r}")
    return {
        "host": parts.hostname,
        "port": parts.port or 6379,
        "db": int(path or 0),
        "username": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
        "use_ssl": parts.scheme == "rediss",
    }


class UrlRedisLockStore(RedisLockStore):
    """``RedisLockStore`` connected from ``REDIS_URL``, whose changes are atomic."""

    def __init__(self, endpoint_config: Any = None, url: str | None = None) -> None:
        redis_url = url or get_settings().redis_url
        if not redis_url:
            raise LockError("UrlRedisLockStore needs REDIS_URL")
        super().__init__(**redis_options(redis_url), key_prefix=KEY_PREFIX)

    def _key(self, conversation_id: str) -> str:
        return self.key_prefix + conversation_id

    def _change(self, conversation_id: str, change: Callable[[TicketLock | None], tuple[TicketLock | None, T]]) -> T:
        """Apply ``change`` to the stored lock atomically; it returns the lock to store
        (None or no tickets: delete it) and a result. Redone if another replica changed
        the lock meanwhile."""
        key = self._key(conversation_id)
        result: list[T] = []

        def transaction(pipe: Any) -> None:
            result.clear()
            raw = pipe.get(key)
            lock = TicketLock.from_dict(json.loads(raw)) if raw else None
            new, value = change(lock)
            result.append(value)
            pipe.multi()
            if new is None or not new.tickets:
                pipe.delete(key)
            else:
                # the value outlives its last ticket a little, then Redis drops it by itself
                ttl = max(1, int(max(t.expires for t in new.tickets) - time.time()) + 60)
                pipe.set(key, new.dumps(), ex=ttl)

        self.red.transaction(transaction, key)
        return result[0]

    @asynccontextmanager
    async def lock(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: float = 1) -> AsyncIterator[TicketLock]:
        ticket = self.issue_ticket(conversation_id, lock_lifetime)
        try:
            for attempt in range(3):
                try:
                    acquired = await self._acquire_lock(conversation_id, ticket, wait_time_in_seconds)
                    break
                except LockError:  # this ticket expired while waiting (its holder died)
                    if attempt == 2:
                        raise
                    logger.warning("conversation %s: waited a whole lock lifetime; queueing again", conversation_id)
                    ticket = self.issue_ticket(conversation_id, lock_lifetime)
            yield acquired
        finally:
            self.cleanup(conversation_id, ticket)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def issue(lock: TicketLock | None) -> tuple[TicketLock, int]:
            lock = lock or self.create_lock(conversation_id)
            lock.remove_expired_tickets()
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._change(conversation_id, issue)
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        def expire(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._change(conversation_id, expire)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self.cleanup(conversation_id, ticket_number)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Remove the ticket; the lock goes with its last ticket (in the same transaction,
        so a ticket another replica has just taken is never deleted with it)."""

        def finish(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
                lock.remove_expired_tickets()
            return lock, None

        self._change(conversation_id, finish)
