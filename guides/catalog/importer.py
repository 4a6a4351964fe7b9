"""Import the national catalog as draft guides: one YAML file per record.

``run_import(source, out)`` reads every record (:mod:`guides.catalog.records`), parses its
run-together fields (:mod:`guides.catalog.channels`, :mod:`guides.catalog.documents`,
:mod:`guides.catalog.legal`, :mod:`guides.catalog.fields`), validates a draft
:class:`Guide` and writes it to ``out/<ministry>/<id>.yml``. A record never stops the
import: when its full draft cannot be built, a minimal valid draft (code, title, source)
is written and the record is listed in the report. The returned :class:`ImportReport`
(:mod:`guides.catalog.report`) measures how many records each field was extracted for.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from guides.catalog.channels import parse_channels, processing_time
from guides.catalog.documents import parse_documents
from guides.catalog.fields import (
    parse_conditions,
    parse_levels,
    parse_result,
    parse_steps,
    related_codes,
)
from guides.catalog.legal import parse_legal_basis
from guides.catalog.records import CatalogRecord, ReadStats, catalog_files, iter_records
from guides.catalog.report import FIELDS, ImportReport, IncompleteRecord
from guides.catalog.text import RawSection, clean_text, guide_id, raw_section, slugify
from guides.catalog.types import Parsed
from guides.schema import Guide, Level

logger = logging.getLogger(__name__)

PORTAL_URL = "https://dichvucong.gov.vn"
DISTRICT = re.compile(r"cấp huyện", re.IGNORECASE)
# _remove_stale recognises generated drafts by this first line.
HEADER = (
    "# Draft imported from the national catalog by `tthc procedures import`. "
    "Review before publishing.\n"
)


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
