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

Only SQLAlchemy Core and plain SQL, written for SQLAlchemy 1.4 (Rasa's pin) and 2.x alike,
so the console's runtime can read and write the same tables.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.engine.url import make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

metadata = MetaData()

inbox = Table(
    "channel_inbox",
    metadata,
    Column("channel", String(32), primary_key=True),
    Column("event_key", String(128), primary_key=True),
    Column("sender", String(128), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("status", String(16), nullable=False, default="received"),  # received | processed | failed
    Column("received_at", Float, nullable=False),
    # while a process handles the event; after it, anyone may process the event again
    Column("lease_until", Float, nullable=False),
    Column("processed_at", Float),
    # times handling the event raised (not counting a conversation store that was down): at
    # INBOX_MAX_ATTEMPTS it is marked failed, reported, and no longer retried
    Column("attempts", Integer, nullable=False, default=0, server_default="0"),
    Column("last_error", Text),
)
# Columns added after the first release, added to an older database when it is opened.
_ADDED_COLUMNS = {"channel_inbox": {"attempts": "INTEGER NOT NULL DEFAULT 0", "last_error": "TEXT"}}

outbox = Table(
    "channel_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(32), nullable=False, index=True),
    Column("recipient", String(128), nullable=False, index=True),
    Column("message", JSON, nullable=False),  # the platform's message body
    Column("origin", String(16), nullable=False, default="bot"),  # bot | staff | system
    # pending -> sending -> sent; undeliverable when the platform refuses it for good
    Column("status", String(16), nullable=False, default="pending", index=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", Float, nullable=False),
    Column("lease_until", Float),
    Column("last_error", Text),
    Column("created_at", Float, nullable=False),
    Column("sent_at", Float),
)

choices = Table(
    "channel_choices",
    metadata,
    Column("channel", String(32), primary_key=True),
    Column("recipient", String(128), primary_key=True),
    Column("choice_key", String(128), primary_key=True),
    Column("payload", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)

tokens = Table(
    "channel_tokens",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("expires_at", Float),
    Column("updated_at", Float, nullable=False),
)


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


def _engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite"):
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # Several processes share the file (Rasa's tracker store, the console): wait for locks.
        return create_engine(url, connect_args={"timeout": 30})
    return create_engine(url, pool_pre_ping=True)


def _add_missing_columns(engine: Engine) -> None:
    """Add the columns of later releases to the tables of an older database (these tables
    are created here, not by migrations; see the architecture issue)."""
    found = inspect(engine)
    for table, columns in _ADDED_COLUMNS.items():
        present = {c["name"] for c in found.get_columns(table)}
        for name, ddl in columns.items():
            if name not in present:
                try:
                    with engine.begin() as conn:
                        conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {name} {ddl}"))
                except SQLAlchemyError as error:  # another process added it at the same moment
                    if name not in {c["name"] for c in inspect(engine).get_columns(table)}:
                        raise error


def _loads(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else dict(value)


class ChannelStore:
    """The channels' tables in one database (created when missing)."""

    def __init__(self, url: str) -> None:
        self.engine = _engine(url)
        metadata.create_all(self.engine, checkfirst=True)
        _add_missing_columns(self.engine)

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
                ids.append(int(result.inserted_primary_key[0]))
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


@lru_cache(maxsize=4)
def shared_store(url: str) -> ChannelStore:
    """One store (one connection pool) per database URL in a process."""
    return ChannelStore(url)
