"""Import the national catalog as draft guides: one YAML file per record.

``run_import(source, out)`` reads every record (:mod:`guides.catalog`), parses its
run-together fields (:mod:`guides.catalog_parse`), validates a draft :class:`Guide` and
writes it to ``out/<ministry>/<id>.yml``. A record never stops the import: when its
full draft cannot be built, a minimal valid draft (code, title, source) is written and
the record is listed in the report. The returned :class:`ImportReport` measures how
many records each field was extracted for.
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from guides.catalog import CatalogRecord, ReadStats, UnreadableFile, catalog_files, iter_records
from guides.catalog_parse import (
    Parsed,
    RawSection,
    clean_text,
    guide_id,
    parse_channels,
    parse_conditions,
    parse_documents,
    parse_legal_basis,
    parse_levels,
    parse_result,
    parse_steps,
    processing_time,
    raw_section,
    related_codes,
    slugify,
)
from guides.schema import Guide, Level

logger = logging.getLogger(__name__)

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
PORTAL_URL = "https://dichvucong.gov.vn"
DISTRICT = re.compile(r"cấp huyện", re.IGNORECASE)
HEADER = (
    "# Draft imported from the national catalog by guides.catalog_import. "
    "Review before publishing.\n"
)


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


# ------------------------------------------------------------------ record -> guide


@dataclass
class Conversion:
    """A record turned into a draft guide, with what each parser found."""

    guide: Guide
    status: dict[str, str]  # measured field -> ok / none / missing
    notes: list[str] = field(default_factory=list)
    fallbacks: list[str] = field(default_factory=list)
    error: str | None = None


def _with_fallback(
    parse: Callable[[str], Parsed[Any]], value: str, raw_text: str, section: RawSection
) -> tuple[Parsed[Any], bool]:
    """Parse the field; when that finds nothing, parse the same table in raw_text."""
    parsed = parse(value)
    if parsed.status == "ok":
        return parsed, False
    from_raw = parse(raw_section(raw_text, section))
    if from_raw.status == "ok":
        return from_raw, True
    return parsed, False


def _source(record: CatalogRecord) -> str:
    url = record["detail_url"].strip()
    return url if re.match(r"^https?://\S+$", url) else PORTAL_URL


def _agency(record: CatalogRecord) -> str:
    executing = clean_text(record["co_quan_thuc_hien"])
    competent = clean_text(record["co_quan_co_tham_quyen"])
    if executing and competent and competent.casefold() != executing.casefold():
        return f"{executing} (cơ quan có thẩm quyền: {competent})"
    return executing or competent


def _title(record: CatalogRecord) -> str:
    title = clean_text(record["ten_thu_tuc"])
    return title if len(title) >= 3 else f"Thủ tục {record['ma_thu_tuc']}"


def _base(record: CatalogRecord) -> dict[str, Any]:
    """The fields every draft has, even a minimal one."""
    code, title = record["ma_thu_tuc"], _title(record)
    return {
        "code": code,
        "id": guide_id(title, code),
        "title": title,
        "status": "draft",
        "aliases": [],
        "sample_questions": [],
        "source": _source(record),
    }


def convert(record: CatalogRecord) -> Conversion:
    """Build the full draft guide of one record (raises on invalid data)."""
    raw = record["raw_text"]
    channels, ch_raw = _with_fallback(
        parse_channels, record["cach_thuc_thuc_hien"], raw, "channels"
    )
    documents, doc_raw = _with_fallback(
        parse_documents, record["thanh_phan_ho_so"], raw, "documents"
    )
    legal, legal_raw = _with_fallback(
        parse_legal_basis, record["can_cu_phap_ly"], raw, "legal_basis"
    )
    result, result_raw = _with_fallback(parse_result, record["ket_qua_xu_ly"], raw, "result")
    steps = parse_steps(record["trinh_tu_thuc_hien"])
    levels = parse_levels(record["cap_thuc_hien"])
    conditions = parse_conditions(record["yeu_cau_dieu_kien"])
    data = _base(record) | {
        "field": clean_text(record["linh_vuc"]),
        "level": levels.value,
        "agency": _agency(record),
        "who": clean_text(record["doi_tuong_thuc_hien"]),
        "conditions": conditions.value,
        "documents": documents.value,
        "steps": steps.value,
        "channels": channels.value,
        "processing_time": processing_time(channels.value),
        "result": result.value,
        "legal_basis": legal.value,
        "related": related_codes(record["thu_tuc_lien_quan"], record["ma_thu_tuc"]),
    }
    guide = Guide.model_validate(data)
    parsed: dict[str, Parsed[Any]] = {
        "channels": channels,
        "documents": documents,
        "legal_basis": legal,
        "result": result,
        "steps": steps,
    }
    notes = [note for p in (*parsed.values(), levels) for note in p.notes]
    if DISTRICT.search(guide.title) and Level.commune in guide.level:
        notes.append("title mentions the abolished district level (cấp huyện)")
    if _source(record) == PORTAL_URL:
        notes.append("source: no detail_url, portal home used")
    flags = {
        "channels": ch_raw,
        "documents": doc_raw,
        "legal_basis": legal_raw,
        "result": result_raw,
    }
    return Conversion(
        guide=guide,
        status={name: p.status for name, p in parsed.items()},
        notes=notes,
        fallbacks=[name for name, used in flags.items() if used],
    )


def convert_safely(record: CatalogRecord) -> Conversion | None:
    """:func:`convert`, or a minimal draft when that fails; None when even that fails."""
    try:
        return convert(record)
    except Exception as exc:  # one bad record must never stop the import
        error = _short_error(exc)
        logger.warning(
            "record %s: full draft failed (%s); writing a minimal draft",
            record["ma_thu_tuc"],
            error,
        )
    try:
        guide = Guide.model_validate(_base(record))
    except ValidationError as exc:
        logger.warning(
            "record %s: no valid draft possible: %s", record["ma_thu_tuc"], _short_error(exc)
        )
        return None
    return Conversion(guide=guide, status={name: "missing" for name in FIELDS}, error=error)


def _short_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"{where}: {first['msg']}" + (
            f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        )
    return f"{type(exc).__name__}: {exc}"


# ----------------------------------------------------------------------- writing


# libyaml when available: the pure-Python emitter and scanner take most of the run time.
_BaseDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Dumper(_BaseDumper):  # type: ignore[misc,valid-type]
    """Block style for multi-line strings; everything else as PyYAML does it."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def guide_yaml(guide: Guide) -> str:
    """The YAML text of a draft guide (with a header comment)."""
    data = guide.model_dump(mode="json", exclude_none=True)
    body = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    return HEADER + str(body)


def _remove_stale(folder: Path, keep: Path, code: str) -> list[str]:
    """Earlier generated drafts of the same code under another id (title changed)."""
    removed = []
    for path in folder.glob(f"*-{slugify(code)}.yml"):
        if path != keep and path.read_text(encoding="utf-8").startswith(HEADER):
            path.unlink()
            removed.append(str(path))
    return removed


def check_written(path: Path) -> list[str]:
    """Problems of a written draft, read back as :func:`guides.loader.parse_guide` does.

    Same safe YAML rules and the same :class:`Guide` validation, with libyaml's parser
    for speed.
    """
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # a safe loader
        Guide.model_validate(data)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        return [f"{path}: {_short_error(exc)}"]
    return []


def write_guide(guide: Guide, folder: Path) -> Path:
    """Write one draft to ``folder/<id>.yml``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{guide.id}.yml"
    path.write_text(guide_yaml(guide), encoding="utf-8")
    return path


# ------------------------------------------------------------------------ import


@contextmanager
def _progress(total: int, enabled: bool) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr; yields the function advancing it by one."""
    if not enabled:
        yield lambda: None
        return
    columns = (
        TextColumn("importing catalog"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("import", total=total)
        yield lambda: progress.advance(task)


def _record(report: ImportReport, ministry: str, conversion: Conversion) -> None:
    """Add one converted record to the report."""
    for name, status in conversion.status.items():
        stats = report.fields[name]
        setattr(stats, status, getattr(stats, status) + 1)
    report.details.update(set(conversion.notes))
    report.fallbacks.update(conversion.fallbacks)
    missing = tuple(name for name, status in conversion.status.items() if status == "missing")
    if conversion.error:
        report.minimal += 1
        missing = ()
    if missing or conversion.error:
        code = conversion.guide.code
        report.incomplete.append(IncompleteRecord(ministry, code, missing, conversion.error))


def run_import(
    source: Path, out: Path, *, progress: bool = True, verify: bool = True
) -> ImportReport:
    """Write one draft guide per catalog record under ``out/<ministry>/<id>.yml``.

    ``verify`` reads every written file back and validates it (:func:`check_written`).
    A missing ``source`` gives an empty report (and a logged warning).
    """
    started = time.perf_counter()
    report = ImportReport(source=source, out=out)
    stats = ReadStats()
    titles: dict[str, list[str]] = {}
    with _progress(len(catalog_files(source)), progress) as advance:
        for ministry, record in iter_records(source, stats):
            report.records += 1
            conversion = convert_safely(record)
            if conversion is None:
                code = record["ma_thu_tuc"] or "(no code)"
                report.skipped.append(
                    IncompleteRecord(ministry, code, tuple(FIELDS), "no valid code")
                )
                advance()
                continue
            folder = out / (slugify(ministry) or "other")
            path = write_guide(conversion.guide, folder)
            report.removed_stale += _remove_stale(folder, path, conversion.guide.code)
            report.written += 1
            _record(report, ministry, conversion)
            titles.setdefault(conversion.guide.title, []).append(conversion.guide.code)
            if verify:
                report.invalid_written += check_written(path)
            advance()
    report.unreadable = list(stats.unreadable)
    report.shared_titles = {title: codes for title, codes in titles.items() if len(codes) > 1}
    report.seconds = time.perf_counter() - started
    return report
