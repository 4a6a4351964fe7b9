"""Every table of the project's database but Rasa's conversations (``events``), on one
``MetaData``. Schema changes go through Alembic (``tthc_data/migrations``, ``tthc db upgrade``).

Staff data (ORM classes): feedback, handoff tickets and replies, staff users and their
sessions, annotations, the audit log. The channels' queues (Core tables, read and written by
:mod:`tthc_data.channels` with plain SQL in both runtimes): ``channel_inbox``,
``channel_outbox``, ``channel_choices``, ``channel_tokens``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, declarative_base

metadata = MetaData()
# Declared the way SQLAlchemy 1.4 (Rasa's pin) and 2.x both map; typed with ``Mapped``.
# Any: the declarative base of SQLAlchemy 1.4 (Rasa's runtime) and 2.x alike
Base: Any = declarative_base(metadata=metadata)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def as_utc(moment: dt.datetime) -> dt.datetime:
    """A stored moment with its zone: SQLite gives ``DateTime(timezone=True)`` columns back without one."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


class Feedback(Base):
    """A citizen's answer to "was this helpful?"."""

    __tablename__ = "feedback"

    id: Mapped[int] = Column(Integer, primary_key=True)
    sender_id: Mapped[str] = Column(String(255), index=True, nullable=False)
    channel: Mapped[str] = Column(String(32), default="", nullable=False)
    procedure_code: Mapped[str | None] = Column(String(16), nullable=True, index=True)
    helpful: Mapped[bool] = Column(Boolean, nullable=False)
    comment: Mapped[str] = Column(Text, default="", nullable=False)
    created_at: Mapped[dt.datetime] = Column(DateTime(timezone=True), default=utc_now, server_default=func.now(), nullable=False)


class HandoffTicket(Base):
    """A conversation handed over to staff."""

    __tablename__ = "handoff_ticket"

    id: Mapped[int] = Column(Integer, primary_key=True)
    sender_id: Mapped[str] = Column(String(255), index=True, nullable=False)
    channel: Mapped[str] = Column(String(32), default="", nullable=False)
    status: Mapped[str] = Column(String(16), default="open", index=True, nullable=False)  # open / closed
    reason: Mapped[str] = Column(String(32), default="request", nullable=False)  # request / fallback
    procedure_code: Mapped[str | None] = Column(String(16), nullable=True)
    last_message: Mapped[str] = Column(Text, default="", nullable=False)
    created_at: Mapped[dt.datetime] = Column(DateTime(timezone=True), default=utc_now, server_default=func.now(), nullable=False)
    closed_at: Mapped[dt.datetime | None] = Column(DateTime(timezone=True), nullable=True)
    closed_by: Mapped[int | None] = Column(ForeignKey("staff_user.id"), nullable=True)


class StaffUser(Base):
    """A clerk or an admin of the console."""

    __tablename__ = "staff_user"

    id: Mapped[int] = Column(Integer, primary_key=True)
    username: Mapped[str] = Column(String(64), unique=True, nullable=False)
    password_hash: Mapped[str] = Column(String(255), nullable=False)
    role: Mapped[str] = Column(String(16), default="clerk", nullable=False)  # admin / clerk
    active: Mapped[bool] = Column(Boolean, default=True, nullable=False)
    created_at: Mapped[dt.datetime] = Column(DateTime(timezone=True), default=utc_now, server_default=func.now(), nullable=False)


class TicketReply(Base):
    """A clerk's reply to a handed-over citizen (sent through the channels' outbox)."""

    __tablename__ = "ticket_reply"

    id: Mapped[int] = Column(Integer, primary_key=True)
    ticket_id: Mapped[int] = Column(ForeignKey("handoff_ticket.id"), index=True, nullable=False)
    staff_id: Mapped[int] = Column(ForeignKey("staff_user.id"), nullable=False)
    text: Mapped[str] = Column(Text, nullable=False)
    outbox_ids: Mapped[str] = Column(String(255), default="", nullable=False)  # channel_outbox ids, comma-separated
    created_at: Mapped[dt.datetime] = Column(DateTime(timezone=True), default=utc_now, server_default=func.now(), nullable=False)


class Annotation(Base):
    """A misunderstood message marked by staff with the right intent and procedure."""

    __tablename__ = "annotation"

    id: Mapped[int] = Column(Integer, primary_key=True)
    sender_id: Mapped[str] = Column(String(255), index=True, nullable=False)
    text: Mapped[str] = Column(Text, nullable=False)
    predicted_intent: Mapped[str] = Column(String(64), default="", nullable=False)
    intent: Mapped[str] = Column(String(64), nullable=False)
    procedure_code: Mapped[str | None] = Column(String(16), nullable=True)
    status: Mapped[str] = Column(String(16), default="pending", index=True, nullable=False)  # pending / approved / rejected
    created_by: Mapped[int] = Column(ForeignKey("staff_user.id"), nullable=False)
    created_at: Mapped[dt.datetime] = Column(DateTime(timezone=True), default=utc_now, server_default=func.now(), nullable=False)


class AuditLog(Base):
    """Who did what in the console (replies, deletions, edits, logins)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = Column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = Column(DateTime(timezone=True), default=utc_now, server_default=func.now(), index=True, nullable=False)
    actor: Mapped[str] = Column(String(64), nullable=False)  # a username, or "system"
    action: Mapped[str] = Column(String(64), index=True, nullable=False)
    target: Mapped[str] = Column(String(255), default="", nullable=False)
    detail: Mapped[str] = Column(Text, default="", nullable=False)


class StaffSession(Base):
    """A console login, kept server-side: the cookie holds only its random key, so logout,
    a password change or an admin ends it at once (the row's ``ended_at``)."""

    __tablename__ = "staff_session"

    id: Mapped[int] = Column(Integer, primary_key=True)
    key_hash: Mapped[str] = Column(String(64), unique=True, nullable=False)  # SHA-256 of the cookie's key
    user_id: Mapped[int] = Column(ForeignKey("staff_user.id"), index=True, nullable=False)
    address: Mapped[str] = Column(String(64), default="", nullable=False)
    user_agent: Mapped[str] = Column(String(255), default="", nullable=False)
    created_at: Mapped[dt.datetime] = Column(DateTime(timezone=True), default=utc_now, server_default=func.now(), nullable=False)
    seen_at: Mapped[dt.datetime] = Column(DateTime(timezone=True), default=utc_now, server_default=func.now(), nullable=False)
    ended_at: Mapped[dt.datetime | None] = Column(DateTime(timezone=True), nullable=True, index=True)
    ended_reason: Mapped[str] = Column(String(32), default="", nullable=False)  # logout / password / admin / expired


# --- the channels' queues (see tthc_data.channels) ---------------------------------------
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


# --- dossier status (see tthc_data.dossiers): only the code, the subscriber's channel id and
# the status history needed not to send the same news twice -----------------------------
dossier_subscriptions = Table(
    "dossier_subscription",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(32), nullable=False, index=True),
    Column("channel", String(32), nullable=False),
    Column("recipient", String(128), nullable=False, index=True),  # the platform id (web: the widget's id)
    Column("created_at", Float, nullable=False, index=True),
    Column("ended_at", Float),
    Column("ended_reason", String(32), nullable=False, default=""),  # citizen / completed / returned / cancelled
)

dossier_statuses = Table(
    "dossier_status",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(32), nullable=False, index=True),
    # "webhook:<event_id>" or "poll:<time>": an event handled once
    Column("event_key", String(160), nullable=False, unique=True),
    Column("status", String(24), nullable=False),
    Column("fingerprint", String(32), nullable=False),  # what the citizen was told (dossiers.record)
    Column("received_at", Float, nullable=False, index=True),
    Column("notified", Integer, nullable=False, default=0),  # messages queued for it
)

dossier_failed_proofs = Table(
    "dossier_failed_proof",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # SHA-256 of the sender (as the rate limiter reads ids) and of the code tried: counted, never shown
    Column("sender_hash", String(64), nullable=False, index=True),
    Column("code_hash", String(64), nullable=False, index=True),
    Column("at", Float, nullable=False, index=True),
)

dossier_watches = Table(
    "dossier_watch",
    metadata,
    # a followed dossier of a one-stop system without a webhook: when it is next polled
    Column("code", String(32), primary_key=True),
    Column("next_check_at", Float, nullable=False, index=True),
)
