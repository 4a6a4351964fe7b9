"""Reading the national catalog and importing it as draft guides.

Fixture records (invented, in the catalog's JSON format) live in
``tests/fixtures/catalog/<ministry>/<code>.json``. The last test runs over the real
catalog when it is present beside the repository (``../shared/data/national-procedures``)
or where ``TTHC_CATALOG_DIR`` points.
"""

from __future__ import annotations

import json
import os
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import yaml

import guides.catalog.importer as importer
from guides.catalog.importer import HEADER, run_import
from guides.catalog.records import ReadStats, catalog_files, iter_records
from guides.catalog.report import ImportReport
from guides.loader import load_guides
from guides.schema import Level

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests" / "fixtures" / "catalog"
CATALOG = Path(
    os.environ.get("TTHC_CATALOG_DIR") or REPO / ".." / "shared" / "data" / "national-procedures"
)


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[ImportReport, Path]:
    out = tmp_path_factory.mktemp("drafts")
    return run_import(FIXTURES, out, progress=False), out


def _draft(out: Path, code: str) -> dict[str, Any]:
    (path,) = out.glob(f"*/*-{code.replace('.', '-')}.yml")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


# ------------------------------------------------------------------------ reading


def test_iter_records_skips_lists_and_counts_unreadable_files() -> None:
    stats = ReadStats()
    records = list(iter_records(FIXTURES, stats))
    assert stats.read == len(records) == 7
    assert sorted(u.path.name for u in stats.unreadable) == ["1.900098.json", "1.900099.json"]
    assert all(ministry != "lists" for ministry, _ in records)
    assert all(p.parent.name != "lists" for p in catalog_files(FIXTURES))


def test_records_are_nfc_and_complete() -> None:
    records = {record["ma_thu_tuc"]: record for _, record in iter_records(FIXTURES)}
    raw = (FIXTURES / "bo-cong-an" / "1.900002.json").read_text(encoding="utf-8")
    assert raw != unicodedata.normalize("NFC", raw)  # the fixture really is decomposed
    card = records["1.900002"]
    for value in card.values():
        assert isinstance(value, str) and value == unicodedata.normalize("NFC", value)
    assert card["ten_thu_tuc"] == "Cấp đổi thẻ căn cước"
    odd = records["1.900007"]  # malformed code, null and list values
    assert odd["linh_vuc"] == "" and "1.900001" in odd["thu_tuc_lien_quan"]
    assert set(odd) == set(card)


def test_missing_catalog_yields_nothing(tmp_path: Path) -> None:
    assert list(iter_records(tmp_path / "absent")) == []
    report = run_import(tmp_path / "absent", tmp_path / "out", progress=False)
    assert report.records == report.written == 0


# ---------------------------------------------------------------------- importing


def test_every_draft_is_written_and_loads(imported: tuple[ImportReport, Path]) -> None:
    report, out = imported
    assert report.records == report.written == 7
    assert report.invalid_written == [] and report.skipped == []
    loaded = load_guides(out)
    assert loaded.problems == []
    assert len(loaded.guides) == 7
    assert all(guide.status.value == "draft" for guide in loaded.guides)
    assert sorted(p.parent.name for p in loaded.paths.values()) == [
        "bo-cong-an",
        "bo-tai-chinh",
        "bo-tu-phap",
        "bo-xay-dung",
        "ngan-hang-nha-nuoc",
        "ngan-hang-nha-nuoc",
        "toa-an-nhan-dan",
    ]


def test_draft_fields(imported: tuple[ImportReport, Path]) -> None:
    _, out = imported
    (path,) = out.glob("bo-tu-phap/*.yml")
    assert path.name == "dang-ky-khai-tu-1-900001.yml"
    text = path.read_text(encoding="utf-8")
    assert text.startswith(HEADER)
    assert "aliases: []" in text and "sample_questions: []" in text
    data = _draft(out, "1.900001")
    assert data["code"] == "1.900001" and data["status"] == "draft"
    assert data["source"] == "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/fixture-1-900001"
    assert data["field"] == "Hộ tịch" and data["who"] == "Công dân Việt Nam"
    assert data["agency"] == ""  # "Không có thông tin"
    assert data["level"] == ["commune"]
    assert data["result"] == "Trích lục khai tử"
    assert [item["number"] for item in data["legal_basis"]] == [
        "60/2014/QH13",
        "123/2015/NĐ-CP",
        "66.7/2025/NQ-CP",
    ]
    assert data["processing_time"] == {"text": "1 (danh mục không ghi đơn vị)", "unit": "unknown"}


def test_nfd_record_becomes_nfc_draft(imported: tuple[ImportReport, Path]) -> None:
    _, out = imported
    data = _draft(out, "1.900002")
    assert data["id"] == "cap-doi-the-can-cuoc-1-900002"
    assert data["title"] == "Cấp đổi thẻ căn cước"
    assert data["level"] == [Level.commune.value, Level.province.value]  # "Cấp huyện" -> commune
    fees = [channel["fee"] for channel in data["channels"]]
    assert [(fee["kind"], fee.get("amount_vnd")) for fee in fees] == [
        ("amount", 50_000),
        ("amount", 25_000),
    ]


def test_agency_falls_back_to_the_competent_body(imported: tuple[ImportReport, Path]) -> None:
    _, out = imported
    data = _draft(out, "1.900003")
    assert data["agency"] == "Sở Tài chính"
    assert data["legal_basis"] == []
    assert (
        data["result"]
        == "Giấy chứng nhận đăng ký mã số đơn vị có quan hệ với ngân sách; Thông báo từ chối"
    )


def test_documents_read_from_raw_text_when_the_field_is_wrong(
    imported: tuple[ImportReport, Path],
) -> None:
    report, out = imported
    data = _draft(out, "1.900006")
    assert [d["name"] for d in data["documents"]] == [
        "Văn bản đề nghị cấp giấy phép",
        "Bản sao điều lệ tổ chức",
    ]
    assert report.fallbacks["documents"] == 1


def test_code_taken_from_the_file_name(imported: tuple[ImportReport, Path]) -> None:
    _, out = imported
    data = _draft(out, "1.900007")
    assert data["code"] == "1.900007" and data["level"] == ["other"]
    assert data["related"] == ["1.900001"]


def test_report_counts_and_incomplete_records(imported: tuple[ImportReport, Path]) -> None:
    report, _ = imported
    assert report.fields["channels"].ok == 5 and report.fields["channels"].missing == 2
    assert report.fields["legal_basis"].none == 1
    assert report.rate("documents", "with_data") == pytest.approx(5 / 7)
    incomplete = {record.code: record.fields for record in report.incomplete}
    assert incomplete["1.900005"] == ("channels", "documents", "legal_basis", "result", "steps")
    assert incomplete["1.900004"] == ("steps",)
    assert (
        "1.900001" not in incomplete and "1.900003" not in incomplete
    )  # explicit "none" is parsed
    assert report.incomplete_by_field()["steps"] == 3
    assert report.details["time: no unit"] == 2
    assert report.details["title mentions the abolished district level (cấp huyện)"] == 1
    assert not report.targets_met  # the fixtures are mostly defects


def test_report_text_and_dict(imported: tuple[ImportReport, Path]) -> None:
    report, _ = imported
    text = report.to_text()
    assert "channels + time + fee" in text and "71.4%" in text
    assert "ngan-hang-nha-nuoc/1.900005" in text and "unreadable" in text
    data = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))
    assert data["records"] == 7 and data["written"] == 7
    assert data["fields"]["documents"]["missing"] == 2
    assert data["targets"]["legal_basis"]["measure"] == "with_data"
    assert len(data["unreadable"]) == 2 and len(data["incomplete"]) == len(report.incomplete)


def test_a_failing_record_gets_a_minimal_draft(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(text: str) -> object:
        raise RuntimeError("parser bug")

    monkeypatch.setattr(importer, "parse_documents", broken)
    report = run_import(FIXTURES, tmp_path, progress=False)
    assert report.written == 7 and report.minimal == 7
    assert all(record.error and "parser bug" in record.error for record in report.incomplete)
    loaded = load_guides(tmp_path)
    assert loaded.problems == [] and len(loaded.guides) == 7
    guide = next(g for g in loaded.guides if g.code == "1.900001")
    assert (
        guide.title == "Thủ tục đăng ký khai tử" and guide.documents == [] and guide.aliases == []
    )


def test_reimport_replaces_a_draft_whose_title_changed(tmp_path: Path) -> None:
    source = tmp_path / "catalog" / "bo-tu-phap"
    source.mkdir(parents=True)
    record = json.loads((FIXTURES / "bo-tu-phap" / "1.900001.json").read_text(encoding="utf-8"))
    (source / "1.900001.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out"
    run_import(source.parent, out, progress=False)
    keep = out / "bo-tu-phap" / "ghi-chu-1-900001.yml"
    keep.write_text("# hand-written, not a generated draft\n", encoding="utf-8")
    record["ten_thu_tuc"] = "Thủ tục đăng ký khai tử lưu động"
    (source / "1.900001.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    report = run_import(source.parent, out, progress=False)
    names = sorted(p.name for p in (out / "bo-tu-phap").iterdir())
    assert names == ["dang-ky-khai-tu-luu-dong-1-900001.yml", "ghi-chu-1-900001.yml"]
    assert len(report.removed_stale) == 1


# ------------------------------------------------------------------- full catalog


@pytest.mark.catalog
@pytest.mark.slow
def test_full_catalog_import(tmp_path: Path) -> None:
    if not CATALOG.is_dir():
        pytest.skip(
            f"national catalog not found at {CATALOG} (set TTHC_CATALOG_DIR to run this test)"
        )
    report = run_import(CATALOG, tmp_path, progress=False)
    assert report.unreadable == [] and report.skipped == []
    assert report.records == report.written == len(catalog_files(CATALOG))
    for name, target in report.targets().items():
        assert target["met"], f"{name}: {target['value']:.1%} < {target['target']:.0%}"
    assert report.invalid_written == []
    loaded = load_guides(tmp_path)
    assert loaded.problems == []
    assert len(loaded.guides) == report.written
