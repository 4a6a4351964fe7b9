"""What the conversation leaves for staff: handoff tickets and ratings of answers."""

from __future__ import annotations

import logging

from rasa_sdk import Tracker

from actions.cues import read
from tthc_data.channels import shared_store
from tthc_data.engine import engine_for, session_scope
from tthc_data.staff import notify_staff, open_ticket, open_tickets_of, record_feedback
from tthc_settings import Settings

logger = logging.getLogger(__name__)


def _last_question(tracker: Tracker) -> str:
    """The citizen's last real question (not a button press or a yes/no)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            text = str(event.get("text") or "")
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if not text or text.startswith("/") or intent in ("affirm", "deny", "request_human"):
                continue
            reading = read(text)
            if not reading.person and not reading.affirm:
                return text
    return ""


def handoff(tracker: Tracker, reason: str, procedure_code: str | None, *, settings: Settings) -> int | None:
    """Open (or add to) the citizen's handoff ticket; its id, or None if it could not be stored."""
    try:
        with session_scope(engine_for(settings.database_url)) as session:
            already_open = open_tickets_of(session, sender_id=tracker.sender_id)
            ticket = open_ticket(
                session,
                sender_id=tracker.sender_id,
                channel=tracker.get_latest_input_channel() or "",
                reason=reason,
                procedure_code=procedure_code,
                last_message=_last_question(tracker),
            )
            ticket_id = ticket.id
    except Exception:
        logger.exception("could not open a handoff ticket for %s", tracker.sender_id)
        return None
    if not already_open:  # after the commit: the notification is queued in the same database
        try:
            notify_staff(shared_store(settings.database_url), chat_id=settings.staff_telegram_chat_id,
                         ticket=ticket, console_url=settings.public_url)
        except Exception:
            logger.exception("could not queue the staff notification for ticket %s", ticket_id)
    return int(ticket_id)


def store_feedback(tracker: Tracker, helpful: bool, procedure_code: str | None, *, settings: Settings) -> None:
    """Keep a citizen's rating of the answer about ``procedure_code``."""
    try:
        with session_scope(engine_for(settings.database_url)) as session:
            record_feedback(
                session,
                sender_id=tracker.sender_id,
                channel=tracker.get_latest_input_channel() or "",
                procedure_code=procedure_code,
                helpful=helpful,
            )
    except Exception:
        logger.exception("could not store feedback from %s", tracker.sender_id)
