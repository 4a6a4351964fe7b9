"""What the bot records for staff: citizens' ratings, handoff tickets, the staff's alert.

The action server writes these (the console reads and answers them); every function takes
the session or the store it works with and keyword-only arguments.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tthc_data.channels import ChannelStore, queue_messages
from tthc_data.tables import Feedback, HandoffTicket
from tthc_text.privacy import mask_personal_data


def record_feedback(
    session: Session, *, sender_id: str, channel: str, procedure_code: str | None, helpful: bool, comment: str = ""
) -> Feedback:
    feedback = Feedback(
        sender_id=sender_id, channel=channel, procedure_code=procedure_code, helpful=helpful, comment=comment
    )
    session.add(feedback)
    session.flush()
    return feedback


def open_tickets_of(session: Session, *, sender_id: str) -> list[HandoffTicket]:
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
    existing = next(iter(open_tickets_of(session, sender_id=sender_id)), None)
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


def notify_staff(store: ChannelStore, *, chat_id: str | None, ticket: HandoffTicket, console_url: str) -> list[int]:
    """Tell the staff Telegram group that a ticket opened (delivered like any reply); the
    outbox ids, none when no group is set."""
    if not chat_id:
        return []
    text = (f"🔔 Yêu cầu hỗ trợ mới #{ticket.id} ({ticket.channel or 'không rõ kênh'})\n"
            f"Câu hỏi: {mask_personal_data(ticket.last_message)[:500]}\n"
            f"Trả lời tại: {console_url.rstrip('/')}/console/handoffs/{ticket.id}")
    return queue_messages(store, channel="telegram", recipient=chat_id, messages=[{"text": text}], origin="system")
