"""Pure functions turning a guide into the pieces of an answer, one per aspect.

Whole answers are responses in ``bot/domain.yml`` (``utter_answer_<aspect>``); the short
phrases used here live in ``actions/phrases.yml``. Every piece is kept short for phones.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from guides.schema import ChannelType, Guide, CHANNEL_LABELS

ASPECTS = ("general", "documents", "fee", "time", "place", "steps", "eligibility", "online", "result", "legal")
INTENT_ASPECT = {
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
ASPECT_INTENT = {aspect: intent for intent, aspect in INTENT_ASPECT.items()}
NATIONAL_PORTAL = "https://dichvucong.gov.vn"  # where online submission starts when a guide names no page
MAX_DOCUMENTS = 6
MAX_LINES = 6
NOTE_CHARS = 140
DOCUMENT_NOTE_CHARS = 90  # a documents list is the longest answer: keep each line short


@lru_cache(maxsize=1)
def phrases() -> dict[str, Any]:
    return yaml.safe_load((Path(__file__).parent / "phrases.yml").read_text(encoding="utf-8"))


def shorten(text: str, limit: int = NOTE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def documents_text(guide: Guide) -> str:
    p = phrases()
    lines = []
    for i, doc in enumerate(guide.documents[:MAX_DOCUMENTS], start=1):
        detail = p["kind"][doc.kind.value]
        if doc.quantity > 1:
            detail += ", " + p["quantity"].format(n=doc.quantity)
        line = f"{i}. {doc.name} ({detail})"
        if doc.form and doc.form.lower() != doc.name.lower():
            line += f" — mẫu: {shorten(doc.form, 70)}"
        if doc.note:
            line += f". {shorten(doc.note, DOCUMENT_NOTE_CHARS)}"
        lines.append(line)
    extra = len(guide.documents) - MAX_DOCUMENTS
    if extra > 0:
        lines.append(p["more_documents"].format(n=extra))
    return "\n".join(lines)


def main_fee_text(guide: Guide) -> str:
    if guide.fees.items:
        return guide.fees.items[0].fee.text
    if guide.channels:
        return guide.channels[0].fee.text
    return phrases()["no_fee_info"]


def fees_text(guide: Guide) -> str:
    p = phrases()
    lines = []
    for item in guide.fees.items[:MAX_LINES]:
        line = p["fee_line"].format(name=item.name, text=item.fee.text)
        if item.fee.note:
            line += " " + p["fee_note"].format(note=shorten(item.fee.note))
        lines.append(line)
    distinct = {c.fee.text for c in guide.channels}
    if len(distinct) > 1 or not lines:
        lines += [
            p["fee_line"].format(name=CHANNEL_LABELS[c.type], text=c.fee.text) for c in guide.channels
        ]
    if guide.fees.exemptions:
        lines.append(p["exempt"].format(who="; ".join(shorten(e, 100) for e in guide.fees.exemptions[:3])))
    if guide.fees.note:
        lines.append(shorten(guide.fees.note, 200))
    return "\n".join(lines) or p["no_fee_info"]


def times_text(guide: Guide) -> str:
    p = phrases()
    lines = [
        p["fee_line"].format(name=CHANNEL_LABELS[c.type], text=c.time.text) for c in guide.channels
    ]
    if not lines and guide.processing_time:
        lines.append(guide.processing_time.text)
    return "\n".join(lines)


def channels_text(guide: Guide) -> str:
    p = phrases()
    return "\n".join(
        p["channel_line"].format(label=CHANNEL_LABELS[c.type], time=c.time.text, fee=c.fee.text)
        for c in guide.channels
    )


def online_text(guide: Guide) -> str:
    p = phrases()
    online = [c for c in guide.channels if c.type is ChannelType.online]
    if online:
        c = online[0]
        line = p["channel_line"].format(label=CHANNEL_LABELS[c.type], time=c.time.text, fee=c.fee.text)
        return p["online_answer"].format(url=guide.online_url or NATIONAL_PORTAL, channel=line)
    others = ", ".join(CHANNEL_LABELS[c.type].lower() for c in guide.channels) or "nộp trực tiếp"
    return p["online_none"].format(channels=others)


def place_text(guide: Guide, place: str | None = None, office: str | None = None) -> str:
    """Where to submit; with the office serving ``place`` (a resolved label) when known."""
    p = phrases()
    lines = [guide.agency]
    if place:
        if office:
            lines.append(p["place_office"].format(place=place, office=office))
        else:
            kind = p["level"][guide.level[0].value] if guide.level else p["level"]["other"]
            lines.append(p["place_kind"].format(place=place, kind=kind))
    lines.append(channels_text(guide))
    return "\n".join(line for line in lines if line)


def numbered(items: list[str]) -> str:
    lines = [f"{i}. {shorten(s, 200)}" for i, s in enumerate(items[:MAX_LINES], start=1)]
    if len(items) > MAX_LINES:
        lines.append(phrases()["more_items"])
    return "\n".join(lines)


def eligibility_text(guide: Guide) -> str:
    p = phrases()
    lines = [p["who"].format(who=guide.who)]
    if guide.conditions:
        lines.append(p["conditions"])
        lines += [f"• {shorten(c, 200)}" for c in guide.conditions[:MAX_LINES]]
    return "\n".join(lines)


def legal_text(guide: Guide) -> str:
    lines = [f"• {b.number}" + (f": {shorten(b.title, 110)}" if b.title else "") for b in guide.legal_basis[:MAX_LINES]]
    if len(guide.legal_basis) > MAX_LINES:
        lines.append(phrases()["more_items"])
    return "\n".join(lines)


def facts_text(guide: Guide) -> str:
    p = phrases()
    online = any(c.type is ChannelType.online for c in guide.channels) and guide.online_url
    return "\n".join(
        [
            p["fact_place"].format(agency=shorten(guide.agency, 160)),
            p["fact_time"].format(time=guide.processing_time.text if guide.processing_time else "—"),
            p["fact_fee"].format(fee=main_fee_text(guide)),
            p["fact_online"].format(
                online=p["online_yes"].format(url=guide.online_url) if online else p["online_no"]
            ),
        ]
    )


def answer_slots(guide: Guide, aspect: str, place: str | None = None, office: str | None = None) -> dict[str, str]:
    """The placeholders of ``utter_answer_<aspect>`` for ``guide``."""
    base = {
        # "Hồ sơ đăng ký khai sinh gồm": the title continues a sentence except in a summary
        "title": guide.title if aspect == "general" else guide.title[:1].lower() + guide.title[1:],
        "source": guide.source,
        "reviewed": guide.last_reviewed.strftime("%d/%m/%Y") if guide.last_reviewed else "—",
    }
    pieces = {
        "general": lambda: {"summary": guide.summary or "", "facts": facts_text(guide)},
        "documents": lambda: {"documents": documents_text(guide)},
        "fee": lambda: {"fees": fees_text(guide)},
        "time": lambda: {"times": times_text(guide)},
        "place": lambda: {"place": place_text(guide, place, office)},
        "steps": lambda: {"steps": numbered(guide.steps)},
        "eligibility": lambda: {"eligibility": eligibility_text(guide)},
        "online": lambda: {"online": online_text(guide)},
        "result": lambda: {"result": guide.result},
        "legal": lambda: {"legal": legal_text(guide)},
    }
    return {**base, **pieces[aspect]()}


def aspect_buttons(guide: Guide, current: str, limit: int = 4) -> list[dict[str, str]]:
    """Buttons for the other aspects of the same guide (payloads carry the guide's code)."""
    labels = phrases()["aspect_button"]
    order = ["documents", "fee", "time", "place", "online", "steps", "eligibility", "result", "legal"]
    buttons = []
    for aspect in order:
        if aspect == current:
            continue
        buttons.append(
            {"title": labels[aspect], "payload": f'/{ASPECT_INTENT[aspect]}{{"procedure_code":"{guide.code}"}}'}
        )
        if len(buttons) == limit:
            break
    return buttons


def choice_buttons(candidates: list[tuple[str, str]], aspect: str) -> list[dict[str, str]]:
    """Buttons to pick one of several procedures (code, title), keeping the asked aspect."""
    intent = ASPECT_INTENT.get(aspect, "ask_procedure")
    return [
        {"title": shorten(title, 60), "payload": f'/{intent}{{"procedure_code":"{code}"}}'}
        for code, title in candidates
    ]
