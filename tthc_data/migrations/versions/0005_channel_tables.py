"""the channels' queues under the migrations: channel_inbox, channel_outbox, channel_choices, channel_tokens

Until now the Rasa server created these tables itself when they were missing (and added the
inbox's ``attempts`` and ``last_error`` columns to an older one). This migration adopts
them: a table that is there keeps its rows and gets any column it lacks; a missing one is
created. From now on only the migrations change them.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

logger = logging.getLogger("alembic.runtime.migration")


def _tables() -> dict[str, list[sa.Column]]:  # type: ignore[type-arg]
    """The four tables as they are at this revision (frozen here, whatever later code says)."""
    return {
        "channel_inbox": [
            sa.Column("channel", sa.String(32), primary_key=True),
            sa.Column("event_key", sa.String(128), primary_key=True),
            sa.Column("sender", sa.String(128), nullable=False),
            sa.Column("payload", sa.JSON(), nullable=False),
            sa.Column("status", sa.String(16), nullable=False),
            sa.Column("received_at", sa.Float(), nullable=False),
            sa.Column("lease_until", sa.Float(), nullable=False),
            sa.Column("processed_at", sa.Float(), nullable=True),
            sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
            sa.Column("last_error", sa.Text(), nullable=True),
        ],
        "channel_outbox": [
            sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
            sa.Column("channel", sa.String(32), nullable=False, index=True),
            sa.Column("recipient", sa.String(128), nullable=False, index=True),
            sa.Column("message", sa.JSON(), nullable=False),
            sa.Column("origin", sa.String(16), nullable=False),
            sa.Column("status", sa.String(16), nullable=False, index=True),
            sa.Column("attempts", sa.Integer(), nullable=False),
            sa.Column("next_attempt_at", sa.Float(), nullable=False),
            sa.Column("lease_until", sa.Float(), nullable=True),
            sa.Column("last_error", sa.Text(), nullable=True),
            sa.Column("created_at", sa.Float(), nullable=False),
            sa.Column("sent_at", sa.Float(), nullable=True),
        ],
        "channel_choices": [
            sa.Column("channel", sa.String(32), primary_key=True),
            sa.Column("recipient", sa.String(128), primary_key=True),
            sa.Column("choice_key", sa.String(128), primary_key=True),
            sa.Column("payload", sa.Text(), nullable=False),
            sa.Column("created_at", sa.Float(), nullable=False),
        ],
        "channel_tokens": [
            sa.Column("name", sa.String(64), primary_key=True),
            sa.Column("value", sa.Text(), nullable=False),
            sa.Column("expires_at", sa.Float(), nullable=True),
            sa.Column("updated_at", sa.Float(), nullable=False),
        ],
    }


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    present = set(inspector.get_table_names())
    for name, columns in _tables().items():
        if name not in present:
            op.create_table(name, *columns)  # with its indexes (ix_<table>_<column>)
            continue
        have = {c["name"] for c in inspector.get_columns(name)}
        for column in columns:
            if column.name not in have:
                logger.info("adding %s.%s", name, column.name)
                # a column added to a table with rows: nullable, or with its server default
                default = getattr(column.server_default, "arg", None)
                op.add_column(name, sa.Column(column.name, column.type, server_default=default,
                                              nullable=column.nullable if default is not None else True))


def downgrade() -> None:
    # The tables stay: before this revision the Rasa server made and used them itself.
    pass
