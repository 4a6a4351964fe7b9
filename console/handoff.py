"""The handoff queue: open tickets, a clerk's reply delivered on the citizen's channel, closing.

A reply goes into the channels' outbox (``tthc_data.channels``), the one delivery path of
bot and staff replies: the Rasa server's delivery worker sends it on Zalo or Telegram with
its retries; the web widget fetches it. Both runtimes read that table with plain SQL.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from console.users import audit
from tthc_data.channels import FailedEvent, queue_messages, shared_store
from tthc_data.tables import HandoffTicket, StaffUser, TicketReply
from tthc_text.conversation_keys import LATER_CHANNELS, platform_id

# Channels whose users can receive a message later (REST clients cannot).
REPLYABLE = frozenset(LATER_CHANNELS)


class HandoffError(ValueError):
    pass


def failed_messages(database_url: str, limit: int = 20) -> tuple[int, list[FailedEvent]]:
    """Citizens' messages from Zalo and Telegram that failed every attempt to handle them
    (never retried again): how many, and the latest, for the admin to look at."""
    return shared_store(database_url).failed_events(limit)


def open_tickets(session: Session) -> list[HandoffTicket]:
    return list(session.scalars(select(HandoffTicket).where(HandoffTicket.status == "open")
                                .order_by(HandoffTicket.created_at)))


def open_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(HandoffTicket)
                              .where(HandoffTicket.status == "open")) or 0)


def replies_of(session: Session, ticket_id: int) -> list[TicketReply]:
    return list(session.scalars(select(TicketReply).where(TicketReply.ticket_id == ticket_id)
                                .order_by(TicketReply.created_at)))


def reply(session: Session, engine: Engine, ticket: HandoffTicket, staff: StaffUser, text: str,
          close: bool = True) -> TicketReply:
    """Queue a clerk's reply to the citizen on their channel; close the ticket if asked."""
    text = text.strip()
    if not text:
        raise HandoffError("the reply is empty")
    if len(text) > 4000:
        raise HandoffError("the reply is longer than 4,000 characters")
    if ticket.channel not in REPLYABLE:
        raise HandoffError(f"citizens on the {ticket.channel or 'unknown'} channel cannot receive a later reply")
    recipient = platform_id(ticket.channel, ticket.sender_id)  # zalo:123 is sent to Zalo user 123
    store = shared_store(engine.url.render_as_string(hide_password=False))  # checked once per process
    ids = queue_messages(store, channel=ticket.channel, recipient=recipient,
                         messages=[{"text": text}], origin="staff")
    record = TicketReply(ticket_id=ticket.id, staff_id=staff.id, text=text,
                         outbox_ids=",".join(str(i) for i in ids))
    session.add(record)
    audit(session, staff.username, "ticket.reply", f"ticket#{ticket.id}",
          {"channel": ticket.channel, "outbox": ids})
    if close:
        close_ticket(session, ticket, staff)
    session.flush()
    return record


def close_ticket(session: Session, ticket: HandoffTicket, staff: StaffUser) -> None:
    if ticket.status == "closed":
        return
    ticket.status = "closed"
    ticket.closed_at = dt.datetime.now(dt.timezone.utc)
    ticket.closed_by = staff.id
    audit(session, staff.username, "ticket.close", f"ticket#{ticket.id}")
