"""tthc_text.segmentation: underthesea word segmentation located in the original text."""

from __future__ import annotations

import random
import unicodedata

import pytest

from tthc_text import fold, locate_words, segment


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def words(text: str) -> list[str]:
    return [text[start:end] for start, end in locate_words(text)]


def assert_covers_every_non_space_char_once_in_order(text: str, spans: list[tuple[int, int]]) -> None:
    position = 0
    for start, end in spans:
        assert position <= start < end <= len(text), (text, spans)
        assert not text[start].isspace() and not text[end - 1].isspace(), (text, text[start:end])
        assert not text[position:start].strip(), f"uncovered text {text[position:start]!r} in {text!r}"
        position = end
    assert not text[position:].strip(), f"uncovered text {text[position:]!r} in {text!r}"


# --- segment -----------------------------------------------------------------------------


def test_segment_joins_two_syllable_words() -> None:
    result = segment("Tôi muốn đăng ký khai sinh cho con")
    assert "đăng ký" in result
    assert "khai sinh" in result
    assert " ".join(result) == "Tôi muốn đăng ký khai sinh cho con"


def test_segment_normalises_decomposed_input_and_old_tone_placement() -> None:
    result = segment(nfd("Hoà giải đăng ký khai sinh"))
    assert all(unicodedata.is_normalized("NFC", w) for w in result)
    assert "hoà" not in " ".join(result).lower()
    assert " ".join(result).lower().startswith("hòa giải")
    assert "đăng ký" in result


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_segment_of_blank_text_is_empty(text: str) -> None:
    assert segment(text) == []


# --- locate_words ------------------------------------------------------------------------


def test_locate_words_returns_spans_of_the_segmented_words() -> None:
    text = "Tôi muốn đăng ký khai sinh cho con"
    assert words(text) == ["Tôi", "muốn", "đăng ký", "khai sinh", "cho", "con"]
    assert locate_words(text)[2] == (9, 16)


def test_locate_words_keeps_the_original_whitespace_inside_a_word() -> None:
    text = "thủ tục\nđăng   ký"
    assert words(text) == ["thủ tục", "đăng   ký"]


def test_locate_words_splits_punctuation_off_words() -> None:
    text = "Thủ tục đăng ký kết hôn ở UBND xã?"
    assert words(text) == ["Thủ tục", "đăng ký", "kết hôn", "ở", "UBND", "xã", "?"]


def test_a_word_underthesea_rewrites_is_still_located() -> None:
    # underthesea itself rewrites "hoà" to "hòa"; the span must cover the original "hoà".
    text = "hoà bình ở đâu"
    assert words(text) == ["hoà", "bình", "ở", "đâu"]
    text = "Thuỷ lợi"
    assert words(text) == ["Thuỷ", "lợi"]


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_locate_words_of_blank_text_is_empty(text: str) -> None:
    assert locate_words(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "Tôi muốn đăng ký khai sinh cho con",
        "làm giấy khai sinh!!! 😀 ở đâu?",
        "  a  b ",
        "xin chào…",
        "“đăng ký” (kết hôn) - 123/2015/NĐ-CP; 1.001193",
        "làm 🇻🇳 cccd 👍🏽 👨\u200d👩\u200d👧 ở đâu",
        "https://dichvucong.gov.vn/p/home/dvc-trang-chu.html",
        "hoà bình, thuỷ lợi, khoẻ",
        "a\u00a0b\u2003c",
        "nhà   nước\tViệt\nNam",
        "ĐĂNG KÝ THƯỜNG TRÚ",
        "lam giay khai sinh o dau",
    ],
)
def test_every_non_space_character_is_in_exactly_one_span_in_order(text: str) -> None:
    assert_covers_every_non_space_char_once_in_order(text, locate_words(text))


def test_coverage_holds_for_random_mixtures() -> None:
    rng = random.Random(20240601)
    pieces = list("aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậềếểễệòóỏõọồốổỗộờớởỡợừứửữự")
    pieces += list("  \n\t.,!?\"'()-/:;“”…_0123456789") + ["😀", "🇻🇳", "UBND", "Hà Nội", "hoà", "https://x.vn"]
    for _ in range(300):
        text = unicodedata.normalize("NFC", "".join(rng.choice(pieces) for _ in range(rng.randint(1, 40))))
        assert_covers_every_non_space_char_once_in_order(text, locate_words(text))


# --- text typed without diacritics: dictionary segmentation ------------------------------


def test_folded_lexicon_holds_folded_multi_syllable_words() -> None:
    from tthc_text.segmentation import folded_lexicon

    lexicon = folded_lexicon()
    for word in ["dang ky", "khai sinh", "ket hon", "can cuoc", "uy ban nhan dan"]:
        assert word in lexicon
    assert all(" " in w and w == fold(w) == w.lower() and "  " not in w for w in lexicon)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dang ky ket hon", ["dang ky", "ket hon"]),
        ("DANG KY KET HON", ["DANG KY", "KET HON"]),
        ("Thu tuc dang ky khai sinh", ["Thu tuc", "dang ky", "khai sinh"]),
        ("uy ban nhan dan xa", ["uy ban nhan dan", "xa"]),  # longest match first
        ("o quang nam", ["o", "quang nam"]),  # the CRF model would merge "o quang"
        ("dang   ky", ["dang   ky"]),
        ("dk ket hon", ["dk", "ket hon"]),
    ],
)
def test_text_without_diacritics_is_segmented_by_the_folded_dictionary(text: str, expected: list[str]) -> None:
    assert words(text) == expected


def test_one_diacritic_sends_the_text_to_the_crf_model() -> None:
    from tthc_text.segmentation import has_diacritics

    assert not has_diacritics("dang ky ket hon")
    assert has_diacritics("dang ky kết hon")
    assert has_diacritics("đk")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lam giay khai sinh o dau?", ["lam giay", "khai sinh", "o dau", "?"]),
        ("dang ky, ket hon", ["dang ky", ",", "ket hon"]),
        ("(dang ky)", ["(", "dang ky", ")"]),
    ],
)
def test_text_without_diacritics_has_punctuation_split_off(text: str, expected: list[str]) -> None:
    assert words(text) == expected
