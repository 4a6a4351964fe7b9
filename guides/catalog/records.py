"""Read the national administrative-procedure catalog (one JSON file per procedure).

The catalog is a portal export grouped by ministry folder
(``<source>/<ministry>/<code>.json``); ``lists/`` holds spreadsheets and is skipped.
Every string is NFC-normalised on the way in (about 500 records are decomposed).
A file that cannot be read as a JSON object is logged, counted and skipped: one bad
file never stops the others.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict, cast

from guides.schema import CODE_RE
from tthc_text import nfc

logger = logging.getLogger(__name__)

SKIPPED_FOLDERS = frozenset({"lists"})


class CatalogRecord(TypedDict):
    """One raw catalog record, as exported by the national public-service portal.

    All values are strings (possibly empty); ``cach_thuc_thuc_hien``,
    ``thanh_phan_ho_so`` and ``can_cu_phap_ly`` are tables whose cells run together.
    """

    ma_thu_tuc: str  # national procedure code, e.g. "1.001193"
    detail_url: str
    formality_id: str
    ten_thu_tuc: str  # title
    so_quyet_dinh: str  # decision that published the procedure
    cap_thuc_hien: str  # levels, e.g. "Cấp bộ, Cấp tỉnh"
    loai_thu_tuc: str
    linh_vuc: str  # field, e.g. "Hộ tịch"
    doi_tuong_thuc_hien: str  # who may use it
    co_quan_co_tham_quyen: str
    dia_chi_tiep_nhan: str
    co_quan_duoc_uy_quyen: str
    co_quan_phoi_hop: str
    thu_tuc_lien_quan: str
    trinh_tu_thuc_hien: str  # steps
    cach_thuc_thuc_hien: str  # channels table: channel, time, fee, description
    thanh_phan_ho_so: str  # documents table: name, form, quantity
    can_cu_phap_ly: str  # legal basis table: title, number
    co_quan_thuc_hien: str
    yeu_cau_dieu_kien: str  # conditions
    ket_qua_xu_ly: str  # result, followed by leftover page text
    raw_text: str  # the whole page as text


RECORD_FIELDS: tuple[str, ...] = tuple(CatalogRecord.__annotations__)


@dataclass(frozen=True)
class UnreadableFile:
    """A catalog file that could not be read as one JSON record."""

    path: Path
    reason: str


@dataclass
class ReadStats:
    """What :func:`iter_records` read and skipped."""

    read: int = 0
    unreadable: list[UnreadableFile] = field(default_factory=list)


def catalog_files(source: Path) -> list[Path]:
    """Every record file under ``source`` (``lists/`` excluded), in a stable order."""
    if not source.is_dir():
        return []
    return [
        path
        for path in sorted(source.glob("*/*.json"))
        if path.parent.name not in SKIPPED_FOLDERS and path.is_file()
    ]


def _text(value: object) -> str:
    """A field value as NFC text: null -> "", lists joined by newlines, others str()."""
    if value is None:
        return ""
    if isinstance(value, str):
        return nfc(value)
    if isinstance(value, list):
        return "\n".join(_text(item) for item in value)
    return nfc(str(value))


def normalise_record(data: dict[str, object], path: Path | None = None) -> CatalogRecord:
    """Every known field present as an NFC string.

    The file is named after the procedure code, so a missing or malformed
    ``ma_thu_tuc`` is taken from the file name when that is a code.
    """
    values = {name: _text(data.get(name)) for name in RECORD_FIELDS}
    code = values["ma_thu_tuc"].strip()
    if not CODE_RE.match(code) and path is not None and CODE_RE.match(path.stem):
        if code:
            logger.warning("%s: code %r replaced by the file name", path, code)
        code = path.stem
    values["ma_thu_tuc"] = code
    return cast(CatalogRecord, values)


def read_record(path: Path) -> CatalogRecord:
    """Read one record file; raises ``ValueError`` when it is not a JSON object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot be read as JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"is a JSON {type(data).__name__}, not an object")
    return normalise_record(data, path)


def iter_records(
    source: Path, stats: ReadStats | None = None
) -> Iterator[tuple[str, CatalogRecord]]:
    """Yield ``(ministry_folder, record)`` for every readable record under ``source``.

    Unreadable files are logged and appended to ``stats.unreadable`` when ``stats`` is
    given; a missing ``source`` yields nothing (and logs a warning).
    """
    stats = stats if stats is not None else ReadStats()
    if not source.is_dir():
        logger.warning("catalog folder %s does not exist", source)
        return
    for path in catalog_files(source):
        try:
            record = read_record(path)
        except ValueError as exc:
            logger.warning("skipping catalog file %s: %s", path, exc)
            stats.unreadable.append(UnreadableFile(path, str(exc)))
            continue
        stats.read += 1
        yield path.parent.name, record
