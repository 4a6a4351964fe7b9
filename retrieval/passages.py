"""What gets indexed: short passages cut from each guide, each pointing back to its guide."""

from __future__ import annotations

from dataclasses import dataclass

from guides.schema import Guide


@dataclass(frozen=True)
class Passage:
    guide: int  # position of the guide in the index's guide list
    kind: str
    text: str


def guide_passages(guide: Guide, position: int) -> list[Passage]:
    """The passages of one guide: title, aliases, sample questions, summary."""
    texts: list[tuple[str, str]] = [("title", guide.title)]
    texts += [("alias", a) for a in guide.aliases]
    texts += [("question", q) for q in guide.sample_questions]
    if guide.summary and not guide.is_catalog:  # a catalog entry's summary is written from its fields
        texts.append(("summary", guide.summary.split(".")[0]))
    seen: set[str] = set()
    passages = []
    for kind, text in texts:
        key = text.strip().lower()
        if key and key not in seen:
            seen.add(key)
            passages.append(Passage(position, kind, text.strip()))
    return passages


def guide_document(guide: Guide) -> str:
    """One text for the whole guide (what training pairs point at)."""
    parts = [guide.title, *guide.aliases]
    if guide.field:
        parts.append(guide.field)
    return " ; ".join(parts)
