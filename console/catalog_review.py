"""What changed in the national catalog since a guide's last review, as the console shows it.

A guide stores the per-field fingerprints of its catalog record when it is checked
(``tthc procedures check --accept`` or a save here); when the record's fingerprints differ,
the guide list marks the guide and its page shows the changed fields side by side: what the
guide says and what the record says now. Results are kept until the guide or the record
file changes, so a page does not parse 200 records per request.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from guides.catalog.check import find_record, record_fingerprints
from guides.catalog.facts import describe, guide_facts, record_facts
from guides.catalog.records import read_record
from guides.schema import CHECK_FIELDS, Guide

FIELD_LABELS: dict[str, str] = {
    "fee": "Lệ phí",
    "time": "Thời hạn",
    "legal_basis": "Căn cứ pháp lý",
    "documents": "Giấy tờ",
    "agency": "Cơ quan thực hiện",
    "level": "Cấp thực hiện",
    "online": "Nộp trực tuyến",
}


@dataclass(frozen=True)
class FieldChange:
    """One field whose record changed: the guide's text and the record's, side by side."""

    field: str
    label: str
    guide: str
    catalog: str


@dataclass(frozen=True)
class Review:
    """A guide against the catalog: ``changes`` is empty when nothing changed since its check."""

    checked: bool  # the guide has stored fingerprints
    has_record: bool
    changes: tuple[FieldChange, ...] = ()

    @property
    def stale(self) -> bool:
        return bool(self.changes)


class CatalogReview:
    """The catalog folder (``CATALOG_DIR``) as the console compares guides with it."""

    def __init__(self, catalog: Path | None) -> None:
        self.catalog = catalog if catalog is not None and catalog.is_dir() else None
        self._lock = threading.Lock()
        self._cache: dict[tuple[object, ...], Review] = {}

    def _record_path(self, code: str) -> Path | None:
        return find_record(self.catalog, code) if self.catalog else None

    def fingerprint(self, code: str) -> dict[str, str] | None:
        """The record's fingerprints now (what a save stores), or None without a record."""
        path = self._record_path(code)
        if path is None:
            return None
        try:
            return record_fingerprints(read_record(path))
        except Exception:  # a record the importer cannot parse: the save goes on without it
            return None

    def review(self, guide: Guide) -> Review:
        path = self._record_path(guide.code)
        if path is None:
            return Review(checked=bool(guide.catalog_fingerprint), has_record=False)
        key = (guide.code, tuple(sorted(guide.catalog_fingerprint.items())), guide.model_dump_json(),
               path.stat().st_mtime_ns)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        review = self._compare(guide, path)
        with self._lock:
            self._cache[key] = review
        return review

    def _compare(self, guide: Guide, path: Path) -> Review:
        if not guide.catalog_fingerprint:
            return Review(checked=False, has_record=True)
        try:
            record = read_record(path)
            theirs = record_facts(record)
        except Exception:
            return Review(checked=True, has_record=False)
        now = record_fingerprints(record)
        ours = guide_facts(guide)
        changed = [f for f in CHECK_FIELDS if guide.catalog_fingerprint.get(f) != now[f]]
        return Review(checked=True, has_record=True, changes=tuple(
            FieldChange(f, FIELD_LABELS[f], describe(ours, f), describe(theirs, f)) for f in changed))
