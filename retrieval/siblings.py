"""Sibling procedures: one whose name is another's plus a word or two.

"Đăng ký lại kết hôn" and "Đăng ký kết hôn", "Đăng ký chấm dứt giám hộ" and "Đăng ký giám
hộ", "Đăng ký khai tử lưu động" and "Đăng ký khai tử": the encoder sees each pair as nearly
one procedure, and a guide's sample questions share most of their words with its
sibling's, so the ranker's choice between them is close to a coin's. What tells them apart
is what a message says: the longer-named sibling is meant when the message says a word its
title adds ("lại", "chấm dứt", "lưu động"), or says the whole of one of its names that the
other's guide does not also use ("cắt khẩu" for "Xóa đăng ký thường trú"), and says no such
name of the other. Otherwise the plain one is: a citizen who wants to marry does not say
"for the first time". The sibling not meant falls :data:`DEMOTION` below the one that is, so
it is never "ambiguous" with it.

The foreign-element and level variants are left to the dialogue, which reads those
circumstances from the message (:mod:`actions.variants`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import replace
from typing import Protocol, TypeVar

# Words a longer name may add to its sibling's and still be its sibling.
MAX_EXTRA = 3
DEMOTION = 0.1
# Added words that make a foreign-element or level variant (left to actions.variants).
VARIANT_WORDS = frozenset({"yeu", "nuoc", "ngoai", "cap", "xa", "tinh", "huyen", "trung", "uong", "bo"})
MAX_ROUNDS = 3


class Scored(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def score(self) -> float: ...


H = TypeVar("H", bound=Scored)


def extra_words(longer: frozenset[str], shorter: frozenset[str]) -> frozenset[str] | None:
    """The words ``longer`` adds to ``shorter`` when the two are siblings, else None."""
    if len(shorter) < 2 or not shorter < longer:
        return None
    extra = longer - shorter
    if len(extra) > MAX_EXTRA or extra & VARIANT_WORDS:
        return None
    return extra


def says(words: frozenset[str], extra: frozenset[str], names: Sequence[frozenset[str]],
         other_text: AbstractSet[str]) -> bool:
    """Whether a message's ``words`` say a word a title adds (``extra``) or the whole of one
    of its ``names`` that is not all in the other sibling's text."""
    return bool(words & extra) or any(name <= words and not name <= other_text for name in names if name)


def choose(
    hits: Sequence[H],
    *,
    title_words: Callable[[str], frozenset[str]],
    names: Callable[[str], Sequence[frozenset[str]]],
    text_words: Callable[[str], AbstractSet[str]],
    words: frozenset[str],
) -> list[H]:
    """The hits (best first) with the sibling the message means first.

    ``title_words(code)``: the folded syllables of a title; ``names(code)``: the content
    syllables (aspect and filler words left out) of each of its names (title, aliases);
    ``text_words(code)``: the words of all its indexed text (syllables, and pairs, which a
    name of syllables never needs); ``words``: the message's syllables."""
    ranked = list(hits)
    seen: set[frozenset[str]] = set()
    for _ in range(MAX_ROUNDS):
        moved = False
        for i in range(1, len(ranked)):
            top, other = ranked[0], ranked[i]
            pair = frozenset((top.code, other.code))
            if pair in seen:
                continue
            top_words, other_words = title_words(top.code), title_words(other.code)
            extra = extra_words(top_words, other_words)
            if extra is not None:
                longer, shorter = top, other
            else:
                extra = extra_words(other_words, top_words)
                if extra is None:
                    continue
                longer, shorter = other, top
            seen.add(pair)
            for_longer = says(words, extra, names(longer.code), text_words(shorter.code))
            for_shorter = says(words, frozenset(), names(shorter.code), text_words(longer.code))
            meant = top if for_longer and for_shorter else longer if for_longer else shorter
            below = max(0.0, top.score - DEMOTION)
            if meant is top:
                ranked[i] = replace(other, score=min(other.score, below))  # type: ignore[type-var]
                continue
            ranked[0] = replace(other, score=top.score)  # type: ignore[type-var]
            ranked[i] = replace(top, score=min(top.score, below))  # type: ignore[type-var]
            moved = True
            break
        if not moved:
            break
    head, rest = ranked[:1], sorted(ranked[1:], key=lambda h: -h.score)
    return head + rest
