"""Reading conversations from Rasa's SQL tracker store (table ``events``) with plain SQL.

The Rasa runtime writes the table (SQLAlchemy 1.4); the console reads it (SQLAlchemy 2).
Columns used: ``sender_id``, ``type_name``, ``timestamp``, ``intent_name``,
``action_name``, ``data`` (the event as JSON).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, inspect, text

from tthc_text import valid_json
from tthc_text.privacy import mask_all_digits

LOW_CONFIDENCE = 0.5
# Before turns were recorded, "not understood" was read from the NLU and the fallback action.
FALLBACK_INTENTS = {"nlu_fallback", "out_of_scope"}
FALLBACK_ACTIONS = {"action_fallback", "action_default_fallback"}
# The bot records each turn in the slot "turn" ({"outcome", "codes", "aspect"}, see
# actions/policy.py); these outcomes are the turns it did not understand.
TURN_SLOT = "turn"
NOT_UNDERSTOOD = ("rephrase", "offer_handoff", "not_covered", "clarify")
# Conversations of `tthc dialogue eval` (sender "eval-<run>-<id>") stay out of the statistics.
EVALUATION_PREFIX = "eval-"


@dataclass
class Turn:
    """One message in a transcript."""

    at: dt.datetime
    who: str  # user / bot / staff
    text: str
    intent: str | None = None
    confidence: float | None = None
    procedure_code: str | None = None
    buttons: list[str] = field(default_factory=list)
    fallback: bool = False
    outcome: str | None = None  # the bot's record of the turn (user turns)


@dataclass
class Conversation:
    sender_id: str
    channel: str = ""
    first_at: dt.datetime | None = None
    last_at: dt.datetime | None = None
    turns: list[Turn] = field(default_factory=list)

    @property
    def is_evaluation(self) -> bool:
        return self.sender_id.startswith(EVALUATION_PREFIX)

    @property
    def user_turns(self) -> list[Turn]:
        return [t for t in self.turns if t.who == "user"]

    @property
    def procedures(self) -> set[str]:
        return {t.procedure_code for t in self.turns if t.procedure_code}

    @property
    def intents(self) -> set[str]:
        return {t.intent for t in self.user_turns if t.intent}

    @property
    def low_confidence(self) -> bool:
        return any(t.fallback or (t.confidence is not None and t.confidence < LOW_CONFIDENCE)
                   for t in self.user_turns)


def has_events_table(engine: Engine) -> bool:
    return "events" in inspect(engine).get_table_names()


def _when(timestamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(float(timestamp), tz=dt.timezone.utc)


def load_conversations(engine: Engine, since: dt.datetime | None = None, until: dt.datetime | None = None,
                       sender_id: str | None = None) -> dict[str, Conversation]:
    """Conversations with events in the period (all of each conversation's events in it)."""
    if not has_events_table(engine):
        return {}
    clauses: list[str] = []
    params: dict[str, float | str] = {}
    if since is not None:
        clauses.append("timestamp >= :since")
        params["since"] = since.timestamp()
    if until is not None:
        clauses.append("timestamp < :until")
        params["until"] = until.timestamp()
    if sender_id is not None:
        clauses.append("sender_id = :sender")
        params["sender"] = sender_id
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    query = text(
        "SELECT sender_id, type_name, timestamp, intent_name, action_name, data FROM events "
        f"{where} ORDER BY sender_id, timestamp, id"
    )
    conversations: dict[str, Conversation] = {}
    with engine.connect() as conn:
        for row in conn.execute(query, params):
            conversation = conversations.setdefault(row.sender_id, Conversation(row.sender_id))
            _apply(conversation, row.type_name, float(row.timestamp), row.action_name, _data(row.data))
    return conversations


def _data(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    try:
        loaded = json.loads(value or "{}")
    except ValueError:
        return {}
    return valid_json(loaded) if isinstance(loaded, dict) else {}  # text any channel stored, shown safely


def _apply(conversation: Conversation, kind: str, timestamp: float, action: str | None, data: dict[str, Any]) -> None:
    at = _when(timestamp)
    conversation.first_at = conversation.first_at or at
    conversation.last_at = at
    if kind == "user":
        parse = data.get("parse_data") or {}
        intent = (parse.get("intent") or {}) if isinstance(parse, dict) else {}
        conversation.channel = str(data.get("input_channel") or conversation.channel or "")
        conversation.turns.append(Turn(
            at, "user", str(data.get("text") or ""), intent.get("name"),
            float(intent["confidence"]) if isinstance(intent.get("confidence"), (int, float)) else None,
            fallback=intent.get("name") in FALLBACK_INTENTS,
        ))
    elif kind == "bot":
        buttons = [str(b.get("title", "")) for b in ((data.get("data") or {}).get("buttons") or [])
                   if isinstance(b, dict)]
        conversation.turns.append(Turn(at, "bot", str(data.get("text") or ""), buttons=buttons))
    elif kind == "slot" and data.get("name") == TURN_SLOT and isinstance(data.get("value"), dict):
        record = data["value"]
        for turn in reversed(conversation.turns):
            if turn.who == "user":
                turn.outcome = str(record.get("outcome") or "")
                turn.fallback = turn.outcome in NOT_UNDERSTOOD
                if turn.outcome.startswith("dossier_"):  # a code or a proof: no digit shown
                    turn.text = mask_all_digits(turn.text)
                codes = record.get("codes") or []
                # the procedure the turn was answered about (none for a greeting, a handoff...)
                turn.procedure_code = str(codes[0]) if turn.outcome == "answer" and codes else None
                break
    elif kind == "slot" and data.get("name") == "procedure_code" and data.get("value"):
        # the procedure the last question was answered about
        for turn in reversed(conversation.turns):
            if turn.who == "user":
                turn.procedure_code = str(data["value"])
                break
    elif kind == "action" and action in FALLBACK_ACTIONS:
        for turn in reversed(conversation.turns):
            if turn.who == "user":
                turn.fallback = True
                break
