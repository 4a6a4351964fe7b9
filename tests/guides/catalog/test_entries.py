"""The catalog tier: records as entries the bot answers from, tidied for citizens."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from guides.catalog.entries import (
    TIER,
    catalog_entries,
    core_name,
    cut,
    sentence_case,
    summary_of,
    tidy,
)
from guides.schema import Document, Guide

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests" / "fixtures" / "catalog"
SHARED = REPO.parent / "shared" / "data" / "national-procedures"


def test_every_readable_record_is_an_entry_of_the_catalog_tier() -> None:
    entries = {e.code: e for e in catalog_entries(FIXTURES)}
    assert sorted(entries) == ["1.900001", "1.900002", "1.900003", "1.900004", "1.900005", "1.900006", "1.900007"]
    for entry in entries.values():
        assert entry.tier == TIER and entry.is_catalog and not entry.is_published
        assert entry.summary and entry.source.startswith("http")
    assert entries["1.900002"].summary == "Thủ tục do Công an cấp xã; Công an cấp tỉnh giải quyết, thời hạn 7 ngày làm việc."


def test_codes_with_a_curated_guide_are_left_out() -> None:
    codes = {e.code for e in catalog_entries(FIXTURES, exclude={"1.900001", "1.900002"})}
    assert "1.900001" not in codes and "1.900002" not in codes and "1.900003" in codes
    assert list(catalog_entries(FIXTURES / "missing")) == []


def test_core_names_are_what_citizens_call_a_procedure() -> None:
    assert core_name("Đăng ký việc nuôi con nuôi trong nước") == "nuôi con nuôi trong nước"
    assert core_name("Thủ tục đăng ký khai sinh (thực hiện tại cấp xã)") == "đăng ký khai sinh"
    assert core_name("Trình báo mất hộ chiếu phổ thông (thực hiện tại cấp xã)") == "trình báo mất hộ chiếu phổ thông"
    assert core_name("Cấp lại giấy phép lái xe") is None  # the title itself


def test_portal_text_is_tidied_for_a_phone() -> None:
    guide = Guide.model_validate({
        "code": "1.900001", "id": "x", "title": "Đăng ký lại việc nuôi con nuôi trong nước", "source": "https://x.vn",
        "agency": "Ủy ban nhân dân cấp xã", "field": "Nuôi con nuôi",
        "documents": [
            {"name": "Lưu ý: Khi nộp hồ sơ, cán bộ phải khai thác thông tin về cư trú của công dân", "quantity": 0},
            {"name": "Tờ khai đăng ký lại việc nuôi con nuôi có chữ ký của hai người làm chứng.7", "form": "Tk.doc",
             "note": "Nhóm: Hồ sơ của người nhận con nuôi"},
            {"name": "Đơn xin nhận con nuôi;1", "quantity": 0, "note": "Danh mục ghi số lượng 0: ghi chú"},
        ],
        "steps": ["Nộp tờ khai cho Ủy ban nhân dân cấp xã.", "Lưu ý: trường hợp nộp nhầm nơi thì cán bộ hỗ trợ."],
        "legal_basis": [{"number": "10/2020/TT-BTP", "title": "BAN HÀNH, HƯỚNG DẪN VIỆC GHI CHÉP SỔ NUÔI CON NUÔI"}],
        "channels": [{"type": "online", "time": {"text": "5 Ngày làm việc", "value": 5, "unit": "working_day"},
                      "fee": {"kind": "free", "text": "Miễn phí"},
                      "note": "Cách thức thực hiện : Nộp cho Ủy ban nhân dân cấp xã thông qua ..."}],
        "processing_time": {"text": "5 Ngày làm việc", "value": 5, "unit": "working_day"},
    })
    entry = tidy(guide)
    assert [d.name for d in entry.documents] == [
        "Tờ khai đăng ký lại việc nuôi con nuôi có chữ ký của hai người làm chứng.", "Đơn xin nhận con nuôi"]
    assert entry.documents[0].form is None and entry.documents[0].note is None
    assert entry.documents[1].quantity == 1 and entry.documents[1].note is None
    assert entry.steps == ["Nộp tờ khai cho Ủy ban nhân dân cấp xã."]
    assert entry.legal_basis[0].title == "Ban hành, hướng dẫn việc ghi chép sổ nuôi con nuôi"
    assert entry.channels[0].note is None and entry.online_url == "https://dichvucong.gov.vn"
    assert entry.aliases == []  # "đăng ký lại ..." keeps its verb: no shorter name
    assert summary_of(entry) == "Thủ tục do Ủy ban nhân dân cấp xã giải quyết, thời hạn 5 ngày làm việc, lệ phí: miễn phí."


def test_cut_and_case_helpers() -> None:
    long = "Câu thứ nhất khá dài để thử. " * 12
    assert len(cut(long, 100)) <= 100 and cut(long, 100).endswith(".")
    assert cut("một hai ba bốn năm sáu bảy", 12).endswith("…")
    assert sentence_case("LUẬT HỘ TỊCH") == "Luật hộ tịch" and sentence_case("Luật Hộ tịch") == "Luật Hộ tịch"
    doc = Document(name="Giấy tờ")
    assert doc.quantity == 1


@pytest.mark.catalog
def test_the_whole_national_catalog_becomes_entries_quickly() -> None:
    if not SHARED.is_dir():
        pytest.skip("the national catalog (../shared/data/national-procedures) is not here")
    started = time.perf_counter()
    entries = list(catalog_entries(SHARED))
    assert len(entries) == 2642 and len({e.code for e in entries}) == 2642
    assert time.perf_counter() - started < 60
    with_documents = sum(bool(e.documents) for e in entries)
    assert with_documents / len(entries) > 0.98
    assert all(len(d.name) <= 110 for e in entries for d in e.documents)
