"""tthc_text.message_parts: splitting long answers at natural places, reading buttons."""

from __future__ import annotations

import pytest

from tthc_text.message_parts import buttons_of, choice_text_key, split_text

pytestmark = pytest.mark.rasa


def test_short_text_is_one_part_and_empty_text_none() -> None:
    assert split_text("  Xin chào  ", 10) == ["Xin chào"]
    assert split_text("   ", 10) == []


def test_paragraphs_are_preferred_then_lines_then_spaces() -> None:
    text = "Đoạn một dài.\n\nĐoạn hai.\nDòng ba của đoạn hai."
    assert split_text(text, 25) == ["Đoạn một dài.", "Đoạn hai.", "Dòng ba của đoạn hai."]
    words = " ".join(["giấy"] * 30)
    parts = split_text(words, 40)
    assert all(len(p) <= 40 for p in parts)
    assert " ".join(parts) == words  # cut between words, nothing lost


def test_text_without_spaces_is_cut_hard() -> None:
    parts = split_text("x" * 25, 10)
    assert parts == ["x" * 10, "x" * 10, "x" * 5]


def test_buttons_of_keeps_only_well_formed_buttons() -> None:
    message = {"buttons": [{"title": "Lệ phí", "payload": "/ask_fee"}, {"title": 3}, "x", {"payload": "/a"}]}
    assert buttons_of(message) == [{"title": "Lệ phí", "payload": "/ask_fee"}]
    assert buttons_of({"text": "no buttons"}) == []


def test_button_text_keys_ignore_case_and_spacing() -> None:
    assert choice_text_key("  Lệ   PHÍ ") == choice_text_key("lệ phí")
