"""Word segmentation with underthesea, located in the text it came from.

underthesea is installed in both runtimes but imported lazily, so importing
:mod:`tthc_text` stays cheap and free of third-party imports.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from tthc_text.normalize import fix_tone_placement, fold, nfc

_SYLLABLE = re.compile(r"\S+")
# A run of letters/digits, or a run of other visible characters (punctuation, emoji).
_PIECE = re.compile(r"[^\W_]+|[^\w\s]+|_+")
# Inside a located word: words (syllables joined by spaces) apart from symbols.
_SUBWORD = re.compile(r"[^\W_]+(?:\s+[^\W_]+)*|[^\w\s]+|_+")
_WORD_CHARS = re.compile(r"^[^\W_]+$")
# Longest dictionary word tried when segmenting text typed without diacritics.
MAX_WORD_SYLLABLES = 4


@lru_cache(maxsize=1)
def _word_tokenize():  # type: ignore[no-untyped-def]
    from underthesea import word_tokenize  # noqa: PLC0415 - heavy import, only when used

    return word_tokenize


def segment(text: str) -> list[str]:
    """Words of ``text`` (syllables joined by spaces), after NFC and tone normalisation."""
    cleaned = fix_tone_placement(nfc(text))
    if not cleaned.strip():
        return []
    return list(_word_tokenize()(cleaned))


@lru_cache(maxsize=1)
def folded_lexicon() -> frozenset[str]:
    """Multi-syllable words of underthesea's Vietnamese dictionary, lower-case and folded."""
    import underthesea  # noqa: PLC0415

    path = Path(underthesea.__file__).parent / "corpus" / "data" / "Viet74K.txt"
    words = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        word = fold(line.strip().lower())
        if " " in word:
            words.add(" ".join(word.split()))
    return frozenset(words)


def has_diacritics(text: str) -> bool:
    return fold(text) != text


def locate_words(text: str) -> list[tuple[int, int]]:
    """Character spans of the words of ``text`` (already NFC-normalised).

    Text with diacritics is segmented by underthesea's CRF model. Text typed without them
    is not: the model merges unrelated syllables there ("o quang" from "ở Quảng Nam"), so
    syllables are joined by longest match against underthesea's dictionary, folded
    ("dang ky" -> one word, like "đăng ký").
    """
    if not text.strip():
        return []
    if not has_diacritics(text):
        return dictionary_words(text)
    return crf_words(text)


def dictionary_words(text: str) -> list[tuple[int, int]]:
    """Greedy longest-match segmentation on folded, lower-case syllables."""
    pieces = [(m.start(), m.end()) for m in _PIECE.finditer(text)]
    lexicon = folded_lexicon()
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(pieces):
        best = 1
        for n in range(min(MAX_WORD_SYLLABLES, len(pieces) - i), 1, -1):
            chunk = [text[a:b] for a, b in pieces[i : i + n]]
            joined_by_spaces = all(text[pieces[j][1] : pieces[j + 1][0]].isspace() for j in range(i, i + n - 1))
            if joined_by_spaces and all(_WORD_CHARS.match(c) for c in chunk) and " ".join(chunk).lower() in lexicon:
                best = n
                break
        spans.append((pieces[i][0], pieces[i + best - 1][1]))
        i += best
    return spans


def crf_words(text: str) -> list[tuple[int, int]]:
    """Spans of underthesea's words, located in ``text``.

    underthesea may rewrite a word slightly (it normalises text itself); a word that cannot
    be found where expected falls back to the whitespace-separated pieces it covers, so
    every non-space character of ``text`` ends up in exactly one span, in order.
    """
    spans: list[tuple[int, int]] = []
    cursor = 0
    for word in _word_tokenize()(text):
        parts = word.split()
        if not parts:
            continue
        found = _find_word(text, parts, cursor)
        if found is None:
            continue
        spans.append(found)
        cursor = found[1]
    return [piece for span in _fill_gaps(text, spans) for piece in _split_symbols(text, span)]


def _split_symbols(text: str, span: tuple[int, int]) -> list[tuple[int, int]]:
    """Split a located word that mixes letters and symbols ("😀 cccd" glued by the model)."""
    start, end = span
    found = [(start + m.start(), start + m.end()) for m in _SUBWORD.finditer(text[start:end])]
    return found or [span]


def _find_word(text: str, parts: list[str], cursor: int) -> tuple[int, int] | None:
    """Find the syllables ``parts`` at ``cursor`` (after any whitespace there), separated
    by any whitespace.

    Compared character by character rather than with a pattern made per word: each new
    pattern would take a place in ``re``'s cache of 512, and every 512 new words pushed out
    the patterns compiled first (the NLU pipeline's place-name lookup among them, which
    takes a quarter of a second to compile again).
    """
    start = position = _after_spaces(text, cursor)
    for index, part in enumerate(parts):
        if index:
            gap, position = position, _after_spaces(text, position)
            if position == gap:
                return None
        if not text.startswith(part, position):
            # Missing, or it would skip over text we have not covered: let gap filling handle it.
            return None
        position += len(part)
    return start, position


def _after_spaces(text: str, position: int) -> int:
    """The first position at or after ``position`` that is not whitespace."""
    while position < len(text) and text[position].isspace():
        position += 1
    return position


def _fill_gaps(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Add whitespace-separated pieces for any text no span covers."""
    result: list[tuple[int, int]] = []
    position = 0
    for start, end in [*spans, (len(text), len(text))]:
        for match in _SYLLABLE.finditer(text, position, start):
            result.append((match.start(), match.end()))
        if start < end:
            result.append((start, end))
        position = end
    return result
