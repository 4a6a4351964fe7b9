"""Normalisation that remembers where each character came from.

Rasa needs token offsets into the message exactly as the citizen sent it, while matching
works on NFC text with modern tone placement. ``normalize_with_spans`` returns the
normalised text and, for each of its characters, the span of the original it came from.
"""

from __future__ import annotations

import unicodedata

from tthc_text.normalize import fix_tone_placement

Span = tuple[int, int]


def normalize_with_spans(text: str) -> tuple[str, list[Span]]:
    """NFC plus modern tone placement, with a source span per output character.

    A base character and the combining marks after it (NFD input) form one unit; each
    character the unit normalises to maps back to the whole unit.
    """
    chars: list[str] = []
    spans: list[Span] = []
    i = 0
    while i < len(text):
        j = i + 1
        while j < len(text) and unicodedata.combining(text[j]):
            j += 1
        for char in unicodedata.normalize("NFC", text[i:j]):
            chars.append(char)
            spans.append((i, j))
        i = j
    composed = "".join(chars)
    fixed = fix_tone_placement(composed)
    # Moving a tone mark inside a syllable keeps one character per base letter.
    return (fixed if len(fixed) == len(composed) else composed), spans


def original_span(spans: list[Span], start: int, end: int) -> Span:
    """The original span covering normalised characters ``start`` to ``end`` (exclusive)."""
    return spans[start][0], spans[end - 1][1]
