"""What a citizen can ask about a guide: the intents the NLU tells apart and the guide's
aspect each question intent asks for. The one source the actions, the console and the
index build read.

The intent list is the Rasa domain's (``bot/domain.yml``), read once: an intent added there
is known to the console and the actions at once. The aspect of each question intent is here.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal, get_args

import yaml

from tthc_text.paths import REPO_ROOT

DOMAIN_FILE = REPO_ROOT / "bot" / "domain.yml"

Aspect = Literal["general", "documents", "fee", "time", "place", "steps", "eligibility", "online", "result", "legal"]
ASPECTS: tuple[Aspect, ...] = get_args(Aspect)

# question intent -> the aspect of the guide it asks for
ASPECT_OF_INTENT: dict[str, Aspect] = {
    "ask_procedure": "general",
    "ask_documents": "documents",
    "ask_fee": "fee",
    "ask_time": "time",
    "ask_place": "place",
    "ask_steps": "steps",
    "ask_eligibility": "eligibility",
    "ask_online": "online",
    "ask_result": "result",
    "ask_legal": "legal",
}
INTENT_OF_ASPECT: dict[str, str] = {aspect: intent for intent, aspect in ASPECT_OF_INTENT.items()}
# Intents that say a message is not about a procedure (small talk, greetings, off-topic).
NOT_ABOUT_A_PROCEDURE = ("greet", "goodbye", "thank", "chitchat", "out_of_scope")


class DomainMismatch(ValueError):
    """The domain and this module disagree (an intent renamed in one place only)."""


@lru_cache(maxsize=4)
def domain_intents(domain_file: Path = DOMAIN_FILE) -> tuple[str, ...]:
    """The intents of the Rasa domain, in its order; checked against the aspect map."""
    data = yaml.safe_load(domain_file.read_text(encoding="utf-8")) or {}
    intents = tuple(str(i) if not isinstance(i, dict) else str(next(iter(i))) for i in data.get("intents") or ())
    missing = [i for i in (*ASPECT_OF_INTENT, *NOT_ABOUT_A_PROCEDURE) if i not in intents]
    if missing:
        raise DomainMismatch(f"{domain_file}: the intents {missing} are used by the project but not in the domain")
    if sorted(set(ASPECT_OF_INTENT.values())) != sorted(ASPECTS) or len(INTENT_OF_ASPECT) != len(ASPECTS):
        raise DomainMismatch("every aspect needs exactly one question intent")
    return intents
