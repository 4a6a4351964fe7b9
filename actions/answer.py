"""Answering questions about procedures from the guides (``action_answer``, ``action_fallback``)."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.compose import INTENT_ASPECT, answer_slots, aspect_buttons, choice_buttons
from actions.knowledge import knowledge
from actions.places import office_for
from actions.resolve import Resolution, resolve

logger = logging.getLogger(__name__)


def latest_entities(tracker: Tracker, entity: str) -> list[str]:
    """Values of ``entity`` in the latest message, in order, without repeats."""
    values: list[str] = []
    for item in tracker.latest_message.get("entities") or []:
        value = str(item.get("value") or "").strip()
        if item.get("entity") == entity and value and value not in values:
            values.append(value)
    return values


def latest_entity(tracker: Tracker, entity: str) -> str | None:
    values = latest_entities(tracker, entity)
    return values[0] if values else None


def named_place(tracker: Tracker) -> str | None:
    """The place the citizen named: all place entities of the latest message joined
    ("phường Hòa Cường Bắc" + "quận Hải Châu"), else the remembered slot."""
    places = latest_entities(tracker, "place")
    return ", ".join(places) if places else tracker.get_slot("place")


def not_found(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """Ask to rephrase the first time, offer a clerk from the second time on."""
    count = int(tracker.get_slot("fallback_count") or 0) + 1
    if count >= 2:
        dispatcher.utter_message(response="utter_offer_human")
        return [SlotSet("fallback_count", count), SlotSet("awaiting", "human")]
    dispatcher.utter_message(response="utter_ask_rephrase")
    return [SlotSet("fallback_count", count), SlotSet("awaiting", None)]


def answer(
    dispatcher: CollectingDispatcher, tracker: Tracker, aspect: str, *, use_current: bool
) -> list[EventType]:
    """Find the procedure the latest message is about and answer ``aspect`` of it."""
    text = str(tracker.latest_message.get("text") or "")
    chosen = latest_entity(tracker, "procedure_code")
    current = tracker.get_slot("procedure_code") if use_current else None
    try:
        state = knowledge().current()
        hits = [] if text.startswith("/") else state.search(text, k=5)
    except Exception:
        logger.exception("retrieval failed for %r", text)
        dispatcher.utter_message(response="utter_service_unavailable")
        return []
    settings = knowledge().settings
    resolution: Resolution = resolve(
        hits,
        current=current,
        chosen=chosen,
        answer_threshold=settings.answer_threshold,
        ambiguity_margin=settings.ambiguity_margin,
        switch_threshold=settings.switch_threshold,
    )
    if resolution.outcome == "ask_which":
        dispatcher.utter_message(response="utter_ask_which", buttons=choice_buttons(resolution.choices, aspect))
        return [SlotSet("awaiting", None)]
    guide = state.guides.get(resolution.code or "")
    if resolution.outcome == "not_found" or guide is None:
        return not_found(dispatcher, tracker)

    named = named_place(tracker) if aspect == "place" else None
    resolved = office_for(named, guide) if named else None
    place, office = resolved if resolved else (named, None)
    dispatcher.utter_message(
        response=f"utter_answer_{aspect}",
        buttons=aspect_buttons(guide, aspect),
        **answer_slots(guide, aspect, place=place, office=office),
    )
    dispatcher.utter_message(response="utter_ask_feedback")
    return [
        SlotSet("procedure_code", guide.code),
        SlotSet("procedure_title", guide.title),
        SlotSet("fallback_count", 0),
        SlotSet("awaiting", "feedback"),
    ]


class ActionAnswer(Action):
    """An aspect question (or a general one): answer it from the matching guide."""

    def name(self) -> str:
        return "action_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name") or "ask_procedure"
        return answer(dispatcher, tracker, INTENT_ASPECT.get(intent, "general"), use_current=True)


class ActionFallback(Action):
    """NLU was unsure: a confident retrieval still gets a summary; otherwise rephrase/handoff."""

    def name(self) -> str:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        return answer(dispatcher, tracker, "general", use_current=False)
