"""Writing what the bot records for staff: feedback and handoff tickets."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.models import Feedback, HandoffTicket


def record_feedback(
    session: Session, *, sender_id: str, channel: str, procedure_code: str | None, helpful: bool, comment: str = ""
) -> Feedback:
    feedback = Feedback(
        sender_id=sender_id, channel=channel, procedure_code=procedure_code, helpful=helpful, comment=comment
    )
    session.add(feedback)
    session.flush()
    return feedback


def open_tickets_of(session: Session, sender_id: str) -> list[HandoffTicket]:
    return list(session.scalars(
        select(HandoffTicket).where(HandoffTicket.sender_id == sender_id, HandoffTicket.status == "open")))


def open_ticket(
    session: Session,
    *,
    sender_id: str,
    channel: str,
    reason: str,
    procedure_code: str | None,
    last_message: str,
) -> HandoffTicket:
    """Open a handoff ticket for the sender, or return the one already open."""
    existing = session.scalars(
        select(HandoffTicket).where(HandoffTicket.sender_id == sender_id, HandoffTicket.status == "open")
    ).first()
    if existing is not None:
        existing.last_message = last_message or existing.last_message
        return existing
    ticket = HandoffTicket(
        sender_id=sender_id,
        channel=channel,
        reason=reason,
        procedure_code=procedure_code,
        last_message=last_message,
    )
    session.add(ticket)
    session.flush()
    return ticket
