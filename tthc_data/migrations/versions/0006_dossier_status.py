"""dossier status: subscriptions, status history, failed ownership proofs, the poll schedule

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dossier_subscription",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(32), nullable=False, index=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("recipient", sa.String(128), nullable=False, index=True),
        sa.Column("created_at", sa.Float(), nullable=False, index=True),
        sa.Column("ended_at", sa.Float(), nullable=True),
        sa.Column("ended_reason", sa.String(32), nullable=False),
    )
    op.create_table(
        "dossier_status",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(32), nullable=False, index=True),
        sa.Column("event_key", sa.String(160), nullable=False, unique=True),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("fingerprint", sa.String(32), nullable=False),
        sa.Column("received_at", sa.Float(), nullable=False, index=True),
        sa.Column("notified", sa.Integer(), nullable=False),
    )
    op.create_table(
        "dossier_failed_proof",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("sender_hash", sa.String(64), nullable=False, index=True),
        sa.Column("code_hash", sa.String(64), nullable=False, index=True),
        sa.Column("at", sa.Float(), nullable=False, index=True),
    )
    op.create_table(
        "dossier_watch",
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("next_check_at", sa.Float(), nullable=False, index=True),
    )


def downgrade() -> None:
    for name in ("dossier_watch", "dossier_failed_proof", "dossier_status", "dossier_subscription"):
        op.drop_table(name)
