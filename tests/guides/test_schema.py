"""The guide schema: published vs draft rules, field checks, NFC normalisation.

Guides are built from ``tests/fixtures/guides/valid/ho-tich/khai-sinh.yml`` (a complete
published guide) and altered one field at a time.
"""

from __future__ import annotations

import copy
import datetime as dt
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from guides.loader import load_guides
from guides.schema import ChannelType, Duration, Fee, Guide, Level, Status

REPO = Path(__file__).resolve().parents[2]
PUBLISHED = REPO / "tests" / "fixtures" / "guides" / "valid" / "ho-tich" / "khai-sinh.yml"

PUBLISHED_REQUIRED = {
    "aliases": "aliases (at least 2)",
    "field": "field",
    "level": "level",
    "agency": "agency",
    "who": "who",
    "documents": "documents",
    "steps": "steps",
    "channels": "channels",
    "processing_time": "processing_time",
    "result": "result",
    "legal_basis": "legal_basis",
    "sample_questions": "sample_questions (at least 3)",
    "last_reviewed": "last_reviewed",
    "summary": "summary",
}


@pytest.fixture()
def data() -> dict[str, Any]:
    loaded = yaml.safe_load(PUBLISHED.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return copy.deepcopy(loaded)


def _errors(data: dict[str, Any]) -> list[dict[str, Any]]:
    with pytest.raises(ValidationError) as info:
        Guide.model_validate(data)
    return info.value.errors()


def _messages(data: dict[str, Any]) -> str:
    return "\n".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in _errors(data))


def test_the_fixture_is_a_valid_published_guide(data: dict[str, Any]) -> None:
    guide = Guide.model_validate(data)
    assert guide.is_published and guide.status is Status.published
    assert guide.level == [Level.commune]
    assert guide.last_reviewed == dt.date(2026, 11, 1)
    assert [c.type for c in guide.channels] == [ChannelType.in_person, ChannelType.online]
    assert guide.fees.items[1].fee.amount_vnd == 8000


def test_status_defaults_to_draft(data: dict[str, Any]) -> None:
    del data["status"]
    assert Guide.model_validate(data).status is Status.draft


def test_published_guide_lists_every_missing_field_by_name(data: dict[str, Any]) -> None:
    minimal = {k: data[k] for k in ("code", "id", "title", "status", "source")}
    message = _messages(minimal)
    assert "a published guide needs:" in message
    for label in PUBLISHED_REQUIRED.values():
        assert label in message


@pytest.mark.parametrize("missing", sorted(PUBLISHED_REQUIRED))
def test_published_guide_names_the_one_missing_field(data: dict[str, Any], missing: str) -> None:
    del data[missing]
    message = _messages(data)
    listed = message.split("a published guide needs:", 1)[1]
    assert [label.strip() for label in listed.split(", ")] == [PUBLISHED_REQUIRED[missing]]


def test_published_guide_needs_two_aliases_and_three_sample_questions(data: dict[str, Any]) -> None:
    data["aliases"] = data["aliases"][:1]
    data["sample_questions"] = data["sample_questions"][:2]
    message = _messages(data)
    assert "aliases (at least 2)" in message and "sample_questions (at least 3)" in message


def test_the_same_incomplete_guide_is_a_valid_draft(data: dict[str, Any]) -> None:
    minimal = {k: data[k] for k in ("code", "id", "title", "source")}
    minimal["status"] = "draft"
    guide = Guide.model_validate(minimal)
    assert not guide.is_published
    assert guide.documents == [] and guide.processing_time is None


def test_draft_accepts_unknown_fee_and_time(data: dict[str, Any]) -> None:
    data["status"] = "draft"
    data["channels"] = [
        {"type": "in_person", "time": {"text": "Không rõ"}, "fee": {"kind": "unknown", "text": "?"}}
    ]
    data["documents"] = []
    guide = Guide.model_validate(data)
    assert guide.channels[0].time.unit == "unknown" and guide.channels[0].fee.kind == "unknown"


def test_published_online_channel_needs_online_url(data: dict[str, Any]) -> None:
    del data["online_url"]
    assert "online channel needs online_url or online_system" in _messages(data)
    # Without an online channel the URL is not needed.
    data["channels"] = [c for c in data["channels"] if c["type"] != "online"]
    assert Guide.model_validate(data).online_url is None


def test_draft_with_online_channel_does_not_need_online_url(data: dict[str, Any]) -> None:
    del data["online_url"]
    data["status"] = "draft"
    assert Guide.model_validate(data).online_url is None


def test_fee_kind_amount_needs_amount_vnd(data: dict[str, Any]) -> None:
    data["fees"]["items"][1]["fee"] = {"kind": "amount", "text": "8.000 đồng"}
    errors = _errors(data)
    assert [e["loc"] for e in errors] == [("fees", "items", 1, "fee")]
    assert "needs amount_vnd" in errors[0]["msg"]


def test_fee_rules_directly() -> None:
    assert Fee(kind="amount", amount_vnd=50000, text="50.000 đồng").amount_vnd == 50000
    assert Fee(kind="free", amount_vnd=0, text="Miễn phí").kind == "free"
    with pytest.raises(ValidationError, match="needs amount_vnd"):
        Fee(kind="amount", text="50.000 đồng")
    with pytest.raises(ValidationError, match="non-zero amount_vnd"):
        Fee(kind="free", amount_vnd=1000, text="Miễn phí")
    with pytest.raises(ValidationError):
        Fee(kind="amount", amount_vnd=-1, text="âm")
    with pytest.raises(ValidationError):
        Fee(kind="sometimes", text="?")  # type: ignore[arg-type]


def test_time_value_needs_unit(data: dict[str, Any]) -> None:
    data["processing_time"] = {"text": "15 ngày", "value": 15}
    errors = _errors(data)
    assert [e["loc"] for e in errors] == [("processing_time",)]
    assert "needs a unit" in errors[0]["msg"]
    assert Duration(text="15 ngày làm việc", value=15, unit="working_day").value == 15
    assert Duration(text="Không rõ").unit == "unknown"
    with pytest.raises(ValidationError):
        Duration(text="15 tuần", value=15, unit="week")  # type: ignore[arg-type]


@pytest.mark.parametrize("code", ["1.23", "1001193", "1.0011930", "a.001193", " ", "1.001193x"])
def test_bad_code_is_rejected(data: dict[str, Any], code: str) -> None:
    data["code"] = code
    locs = [e["loc"] for e in _errors(data)]
    assert ("code",) in locs


def test_related_must_be_codes(data: dict[str, Any]) -> None:
    data["related"] = ["1.004884", "khai-sinh"]
    errors = _errors(data)
    assert errors[0]["loc"] == ("related",) and "khai-sinh" in errors[0]["msg"]


@pytest.mark.parametrize("slug", ["Dang-ky", "dang_ky", "dang--ky", "-dang", "đăng-ký", "dang ky"])
def test_bad_slug_is_rejected(data: dict[str, Any], slug: str) -> None:
    data["id"] = slug
    assert ("id",) in [e["loc"] for e in _errors(data)]


@pytest.mark.parametrize("field", ["source", "online_url"])
@pytest.mark.parametrize(
    "url", ["dichvucong.gov.vn", "ftp://dichvucong.gov.vn", "https://", "https://a b"]
)
def test_bad_url_is_rejected(data: dict[str, Any], field: str, url: str) -> None:
    data[field] = url
    assert (field,) in [e["loc"] for e in _errors(data)]


def test_unknown_keys_are_rejected_at_every_level(data: dict[str, Any]) -> None:
    data["titel"] = "typo"
    data["documents"][0]["qty"] = 2
    data["channels"][0]["fee"]["amount"] = 5
    locs = {e["loc"] for e in _errors(data)}
    assert locs == {("titel",), ("documents", 0, "qty"), ("channels", 0, "fee", "amount")}


def test_source_is_required(data: dict[str, Any]) -> None:
    del data["source"]
    assert ("source",) in [e["loc"] for e in _errors(data)]


def test_nfd_strings_are_normalised_to_nfc(data: dict[str, Any]) -> None:
    def nfd(s: str) -> str:
        return unicodedata.normalize("NFD", s)

    data["title"] = nfd(data["title"])
    data["aliases"] = [nfd(a) for a in data["aliases"]]
    data["documents"][0]["name"] = nfd(data["documents"][0]["name"])
    data["fees"]["items"][0]["fee"]["text"] = nfd("Miễn phí")
    data["steps"] = [nfd(s) for s in data["steps"]]
    assert data["title"] != "Đăng ký khai sinh"  # really decomposed
    guide = Guide.model_validate(data)
    assert guide.title == "Đăng ký khai sinh"
    assert guide.aliases == ["làm giấy khai sinh", "khai sinh cho con"]
    assert guide.documents[0].name == "Tờ khai đăng ký khai sinh"
    assert guide.fees.items[0].fee.text == "Miễn phí"
    for text in [guide.title, *guide.aliases, *guide.steps, guide.documents[0].name]:
        assert unicodedata.is_normalized("NFC", text)


def test_strings_are_stripped(data: dict[str, Any]) -> None:
    data["title"] = "  Đăng ký khai sinh \n"
    assert Guide.model_validate(data).title == "Đăng ký khai sinh"


def test_every_guide_in_procedures_validates_as_published() -> None:
    result = load_guides(REPO / "procedures")
    assert [str(p) for p in result.problems] == []
    assert len(result.guides) >= 80
    assert sum(g.is_published for g in result.guides) >= 80
    # a draft of procedures/ is held back, not unfinished: it is complete as a published guide
    for draft in (g for g in result.guides if not g.is_published):
        Guide.model_validate({**draft.model_dump(), "status": "published"})
    assert len({g.code for g in result.guides}) == len(result.guides)
