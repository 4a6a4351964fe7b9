"""Procedures that differ by one circumstance: an age bound ("dưới 14 tuổi" / "từ đủ 14
tuổi trở lên") or a foreign element ("... có yếu tố nước ngoài"). A message that gives
the circumstance ("con tôi 15 tuổi", "chồng mình người Hàn") settles which one; one that
does not gets the ordinary variant (no foreign element) first."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import TypeVar

from actions.resolve import HitLike
from tthc_text import search_text

H = TypeVar("H", bound=HitLike)

FOREIGN_VARIANT = "co yeu to nuoc ngoai"
_UNDER = re.compile(r"duoi (\d{1,3}) tuoi")
_FROM = re.compile(r"(?:tu du|tu|tren|du) (\d{1,3}) tuoi")


def age_fits(title: str, age: int) -> bool:
    """Whether an age meets the age bounds a title states (True when it states none)."""
    folded = search_text(title)
    under = _UNDER.search(folded)
    if under and age >= int(under.group(1)):
        return False
    older = _FROM.search(folded)
    return not (older and age < int(older.group(1)))


def _base(title: str) -> str | None:
    """The plain sibling's title of a foreign-element variant (folded), or None."""
    folded = " ".join(search_text(title).split())
    return " ".join(folded.replace(FOREIGN_VARIANT, " ").split()) if FOREIGN_VARIANT in folded else None


def _without_age(title: str) -> str:
    folded = _FROM.sub(" ", _UNDER.sub(" ", search_text(title)))
    return " ".join(folded.replace("tro len", " ").split())


def by_age(hits: Sequence[H], age: int | None) -> list[H]:
    """The hits whose age bounds the age meets; a sibling that differs only by its bounds
    takes the place (and the score) of the one the age rules out."""
    if age is None:
        return list(hits)
    kept = [h for h in hits if age_fits(h.title, age)]
    if not kept:
        return list(hits)
    for dropped in (h for h in hits if h not in kept):
        family = _without_age(dropped.title)
        for i, hit in enumerate(kept):
            if _without_age(hit.title) == family and hit.score < dropped.score:
                kept[i] = replace(hit, score=dropped.score)  # type: ignore[type-var]
    return sorted(kept, key=lambda h: -h.score)


def adjust(hits: Sequence[H], *, age: int | None, foreign: bool) -> list[H]:
    """The hits with the variants the message rules out dropped and the one it names first."""
    ranked = by_age(hits, age)
    folded = {h.code: " ".join(search_text(h.title).split()) for h in ranked}
    for variant in list(ranked):
        base_title = _base(variant.title)
        if base_title is None:
            continue
        base = next((h for h in ranked if folded[h.code] == base_title), None)
        if base is None:
            continue
        wanted, other = (variant, base) if foreign else (base, variant)
        top = max(wanted.score, other.score)
        if wanted.score < top or ranked.index(wanted) > ranked.index(other):
            i, j = sorted((ranked.index(wanted), ranked.index(other)))
            ranked[i], ranked[j] = replace(wanted, score=top), replace(other, score=min(wanted.score, other.score))  # type: ignore[type-var]
    return ranked


def age_sibling(code: str, age: int, titles: dict[str, str]) -> str | None:
    """The procedure that differs from ``code`` only by its age bounds and fits ``age``,
    when ``code``'s own bounds rule the age out ("cháu 16 tuổi" about the card for under-14s)."""
    title = titles.get(code)
    if title is None or age_fits(title, age):
        return None
    family = _without_age(title)
    return next((c for c, t in titles.items() if c != code and _without_age(t) == family and age_fits(t, age)),
                None)
