"""The record of what the bot did with one message, for clients that ask for it.

The action server keeps each turn's record in the slot ``turn``: ``{"outcome", "codes",
"aspect"}`` (see ``actions/policy.py``). A REST message sent with
``"metadata": {"trace": true}`` gets it back as one last message
``{"custom": {"turn": {...}}}``; without it nothing changes for clients.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rasa.shared.core.events import SlotSet, UserUttered

TURN_SLOT = "turn"
ERROR_RECORD: dict[str, Any] = {"outcome": "error", "codes": [], "aspect": None}


def wants_trace(metadata: dict[str, Any]) -> bool:
    return metadata.get("trace") is True


def turn_record(events: Iterable[Any]) -> dict[str, Any] | None:
    """The record set after the conversation's last user message, or None."""
    for event in reversed(list(events)):
        if isinstance(event, UserUttered):
            return None
        if isinstance(event, SlotSet) and event.key == TURN_SLOT and isinstance(event.value, dict):
            value = event.value
            return {"outcome": str(value.get("outcome") or "error"),
                    "codes": [str(c) for c in value.get("codes") or []],
                    "aspect": value.get("aspect")}
    return None


def trace_message(sender: str, record: dict[str, Any] | None) -> dict[str, Any]:
    """The last message of a traced reply."""
    return {"recipient_id": sender, "custom": {"turn": record or ERROR_RECORD}}
