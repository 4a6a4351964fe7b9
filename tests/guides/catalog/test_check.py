"""The fact check: a guide against its catalog record, field by field (invented records,
tests/catalog_records.py); the last test runs the check over the project's guides when the
national catalog is beside the checkout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from guides.catalog.check import Finding, check_guides, compare, core_name
from guides.catalog.records import normalise_record
from guides.loader import load_guides
from guides.schema import Guide
from tests.catalog_records import CODE, guide_data, record, write_catalog
from tthc_settings import Settings

REPO = Path(__file__).resolve().parents[3]


def _check(guide: dict[str, Any] | None = None, **record_changes: str) -> list[Finding]:
    return compare(Guide.model_validate(guide or guide_data()), normalise_record(record(**record_changes)))


def _kinds(findings: list[Finding]) -> set[tuple[str, str]]:
    return {(f.field, f.kind) for f in findings}


def _channel(data: dict[str, Any], kind: str, **changes: Any) -> dict[str, Any]:
    for channel in data["channels"]:
        if channel["type"] == kind:
            for key, value in changes.items():
                channel[key] = value
    return data


def test_a_guide_that_says_what_its_record_says_has_no_finding() -> None:
    assert _check() == []


def test_another_fee_amount_is_a_contradiction_naming_both_texts() -> None:
    data = _channel(guide_data(), "in_person", fee={"kind": "amount", "amount_vnd": 25000, "text": "25.000 đồng"})
    (finding,) = _check(data)
    assert (finding.id, finding.code, finding.field, finding.kind) == (data["id"], CODE, "fee", "contradiction")
    assert "25.000 đồng" in finding.guide and "20.000" in finding.catalog


def test_free_where_the_record_charges_is_a_contradiction_and_a_vague_fee_an_omission() -> None:
    free = _channel(guide_data(), "in_person", fee={"kind": "free", "text": "Miễn phí"})
    assert _kinds(_check(free)) == {("fee", "contradiction")}
    vague = _channel(guide_data(), "in_person", fee={"kind": "province", "text": "Theo mức tỉnh quy định"})
    assert _kinds(_check(vague)) == {("fee", "omission")}


def test_another_time_limit_is_a_contradiction_and_an_unknown_one_an_omission() -> None:
    slower = _channel(guide_data(), "online", time={"text": "7 ngày làm việc", "value": 7, "unit": "working_day"})
    assert _kinds(_check(slower)) == {("time", "contradiction")}
    calendar = _channel(guide_data(), "online", time={"text": "5 ngày", "value": 5, "unit": "day"})
    assert _kinds(_check(calendar)) == {("time", "contradiction")}
    unknown = _channel(guide_data(), "online", time={"text": "Hỏi nơi nộp", "unit": "unknown"})
    assert _kinds(_check(unknown)) == {("time", "omission")}
    said = _channel(guide_data(), "online", time={"text": "Khoảng 5 ngày làm việc", "unit": "unknown"})
    assert _check(said) == []


def test_a_record_giving_one_way_two_times_accepts_either() -> None:
    cells = ("Hình thức nộpThời gianPhí, lệ phíMô tảTrực tiếp5 Ngày làm việcLệ phí : 20.000 Đồng"
             "Trực tuyến5 Ngày làm việcLệ phí : 10.000 ĐồngNộp qua ứng dụng VNeID"
             "Trực tuyến7 Ngày làm việcLệ phí : 10.000 ĐồngTrường hợp phức tạp")
    slower = _channel(guide_data(), "online", time={"text": "7 ngày làm việc", "value": 7, "unit": "working_day"})
    assert _check(slower, cach_thuc_thuc_hien=cells) == []


def test_a_left_out_legal_basis_is_an_omission_and_a_wrong_year_a_contradiction() -> None:
    data = guide_data(legal_basis=[{"number": "60/2014/QH13"}])
    (finding,) = _check(data)
    assert (finding.field, finding.kind, finding.catalog) == ("legal_basis", "omission", "123/2015/NĐ-CP")
    wrong = guide_data(legal_basis=[{"number": "60/2014/QH13"}, {"number": "123/2016/NĐ-CP"}])
    assert ("legal_basis", "contradiction") in _kinds(_check(wrong))
    spelled = guide_data(legal_basis=[{"number": "60/2014/QH13"}, {"number": "123/2015/ND-CP"}])
    assert _check(spelled) == []


def test_a_left_out_document_is_an_omission_and_a_rule_row_is_not_a_document() -> None:
    data = guide_data(documents=[{"name": "Tờ khai đề nghị cấp giấy xác nhận", "kind": "original"}])
    (finding,) = _check(data)
    assert (finding.field, finding.kind) == ("documents", "omission")
    assert "kết hôn" in finding.catalog
    assert core_name("Trường hợp nộp qua bưu điện thì gửi bản sao có chứng thực") == ""
    assert core_name("Giấy chứng sinh; trường hợp không có thì văn bản xác nhận") == "giay chung sinh"


def test_a_document_of_another_kind_is_an_omission() -> None:
    data = guide_data()
    data["documents"][1]["kind"] = "original"
    assert _kinds(_check(data)) == {("documents", "omission")}


def test_level_and_agency_differences_are_omissions() -> None:
    assert _kinds(_check(guide_data(level=["province"]))) == {("level", "omission")}
    elsewhere = guide_data(agency="Sở Tư pháp", steps=["Nộp hồ sơ trên ứng dụng VNeID.", "Nhận kết quả."])
    assert _kinds(_check(elsewhere)) == {("agency", "omission")}


def test_online_filing_the_record_does_not_offer_is_a_contradiction() -> None:
    offline = "Hình thức nộpThời gianPhí, lệ phíMô tảTrực tiếp5 Ngày làm việcLệ phí : 20.000 Đồng"
    assert ("online", "contradiction") in _kinds(_check(**{"cach_thuc_thuc_hien": offline}))
    data = guide_data(channels=guide_data()["channels"][:1], online_system=None)
    assert _kinds(_check(data)) == {("online", "omission")}


def test_online_names_the_system_the_record_names() -> None:
    portal = guide_data(online_system="Cổng Dịch vụ công quốc gia",
                        steps=["Nộp hồ sơ tại UBND xã.", "Nhận giấy xác nhận."])
    (finding,) = _check(portal)
    assert (finding.field, finding.kind) == ("online", "omission") and "VNeID" in finding.catalog
    unnamed = guide_data(online_system=None, online_url="https://dichvucong.gov.vn")
    assert ("online", "omission") in _kinds(_check(unnamed))


def test_a_difference_the_guide_explains_is_explained_with_its_reason() -> None:
    data = _channel(guide_data(), "in_person", fee={"kind": "amount", "amount_vnd": 25000, "text": "25.000 đồng"})
    data["catalog_differences"] = {"fee": "Nghị quyết HĐND tỉnh năm 2026 nâng mức thu"}
    (finding,) = _check(data)
    assert finding.kind == "explained" and "HĐND tỉnh năm 2026" in finding.guide


def test_catalog_differences_accept_only_checked_fields() -> None:
    with pytest.raises(ValueError, match="catalog_differences"):
        Guide.model_validate(guide_data(catalog_differences={"price": "x"}))


def test_check_guides_reports_guides_without_a_record(tmp_path: Path) -> None:
    catalog = write_catalog(tmp_path / "catalog", record())
    other = Guide.model_validate(guide_data(code="1.900199", id="khac"))
    report = check_guides([Guide.model_validate(guide_data()), other], catalog)
    assert report.checked == 1 and report.without_record == ["khac"] and report.findings == []


@pytest.mark.catalog
def test_no_published_guide_contradicts_its_catalog_record() -> None:
    catalog = Settings().catalog_dir
    if catalog is None:
        pytest.skip("the national catalog (../shared/data/national-procedures) is not here")
    loaded = load_guides(REPO / "procedures")
    report = check_guides(loaded.published(), catalog)
    assert report.checked == len(loaded.published()) and not report.without_record and not report.unreadable
    assert report.contradictions({g.id for g in loaded.published()}) == []
