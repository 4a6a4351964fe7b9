"""tthc_text.offsets: normalisation that keeps a source span for every output character."""

from __future__ import annotations

import re
import unicodedata

import pytest

from tthc_text.normalize import fix_tone_placement, fold
from tthc_text.offsets import normalize_with_spans, original_span


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


SAMPLES = [
    "làm giấy khai sinh",
    nfd("làm giấy khai sinh"),
    "Hoà giải ở đâu?",
    nfd("Hoà giải, thuỷ lợi"),
    "ĐĂNG KÝ 😀 🇻🇳 👍🏽",
    "a\u0301\u0323 e\u0302\u0301",  # decomposed with several marks in non-canonical order
    "\u0301 leading mark",
    "tab\tand\nnewline",
    "",
]


def test_composed_text_maps_one_to_one() -> None:
    text = "Tôi muốn đăng ký"
    normalised, spans = normalize_with_spans(text)
    assert normalised == text
    assert spans == [(i, i + 1) for i in range(len(text))]


def test_decomposed_letter_maps_to_the_whole_unit() -> None:
    text = nfd("Việt")  # V, i, e + circumflex + dot below, t
    assert len(text) == 6
    normalised, spans = normalize_with_spans(text)
    assert normalised == "Việt"
    assert spans == [(0, 1), (1, 2), (2, 5), (5, 6)]


def test_old_style_tone_is_moved_without_changing_the_spans() -> None:
    normalised, spans = normalize_with_spans("hoà")
    assert normalised == "hòa"
    assert spans == [(0, 1), (1, 2), (2, 3)]


def test_old_style_tone_in_decomposed_input() -> None:
    text = nfd("Hoà bình")  # H, o, a, grave, space, b, i, n, h ...
    normalised, spans = normalize_with_spans(text)
    assert normalised == "Hòa bình"
    assert spans[:3] == [(0, 1), (1, 2), (2, 4)]
    # The word "Hòa" covers the original "Hoà" including its combining mark.
    start, end = original_span(spans, 0, 3)
    assert (start, end) == (0, 4)
    assert text[start:end] == nfd("Hoà")
    start, end = original_span(spans, 4, 8)
    assert unicodedata.normalize("NFC", text[start:end]) == "bình"
    assert end == len(text)


def test_empty_text() -> None:
    assert normalize_with_spans("") == ("", [])


@pytest.mark.parametrize("text", SAMPLES)
def test_spans_are_ordered_and_cover_the_original_exactly(text: str) -> None:
    normalised, spans = normalize_with_spans(text)
    assert len(spans) == len(normalised)
    units = sorted(set(spans))
    # Distinct spans tile the original text from 0 to len(text) without gaps or overlaps.
    position = 0
    for start, end in units:
        assert start == position and end > start
        position = end
    assert position == len(text)
    # Output characters come in the order of their sources.
    assert spans == sorted(spans)


@pytest.mark.parametrize("text", SAMPLES)
def test_output_is_nfc_with_modern_tone_placement(text: str) -> None:
    normalised, _ = normalize_with_spans(text)
    assert normalised == fix_tone_placement(unicodedata.normalize("NFC", text))


@pytest.mark.parametrize("text", SAMPLES)
def test_each_word_maps_back_to_the_same_word(text: str) -> None:
    normalised, spans = normalize_with_spans(text)
    for match in re.finditer(r"\S+", normalised):
        word = match.group(0)
        o_start, o_end = original_span(spans, match.start(), match.end())
        original = unicodedata.normalize("NFC", text[o_start:o_end])
        # Same letters (tone placement may differ between the two forms).
        assert fold(original) == fold(word)
        assert not unicodedata.combining(text[o_start]) or o_start == 0
        assert o_end == len(text) or not unicodedata.combining(text[o_end])


def test_original_span_of_a_single_character() -> None:
    text = nfd("đẹp")
    normalised, spans = normalize_with_spans(text)
    assert normalised == "đẹp"
    assert original_span(spans, 1, 2) == (1, 3)  # "ẹ" is e + combining dot below
    assert text[slice(*original_span(spans, 1, 2))] == nfd("ẹ")
