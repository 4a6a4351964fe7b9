"""Reading what a message asks from its words, in every typing style."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from actions.cues import CUES_FILE, CueFile, load_cues, read


@pytest.mark.parametrize(
    ("text", "aspect"),
    [
        ("làm giấy khai sinh cần những giấy tờ gì", "documents"),
        ("lam giay khai sinh can nhung giay to gi", "documents"),
        ("dk ks can gt j", "documents"),
        ("có mất tiền ko", "fee"),
        ("phi bn", "fee"),
        ("bao lâu thì có", "time"),
        ("mat may ngay vay ad", "time"),
        ("Thành lập công ty TNHH hai thành viên mất bao nhiêu ngày?", "time"),
        ("nộp lệ phí trước bạ ở đâu", "place"),
        ("lam online dc khong", "online"),
        ("làm trên vssid đc không", "online"),
        ("làm thế nào", "steps"),
        ("thủ tục ra sao", "steps"),
        ("điều kiện đăng ký thường trú quy định ở luật nào", "legal"),
        ("nghị định nào quy định mức lệ phí đó", "legal"),
        ("làm xong thì nhận được giấy gì", "result"),
        ("bằng đó có thời hạn bao lâu", "result"),
        ("ai được làm thay", "eligibility"),
        ("khai sinh là gì", "general"),
    ],
)
def test_the_aspect_a_question_asks(text: str, aspect: str) -> None:
    assert read(text).aspect == aspect
    assert read(unicodedata.normalize("NFD", text)).aspect == aspect


@pytest.mark.parametrize(
    ("text", "aspect"),
    [
        ("có được đăng ký tạm trú online không", "online"),  # named plainly: online
        ("có mất tiền không", "fee"),
        ("có phải trực tiếp đến không", "eligibility"),
        ("có bắt buộc bố mẹ đi cùng không", "eligibility"),
        ("ra ủy ban xã chứng thực được không", "eligibility"),  # may I: not where
        ("làm căn cước có cần giấy khai sinh không", "eligibility"),
        ("có cần mang theo giấy tờ gì không", "documents"),  # asks for a list
        ("nộp hồ sơ ở văn phòng đăng ký đất đai phải không", "place"),  # checks a fact
        ("không có giấy tờ mua bán gì cả thì có được cấp không", "eligibility"),
        ("chủ trọ k cho mượn sổ hồng thì sao ạ", "eligibility"),  # what if
    ],
)
def test_yes_no_questions_are_about_eligibility_unless_they_name_an_aspect(text: str, aspect: str) -> None:
    reading = read(text)
    assert reading.aspect == aspect, reading


def test_a_question_word_makes_it_no_yes_no_question() -> None:
    assert read("có mất tiền không").yes_no
    assert not read("có cần giấy tờ gì").yes_no
    assert read("cháu tự đi làm một mình được không, hay cần người lớn đi cùng").yes_no
    assert not read("bạn ơi").yes_no


@pytest.mark.parametrize("text", ["có", "Có ạ", "ok", "ừ được, chuyển giúp mình", "vâng gặp cán bộ", "đồng ý"])
def test_a_clear_yes(text: str) -> None:
    assert read(text).affirm


@pytest.mark.parametrize("text", ["có mất tiền không", "asdfghjkl", "?????", "có thể làm online không", "cảm ơn"])
def test_not_a_yes(text: str) -> None:
    assert not read(text).affirm


def test_a_clear_no() -> None:
    assert read("không cần đâu").deny and read("thôi").deny
    assert not read("không có giấy chứng sinh").deny


def test_requests_for_a_person_and_what_only_looks_like_one() -> None:
    for text in ("cho tôi gặp cán bộ", "mình muốn nói chuyện với người thật", "chuyen cho nhan vien giup toi"):
        assert read(text).person, text
    for text in ("có cần người làm chứng ko", "ad là người thật hay máy vậy", "cần người lớn đi cùng không"):
        assert not read(text).person, text
    assert read("ad là người thật hay máy vậy").about_bot


def test_social_messages() -> None:
    assert read("xin chào").greeting and not read("xin chào").goodbye
    assert read("Chào nhé").goodbye and not read("Chào nhé").greeting
    assert read("ok tks ad").thanks
    assert read("cảm ơn hữu ích lắm").feedback is True
    assert read("👍").feedback is True and read("👎").feedback is False
    assert read("chưa đúng ý mình").feedback is False
    assert read("xin chào").feedback is None


def test_junk() -> None:
    for text in ("?????", "asdfghjkl", "..", "hmm", "😂😂"):
        assert read(text).junk, text
    for text in ("ok", "khai sinh", "👍", "123 phường 4"):
        assert not read(text).junk, text


def test_the_residual_keeps_the_words_that_name_a_procedure() -> None:
    assert read("dang ky tam tru can giay to gi").residual == "dang ky tam tru gi"
    assert read("có mất tiền ko").residual == ""
    assert read("bao lâu thì nhận được tiền").residual == ""
    assert "can cuoc" in read("làm căn cước có cần giấy khai sinh không").residual


def test_ages_foreigners_switches_and_choices() -> None:
    assert read("e mun lm cccd cho con 10t").age == 10
    assert read("cháu vừa tròn 14").age == 14
    assert read("con mình mới sinh tuần trước").age == 0
    assert read("làm căn cước cho bé dưới 14 tuổi").age is None  # a bound, not an age
    assert read("chồng mình người Hàn").foreign and not read("hết hạn rồi").foreign
    assert read("thế còn tạm trú thì sao").switch and read("ok, còn đổi bằng lái thì sao").switch
    assert not read("con tôi 10 tuổi").switch
    assert read("cái thứ 2").ordinal == 2 and read("1").ordinal == 1 and read("hai cái").ordinal is None


def test_the_project_cue_file_is_valid() -> None:
    CueFile.model_validate(yaml.safe_load(CUES_FILE.read_text(encoding="utf-8")))


def test_a_bad_cue_file_is_refused_with_the_field(tmp_path: Path) -> None:
    data = yaml.safe_load(CUES_FILE.read_text(encoding="utf-8"))
    data["aspects"]["fee"][7] = ["phí"]
    (tmp_path / "bad.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValidationError, match="weights must be 1, 2 or 3"):
        load_cues(tmp_path / "bad.yml")
    data = yaml.safe_load(CUES_FILE.read_text(encoding="utf-8"))
    data["aspects"]["price"] = {3: ["giá"]}
    (tmp_path / "bad.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValidationError, match="aspects"):
        load_cues(tmp_path / "bad.yml")


def test_the_asides_to_the_bot_are_left_out_of_the_content() -> None:
    reading = read("dạ e chào anh chị ạ, cho e hỏi đi đăng kí kết hôn có cần giấy khám sức khoẻ ko ạ")
    assert "cho em hoi" in reading.residual or "cho e hoi" in reading.residual
    assert reading.content == "dang ki ket hon co kham suc khoe"
    assert read("đăng ký kết hôn ở đâu").content == read("đăng ký kết hôn ở đâu").residual


def test_xe_may_is_a_motorbike_not_how_many() -> None:
    assert read("mất cà vẹt xe máy hôm đi chợ").aspect is None
    assert read("đăng ký xe máy mấy hôm thì có").aspect == "time"
