"""What the channels keep in the project's database: inbox, outbox, button choices, tokens.

- ``channel_inbox``: every event a platform delivered, keyed by the platform's id
  (Zalo ``msg_id``, Telegram ``update_id``): a retried or replayed event is recognised and
  ignored, and an event accepted but not yet processed (the server stopped half-way) is
  processed again later, so nothing a citizen sent is lost.
- ``channel_outbox``: every message to send on a push platform (Zalo, Telegram), from the
  bot or from staff. Rows are delivered in order per recipient, retried with backoff, and
  kept when a platform refuses them for good.  Web users fetch theirs (``web`` channel).
- ``channel_choices``: the buttons last offered to a user, so what comes back (a Zalo
  button's text, a Telegram callback token) maps to the button's payload.
- ``channel_tokens``: platform access tokens that rotate (Zalo's refresh token).

The tables are in :mod:`tthc_data.tables` and made by the migrations (``tthc db upgrade``,
before the services start). Only SQLAlchemy Core and plain SQL, written for SQLAlchemy 1.4
(Rasa's pin) and 2.x alike, so both runtimes read and write the same tables.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from tthc_data.engine import engine_for
from tthc_data.tables import choices, inbox, outbox, tokens
from tthc_text.platform_messages import Renderer, renderer_for

CHANNEL_TABLES = (inbox.name, outbox.name, choices.name, tokens.name)


class SchemaMissing(RuntimeError):
    """The database has not been brought up to date (``tthc db upgrade``)."""


@dataclass(frozen=True)
class InboxEvent:
    channel: str
    key: str
    sender: str
    payload: dict[str, Any]
    received_at: float


@dataclass(frozen=True)
class FailedEvent:
    channel: str
    key: str
    sender: str
    received_at: float
    attempts: int
    last_error: str | None


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    channel: str
    recipient: str
    message: dict[str, Any]
    origin: str
    status: str
    attempts: int
    last_error: str | None = None


def _loads(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else dict(value)


class ChannelStore:
    """The channels' tables in one database (made by the migrations, never here)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        missing = set(CHANNEL_TABLES) - set(inspect(engine).get_table_names())
        if missing:
            raise SchemaMissing(
                f"the database {engine.url.render_as_string(hide_password=True)} has no "
                f"{', '.join(sorted(missing))}: run `.venv/bin/tthc db upgrade` first")

    # --- inbox -----------------------------------------------------------------------
    def accept(self, channel: str, key: str, sender: str, payload: dict[str, Any],
               lease: float = 120.0) -> bool:
        """Record an incoming event; False if it was seen before (a retry or a replay).

        The caller processes it now; if it is still unprocessed ``lease`` seconds later
        (the process stopped), ``claim_unprocessed`` hands it to someone else."""
        now = time.time()
        row = {"channel": channel, "event_key": key, "sender": sender, "payload": payload,
               "status": "received", "received_at": now, "lease_until": now + lease}
        try:
            with self.engine.begin() as conn:
                conn.execute(inbox.insert().values(**row))
        except IntegrityError:
            return False
        return True

    def mark_processed(self, channel: str, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                inbox.update()
                .where(inbox.c.channel == channel, inbox.c.event_key == key)
                .values(status="processed", processed_at=time.time())
            )

    def record_failure(self, channel: str, key: str, error: str, max_attempts: int) -> bool:
        """Count one failed attempt at an event; True when that was the last one allowed
        (the event is then marked failed: kept for the staff, never retried)."""
        with self.engine.begin() as conn:
            conn.execute(inbox.update().where(inbox.c.channel == channel, inbox.c.event_key == key,
                                              inbox.c.status == "received")
                         .values(attempts=inbox.c.attempts + 1, last_error=error[:2000]))
            result = conn.execute(inbox.update().where(inbox.c.channel == channel, inbox.c.event_key == key,
                                                       inbox.c.status == "received",
                                                       inbox.c.attempts >= max_attempts)
                                  .values(status="failed", processed_at=time.time()))
        return result.rowcount == 1

    def failed_events(self, limit: int = 20) -> tuple[int, list[FailedEvent]]:
        """How many incoming events could not be processed, and the latest of them."""
        with self.engine.connect() as conn:
            count = conn.execute(select(func.count()).select_from(inbox).where(inbox.c.status == "failed")).scalar()
            rows = conn.execute(inbox.select().where(inbox.c.status == "failed")
                                .order_by(inbox.c.received_at.desc()).limit(limit)).fetchall()
        return int(count or 0), [FailedEvent(r.channel, r.event_key, r.sender, r.received_at, r.attempts,
                                              r.last_error) for r in rows]

    def defer(self, channel: str, key: str, seconds: float) -> None:
        """Leave an accepted event for later: it is handed out again after ``seconds``."""
        with self.engine.begin() as conn:
            conn.execute(inbox.update().where(inbox.c.channel == channel, inbox.c.event_key == key)
                         .values(lease_until=time.time() + seconds))

    def unprocessed(self, channel: str) -> list[InboxEvent]:
        """Events accepted and not processed (yet)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                inbox.select().where(inbox.c.channel == channel, inbox.c.status == "received")
                .order_by(inbox.c.received_at)
            ).fetchall()
        return [InboxEvent(r.channel, r.event_key, r.sender, _loads(r.payload), r.received_at) for r in rows]

    def claim_unprocessed(self, channel: str, lease: float = 120.0, limit: int = 50) -> list[InboxEvent]:
        """Unprocessed events whose lease ran out, each claimed by this caller alone."""
        now = time.time()
        with self.engine.connect() as conn:
            rows = conn.execute(
                inbox.select()
                .where(inbox.c.channel == channel, inbox.c.status == "received", inbox.c.lease_until < now)
                .order_by(inbox.c.received_at)
                .limit(limit)
            ).fetchall()
        claimed = []
        for r in rows:
            with self.engine.begin() as conn:
                result = conn.execute(
                    inbox.update()
                    .where(inbox.c.channel == r.channel, inbox.c.event_key == r.event_key,
                           inbox.c.status == "received", inbox.c.lease_until < now)
                    .values(lease_until=now + lease)
                )
            if result.rowcount == 1:
                claimed.append(InboxEvent(r.channel, r.event_key, r.sender, _loads(r.payload), r.received_at))
        return claimed

    # --- outbox ----------------------------------------------------------------------
    def enqueue(self, channel: str, recipient: str, messages: list[dict[str, Any]],
                origin: str = "bot") -> list[int]:
        """Queue messages for one recipient, in order, in one transaction."""
        now = time.time()
        ids = []
        with self.engine.begin() as conn:
            for message in messages:
                result = conn.execute(outbox.insert().values(
                    channel=channel, recipient=recipient, message=message, origin=origin,
                    status="pending", attempts=0, next_attempt_at=now, created_at=now,
                ))
                ids.append(int(result.inserted_primary_key[0]))  # type: ignore[index]  # one row inserted
        return ids

    def claim_due(self, channels: list[str], lease: float, limit: int = 50) -> list[OutboxMessage]:
        """Claim messages due for sending, at most one per recipient and in order.

        A message is claimed only when no earlier message to the same recipient is still
        waiting, so a recipient never gets answers out of order even with several
        delivery workers (several Rasa replicas) on one database.
        """
        if not channels:
            return []
        now = time.time()
        names = ", ".join(f":c{i}" for i in range(len(channels)))
        params: dict[str, Any] = {f"c{i}": c for i, c in enumerate(channels)}
        claimed: list[OutboxMessage] = []
        with self.engine.connect() as conn:
            candidates = conn.execute(text(
                "SELECT id FROM channel_outbox WHERE channel IN (" + names + ") AND ("
                "(status = 'pending' AND next_attempt_at <= :now) OR "
                "(status = 'sending' AND lease_until < :now)) ORDER BY id LIMIT :limit"
            ), {**params, "now": now, "limit": limit}).fetchall()
        seen_recipients: set[tuple[str, str]] = set()
        for (message_id,) in candidates:
            with self.engine.begin() as conn:
                updated = conn.execute(text(
                    "UPDATE channel_outbox SET status = 'sending', lease_until = :lease, "
                    "attempts = attempts + 1 WHERE id = :id AND ("
                    "(status = 'pending' AND next_attempt_at <= :now) OR "
                    "(status = 'sending' AND lease_until < :now)) AND NOT EXISTS ("
                    "SELECT 1 FROM channel_outbox AS earlier WHERE earlier.channel = channel_outbox.channel "
                    "AND earlier.recipient = channel_outbox.recipient AND earlier.id < channel_outbox.id "
                    "AND earlier.status IN ('pending', 'sending'))"
                ), {"id": message_id, "now": now, "lease": now + lease})
                if updated.rowcount != 1:
                    continue
                row = conn.execute(outbox.select().where(outbox.c.id == message_id)).fetchone()
            message = self._message(row)
            if (message.channel, message.recipient) in seen_recipients:  # pragma: no cover - guarded by SQL
                continue
            seen_recipients.add((message.channel, message.recipient))
            claimed.append(message)
        return claimed

    def mark_sent(self, message_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(outbox.update().where(outbox.c.id == message_id).values(
                status="sent", sent_at=time.time(), lease_until=None, last_error=None))

    def mark_retry(self, message_id: int, error: str, delay: float) -> None:
        with self.engine.begin() as conn:
            conn.execute(outbox.update().where(outbox.c.id == message_id).values(
                status="pending", next_attempt_at=time.time() + delay, lease_until=None,
                last_error=error[:2000]))

    def mark_undeliverable(self, message_id: int, error: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(outbox.update().where(outbox.c.id == message_id).values(
                status="undeliverable", lease_until=None, last_error=error[:2000]))

    def messages_for(self, channel: str, recipient: str, after: int = 0,
                     limit: int = 100) -> list[OutboxMessage]:
        """A recipient's queued messages with id > ``after`` (web users fetch theirs)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                outbox.select()
                .where(outbox.c.channel == channel, outbox.c.recipient == recipient, outbox.c.id > after)
                .order_by(outbox.c.id)
                .limit(limit)
            ).fetchall()
        return [self._message(r) for r in rows]

    def mark_fetched(self, channel: str, recipient: str, up_to: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(outbox.update().where(
                outbox.c.channel == channel, outbox.c.recipient == recipient,
                outbox.c.id <= up_to, outbox.c.status == "pending",
            ).values(status="sent", sent_at=time.time()))

    def all_messages(self, channel: str | None = None) -> list[OutboxMessage]:
        query = outbox.select().order_by(outbox.c.id)
        if channel:
            query = query.where(outbox.c.channel == channel)
        with self.engine.connect() as conn:
            return [self._message(r) for r in conn.execute(query).fetchall()]

    @staticmethod
    def _message(row: Any) -> OutboxMessage:
        return OutboxMessage(row.id, row.channel, row.recipient, _loads(row.message), row.origin,
                             row.status, row.attempts, row.last_error)

    # --- button choices ----------------------------------------------------------------
    def remember_choices(self, channel: str, recipient: str, mapping: dict[str, str]) -> None:
        """Remember what each offered button stands for (replacing older offers' keys)."""
        now = time.time()
        with self.engine.begin() as conn:
            for key, payload in mapping.items():
                conn.execute(choices.delete().where(
                    choices.c.channel == channel, choices.c.recipient == recipient,
                    choices.c.choice_key == key))
                conn.execute(choices.insert().values(channel=channel, recipient=recipient,
                                                     choice_key=key, payload=payload, created_at=now))

    def choice(self, channel: str, recipient: str, key: str) -> str | None:
        with self.engine.connect() as conn:
            row = conn.execute(choices.select().where(
                choices.c.channel == channel, choices.c.recipient == recipient,
                choices.c.choice_key == key)).fetchone()
        return row.payload if row else None

    # --- tokens ------------------------------------------------------------------------
    def token(self, name: str) -> tuple[str, float | None] | None:
        with self.engine.connect() as conn:
            row = conn.execute(tokens.select().where(tokens.c.name == name)).fetchone()
        return (row.value, row.expires_at) if row else None

    def save_token(self, name: str, value: str, expires_at: float | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(tokens.delete().where(tokens.c.name == name))
            conn.execute(tokens.insert().values(name=name, value=value, expires_at=expires_at,
                                                updated_at=time.time()))


@lru_cache(maxsize=8)
def shared_store(url: str) -> ChannelStore:
    """One store on the process's engine for ``url``."""
    return ChannelStore(engine_for(url))


def queue_messages(store: ChannelStore, *, channel: str, recipient: str, messages: list[dict[str, Any]],
                   origin: str = "bot", renderer: Renderer | None = None) -> list[int]:
    """Render bot-style messages (text, buttons) for a channel and put them in the outbox,
    remembering what the buttons offered stand for."""
    renderer = renderer or renderer_for(channel)
    platform_messages: list[dict[str, Any]] = []
    offered: dict[str, str] = {}
    for message in messages:
        rendered, choices_offered = renderer.render(message)
        platform_messages.extend(rendered)
        offered.update(choices_offered)
    if offered:
        store.remember_choices(channel, recipient, offered)
    return store.enqueue(channel, recipient, platform_messages, origin) if platform_messages else []
