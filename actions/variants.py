"""Procedures that differ by one circumstance: an age bound ("dưới 14 tuổi" / "từ đủ 14
tuổi trở lên"), a foreign element ("... có yếu tố nước ngoài"), a border area, or the level
that handles it (the catalog lists many procedures once per level: xã, tỉnh, trung ương).
A message that gives the circumstance ("con tôi 15 tuổi", "chồng mình người Hàn", "nộp ở
tỉnh") settles which one; one that does not gets the ordinary variant: the commune before
the province before the ministry, no foreign element, no border area. Only what the
message leaves really open is asked."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from typing import TypeVar

from actions.resolve import HitLike
from tthc_text import search_text

H = TypeVar("H", bound=HitLike)

# Titles are few (one per indexed procedure) and read at every answer: each is folded once.
TITLE_CACHE = 8192


@lru_cache(maxsize=TITLE_CACHE)
def _folded(title: str) -> str:
    return search_text(title)

FOREIGN_VARIANT = "co yeu to nuoc ngoai"
_UNDER = re.compile(r"duoi (\d{1,3}) tuoi")
_FROM = re.compile(r"(?:tu du|tu|tren|du) (\d{1,3}) tuoi")


def age_fits(title: str, age: int) -> bool:
    """Whether an age meets the age bounds a title states (True when it states none)."""
    folded = _folded(title)
    under = _UNDER.search(folded)
    if under and age >= int(under.group(1)):
        return False
    older = _FROM.search(folded)
    return not (older and age < int(older.group(1)))


def _without_age(title: str) -> str:
    folded = _FROM.sub(" ", _UNDER.sub(" ", _folded(title)))
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


LEVEL_RANK = {"commune": 0, "province": 1, "ministry": 2, "other": 3}
BORDER_VARIANT = re.compile(r"\b(?:khu vuc|vung|xa|tuyen) bien gioi\b")
_LEVEL_PHRASE = re.compile(r"\s*\(?(?:thuc hien )?(?:tai |o )?cap (?:xa|tinh|huyen|trung uong|bo)(?:,? ?(?:cap )?"
                           r"(?:xa|tinh|huyen|trung uong|bo))*\)?\s*$")
# Below the preferred variant by at least this: never "ambiguous" with it.
DEMOTION = 0.1


@lru_cache(maxsize=TITLE_CACHE)
def family(title: str) -> str:
    """What a procedure is, whatever its level and variant (folded)."""
    folded = " ".join(_folded(title).split())
    folded = _LEVEL_PHRASE.sub("", folded).removeprefix("thu tuc ")
    folded = BORDER_VARIANT.sub(" ", folded.replace(FOREIGN_VARIANT, " "))
    return " ".join(folded.split())


_TITLE_LEVELS = {"xa": "commune", "huyen": "commune", "tinh": "province", "trung uong": "ministry", "bo": "ministry"}
_TITLE_LEVEL_WORD = re.compile(r"\bcap (xa|huyen|tinh|trung uong|bo)\b")


@lru_cache(maxsize=TITLE_CACHE)
def title_levels(title: str) -> tuple[str, ...]:
    """The levels a title's closing "(thực hiện tại cấp …)" names, () when it names none.

    When a catalog record's level field and its title disagree ("Cấp đổi thẻ bảo hiểm y tế
    (thực hiện tại cấp trung ương)" filed as provincial), the title is what tells the
    record from its siblings."""
    phrase = _LEVEL_PHRASE.search(" ".join(_folded(title).split()))
    if not phrase:
        return ()
    return tuple(dict.fromkeys(_TITLE_LEVELS[m] for m in _TITLE_LEVEL_WORD.findall(phrase.group(0))))


def preference(title: str, levels: Sequence[str], *, level: str | None, foreign: bool) -> tuple[int, ...]:
    """How well a variant fits a message (lower is better)."""
    folded = _folded(title)
    levels = title_levels(title) or tuple(levels)
    ranks = [LEVEL_RANK.get(v, 3) for v in levels] or [3]
    named_level = 0 if level is None or level in levels else 1
    return (named_level, int((FOREIGN_VARIANT in folded) != foreign), int(bool(BORDER_VARIANT.search(folded))),
            min(ranks))


def by_variant(hits: Sequence[H], levels: dict[str, tuple[str, ...]], *, level: str | None,
               foreign: bool) -> list[H]:
    """In each family of hits, the variant that fits the message best takes the family's
    best score; the others fall clearly below it."""
    groups: dict[str, list[H]] = {}
    for hit in hits:
        groups.setdefault(family(hit.title), []).append(hit)
    ranked = list(hits)
    for members in groups.values():
        if len(members) < 2:
            continue
        best = max(m.score for m in members)
        chosen = min(members, key=lambda m: (preference(m.title, levels.get(m.code, ()), level=level,
                                                        foreign=foreign), -m.score))
        for i, hit in enumerate(ranked):
            if hit is chosen:
                ranked[i] = replace(hit, score=best)  # type: ignore[type-var]
            elif hit in members:
                ranked[i] = replace(hit, score=min(hit.score, max(0.0, best - DEMOTION)))  # type: ignore[type-var]
    return sorted(ranked, key=lambda h: -h.score)


def adjust(hits: Sequence[H], *, age: int | None, foreign: bool,
           levels: dict[str, tuple[str, ...]] | None = None, level: str | None = None) -> list[H]:
    """The hits with the variants the message rules out dropped and the one it names first."""
    return by_variant(by_age(hits, age), levels or {}, level=level, foreign=foreign)


def age_sibling(code: str, age: int, titles: dict[str, str]) -> str | None:
    """The procedure that differs from ``code`` only by its age bounds and fits ``age``,
    when ``code``'s own bounds rule the age out ("cháu 16 tuổi" about the card for under-14s)."""
    title = titles.get(code)
    if title is None or age_fits(title, age):
        return None
    kin = _without_age(title)
    return next((c for c, t in titles.items() if c != code and _without_age(t) == kin and age_fits(t, age)), None)
