"""tthc_text.normalize: NFC, tone placement, accent folding, shorthand, search forms."""

from __future__ import annotations

import unicodedata

import pytest

from tthc_text import (
    expand_abbreviations,
    fix_tone_placement,
    fold,
    fold_char,
    lexical_tokens,
    nfc,
    normalize,
    search_text,
    syllables,
)
from tthc_text.abbreviations import ABBREVIATIONS
from tthc_text.normalize import expand_token, valid_json, valid_text


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


# --- nfc ---------------------------------------------------------------------------------


def test_nfc_composes_decomposed_vietnamese() -> None:
    decomposed = nfd("Việt Nam đăng ký khai sinh")
    assert decomposed != "Việt Nam đăng ký khai sinh"  # the input really is decomposed
    assert nfc(decomposed) == "Việt Nam đăng ký khai sinh"
    assert len(nfc(decomposed)) == len("Việt Nam đăng ký khai sinh")


def test_nfc_leaves_composed_text_alone() -> None:
    assert nfc("Hà Nội") == "Hà Nội"


def test_unpaired_surrogates_are_replaced_and_real_characters_kept() -> None:
    assert valid_text("\ud800 abc \udfff") == "\ufffd abc \ufffd"
    assert valid_text("chào 😀 \U0001f64f") == "chào 😀 \U0001f64f"  # characters beyond the BMP are not surrogates
    assert nfc("khai sinh \udc00").encode("utf-8") == "khai sinh \ufffd".encode()
    parsed = {"k\ud800": ["v\udbff", 5, None, {"x": "\udfff"}], "ok": True}
    assert valid_json(parsed) == {"k\ufffd": ["v\ufffd", 5, None, {"x": "\ufffd"}], "ok": True}


# --- tone placement ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "modern"),
    [
        ("hoà", "hòa"),
        ("thuỷ", "thủy"),
        ("khoẻ", "khỏe"),
        ("toà án", "tòa án"),
        ("uỷ ban", "ủy ban"),
        ("xoè", "xòe"),
        ("hoá đơn", "hóa đơn"),
        ("HOÀ", "HÒA"),
        ("Hoà Bình", "Hòa Bình"),
        ("thuỷ.", "thủy."),  # punctuation after the syllable still ends it
        ("hoà giải, thuỷ lợi", "hòa giải, thủy lợi"),
    ],
)
def test_old_style_tone_marks_move_to_the_modern_position(old: str, modern: str) -> None:
    assert fix_tone_placement(old) == modern


@pytest.mark.parametrize(
    "word",
    [
        "quý",  # qu + vowel keeps the tone on the vowel
        "quà",
        "quỳ",
        "quả",
        "hoàng",  # closed syllable: the tone already sits on the main vowel
        "ngoài",
        "khoái",
        "hòa",  # already modern
        "thủy",
        "Nguyễn",
        "người",
    ],
)
def test_words_already_correct_are_unchanged(word: str) -> None:
    assert fix_tone_placement(word) == word


def test_tone_placement_accepts_decomposed_input_and_returns_nfc() -> None:
    result = fix_tone_placement(nfd("Hoà Bình, thuỷ lợi"))
    assert result == "Hòa Bình, thủy lợi"
    assert unicodedata.is_normalized("NFC", result)


# --- accent folding ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("char", "folded"),
    [("đ", "d"), ("Đ", "D"), ("ệ", "e"), ("Ữ", "U"), ("ơ", "o"), ("ă", "a"), ("a", "a"), ("7", "7")],
)
def test_fold_char(char: str, folded: str) -> None:
    assert fold_char(char) == folded


def test_fold_removes_every_vietnamese_diacritic_and_keeps_length() -> None:
    text = "Đường Lê Lợi, phường Bến Nghé, quận Một — Hồ Chí Minh"
    folded = fold(text)
    assert folded == "Duong Le Loi, phuong Ben Nghe, quan Mot — Ho Chi Minh"
    assert len(folded) == len(text)


def test_fold_of_decomposed_text_matches_fold_of_composed_text() -> None:
    assert fold(nfd("Việt Nam")) == "Viet Nam"


# --- abbreviations -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "expansion"),
    [
        ("dk", "đăng ký"),
        ("đk", "đăng ký"),  # "đ" is read as "d"
        ("ko", "không"),
        ("cccd", "căn cước"),
        ("cmnd", "căn cước"),
        ("ubnd", "ủy ban nhân dân"),
        ("đkkh", "đăng ký kết hôn"),
    ],
)
def test_expand_token_knows_chat_shorthand(token: str, expansion: str) -> None:
    assert expand_token(token) == expansion


@pytest.mark.parametrize("token", ["à", "kó", "kô", "gì", "ạh", "ọk", "ẽ"])
def test_a_token_with_other_diacritics_never_expands(token: str) -> None:
    # Each folds to a key ("à" -> "a" -> "anh", "kô" -> "ko" -> "không"), yet they are real words.
    assert expand_token(token) is None


@pytest.mark.parametrize("token", ["dkx", "book", "đăng", "khai", ""])
def test_expand_token_returns_none_for_ordinary_words(token: str) -> None:
    assert expand_token(token) is None


def test_abbreviation_table_is_well_formed() -> None:
    # Keys are what expand_token looks up: lower-case, no diacritics, no "đ", one token.
    for key, value in ABBREVIATIONS.items():
        assert key == key.lower() == fold(key) and "đ" not in key and key.isalnum(), key
        assert value == nfc(value).strip() and value, key


def test_expand_abbreviations_works_token_by_token() -> None:
    assert expand_abbreviations("e muốn dk ks cho con, ko bt hs gồm j") == (
        "em muốn đăng ký khai sinh cho con, không bt hồ sơ gồm gì"
    )


def test_expand_abbreviations_does_not_touch_parts_of_words() -> None:
    # "ok", "dk" and "hs" inside longer words are not tokens of their own.
    assert expand_abbreviations("book dkx ths") == "book dkx ths"


def test_expand_abbreviations_keeps_accented_short_words() -> None:
    assert expand_abbreviations("vâng à, kô sao") == "vâng à, kô sao"


# --- normalize / search_text -------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("Đk kết hôn ở UBND xã?", "đăng ký kết hôn ở ủy ban nhân dân xã"),
        ("  Hoà   giải!!  ", "hòa giải"),
        ("Làm CCCD\tở\nđâu...", "làm căn cước ở đâu"),
        ("mình lm ks cho con thế nào ạ", "mình làm khai sinh cho con thế nào ạ"),
        ("vâng à", "vâng à"),
        ("", ""),
        ("?!...", ""),
    ],
)
def test_normalize(raw: str, normalised: str) -> None:
    assert normalize(raw) == normalised


def test_normalize_keeps_diacritics_and_composes_decomposed_input() -> None:
    assert normalize(nfd("Thủ tục ĐĂNG KÝ khai sinh")) == "thủ tục đăng ký khai sinh"


@pytest.mark.parametrize(
    "variant",
    [
        "làm giấy khai sinh",
        "lam giay khai sinh",
        "LÀM GIẤY KHAI SINH",
        "Làm giấy ks",
        "lm giay ks",
        nfd("làm giấy khai sinh"),
    ],
)
def test_search_text_is_the_same_with_or_without_accents_and_shorthand(variant: str) -> None:
    assert search_text(variant) == "lam giay khai sinh"


@pytest.mark.parametrize("variant", ["Đăng ký kết hôn", "dk ket hon", "đk kết hôn", "đkkh", "Dang Ky Ket Hon"])
def test_search_text_of_registering_a_marriage(variant: str) -> None:
    assert search_text(variant) == "dang ky ket hon"


def test_search_text_turns_punctuation_in_codes_into_spaces() -> None:
    assert search_text("Nghị định 123/2015/NĐ-CP") == "nghi dinh 123 2015 nd cp"


def test_syllables() -> None:
    assert syllables("Hoà giải ở đâu?") == ["hoa", "giai", "o", "dau"]
    assert syllables("   ") == []


# --- lexical tokens ----------------------------------------------------------------------


def test_lexical_tokens_are_syllables_then_adjacent_pairs() -> None:
    assert lexical_tokens("Đk khai sinh") == [
        "dang",
        "ky",
        "khai",
        "sinh",
        "dang_ky",
        "ky_khai",
        "khai_sinh",
    ]


def test_lexical_tokens_are_identical_with_and_without_diacritics() -> None:
    assert lexical_tokens("thủ tục đăng ký kết hôn") == lexical_tokens("thu tuc dang ky ket hon")


def test_lexical_tokens_of_one_syllable_and_of_nothing() -> None:
    assert lexical_tokens("Hoà") == ["hoa"]
    assert lexical_tokens("") == []
    assert lexical_tokens("?!") == []


def test_lexical_tokens_split_a_procedure_code_at_its_dot() -> None:
    assert lexical_tokens("thủ tục 1.001193") == ["thu", "tuc", "1", "001193", "thu_tuc", "tuc_1", "1_001193"]
