"""``action_respond``: every message of a conversation goes through this one action.

It reads the message and the conversation's slots, asks the pure policy
(:func:`actions.policy.decide`) what to do, and carries the decision out: answers composed
from the guides (:mod:`actions.compose`), replies by response name, a handoff ticket or a
rating stored for staff. It records the turn (outcome, codes, aspect) in the slot ``turn``,
which the REST channel returns on request and the console counts.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.compose import answer_slots, aspect_buttons, choice_buttons
from actions.dialogue import handoff, store_feedback
from actions.dossier_dialogue import next_step
from actions.dossier_turn import DossierDesk, dossier_state_of
from actions.knowledge import Knowledge, KnowledgeState
from actions.places import office_for
from actions.policy import Context, Decision, Message, Reply, State, Thresholds, decide
from guides.schema import Guide
from tthc_settings import Settings

logger = logging.getLogger(__name__)


def latest_entities(tracker: Tracker, entity: str) -> list[str]:
    """Values of ``entity`` in the latest message, in order, without repeats."""
    values: list[str] = []
    for item in tracker.latest_message.get("entities") or []:
        value = str(item.get("value") or "").strip()
        if item.get("entity") == entity and value and value not in values:
            values.append(value)
    return values


def typed_places(tracker: Tracker) -> tuple[str, ...]:
    """The place names of the latest message as the citizen typed them."""
    text = str(tracker.latest_message.get("text") or "")
    spans = []
    for item in tracker.latest_message.get("entities") or []:
        start, end = item.get("start"), item.get("end")
        if item.get("entity") == "place" and isinstance(start, int) and isinstance(end, int) and end > start:
            spans.append(text[start:end])
    return tuple(dict.fromkeys(s for s in spans if s.strip()))


def named_place(tracker: Tracker) -> str | None:
    """The place the citizen named: all place entities of the latest message joined
    ("phường Hòa Cường Bắc" + "quận Hải Châu"), else the remembered slot."""
    places = latest_entities(tracker, "place")
    return ", ".join(places) if places else tracker.get_slot("place")


def message_of(tracker: Tracker) -> Message:
    latest = tracker.latest_message
    intent = latest.get("intent") or {}
    codes = latest_entities(tracker, "procedure_code")
    return Message(
        text=str(latest.get("text") or ""),
        intent=intent.get("name"),
        confidence=float(intent.get("confidence") or 0.0),
        chosen=codes[0] if codes else None,
        places=typed_places(tracker),
    )


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, (list, tuple)) else ()


def state_of(tracker: Tracker) -> State:
    slot = tracker.get_slot
    return State(
        current=slot("procedure_code"),
        aspect=slot("aspect"),
        options=_strings(slot("options")),
        pending=str(slot("pending") or ""),
        awaiting=slot("awaiting"),
        misses=int(slot("fallback_count") or 0),
        rated=_strings(slot("rated")),
    )


def state_slots(state: State, guides: dict[str, Guide]) -> dict[str, Any]:
    """The dialogue state as slot values."""
    guide = guides.get(state.current or "")
    return {
        "procedure_code": state.current,
        "procedure_title": guide.title if guide else None,
        "aspect": state.aspect,
        "options": list(state.options) or None,
        "pending": state.pending or None,
        "awaiting": state.awaiting,
        "fallback_count": float(state.misses),
        "rated": list(state.rated) or None,
    }


def state_events(state: State, guides: dict[str, Guide], current: dict[str, Any] | None = None) -> list[EventType]:
    """A ``SlotSet`` for each slot of the state whose value differs from ``current`` (the
    tracker's slots): Rasa checks every event the action returns, so unchanged ones cost."""
    current = current or {}
    return [SlotSet(name, value) for name, value in state_slots(state, guides).items()
            if name not in current or current[name] != value]


def context_of(state: KnowledgeState, settings: Settings) -> Context:
    return Context(
        search=lambda text: state.search(text, k=5),
        known_codes=state.codes,
        thresholds=Thresholds(settings.answer_threshold, settings.ambiguity_margin),
        vocabulary=state.vocabulary,
        naming=state.naming,
        titles=state.titles,
        levels=state.levels,
        related=state.related,
    )


def render(reply: Reply, dispatcher: CollectingDispatcher, tracker: Tracker, guides: dict[str, Guide],
           message: Message, **values: Any) -> None:
    """Send one reply of a decision."""
    if reply.response.startswith("utter_answer_") and reply.code and reply.aspect:
        guide = guides[reply.code]
        named = named_place(tracker) if reply.aspect == "place" else None
        resolved = office_for(named, guide) if named else None
        place, office = resolved if resolved else (named, None)
        dispatcher.utter_message(
            response=reply.response,
            buttons=aspect_buttons(guide, reply.aspect),
            **answer_slots(guide, reply.aspect, place=place, office=office, question=message.text),
        )
    elif reply.options:
        dispatcher.utter_message(response=reply.response, buttons=choice_buttons(list(reply.options),
                                                                                  reply.aspect or "general"))
    else:
        dispatcher.utter_message(response=reply.response, **values)


def catalog_answer(decision: Decision, guides: dict[str, Guide]) -> bool:
    """An answer drawn from a catalog entry: it says so, and offers a clerk."""
    guide = guides.get(decision.codes[0]) if decision.outcome == "answer" and decision.codes else None
    return bool(guide and guide.is_catalog)


def carry_out(decision: Decision, dispatcher: CollectingDispatcher, tracker: Tracker, state: KnowledgeState,
              message: Message, settings: Settings) -> list[EventType]:
    """Send the decision's replies and do what it asks for; returns the slot events."""
    values: dict[str, Any] = {}
    record = decision.record
    if decision.handoff:
        ticket = handoff(tracker, decision.handoff, decision.state.current, settings=settings)
        if ticket is None:
            dispatcher.utter_message(response="utter_service_unavailable")
            return [*state_events(decision.state, state.guides, tracker.slots),
                    SlotSet("turn", {**record, "outcome": "error"})]
        values["ticket"] = f"#{ticket}"
    if decision.feedback is not None:
        store_feedback(tracker, decision.feedback, decision.state.current, settings=settings)
    note = catalog_answer(decision, state.guides)  # said after the answer, before the rating question
    for reply in decision.replies:
        if note and reply.response == "utter_ask_feedback":
            dispatcher.utter_message(response="utter_catalog_note")
            note = False
        render(reply, dispatcher, tracker, state.guides, message, **values)
    if note:
        dispatcher.utter_message(response="utter_catalog_note")
    return [*state_events(decision.state, state.guides, tracker.slots), SlotSet("turn", record)]


class ActionRespond(Action):
    """Answer one message, whatever it is (see :mod:`actions.policy`); a message about a
    submitted dossier goes to the dossier desk (:mod:`actions.dossier_turn`).

    Made once at the action server's start with what it answers from: the knowledge holder
    (the index and guides), the runtime's settings (thresholds, the database) and the desk."""

    def __init__(self, knowledge: Knowledge, settings: Settings, desk: DossierDesk | None = None) -> None:
        self.knowledge = knowledge
        self.settings = settings
        self.desk = desk or DossierDesk(settings, None)

    def name(self) -> str:
        return "action_respond"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        message = message_of(tracker)
        dossier = dossier_state_of(tracker)
        step = next_step(message.text, dossier)
        if step is not None:
            return await self.desk.carry_out(step, dispatcher, tracker)
        left: list[EventType] = []  # a lookup under way is left for the question asked instead
        if dossier.stage is not None:
            left = [SlotSet("dossier_stage", None), SlotSet("dossier_code", None)]
        try:
            state = self.knowledge.current()
            decision = decide(message, state_of(tracker), context_of(state, self.settings))
        except Exception:
            logger.exception("could not decide on %r", message.text)
            dispatcher.utter_message(response="utter_service_unavailable")
            return [*left, SlotSet("turn", {"outcome": "error", "codes": [], "aspect": None})]
        logger.debug("turn of %s: %s", tracker.sender_id, decision.record)
        return [*left, *carry_out(decision, dispatcher, tracker, state, message, self.settings)]
