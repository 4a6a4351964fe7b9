"""A guide's review against its record: fingerprints stored in the guide file, and the
guides whose record changed since (invented records, tests/catalog_records.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from guides.catalog.check import record_fingerprints
from guides.catalog.records import normalise_record
from guides.catalog.review import ReviewError, stale_guides, store_fingerprint
from guides.schema import CHECK_FIELDS, Guide
from tests.catalog_records import guide_data, record, write_catalog

TODAY = dt.date(2026, 12, 4)


def _guide_file(folder: Path, **changes: object) -> Path:
    path = folder / "guide.yml"
    text = "# a clerk's comment stays\n" + yaml.safe_dump(guide_data(**changes), allow_unicode=True, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def _load(path: Path) -> Guide:
    return Guide.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def test_fingerprints_change_only_for_the_field_that_changed() -> None:
    before = record_fingerprints(normalise_record(record()))
    assert set(before) == set(CHECK_FIELDS)
    cells = record()["cach_thuc_thuc_hien"].replace("20.000", "30.000")
    after = record_fingerprints(normalise_record(record(cach_thuc_thuc_hien=cells)))
    assert [f for f in CHECK_FIELDS if before[f] != after[f]] == ["fee"]
    laws = record(can_cu_phap_ly=record()["can_cu_phap_ly"] + "Thông tư mới04/2020/TT-BTP")
    assert [f for f, v in record_fingerprints(normalise_record(laws)).items() if v != before[f]] == ["legal_basis"]


def test_store_fingerprint_keeps_the_file_and_replaces_an_older_one(tmp_path: Path) -> None:
    path = _guide_file(tmp_path)
    prints = record_fingerprints(normalise_record(record()))
    store_fingerprint(path, {name: "0" * 16 for name in CHECK_FIELDS})
    store_fingerprint(path, prints)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# a clerk's comment stays\n") and text.count("catalog_fingerprint:") == 1
    assert _load(path).catalog_fingerprint == prints
    assert _load(path).title == guide_data()["title"]


def test_store_fingerprint_refuses_what_would_break_the_guide(tmp_path: Path) -> None:
    path = _guide_file(tmp_path)
    before = path.read_text(encoding="utf-8")
    with pytest.raises(ReviewError):
        store_fingerprint(path, {"fee": 'bad"quote'})
    assert path.read_text(encoding="utf-8") == before


def test_a_changed_record_makes_its_guide_stale_with_the_changed_fields(tmp_path: Path) -> None:
    catalog = write_catalog(tmp_path / "catalog", record())
    path = _guide_file(tmp_path)
    store_fingerprint(path, record_fingerprints(normalise_record(record())))
    assert stale_guides([(_load(path), path)], days=365, catalog=catalog, today=TODAY) == []
    cells = record()["cach_thuc_thuc_hien"].replace("5 Ngày làm việc", "3 Ngày làm việc")
    write_catalog(catalog, record(cach_thuc_thuc_hien=cells))
    (stale,) = stale_guides([(_load(path), path)], days=365, catalog=catalog, today=TODAY)
    assert stale.reason == "catalog_changed" and stale.changed_fields == ["time"]
    assert stale.to_dict()["changed_fields"] == ["time"] and stale.to_dict()["reason"] == "catalog_changed"


def test_stale_says_never_checked_record_missing_and_not_reviewed(tmp_path: Path) -> None:
    catalog = write_catalog(tmp_path / "catalog", record())
    never = _guide_file(tmp_path)
    assert [s.reason for s in stale_guides([(_load(never), never)], days=365, catalog=catalog, today=TODAY)] == [
        "never_checked"]
    store_fingerprint(never, record_fingerprints(normalise_record(record())))
    (catalog / "bo-tu-phap" / f"{record()['ma_thu_tuc']}.json").unlink()
    (gone,) = stale_guides([(_load(never), never)], days=365, catalog=catalog, today=TODAY)
    assert gone.reason == "record_missing" and gone.changed_fields == list(CHECK_FIELDS)
    old = _load(never).model_copy(update={"last_reviewed": dt.date(2020, 1, 1)})
    assert [s.reason for s in stale_guides([(old, never)], days=365, catalog=None, today=TODAY)] == ["not_reviewed"]
