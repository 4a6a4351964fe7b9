"""The schema of ``actions/phrases.yml``: the short phrases answers are assembled from.

Every phrase the code uses must be there, with only the placeholders the code fills in (a
misspelt ``{wher}`` would raise in the middle of an answer); every document kind, level and
aspect button must have its words. A file that breaks the schema stops the action server's
start with the field and the reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from guides.aspects import ASPECTS
from guides.schema import DocumentKind, Level
from tthc_text.placeholders import placeholders

PHRASES_FILE = Path(__file__).with_name("phrases.yml")

# phrase -> the placeholders the code fills in (a phrase may leave some out)
PLACEHOLDERS: dict[str, frozenset[str]] = {
    "quantity": frozenset({"n"}),
    "more_documents": frozenset({"n"}),
    "more_items": frozenset(),
    "catalog_reviewed": frozenset(),
    "fact_place": frozenset({"agency"}),
    "fact_time": frozenset({"time"}),
    "fact_fee": frozenset({"fee"}),
    "fact_online": frozenset({"online"}),
    "online_yes": frozenset({"where"}),
    "online_no": frozenset(),
    "online_answer": frozenset({"channel", "where"}),
    "online_partial": frozenset({"channel", "where"}),
    "online_note": frozenset({"note"}),
    "online_vneid": frozenset(),
    "online_system_url": frozenset({"system", "url"}),
    "online_portal_or_vneid": frozenset({"url"}),
    "online_none": frozenset({"channels"}),
    "channel_line": frozenset({"fee", "label", "time"}),
    "fee_line": frozenset({"name", "text"}),
    "fee_note": frozenset({"note"}),
    "exempt": frozenset({"who"}),
    "no_fee_info": frozenset(),
    "who": frozenset({"who"}),
    "conditions": frozenset(),
    "relevant": frozenset(),
    "main_documents": frozenset({"documents"}),
    "place_office": frozenset({"office", "place"}),
    "place_kind": frozenset({"kind", "place"}),
}


class Phrases(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    kind: dict[DocumentKind, str]
    level: dict[Level, str]
    aspect_button: dict[str, str]
    title_drop: dict[str, list[str]] = {}
    online_partial_words: list[str]

    @field_validator("kind", "level")
    @classmethod
    def _every_value_named(cls, value: dict[Any, str], info: Any) -> dict[Any, str]:
        enum = DocumentKind if info.field_name == "kind" else Level
        missing = [m.value for m in enum if m not in value]
        if missing:
            raise ValueError(f"words are missing for {missing}")
        return value

    @field_validator("aspect_button")
    @classmethod
    def _a_button_per_aspect(cls, value: dict[str, str]) -> dict[str, str]:
        wanted = set(ASPECTS) - {"general"}
        if set(value) != wanted:
            raise ValueError(f"needs exactly the aspects {sorted(wanted)}; "
                             f"missing {sorted(wanted - set(value))}, unknown {sorted(set(value) - wanted)}")
        return value

    @model_validator(mode="after")
    def _templates_fill(self) -> Phrases:
        extra = dict(self.model_extra or {})
        unknown = sorted(set(extra) - set(PLACEHOLDERS))
        if unknown:
            raise ValueError(f"unknown phrases {unknown} (the code uses {sorted(PLACEHOLDERS)})")
        for name, allowed in PLACEHOLDERS.items():
            if name not in extra:
                raise ValueError(f"{name}: missing (the answers use it)")
            template = extra[name]
            if not isinstance(template, str) or not template.strip():
                raise ValueError(f"{name}: must be a text")
            try:
                used = placeholders(template)
            except ValueError as error:  # an unmatched brace
                raise ValueError(f"{name}: {error}") from error
            if used - allowed:
                raise ValueError(f"{name}: unknown placeholders {sorted(used - allowed)} "
                                 f"(only {sorted(allowed) or 'none'} are filled in)")
        return self


def load_phrases(path: Path = PHRASES_FILE) -> dict[str, Any]:
    """The phrase file, checked; as a plain mapping of phrase name to words."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    Phrases.model_validate(data)
    return dict(data)
