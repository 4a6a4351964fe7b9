"""Conversation actions around the answers: handoff to staff, feedback, yes/no replies."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

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
            if text and not text.startswith("/") and intent not in ("affirm", "deny", "request_human"):
                return text
    return ""


def handoff(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str) -> list[EventType]:
    try:
        with session_scope() as session:
            already_open = open_tickets_of(session, tracker.sender_id)
            ticket = open_ticket(
                session,
                sender_id=tracker.sender_id,
                channel=tracker.get_latest_input_channel() or "",
                reason=reason,
                procedure_code=tracker.get_slot("procedure_code"),
                last_message=_last_question(tracker),
            )
            ticket_id = ticket.id
    except Exception:
        logger.exception("could not open a handoff ticket for %s", tracker.sender_id)
        dispatcher.utter_message(response="utter_service_unavailable")
        return [SlotSet("awaiting", None)]
    if not already_open:  # after the commit: the notification is queued in the same database
        settings = get_settings()
        try:
            notify_staff(settings.database_url, settings.staff_telegram_chat_id, ticket, settings.public_url)
        except Exception:
            logger.exception("could not queue the staff notification for ticket %s", ticket_id)
    dispatcher.utter_message(response="utter_handoff_opened", ticket=f"#{ticket_id}")
    return [SlotSet("awaiting", None), SlotSet("fallback_count", 0)]


def feedback(dispatcher: CollectingDispatcher, tracker: Tracker, helpful: bool) -> list[EventType]:
    try:
        with session_scope() as session:
            record_feedback(
                session,
                sender_id=tracker.sender_id,
                channel=tracker.get_latest_input_channel() or "",
                procedure_code=tracker.get_slot("procedure_code"),
                helpful=helpful,
            )
    except Exception:
        logger.exception("could not store feedback from %s", tracker.sender_id)
    dispatcher.utter_message(response="utter_feedback_positive" if helpful else "utter_feedback_negative")
    return [SlotSet("awaiting", None)]


class ActionHandoff(Action):
    """The citizen asked for a person: open a ticket for staff and say what happens next."""

    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        return handoff(dispatcher, tracker, "request")


class ActionFeedback(Action):
    """Store "hữu ích / chưa hữu ích" for the current procedure."""

    def name(self) -> str:
        return "action_feedback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        return feedback(dispatcher, tracker, helpful=intent == "feedback_positive")


class ActionReplyAffirm(Action):
    """"Có" / "đúng rồi": accept what the bot offered last (a clerk, or rate the answer)."""

    def name(self) -> str:
        return "action_reply_affirm"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        awaiting = tracker.get_slot("awaiting")
        if awaiting == "human":
            return handoff(dispatcher, tracker, "fallback")
        if awaiting == "feedback":
            return feedback(dispatcher, tracker, helpful=True)
        dispatcher.utter_message(response="utter_ack")
        return []


class ActionReplyDeny(Action):
    """"Không": decline what the bot offered last."""

    def name(self) -> str:
        return "action_reply_deny"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        awaiting = tracker.get_slot("awaiting")
        if awaiting == "feedback":
            return feedback(dispatcher, tracker, helpful=False)
        dispatcher.utter_message(response="utter_no_handoff" if awaiting == "human" else "utter_ack")
        return [SlotSet("awaiting", None)]
