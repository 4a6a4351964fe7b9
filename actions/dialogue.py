"""What the conversation leaves for staff: handoff tickets and ratings of answers."""

from __future__ import annotations

import logging
from rasa_sdk import Tracker

from actions.cues import read
from console.db import session_scope
from console.handoff import notify_staff
from console.store import open_ticket, open_tickets_of, record_feedback
from tthc.settings import get_settings

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


def handoff(tracker: Tracker, reason: str, procedure_code: str | None) -> int | None:
    """Open (or add to) the citizen's handoff ticket; its id, or None if it could not be stored."""
    try:
        with session_scope() as session:
            already_open = open_tickets_of(session, tracker.sender_id)
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
        settings = get_settings()
        try:
            notify_staff(settings.database_url, settings.staff_telegram_chat_id, ticket, settings.public_url)
        except Exception:
            logger.exception("could not queue the staff notification for ticket %s", ticket_id)
    return int(ticket_id)


def store_feedback(tracker: Tracker, helpful: bool, procedure_code: str | None) -> None:
    """Keep a citizen's rating of the answer about ``procedure_code``."""
    try:
        with session_scope() as session:
            record_feedback(
                session,
                sender_id=tracker.sender_id,
                channel=tracker.get_latest_input_channel() or "",
                procedure_code=procedure_code,
                helpful=helpful,
            )
    except Exception:
        logger.exception("could not store feedback from %s", tracker.sender_id)
