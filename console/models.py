"""Tables of the staff data. Schema changes go through Alembic (console/migrations)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def as_utc(moment: dt.datetime) -> dt.datetime:
    """A stored moment with its zone: SQLite gives ``DateTime(timezone=True)`` columns back without one."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


class Feedback(Base):
    """A citizen's answer to "was this helpful?"."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(255), index=True)
    channel: Mapped[str] = mapped_column(String(32), default="")
    procedure_code: Mapped[str | None] = mapped_column(String(16), nullable=True, index=True)
    helpful: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())


class HandoffTicket(Base):
    """A conversation handed over to staff."""

    __tablename__ = "handoff_ticket"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(255), index=True)
    channel: Mapped[str] = mapped_column(String(32), default="")
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open / closed
    reason: Mapped[str] = mapped_column(String(32), default="request")  # request / fallback
    procedure_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    last_message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), nullable=True)


class StaffUser(Base):
    """A clerk or an admin of the console."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="clerk")  # admin / clerk
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())


class TicketReply(Base):
    """A clerk's reply to a handed-over citizen (sent through the channels' outbox)."""

    __tablename__ = "ticket_reply"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("handoff_ticket.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    text: Mapped[str] = mapped_column(Text)
    outbox_ids: Mapped[str] = mapped_column(String(255), default="")  # channel_outbox ids, comma-separated
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())


class Annotation(Base):
    """A misunderstood message marked by staff with the right intent and procedure."""

    __tablename__ = "annotation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(255), index=True)
    text: Mapped[str] = mapped_column(Text)
    predicted_intent: Mapped[str] = mapped_column(String(64), default="")
    intent: Mapped[str] = mapped_column(String(64))
    procedure_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending / approved / rejected
    created_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())


class AuditLog(Base):
    """Who did what in the console (replies, deletions, edits, logins)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now(), index=True)
    actor: Mapped[str] = mapped_column(String(64))  # a username, or "system"
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(255), default="")
    detail: Mapped[str] = mapped_column(Text, default="")


class StaffSession(Base):
    """A console login, kept server-side: the cookie holds only its random key, so logout,
    a password change or an admin ends it at once (the row's ``ended_at``)."""

    __tablename__ = "staff_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the cookie's key
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    address: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())
    seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, index=True)
    ended_reason: Mapped[str] = mapped_column(String(32), default="")  # logout / password / admin / expired
