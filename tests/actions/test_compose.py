"""Composing answers from a guide: every aspect's placeholders, buttons, short texts."""

from __future__ import annotations

import copy
import json
import string
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions.compose import (
    MAX_DOCUMENTS,
    answer_slots,
    aspect_buttons,
    choice_buttons,
    documents_text,
    eligibility_text,
    facts_text,
    fees_text,
    main_fee_text,
    numbered,
    online_text,
    online_where,
    phrases,
    place_text,
    relevant_facts,
    shorten,
    steps_text,
    times_text,
    title_phrase,
)
from guides.aspects import ASPECTS, DomainMismatch, domain_intents
from guides.loader import load_guides
from guides.schema import Guide

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "guides" / "valid" / "ho-tich" / "khai-sinh.yml"


def _data() -> dict[str, Any]:
    return copy.deepcopy(yaml.safe_load(FIXTURE.read_text(encoding="utf-8")))


def _guide(**changes: Any) -> Guide:
    data = _data()
    data.update(changes)
    return Guide.model_validate(data)


@pytest.fixture(scope="module")
def guide() -> Guide:
    return _guide()


@pytest.fixture(scope="module")
def domain_texts() -> dict[str, str]:
    domain = yaml.safe_load((REPO / "bot" / "domain.yml").read_text(encoding="utf-8"))
    return {name: variants[0]["text"] for name, variants in domain["responses"].items()}


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_each_aspect_button_asks_its_aspect_with_an_intent_of_the_domain(guide: Guide) -> None:
    """A tapped button sends /<intent>{"procedure_code": ...}: Rasa must know the intent, and
    the policy must read back from it the aspect the button was labelled with."""
    from actions.policy import Context, Message, State, decide  # noqa: PLC0415

    aspect_of_label = {label: aspect for aspect, label in phrases()["aspect_button"].items()}
    buttons = aspect_buttons(guide, "general", limit=len(ASPECTS))
    assert {aspect_of_label[b["title"]] for b in buttons} == set(ASPECTS) - {"general"}
    context = Context(search=lambda text: [], known_codes=frozenset({guide.code}), titles={guide.code: guide.title})
    for button in buttons:
        payload = button["payload"]
        intent = payload[1:payload.index("{")]
        assert intent in domain_intents(), payload
        decision = decide(Message(text=payload, intent=intent, confidence=1.0, chosen=guide.code), State(), context)
        assert (decision.record["aspect"], decision.record["codes"]) == (aspect_of_label[button["title"]],
                                                                         [guide.code]), payload


def test_an_intent_missing_from_the_domain_stops_the_start(tmp_path: Path) -> None:
    domain = tmp_path / "domain.yml"
    domain.write_text("intents:\n  - ask_procedure\n  - greet\n", encoding="utf-8")
    with pytest.raises(DomainMismatch, match="ask_fee"):
        domain_intents(domain)


@pytest.mark.parametrize("aspect", ASPECTS)
def test_answer_slots_fill_the_domain_response(
    guide: Guide, aspect: str, domain_texts: dict[str, str]
) -> None:
    slots = answer_slots(guide, aspect)
    template = domain_texts[f"utter_answer_{aspect}"]
    assert _placeholders(template) <= set(slots)
    text = template.format(**slots)
    assert guide.source in text and "01/11/2026" in text
    assert all(isinstance(v, str) and v for v in slots.values()), slots


def test_title_continues_a_sentence_except_in_the_summary(guide: Guide) -> None:
    assert answer_slots(guide, "general")["title"] == "Đăng ký khai sinh"
    assert answer_slots(guide, "documents")["title"] == "đăng ký khai sinh"
    assert answer_slots(guide, "fee")["reviewed"] == "01/11/2026"


def test_every_real_guide_composes_every_aspect(domain_texts: dict[str, str]) -> None:
    guides = load_guides(REPO / "procedures").published()
    assert len(guides) >= 80
    for g in guides:
        for aspect in ASPECTS:
            slots = answer_slots(g, aspect, place="Phường Hòa Cường, Thành phố Đà Nẵng")
            domain_texts[f"utter_answer_{aspect}"].format(**slots)
            assert slots[
                {"general": "summary", "fee": "fees", "time": "times"}.get(aspect, aspect)
            ].strip(), (
                g.code,
                aspect,
            )


def test_documents_text_numbers_kinds_forms_and_quantities(guide: Guide) -> None:
    text = documents_text(guide)
    lines = text.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("1. Tờ khai đăng ký khai sinh (bản chính)")
    assert "mẫu: Tờ khai đăng ký khai sinh (mẫu Thông tư 04/2024/TT-BTP)" in lines[0]
    assert lines[2] == "3. Giấy tờ tùy thân của người đi đăng ký (xuất trình)"
    docs = [
        {"name": f"Giấy tờ số {i}", "kind": "copy", "quantity": 2} for i in range(MAX_DOCUMENTS + 2)
    ]
    many = documents_text(_guide(documents=docs))
    lines = many.splitlines()
    assert len(lines) == MAX_DOCUMENTS + 1
    assert lines[0] == "1. Giấy tờ số 0 (bản sao, 2 bản)"
    assert lines[-1] == phrases()["more_documents"].format(n=2)


def test_long_document_notes_are_shortened() -> None:
    note = "Ghi chú rất dài " * 40
    text = documents_text(_guide(documents=[{"name": "Tờ khai", "note": note}]))
    assert text.endswith("…")
    assert len(text) < 200


def test_shorten() -> None:
    assert shorten("ngắn  gọn\n") == "ngắn gọn"
    long = "một hai ba bốn năm sáu bảy tám chín mười " * 10
    short = shorten(long, 30)
    assert len(short) <= 30 and short.endswith("…")
    assert long.startswith(short[:-1])
    assert short[:-1] == short[:-1].rstrip() and not short[:-1].endswith(" ")
    assert shorten("x" * 50, 10) == "x" * 9 + "…"


def test_fees_text_lists_items_and_exemptions(guide: Guide) -> None:
    text = fees_text(guide)
    assert text.splitlines()[:2] == [
        "• Lệ phí đăng ký khai sinh: Miễn phí",
        "• Phí cấp bản sao Giấy khai sinh: 8.000 đồng/bản",
    ]
    # Both channels cost the same: no per-channel lines.
    assert "Nộp trực tiếp" not in text
    assert main_fee_text(guide) == "Miễn phí"
    data = _data()
    data["fees"] = {"items": [], "exemptions": ["Trẻ em dưới 6 tuổi"]}
    data["channels"][1]["fee"] = {"kind": "amount", "amount_vnd": 5000, "text": "5.000 đồng"}
    other = Guide.model_validate(data)
    lines = fees_text(other).splitlines()
    assert lines == [
        "• Nộp trực tiếp: Miễn phí",
        "• Nộp trực tuyến: 5.000 đồng",
        phrases()["exempt"].format(who="Trẻ em dưới 6 tuổi"),
    ]
    assert main_fee_text(other) == "Miễn phí"  # the first channel's


def test_no_fee_information() -> None:
    draft = Guide.model_validate(
        {
            "code": "1.000001",
            "id": "x",
            "title": "Thủ tục X",
            "source": "https://dichvucong.gov.vn/x",
        }
    )
    assert fees_text(draft) == phrases()["no_fee_info"]
    assert main_fee_text(draft) == phrases()["no_fee_info"]


def test_times_and_channels(guide: Guide) -> None:
    assert times_text(guide).splitlines() == [
        "• Nộp trực tiếp: Trong ngày",
        "• Nộp trực tuyến: Trong ngày",
    ]
    no_channels = _guide(status="draft", channels=[])
    assert times_text(no_channels) == "Trong ngày"


def test_online_text(guide: Guide) -> None:
    text = online_text(guide)
    assert "https://dichvucong.gov.vn" in text and "Nộp trực tuyến" in text
    data = _data()
    data["channels"] = [data["channels"][0]]
    offline = Guide.model_validate(data)
    assert online_text(offline) == phrases()["online_none"].format(channels="nộp trực tiếp")


def test_online_text_without_url_does_not_offer_online_as_alternative() -> None:
    draft = _guide(status="draft", online_url=None)
    text = online_text(draft)
    if "chưa nộp trực tuyến" in text:
        alternatives = text.split(":", 1)[1]
        assert "trực tuyến" not in alternatives


def test_facts_text(guide: Guide) -> None:
    lines = facts_text(guide).splitlines()
    assert len(lines) == 4
    assert "Ủy ban nhân dân cấp xã" in lines[0]
    assert "Trong ngày" in lines[1] and "Miễn phí" in lines[2]
    assert "https://dichvucong.gov.vn" in lines[3]
    offline = _guide(channels=[_data()["channels"][0]], online_url=None)
    assert facts_text(offline).splitlines()[3] == phrases()["fact_online"].format(
        online=phrases()["online_no"]
    )


def test_place_text(guide: Guide) -> None:
    plain = place_text(guide)
    assert plain.splitlines()[0] == guide.agency
    assert "Với" not in plain
    with_office = place_text(
        guide, "Phường Hòa Cường, Thành phố Đà Nẵng", "Bộ phận một cửa phường Hòa Cường"
    )
    assert (
        "Với Phường Hòa Cường, Thành phố Đà Nẵng: Bộ phận một cửa phường Hòa Cường" in with_office
    )
    without_office = place_text(guide, "Phường Hòa Cường, Thành phố Đà Nẵng")
    assert phrases()["level"]["commune"] in without_office
    province = _guide(level=["province"])
    assert phrases()["level"]["province"] in place_text(province, "Thành phố Đà Nẵng")


def test_numbered_caps_the_list() -> None:
    items = [f"Bước {i}" for i in range(1, 10)]
    lines = numbered(items).splitlines()
    assert lines[:2] == ["1. Bước 1", "2. Bước 2"]
    assert len(lines) == 7 and lines[-1] == phrases()["more_items"]


def _payload(button: dict[str, str]) -> tuple[str, dict[str, str]]:
    intent, _, entities = button["payload"].partition("{")
    assert intent.startswith("/")
    return intent[1:], json.loads("{" + entities)


def test_aspect_buttons_offer_other_aspects_of_the_same_guide(guide: Guide) -> None:
    buttons = aspect_buttons(guide, "general")
    assert [_payload(b)[0] for b in buttons] == [
        "ask_documents",
        "ask_fee",
        "ask_time",
        "ask_place",
    ]
    assert all(_payload(b)[1] == {"procedure_code": "1.001193"} for b in buttons)
    assert buttons[0]["title"] == phrases()["aspect_button"]["documents"]
    fee = aspect_buttons(guide, "fee")
    assert "ask_fee" not in [_payload(b)[0] for b in fee] and len(fee) == 4
    assert len(aspect_buttons(guide, "documents", limit=8)) == 8


def test_choice_buttons_keep_the_asked_aspect() -> None:
    long_title = "Đăng ký đất đai, cấp Giấy chứng nhận quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất lần đầu"
    buttons = choice_buttons([("1.004222", "Đăng ký thường trú"), ("1.013978", long_title)], "fee")
    assert [_payload(b) for b in buttons] == [
        ("ask_fee", {"procedure_code": "1.004222"}),
        ("ask_fee", {"procedure_code": "1.013978"}),
    ]
    assert buttons[0]["title"] == "Đăng ký thường trú"
    assert len(buttons[1]["title"]) <= 60 and buttons[1]["title"].endswith("…")
    assert _payload(choice_buttons([("1.004222", "X")], "general")[0])[0] == "ask_procedure"


def _guide_of(code: str) -> Guide:
    return next(g for g in load_guides(REPO / "procedures").published() if g.code == code)


def test_online_answer_names_the_system_the_guide_names_and_no_made_up_address() -> None:
    vneid_only = _guide_of("1.011410")  # tài khoản định danh điện tử mức 1: made in the app
    assert vneid_only.online_system and "VNeID" in vneid_only.online_system and vneid_only.online_url is None
    text = online_text(vneid_only)
    assert vneid_only.online_system in text and "dichvucong.gov.vn" not in text and "http" not in text
    with_address = vneid_only.model_copy(update={"online_system": "Cổng Dịch vụ công quốc gia",
                                                 "online_url": "https://dichvucong.gov.vn"})
    assert online_where(with_address) == "Cổng Dịch vụ công quốc gia (https://dichvucong.gov.vn)"


def test_without_a_named_system_the_answer_reads_the_steps_for_the_vneid_app() -> None:
    both = _guide_of("1.004194").model_copy(update={"online_system": None})  # tạm trú: the portals or VNeID
    url = both.online_url or "https://dichvucong.gov.vn"
    assert online_where(both) == phrases()["online_portal_or_vneid"].format(url=url)
    app_only = both.model_copy(update={"steps": ["Khai trên ứng dụng VNeID."], "channels": [
        c.model_copy(update={"note": None}) for c in both.channels]})
    assert online_where(app_only) == phrases()["online_vneid"]


def test_online_answer_shows_the_channel_note_and_says_when_online_is_only_part_of_it() -> None:
    booking = _guide_of("1.014061")  # căn cước from 14: online books an appointment only
    text = online_text(booking)
    note = next(c.note for c in booking.channels if c.type.value == "online")
    assert note and shorten(note, 200) in text
    assert text.startswith(phrases()["online_partial"].split("{")[0])
    assert "làm trực tuyến được tại" not in text
    full = _guide_of("1.011410")
    assert online_text(full).startswith(phrases()["online_answer"].split("{")[0])


def test_title_does_not_repeat_the_answers_lead_words() -> None:
    bhxh = _guide_of("1.001613")  # "Giải quyết hưởng bảo hiểm xã hội một lần"
    assert title_phrase(bhxh, "time") == "hưởng bảo hiểm xã hội một lần"
    assert title_phrase(bhxh, "fee") == "giải quyết hưởng bảo hiểm xã hội một lần"
    assert title_phrase(bhxh, "general") == bhxh.title


def test_a_yes_no_question_gets_the_guides_sentences_about_it_first(guide: Guide) -> None:
    birth = _guide_of("1.001193")
    found = relevant_facts(birth, "không có giấy chứng sinh thì có làm được không")
    assert found and "giấy chứng sinh" in found[0].lower()
    text = eligibility_text(birth, "không có giấy chứng sinh thì có làm được không")
    assert text.splitlines()[0] == phrases()["relevant"]
    assert text.index("giấy chứng sinh") < text.index(phrases()["who"].split("{")[0])
    assert relevant_facts(birth, "thời tiết hôm nay") == []
    assert eligibility_text(birth).splitlines()[0].startswith(phrases()["who"].split("{")[0])


def test_the_steps_answer_names_the_main_documents(guide: Guide) -> None:
    text = steps_text(guide)
    assert text.splitlines()[0].startswith("1. ")
    assert text.splitlines()[-1].startswith(phrases()["main_documents"].split("{")[0])
    assert guide.documents[0].name[:20] in text.splitlines()[-1]
