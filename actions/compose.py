"""Pure functions turning a guide into the pieces of an answer, one per aspect.

Whole answers are responses in ``bot/domain.yml`` (``utter_answer_<aspect>``); the short
phrases used here live in ``actions/phrases.yml``. Every piece is kept short for phones.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from actions.phrase_file import load_phrases
from guides.aspects import INTENT_OF_ASPECT
from guides.schema import CHANNEL_LABELS, Channel, ChannelType, Guide
from retrieval.lexical import query_tokens
from tthc_text import search_text

NATIONAL_PORTAL = "https://dichvucong.gov.vn"  # where online submission starts when a guide names no page
MAX_DOCUMENTS = 6
MAX_LINES = 6
NOTE_CHARS = 140
DOCUMENT_NOTE_CHARS = 90  # a documents list is the longest answer: keep each line short


@lru_cache(maxsize=1)
def phrases() -> dict[str, Any]:
    """The phrase file (checked by :mod:`actions.phrase_file` when first read)."""
    return load_phrases()


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


def _online_channel(guide: Guide) -> Channel | None:
    return next((c for c in guide.channels if c.type is ChannelType.online), None)


def online_where(guide: Guide) -> str:
    """Where the procedure is done online: the system the guide names (the VNeID app, a
    ministry's portal), with its address only when the guide has a real one; never a
    made-up address."""
    p = phrases()
    if guide.online_system:
        if guide.online_url:
            return p["online_system_url"].format(system=guide.online_system, url=guide.online_url)
        return guide.online_system
    channel = _online_channel(guide)
    said = search_text(" ".join(filter(None, [channel.note if channel else None, *guide.steps])))
    url = guide.online_url or NATIONAL_PORTAL
    vneid = "vneid" in said.split() or "dinh danh dien tu" in said
    portal = "cong dich vu cong" in said or "dich vu cong" in said
    if vneid and not portal:
        return p["online_vneid"]
    if vneid:
        return p["online_portal_or_vneid"].format(url=url)
    return url


def online_text(guide: Guide) -> str:
    p = phrases()
    channel = _online_channel(guide)
    if channel:
        line = p["channel_line"].format(label=CHANNEL_LABELS[channel.type], time=channel.time.text,
                                        fee=channel.fee.text)
        note = search_text(channel.note or "")
        partial = any(f" {search_text(w)} " in f" {note} " for w in p["online_partial_words"])
        text = p["online_partial" if partial else "online_answer"].format(where=online_where(guide), channel=line)
        if channel.note:
            text += "\n" + p["online_note"].format(note=shorten(channel.note, 200))
        return text
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


def _facts_to_search(guide: Guide) -> list[str]:
    """Every sentence of the guide a yes/no question may be about."""
    facts = [*guide.conditions, guide.who]
    for doc in guide.documents:
        facts.append(f"{doc.name}: {doc.note}" if doc.note else doc.name)
    facts += [f"{CHANNEL_LABELS[c.type]}: {c.note}" for c in guide.channels if c.note]
    facts += [*guide.fees.exemptions, *(filter(None, [guide.fees.note]))]
    facts += guide.steps
    return [f for f in facts if f]


def relevant_facts(guide: Guide, question: str, limit: int = 2) -> list[str]:
    """The guide's sentences that share the most words with a question (best first)."""
    asked = set(query_tokens(question))
    if not asked:
        return []
    scored = []
    for i, fact in enumerate(_facts_to_search(guide)):
        shared = asked & set(query_tokens(fact))
        score = sum(2 if "_" in t else 1 for t in shared)
        if score >= 2:
            scored.append((-score, i, fact))
    return [fact for _, _, fact in sorted(scored)[:limit]]


def eligibility_text(guide: Guide, question: str | None = None) -> str:
    """Who may do it and on what conditions; for a yes/no question, the sentences of the
    guide that bear on it first."""
    p = phrases()
    lines: list[str] = []
    found = relevant_facts(guide, question) if question else []
    if found:
        lines.append(p["relevant"])
        lines += [f"• {shorten(f, 200)}" for f in found]
    lines.append(p["who"].format(who=shorten(guide.who, 200)))
    conditions = [c for c in guide.conditions if c not in found]
    if conditions:
        lines.append(p["conditions"])
        lines += [f"• {shorten(c, 200)}" for c in conditions[: MAX_LINES - len(found)]]
    return "\n".join(lines)


def steps_text(guide: Guide) -> str:
    """The steps, then the main documents: "how do I do it" needs both."""
    p = phrases()
    text = numbered(guide.steps)
    if guide.documents:
        names = "; ".join(shorten(d.name, 60) for d in guide.documents[:3])
        text += "\n" + p["main_documents"].format(documents=names)
    return text


def legal_text(guide: Guide) -> str:
    lines = [f"• {b.number}" + (f": {shorten(b.title, 110)}" if b.title else "") for b in guide.legal_basis[:MAX_LINES]]
    if len(guide.legal_basis) > MAX_LINES:
        lines.append(phrases()["more_items"])
    return "\n".join(lines)


def facts_text(guide: Guide) -> str:
    p = phrases()
    online = _online_channel(guide) is not None
    return "\n".join(
        [
            p["fact_place"].format(agency=shorten(guide.agency, 160)),
            p["fact_time"].format(time=guide.processing_time.text if guide.processing_time else "—"),
            p["fact_fee"].format(fee=main_fee_text(guide)),
            p["fact_online"].format(
                online=p["online_yes"].format(where=online_where(guide)) if online else p["online_no"]
            ),
        ]
    )


def title_phrase(guide: Guide, aspect: str) -> str:
    """The title as it reads inside the aspect's answer: lower-case after the lead words
    ("Hồ sơ đăng ký khai sinh"), without repeating them ("Thời gian giải quyết hưởng
    bảo hiểm xã hội một lần", not "... giải quyết giải quyết ...")."""
    if aspect == "general":
        return guide.title
    title = guide.title
    for lead in phrases()["title_drop"].get(aspect, []):
        if search_text(title).startswith(search_text(lead) + " "):
            title = title[len(lead):].lstrip()
            break
    return title[:1].lower() + title[1:]


def answer_slots(guide: Guide, aspect: str, place: str | None = None, office: str | None = None,
                 question: str | None = None) -> dict[str, str]:
    """The placeholders of ``utter_answer_<aspect>`` for ``guide``."""
    base = {
        "title": title_phrase(guide, aspect),
        "source": guide.source,
        "reviewed": (phrases()["catalog_reviewed"] if guide.is_catalog else
                     guide.last_reviewed.strftime("%d/%m/%Y") if guide.last_reviewed else "—"),
    }
    pieces = {
        "general": lambda: {"summary": guide.summary or "", "facts": facts_text(guide)},
        "documents": lambda: {"documents": documents_text(guide)},
        "fee": lambda: {"fees": fees_text(guide)},
        "time": lambda: {"times": times_text(guide)},
        "place": lambda: {"place": place_text(guide, place, office)},
        "steps": lambda: {"steps": steps_text(guide)},
        "eligibility": lambda: {"eligibility": eligibility_text(guide, question)},
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
            {"title": labels[aspect], "payload": f'/{INTENT_OF_ASPECT[aspect]}{{"procedure_code":"{guide.code}"}}'}
        )
        if len(buttons) == limit:
            break
    return buttons


def choice_buttons(candidates: list[tuple[str, str]], aspect: str) -> list[dict[str, str]]:
    """Buttons to pick one of several procedures (code, title), keeping the asked aspect."""
    intent = INTENT_OF_ASPECT.get(aspect, "ask_procedure")
    return [
        {"title": shorten(title, 60), "payload": f'/{intent}{{"procedure_code":"{code}"}}'}
        for code, title in candidates
    ]
