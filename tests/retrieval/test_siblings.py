"""Telling a procedure from its longer-named sibling by what the message says."""

from __future__ import annotations

from dataclasses import dataclass

from retrieval.siblings import DEMOTION, choose, extra_words
from tthc_text import syllables


@dataclass(frozen=True)
class H:
    code: str
    score: float


TITLES = {
    "kh": "Đăng ký kết hôn",
    "lai": "Đăng ký lại kết hôn",
    "ld": "Đăng ký kết hôn lưu động",
    "yt": "Đăng ký kết hôn có yếu tố nước ngoài",
    "ks": "Đăng ký khai sinh",
    "tt": "Đăng ký thường trú",
    "xoa": "Xóa đăng ký thường trú",
}
NAMES = {
    "kh": ["đăng ký kết hôn", "làm giấy kết hôn"],
    "lai": ["đăng ký lại kết hôn", "làm lại giấy kết hôn bị mất sổ gốc"],
    "ld": ["đăng ký kết hôn lưu động", "kết hôn tại nhà"],
    "yt": ["kết hôn với người nước ngoài"],
    "ks": ["làm giấy khai sinh"],
    "tt": ["đăng ký thường trú", "nhập hộ khẩu"],
    "xoa": ["xóa đăng ký thường trú", "cắt khẩu"],
}
TEXT = {  # names and sample questions
    **{code: names + [f"{TITLES[code]} cần giấy tờ gì"] for code, names in NAMES.items()},
    "kh": NAMES["kh"] + ["hai bạn phải có mặt khi nhận giấy kết hôn không", "kết hôn tại nhà được không"],
}


def run(hits: list[H], message: str) -> list[H]:
    return choose(
        hits,
        title_words=lambda code: frozenset(syllables(TITLES[code])),
        names=lambda code: [frozenset(syllables(n)) - {"lam"} for n in [TITLES[code], *NAMES[code]]],
        text_words=lambda code: frozenset(w for t in TEXT[code] for w in syllables(t)),
        words=frozenset(syllables(message)),
    )


def test_siblings_are_titles_that_add_a_few_words_but_not_a_foreign_or_level_variant() -> None:
    def words(code: str) -> frozenset[str]:
        return frozenset(syllables(TITLES[code]))

    assert extra_words(words("lai"), words("kh")) == {"lai"}
    assert extra_words(words("ld"), words("kh")) == {"luu", "dong"}
    assert extra_words(words("kh"), words("lai")) is None  # the shorter is not the longer's sibling
    assert extra_words(words("yt"), words("kh")) is None  # left to actions.variants
    assert extra_words(words("ks"), words("kh")) is None


def test_the_plain_procedure_when_the_message_says_nothing_of_the_longer_name() -> None:
    hits = run([H("lai", 0.95), H("kh", 0.80), H("ks", 0.1)], "đăng ký kết hôn làm ở đâu")
    assert [h.code for h in hits] == ["kh", "lai", "ks"]
    assert hits[0].score == 0.95  # the first place's score
    assert hits[1].score <= 0.95 - DEMOTION + 1e-9  # never "ambiguous" with it


def test_the_longer_when_the_message_says_the_word_its_title_adds() -> None:
    hits = run([H("kh", 0.9), H("lai", 0.85)], "muốn đăng ký lại kết hôn")
    assert [h.code for h in hits] == ["lai", "kh"]
    assert hits[0].score == 0.9 and hits[1].score <= 0.8 + 1e-9


def test_the_longer_when_the_message_says_a_whole_name_of_its_own() -> None:
    assert run([H("tt", 0.7), H("xoa", 0.6)], "mẹ mất rồi thì cắt khẩu thế nào")[0].code == "xoa"
    # "kết hôn tại nhà" is a name of the mobile registration, but the plain guide's text says
    # it too: it is not the mobile one's own
    assert run([H("ld", 0.9), H("kh", 0.8)], "kết hôn tại nhà được không")[0].code == "kh"


def test_a_name_of_the_plain_one_too_keeps_the_ranker_s_choice() -> None:
    hits = [H("xoa", 0.9), H("tt", 0.85)]
    assert run(hits, "nhập hộ khẩu rồi cắt khẩu")[0].code == "xoa"
    assert run(list(reversed(hits)), "nhập hộ khẩu rồi cắt khẩu")[0].code == "tt"


def test_hits_without_siblings_are_left_as_they_are() -> None:
    hits = [H("ks", 0.9), H("tt", 0.88), H("yt", 0.5)]
    assert run(hits, "làm giấy khai sinh") == hits
    assert run([], "gì cũng được") == []
