"""What the bot says about a dossier, from ``dossiers/phrases.yml``.

One lookup answer (status in plain words, the due date and whether it is past, what is
missing, where to collect the result) and one short update per change of a followed dossier.
The file is read and checked once; a missing phrase or a misspelt placeholder raises
``ValueError`` at the start of the service that reads it, never in the middle of a reply.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from dossiers.record import STATUSES, DossierRecord
from tthc_text.placeholders import placeholders

PHRASES_FILE = Path(__file__).with_name("phrases.yml")
# phrase -> the placeholders the code fills in
PLACEHOLDERS: dict[str, frozenset[str]] = {
    "lookup": frozenset({"code", "procedure", "status"}),
    "procedure": frozenset({"name"}),
    "due": frozenset({"date"}),
    "overdue": frozenset({"days"}),
    "missing": frozenset({"items"}),
    "pickup": frozenset({"place"}),
    "follow_offer": frozenset(),
    "update": frozenset({"code", "status"}),
    "update_end": frozenset(),
    "zalo_title": frozenset(),
}


def check_phrases(data: Any) -> dict[str, Any]:
    """The phrase file's content, checked: every phrase and status there, each with only the
    placeholders the code fills in."""
    if not isinstance(data, dict):
        raise ValueError(f"{PHRASES_FILE.name}: not a mapping")
    status = data.get("status")
    if not isinstance(status, dict) or set(status) != set(STATUSES) or not all(
            isinstance(v, str) and v.strip() for v in status.values()):
        raise ValueError(f"{PHRASES_FILE.name}: 'status' must word each of {', '.join(STATUSES)}")
    for key, allowed in PLACEHOLDERS.items():
        phrase = data.get(key)
        if not isinstance(phrase, str) or not phrase.strip():
            raise ValueError(f"{PHRASES_FILE.name}: '{key}' is missing")
        used = placeholders(phrase)
        if used - allowed:
            raise ValueError(f"{PHRASES_FILE.name}: '{key}' uses {sorted(used - allowed)}; "
                             f"it may use {sorted(allowed) or 'none'}")
    return data


@lru_cache(maxsize=1)
def phrases() -> dict[str, Any]:
    return check_phrases(yaml.safe_load(PHRASES_FILE.read_text(encoding="utf-8")))


def status_words(status: str) -> str:
    return str(phrases()["status"][status])


def _date(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _details(record: DossierRecord, today: dt.date) -> list[str]:
    """The due date (and lateness), what is missing, where to collect the result."""
    words = phrases()
    lines = []
    if record.due_date is not None and record.status in ("received", "in_progress", "needs_documents"):
        lines.append(words["due"].format(date=_date(record.due_date)))
        late = record.overdue_days(today)
        if late:
            lines.append(words["overdue"].format(days=late))
    if record.status == "needs_documents" and record.missing:
        lines.append(words["missing"].format(items="; ".join(record.missing)))
    if record.status == "result_ready" and record.pickup_place:
        lines.append(words["pickup"].format(place=record.pickup_place))
    return lines


def lookup_text(record: DossierRecord, today: dt.date, *, can_follow: bool) -> str:
    """The answer to a citizen who proved the dossier is theirs."""
    words = phrases()
    procedure = words["procedure"].format(name=record.procedure_name) if record.procedure_name else ""
    lines = [words["lookup"].format(code=record.code, procedure=procedure, status=status_words(record.status)),
             *_details(record, today)]
    if can_follow and not record.final:
        lines.append(words["follow_offer"])
    return "\n".join(lines)


def update_text(record: DossierRecord, today: dt.date) -> str:
    """The short message to a follower when the dossier changed."""
    words = phrases()
    lines = [words["update"].format(code=record.code, status=status_words(record.status)), *_details(record, today)]
    if record.final:
        lines.append(words["update_end"])
    return "\n".join(lines)


def zalo_title() -> str:
    return str(phrases()["zalo_title"])
