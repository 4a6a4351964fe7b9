"""Word segmentation with underthesea, located in the text it came from.

underthesea is installed in both runtimes but imported lazily, so importing
:mod:`tthc_text` stays cheap and free of third-party imports.
"""

from __future__ import annotations

import re
from functools import lru_cache

from tthc_text.normalize import fix_tone_placement, nfc

_SYLLABLE = re.compile(r"\S+")


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


def locate_words(text: str) -> list[tuple[int, int]]:
    """Character spans of the segmented words of ``text`` (already NFC-normalised).

    underthesea may rewrite a word slightly (it normalises text itself); a word that cannot
    be found where expected falls back to the whitespace-separated pieces it covers, so
    every non-space character of ``text`` ends up in exactly one span, in order.
    """
    if not text.strip():
        return []
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
    return _fill_gaps(text, spans)


def _find_word(text: str, parts: list[str], cursor: int) -> tuple[int, int] | None:
    """Find the syllables ``parts`` starting at ``cursor``, separated by any whitespace."""
    pattern = r"\s+".join(re.escape(p) for p in parts)
    match = re.compile(pattern).search(text, cursor)
    if match is None or text[cursor : match.start()].strip():
        # Missing, or it would skip over text we have not covered: let gap filling handle it.
        return None
    return match.start(), match.end()


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
