"""The report of a catalog import: counts, per-field extraction rates, incomplete records."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from guides.catalog.records import UnreadableFile

# The fields whose extraction is measured, with the label used in reports.
FIELDS: dict[str, str] = {
    "channels": "channels + time + fee",
    "documents": "documents",
    "legal_basis": "legal-basis numbers",
    "result": "result",
    "steps": "steps",
}
Measure = Literal["extracted", "with_data"]
# Targets on the full catalog. "extracted" counts an explicit "Không có thông tin";
# "with_data" needs actual data (document rows, legal-basis numbers).
TARGETS: dict[str, tuple[Measure, float]] = {
    "channels": ("extracted", 0.95),
    "documents": ("with_data", 0.95),
    "legal_basis": ("with_data", 0.95),
}


@dataclass
class FieldStats:
    """How many records a field was found for (``ok``), explicitly empty, or missed."""

    ok: int = 0
    none: int = 0
    missing: int = 0

    @property
    def total(self) -> int:
        return self.ok + self.none + self.missing

    def rate(self, measure: Measure = "extracted") -> float:
        """Share of records: ``extracted`` (ok + none) or ``with_data`` (ok)."""
        if not self.total:
            return 0.0
        found = self.ok + self.none if measure == "extracted" else self.ok
        return found / self.total


@dataclass(frozen=True)
class IncompleteRecord:
    """A record whose draft lacks some fields (or is a minimal draft after an error)."""

    ministry: str
    code: str
    fields: tuple[str, ...]
    error: str | None = None

    def __str__(self) -> str:
        text = f"{self.ministry}/{self.code}: {', '.join(self.fields) or '-'}"
        return f"{text} (error: {self.error})" if self.error else text


@dataclass
class ImportReport:
    """Counts, per-field extraction rates and the records not fully parsed."""

    source: Path
    out: Path
    records: int = 0  # readable records
    written: int = 0  # draft files written (full or minimal)
    minimal: int = 0  # minimal drafts written after an error
    unreadable: list[UnreadableFile] = field(default_factory=list)
    skipped: list[IncompleteRecord] = field(default_factory=list)  # no valid draft possible
    fields: dict[str, FieldStats] = field(default_factory=lambda: {n: FieldStats() for n in FIELDS})
    incomplete: list[IncompleteRecord] = field(default_factory=list)
    details: Counter[str] = field(default_factory=Counter)  # parser notes -> records
    fallbacks: Counter[str] = field(default_factory=Counter)  # fields read from raw_text
    invalid_written: list[str] = field(default_factory=list)  # loader problems after writing
    removed_stale: list[str] = field(default_factory=list)
    shared_titles: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0

    def rate(self, name: str, measure: Measure = "extracted") -> float:
        """Extraction rate of one field over all readable records."""
        return self.fields[name].rate(measure)

    def targets(self) -> dict[str, dict[str, Any]]:
        """Each target with its measure, the value reached and whether it is met."""
        result: dict[str, dict[str, Any]] = {}
        for name, (measure, target) in TARGETS.items():
            value = self.rate(name, measure)
            result[name] = {
                "measure": measure,
                "target": target,
                "value": value,
                "met": value >= target,
            }
        return result

    @property
    def targets_met(self) -> bool:
        return all(item["met"] for item in self.targets().values())

    def incomplete_by_field(self) -> Counter[str]:
        """How many records each field was not parsed for."""
        counts: Counter[str] = Counter()
        for record in self.incomplete:
            counts.update(record.fields)
            if record.error:
                counts["(error: minimal draft)"] += 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able summary (full lists included)."""
        return {
            "source": str(self.source),
            "out": str(self.out),
            "records": self.records,
            "written": self.written,
            "minimal": self.minimal,
            "seconds": round(self.seconds, 2),
            "unreadable": [{"path": str(u.path), "reason": u.reason} for u in self.unreadable],
            "skipped": [_record_dict(r) for r in self.skipped],
            "fields": {
                name: {
                    "ok": stats.ok,
                    "none": stats.none,
                    "missing": stats.missing,
                    "extracted_rate": round(stats.rate("extracted"), 4),
                    "with_data_rate": round(stats.rate("with_data"), 4),
                }
                for name, stats in self.fields.items()
            },
            "targets": {
                name: {**item, "value": round(item["value"], 4)}
                for name, item in self.targets().items()
            },
            "targets_met": self.targets_met,
            "incomplete_by_field": dict(self.incomplete_by_field()),
            "incomplete": [_record_dict(r) for r in self.incomplete],
            "details": dict(self.details.most_common()),
            "raw_text_fallbacks": dict(self.fallbacks),
            "invalid_written": list(self.invalid_written),
            "removed_stale": list(self.removed_stale),
            "shared_titles": self.shared_titles,
        }

    def to_text(self, max_records: int = 40) -> str:
        """A readable report; at most ``max_records`` incomplete records are listed."""
        lines = [
            f"National catalog import: {self.source} -> {self.out}",
            f"Records: {self.records} read, {len(self.unreadable)} unreadable file(s), "
            f"{self.written} drafts written ({self.minimal} minimal), {len(self.skipped)} skipped; "
            f"{self.seconds:.1f} s",
            "",
            "Field extraction (extracted = data found or the catalog says 'Không có thông tin'):",
        ]
        targets = self.targets()
        for name, label in FIELDS.items():
            stats = self.fields[name]
            line = (
                f"  {label:<22} {stats.rate('extracted'):7.1%} extracted, "
                f"{stats.rate('with_data'):6.1%} with data "
                f"({stats.ok} data, {stats.none} none, {stats.missing} missing)"
            )
            if name in targets:
                item = targets[name]
                verdict = "met" if item["met"] else "NOT MET"
                line += (
                    f"  target {item['target']:.0%} {item['measure'].replace('_', ' ')}: {verdict}"
                )
            lines.append(line)
        if self.details:
            lines += ["", "Details (records):"]
            lines += [f"  {note}: {count}" for note, count in sorted(self.details.items())]
        if self.fallbacks:
            fallbacks = ", ".join(
                f"{name} {count}" for name, count in sorted(self.fallbacks.items())
            )
            lines += ["", f"Read from the page text (raw_text) instead of the field: {fallbacks}"]
        by_field = self.incomplete_by_field()
        lines += ["", f"Not fully parsed: {len(self.incomplete)} record(s)"]
        if by_field:
            lines.append("  by field: " + ", ".join(f"{n} {c}" for n, c in by_field.most_common()))
        lines += [f"  {record}" for record in self.incomplete[:max_records]]
        if len(self.incomplete) > max_records:
            lines.append(f"  ... and {len(self.incomplete) - max_records} more (see to_dict())")
        for title, codes in self.shared_titles.items():
            lines.append(f"Title shared by {len(codes)} records ({', '.join(codes)}): {title[:90]}")
        problems = [
            *(f"unreadable: {u.path}: {u.reason}" for u in self.unreadable),
            *(f"skipped: {r}" for r in self.skipped),
            *(f"invalid after writing: {p}" for p in self.invalid_written),
        ]
        if problems:
            lines += ["", "Problems:", *(f"  {p}" for p in problems)]
        if self.removed_stale:
            lines.append(f"Removed {len(self.removed_stale)} stale draft(s) of re-imported codes.")
        return "\n".join(lines)


def _record_dict(record: IncompleteRecord) -> dict[str, Any]:
    return {
        "ministry": record.ministry,
        "code": record.code,
        "fields": list(record.fields),
        "error": record.error,
    }
