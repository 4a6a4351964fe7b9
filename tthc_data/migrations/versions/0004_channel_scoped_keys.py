"""conversations of Zalo and Telegram users keyed by channel (zalo:<id>, telegram:<id>)

Until now a Zalo user's or Telegram chat's conversation was keyed by the platform id alone,
which a REST or web client could choose too. This renames, in Rasa's conversations (the
``events`` table, when it is in this database) and in the staff data (tickets, feedback,
annotations), every sender whose messages all came from one of those channels. A sender with
messages from several channels (a web client that chose a Telegram chat's id) cannot be told
apart and keeps its old key (logged).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import json
import logging

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

logger = logging.getLogger("alembic.runtime.migration")
PUSH_CHANNELS = ("zalo", "telegram")  # as in tthc_text.conversation_keys (migrations stay frozen)
STAFF_TABLES = ("handoff_ticket", "feedback", "annotation")


def _channels_by_sender(conn: sa.Connection, tables: set[str]) -> dict[str, set[str]]:
    """Every not yet prefixed sender and the channels its messages came from."""
    found: dict[str, set[str]] = {}
    if "events" in tables:
        rows = conn.execute(sa.text("SELECT sender_id, data FROM events WHERE type_name = 'user'"))
        for sender, data in rows:
            try:
                channel = json.loads(data).get("input_channel") or ""
            except (TypeError, ValueError, AttributeError):
                channel = ""
            found.setdefault(sender, set()).add(channel)
    for table in ("handoff_ticket", "feedback"):
        if table in tables:
            for sender, channel in conn.execute(sa.text(f"SELECT sender_id, channel FROM {table}")):
                found.setdefault(sender, set()).add(channel or "")
    return {s: c for s, c in found.items() if not s.startswith(tuple(f"{p}:" for p in PUSH_CHANNELS))}


def _rename(conn: sa.Connection, tables: set[str], renames: dict[str, str]) -> None:
    for old, new in renames.items():
        for table in ("events", *STAFF_TABLES):
            if table in tables:
                conn.execute(sa.text(f"UPDATE {table} SET sender_id = :new WHERE sender_id = :old"),
                             {"new": new, "old": old})


def upgrade() -> None:
    conn = op.get_bind()
    tables = set(sa.inspect(conn).get_table_names())
    renames = {}
    for sender, channels in _channels_by_sender(conn, tables).items():
        push = channels & set(PUSH_CHANNELS)
        if len(channels) == 1 and push:
            renames[sender] = f"{push.pop()}:{sender}"
        elif push:
            logger.warning("sender %r has messages from %s: its key is left as it is", sender, sorted(channels))
    _rename(conn, tables, renames)


def downgrade() -> None:
    conn = op.get_bind()
    tables = set(sa.inspect(conn).get_table_names())
    renames = {}
    for table in ("events", *STAFF_TABLES):
        if table in tables:
            for (sender,) in conn.execute(sa.text(f"SELECT DISTINCT sender_id FROM {table}")):
                for channel in PUSH_CHANNELS:
                    if sender.startswith(f"{channel}:"):
                        renames[sender] = sender[len(channel) + 1:]
    _rename(conn, tables, renames)
