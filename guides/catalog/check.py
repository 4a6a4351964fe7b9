"""The fact check: every guide against its catalog record, field by field.

A *contradiction* is a guide saying another amount, time limit or number than its record
(or offering online filing the record does not have); an *omission* is something the
record says that the guide leaves out; a finding on a field the guide explains in
``catalog_differences`` is *explained*. ``tthc procedures check`` prints them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from guides.catalog.facts import (
    CHANNEL_NAMES,
    NATIONAL_PORTAL,
    SYSTEMS,
    Facts,
    describe,
    fingerprints,
    legal_key,
    record_facts,
)
from guides.catalog.facts import guide_facts as facts_of_guide
from guides.catalog.records import CatalogRecord, read_record
from guides.schema import CHECK_FIELDS, CheckField, Document, DocumentKind, Guide
from tthc_text import search_text

Kind = Literal["contradiction", "omission", "explained"]
# words that say nothing about which document it is
_STOP = frozenset(
    "ban chinh sao co chung thuc hoac cua va cac cho nguoi theo mau so 01 02 03 1 2 3 truong hop thi phai duoc "
    "la do tai trong khi ve de voi the nay neu mot nhung mau".split()
)
# a catalog document counts as listed when this share of its words is in one guide document
DOCUMENT_MATCH = 0.6
AGENCY_MATCH = 0.4


@dataclass(frozen=True)
class Finding:
    """One difference between a guide and its record."""

    id: str
    code: str
    field: str
    kind: Kind
    guide: str
    catalog: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class _Raw:
    field: CheckField
    kind: Kind
    guide: str
    catalog: str


def find_record(catalog: Path, code: str) -> Path | None:
    """The record file of ``code`` in the catalog folder (``<ministry>/<code>.json``)."""
    return next((p for p in sorted(catalog.glob(f"*/{code}.json")) if p.parent.name != "lists"), None)


def load_record(catalog: Path, code: str) -> CatalogRecord | None:
    path = find_record(catalog, code)
    return read_record(path) if path else None


# -------------------------------------------------------------- field comparisons


def _fee(guide: Facts, record: Facts) -> Iterator[_Raw]:
    for channel, rows in sorted(record.rows.items()):
        ours = guide.channels.get(channel)
        if ours is None:
            continue
        label = CHANNEL_NAMES[channel]
        said = f"{label}: {ours.fee_text}"
        amounts = {r.amount for r in rows if r.fee_kind == "amount" and r.amount}
        expected = f"{label}: " + " / ".join(dict.fromkeys(r.fee_text for r in rows))
        if amounts:
            if ours.fee_kind == "amount" and ours.amount not in record.amounts_mentioned:
                yield _Raw("fee", "contradiction", said, expected)
            elif ours.fee_kind == "free" and all(r.fee_kind == "amount" for r in rows):
                yield _Raw("fee", "contradiction", said, expected)
            elif ours.fee_kind in ("province", "unknown") and not amounts & guide.amounts_mentioned:
                yield _Raw("fee", "omission", said, expected)
        elif all(r.fee_kind == "free" for r in rows) and ours.fee_kind == "amount" and ours.amount \
                and ours.amount not in record.amounts_mentioned:
            yield _Raw("fee", "contradiction", said, f"{label}: miễn phí")
    if record.exemption and not guide.exemption:
        yield _Raw("fee", "omission", "không nói ai được miễn, giảm", "có trường hợp được miễn, giảm (xem ghi chú lệ phí)")


def _time(guide: Facts, record: Facts) -> Iterator[_Raw]:
    for channel, rows in sorted(record.rows.items()):
        ours = guide.channels.get(channel)
        known = {(r.time_value, r.time_unit) for r in rows if r.time_value is not None and r.time_unit != "unknown"}
        if ours is None or not known:
            continue
        label = CHANNEL_NAMES[channel]
        expected = f"{label}: " + " / ".join(dict.fromkeys(r.time_text for r in rows))
        if ours.time_value is not None and ours.time_unit != "unknown":
            if (ours.time_value, ours.time_unit) not in known:
                yield _Raw("time", "contradiction", f"{label}: {ours.time_text}", expected)
        elif not {f"{value:g}" for value, _ in known} & set(search_text(ours.time_text).split()):
            yield _Raw("time", "omission", f"{label}: {ours.time_text}", expected)


def _serial(number: str) -> tuple[str, str]:
    """("123", "ND-CP") of "123/2015/NĐ-CP": a number without its year."""
    parts = legal_key(number).split("/")
    return parts[0], parts[-1]


def _legal(guide: Facts, record: Facts) -> Iterator[_Raw]:
    ours = {legal_key(n) for n in guide.legal}
    missing = [n for n in record.legal if legal_key(n) not in ours]
    if missing:
        yield _Raw("legal_basis", "omission", describe(guide, "legal_basis"), ", ".join(missing))
    theirs = {legal_key(n) for n in record.legal}
    serials = {_serial(n): n for n in record.legal}
    for number in guide.legal:
        near = serials.get(_serial(number))
        if legal_key(number) not in theirs and near is not None:
            yield _Raw("legal_basis", "contradiction", number, near)


def _words(text: str) -> set[str]:
    return {w for w in search_text(text).split() if w not in _STOP and not w.isdigit()}


# catalog rows that state a rule rather than name a document
_RULE_START = ("truong hop", "nguoi ", "neu ", "luu y", "ghi chu", "doi voi", "ho so gom", "ho so bao gom",
               "can bo", "co quan", "trong truong hop", "sau khi", "khi ")
_CLAUSE_END = re.compile(r"[.;:(]| theo (quy dinh|mau)| con gia tri| do co quan| duoc cap| sau day")


def core_name(name: str) -> str:
    """A catalog document row's name without its explanation ("Giấy chứng sinh; trường hợp…"
    -> "giay chung sinh"), as search text; "" for a row that states a rule."""
    text = search_text(re.split(r"[.;:(]", name, maxsplit=1)[0])
    if text.startswith(_RULE_START):
        return ""
    return " ".join(_CLAUSE_END.split(text, maxsplit=1)[0].split()[:12])


def _document_text(document: Document) -> set[str]:
    return _words(" ".join(filter(None, [document.name, document.form, document.note])))


def _best(wanted: set[str], candidates: list[tuple[Document, set[str]]]) -> tuple[Document | None, float]:
    if not wanted:
        return None, 1.0
    scored = [(len(wanted & words) / len(wanted), doc) for doc, words in candidates]
    score, best = max(scored, key=lambda pair: pair[0], default=(0.0, None))
    return best, score


_DEFINITE = (DocumentKind.original, DocumentKind.copy, DocumentKind.present)


def _documents(guide: Facts, record: Facts, context: str) -> Iterator[_Raw]:
    candidates = [(d, _document_text(d)) for d in guide.documents]
    everything = set().union(*(words for _, words in candidates), _words(context))
    for document in record.documents:
        wanted = _words(core_name(document.name))
        if not wanted:
            continue
        best, score = _best(wanted, candidates)
        if score < DOCUMENT_MATCH and len(wanted & everything) / len(wanted) < 0.8:
            yield _Raw("documents", "omission", "(không có)", document.name)
            continue
        if best is not None and score >= DOCUMENT_MATCH and document.kind in _DEFINITE \
                and best.kind in _DEFINITE and best.kind != document.kind:
            yield _Raw("documents", "omission", f"{best.name}: {best.kind.value}", f"{document.name}: {document.kind.value}")


def _agency(guide: Facts, record: Facts, steps: str) -> Iterator[_Raw]:
    wanted = _words(record.agency)
    if wanted and len(wanted & _words(f"{guide.agency} {steps}")) / len(wanted) < AGENCY_MATCH:
        yield _Raw("agency", "omission", guide.agency, record.agency)


def _level(guide: Facts, record: Facts) -> Iterator[_Raw]:
    if record.levels and set(record.levels) != set(guide.levels):
        yield _Raw("level", "omission", describe(guide, "level"), describe(record, "level"))


def _online(guide: Facts, record: Facts, named: str | None) -> Iterator[_Raw]:
    if record.online and not guide.online:
        yield _Raw("online", "omission", describe(guide, "online"), describe(record, "online"))
    elif guide.online and not record.online:
        yield _Raw("online", "contradiction", describe(guide, "online"), describe(record, "online"))
    elif guide.online:
        specific = [key for key in record.systems if key != NATIONAL_PORTAL]
        missing = [SYSTEMS[key][1] for key in specific if key not in guide.systems]
        if missing:
            yield _Raw("online", "omission", named or describe(guide, "online"), ", ".join(missing))
        elif not named:
            yield _Raw("online", "omission", "không nêu hệ thống nộp trực tuyến (online_system)", describe(record, "online"))


def compare(guide: Guide, record: CatalogRecord) -> list[Finding]:
    """Every finding of one guide against its record."""
    ours, theirs = facts_of_guide(guide), record_facts(record)
    raw: list[_Raw] = [
        *_fee(ours, theirs),
        *_time(ours, theirs),
        *_legal(ours, theirs),
        *_documents(ours, theirs, " ".join([*guide.steps, *guide.conditions])),
        *_agency(ours, theirs, " ".join(guide.steps)),
        *_level(ours, theirs),
        *_online(ours, theirs, guide.online_system),
    ]
    findings = []
    for item in raw:
        reason = guide.catalog_differences.get(item.field)
        kind: Kind = "explained" if reason else item.kind
        said = f"{item.guide} (giải thích: {reason})" if reason else item.guide
        findings.append(Finding(guide.id, guide.code, item.field, kind, said, item.catalog))
    return findings


# -------------------------------------------------------------- over many guides


@dataclass
class CheckReport:
    findings: list[Finding]
    checked: int
    without_record: list[str]  # guide ids whose code the catalog does not hold
    unreadable: list[str]  # "id: reason" of records that could not be parsed

    def contradictions(self, published: set[str]) -> list[Finding]:
        """Unexplained contradictions of published guides: what makes the check fail."""
        return [f for f in self.findings if f.kind == "contradiction" and f.id in published]

    def counts(self) -> dict[str, int]:
        kinds = ("contradiction", "omission", "explained")
        return {kind: sum(1 for f in self.findings if f.kind == kind) for kind in kinds}


def check_guides(guides: Iterable[Guide], catalog: Path) -> CheckReport:
    """Compare every guide with its record in ``catalog``."""
    report = CheckReport([], 0, [], [])
    for guide in guides:
        try:
            record = load_record(catalog, guide.code)
        except ValueError as exc:
            report.unreadable.append(f"{guide.id}: {exc}")
            continue
        if record is None:
            report.without_record.append(guide.id)
            continue
        try:
            report.findings.extend(compare(guide, record))
        except Exception as exc:  # a record the importer cannot parse must not stop the others
            report.unreadable.append(f"{guide.id}: {exc}")
            continue
        report.checked += 1
    return report


def changed_fields(guide: Guide, record: CatalogRecord | None) -> list[str]:
    """The checked fields whose record fingerprint differs from the one the guide stored
    at its last review (every field when the record is gone)."""
    if record is None:
        return list(CHECK_FIELDS)
    now = fingerprints(record_facts(record))
    return [name for name in CHECK_FIELDS if guide.catalog_fingerprint.get(name) != now[name]]


def record_fingerprints(record: CatalogRecord) -> dict[str, str]:
    return fingerprints(record_facts(record))
