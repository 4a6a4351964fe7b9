"""Retention: old conversations deleted after a configurable number of days; one citizen's
data deleted on request. Both are audited. Plain SQL over every table that holds a
citizen's messages: Rasa's ``events``, the channels' inbox/outbox/choices, and the
console's feedback, tickets (with their replies) and annotations, and what dossier status
keeps (followings, status history, failed proofs)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, inspect, text

from console.users import audit
from tthc_data.dossiers import sender_hash
from tthc_data.engine import session_scope
from tthc_text.conversation_keys import PUSH_CHANNELS, platform_id

# table -> (sender column, time column, time kind)
CITIZEN_TABLES: dict[str, tuple[str, str, str]] = {
    "events": ("sender_id", "timestamp", "epoch"),
    "channel_inbox": ("sender", "received_at", "epoch"),
    "channel_outbox": ("recipient", "created_at", "epoch"),
    "channel_choices": ("recipient", "created_at", "epoch"),
    "feedback": ("sender_id", "created_at", "datetime"),
    "annotation": ("sender_id", "created_at", "datetime"),
    "handoff_ticket": ("sender_id", "created_at", "datetime"),
    # a conversation following a dossier, by the channel's id like the channels' queues
    "dossier_subscription": ("recipient", "created_at", "epoch"),
}
# kept by dossier or as hashes, not by sender: deleted after the retention period only
# (the failed proofs by the hash of the sender too, on request)
DOSSIER_HISTORY: dict[str, str] = {"dossier_status": "received_at", "dossier_failed_proof": "at"}
BY_CHANNEL_ID = ("channel_", "dossier_subscription")


def _existing(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def _delete_replies(conn, where: str, params: dict[str, object]) -> int:  # type: ignore[no-untyped-def]
    result = conn.execute(text(
        f"DELETE FROM ticket_reply WHERE ticket_id IN (SELECT id FROM handoff_ticket WHERE {where})"), params)
    return int(result.rowcount or 0)


def delete_older_than(engine: Engine, days: int, actor: str = "system") -> dict[str, int]:
    """Delete what citizens sent or were sent more than ``days`` days ago."""
    if days < 1:
        raise ValueError("the retention period must be at least one day")
    cutoff = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days)
    tables = _existing(engine)
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        if "ticket_reply" in tables:
            counts["ticket_reply"] = _delete_replies(conn, "created_at < :cutoff", {"cutoff": cutoff})
        for table, (_, column, kind) in CITIZEN_TABLES.items():
            if table in tables:
                value: object = cutoff.timestamp() if kind == "epoch" else cutoff
                counts[table] = int(conn.execute(text(f"DELETE FROM {table} WHERE {column} < :cutoff"),
                                                 {"cutoff": value}).rowcount or 0)
        for table, column in DOSSIER_HISTORY.items():
            if table in tables:
                counts[table] = int(conn.execute(text(f"DELETE FROM {table} WHERE {column} < :cutoff"),
                                                 {"cutoff": cutoff.timestamp()}).rowcount or 0)
    with session_scope(engine) as session:
        audit(session, actor, "retention.purge", f"older than {days} days", counts)
    return counts


def delete_sender(engine: Engine, sender_id: str, actor: str) -> dict[str, int]:
    """Delete everything about one citizen (a request under Decree 13/2023/NĐ-CP)."""
    if not sender_id.strip():
        raise ValueError("a sender id is required")
    tables = _existing(engine)
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        if "ticket_reply" in tables:
            counts["ticket_reply"] = _delete_replies(conn, "sender_id = :sender", {"sender": sender_id})
        # the channels' queues know a Zalo/Telegram user by the platform id (zalo:123 -> 123)
        channel = next((c for c in PUSH_CHANNELS if sender_id.startswith(f"{c}:")), None)
        for table, (column, _, _) in CITIZEN_TABLES.items():
            if table not in tables:
                continue
            if channel and table.startswith(BY_CHANNEL_ID):
                query, params = (f"DELETE FROM {table} WHERE {column} = :sender AND channel = :channel",
                                 {"sender": platform_id(channel, sender_id), "channel": channel})
            else:
                query, params = f"DELETE FROM {table} WHERE {column} = :sender", {"sender": sender_id}
            counts[table] = int(conn.execute(text(query), params).rowcount or 0)
        if "dossier_failed_proof" in tables:
            counts["dossier_failed_proof"] = int(conn.execute(
                text("DELETE FROM dossier_failed_proof WHERE sender_hash = :hash"),
                {"hash": sender_hash(sender_id)}).rowcount or 0)
    with session_scope(engine) as session:
        audit(session, actor, "privacy.delete_sender", sender_id, counts)
    return counts
