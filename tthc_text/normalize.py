"""Normalisation of Vietnamese text as citizens type it.

Every function is pure and cheap. The pipeline for matching is::

    nfc -> lower-case -> tone placement -> abbreviation expansion -> accent folding

``normalize`` keeps diacritics (for display and word segmentation); ``search_text``
folds them so that "lam giay khai sinh" and "làm giấy khai sinh" become identical.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

from tthc_text.abbreviations import ABBREVIATIONS

# Combining tone marks: grave, acute, tilde, hook above, dot below.
_TONES = "\u0300\u0301\u0303\u0309\u0323"
# Old-style placement on open syllables "oa", "oe", "uy" (hoà, khoẻ, thuỷ) -> hòa, khỏe, thủy.
# "qu" + vowel keeps the tone on the vowel (quý, quà), so a preceding q is excluded.
_OLD_TONE = re.compile(rf"(?<![qQ])([oOuU])([aAeEyY])([{_TONES}])(?![\w\u0300-\u036f])")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_SPACES = re.compile(r"\s+")
# Punctuation and symbols become spaces (a code such as 1.001193 becomes "1 001193").
_NON_WORD = re.compile(r"[^\w\s]", re.UNICODE)


# A UTF-16 surrogate on its own: JSON's "\\ud800" escape carries one, and no UTF-8 can encode
# it (storing or showing such text fails).
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_text(text: str) -> str:
    """``text`` with every unpaired surrogate replaced by U+FFFD (the replacement character)."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def valid_json(value: Any) -> Any:
    """A parsed JSON value with :func:`valid_text` applied to every string in it, keys too."""
    if isinstance(value, str):
        return valid_text(value)
    if isinstance(value, dict):
        return {valid_json(k): valid_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [valid_json(v) for v in value]
    return value


def nfc(text: str) -> str:
    """Unicode NFC (some keyboards and the national catalog send decomposed text), without
    unpaired surrogates."""
    return unicodedata.normalize("NFC", valid_text(text))


def fix_tone_placement(text: str) -> str:
    """Move old-style tone marks to the modern position (hoà -> hòa, thuỷ -> thủy)."""
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", _OLD_TONE.sub(r"\1\3\2", decomposed))


@lru_cache(maxsize=4096)
def fold_char(char: str) -> str:
    """Strip the diacritics of one character (đ -> d, ệ -> e)."""
    if char in "đĐ":
        return "d" if char == "đ" else "D"
    base = unicodedata.normalize("NFD", char)
    return "".join(c for c in base if not unicodedata.combining(c))


def fold(text: str) -> str:
    """Remove all Vietnamese diacritics (accent folding); keeps length for NFC input."""
    return "".join(fold_char(c) for c in text)


def _has_diacritics(token: str) -> bool:
    return fold(token.replace("đ", "d")) != token.replace("đ", "d")


def expand_token(token: str) -> str | None:
    """The expansion of one lower-case chat token, or None when it is not shorthand."""
    if _has_diacritics(token):
        return None
    return ABBREVIATIONS.get(token.replace("đ", "d"))


def expand_abbreviations(text: str) -> str:
    """Expand chat shorthand token by token (dk -> đăng ký, ko -> không); text is lower-case."""
    return _WORD.sub(lambda m: expand_token(m.group(0)) or m.group(0), text)


def normalize(text: str) -> str:
    """NFC, lower case, modern tone placement, shorthand expanded, punctuation to spaces.

    Diacritics are kept. The result is what word segmentation and display-side matching use.
    """
    text = fix_tone_placement(nfc(text)).lower()
    text = _NON_WORD.sub(" ", text)
    text = expand_abbreviations(text)
    return _SPACES.sub(" ", text).strip()


def search_text(text: str) -> str:
    """``normalize`` then accent folding: the form both queries and documents are matched in."""
    return fold(normalize(text))


def syllables(text: str) -> list[str]:
    """Folded, normalised syllables of ``text``."""
    return search_text(text).split()


def lexical_tokens(text: str) -> list[str]:
    """Tokens for the lexical (BM25) scorer: folded syllables plus adjacent-syllable pairs.

    Vietnamese words are mostly two syllables; pairs ("khai_sinh") act as word
    segmentation that works the same with and without diacritics, which underthesea's
    segmenter does not ("dang ky" stays two tokens there).
    """
    sylls = syllables(text)
    return sylls + [f"{a}_{b}" for a, b in zip(sylls, sylls[1:])]
