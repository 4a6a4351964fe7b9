"""A dossier as a one-stop system reports it: the contract a city's bridge implements.

The same object comes from a lookup (``GET /dossiers/{code}``) and from a status change
(``POST /webhooks/dossier/status``)::

    {"code": "000.00.12.H40-251201-0007", "procedure_name": "Đăng ký khai sinh",
     "status": "needs_documents", "due_date": "2025-12-08",
     "missing": ["Bản sao giấy chứng nhận kết hôn"], "pickup_place": "Bộ phận một cửa UBND phường"}

Everything from outside is checked here: text NFC-normalised and bounded, the status one of
:data:`STATUSES`, the due date a date. Anything else is :class:`MalformedRecord`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from tthc_text.dossier_codes import normalize_code
from tthc_text.normalize import nfc

STATUSES = ("received", "in_progress", "needs_documents", "result_ready", "completed", "returned", "cancelled")
# after these nothing more happens: following a dossier ends with them
FINAL_STATUSES = frozenset({"completed", "returned", "cancelled"})
# while in these the due date still matters ("overdue" is derived from it)
OPEN_STATUSES = frozenset({"received", "in_progress", "needs_documents"})
MAX_TEXT = 300
MAX_MISSING = 20


class MalformedRecord(ValueError):
    """What the one-stop system sent is not a dossier record (the reason says why)."""


@dataclass(frozen=True)
class DossierRecord:
    code: str
    status: str
    procedure_name: str = ""
    due_date: dt.date | None = None
    missing: tuple[str, ...] = ()
    pickup_place: str = ""

    def overdue_days(self, today: dt.date) -> int:
        """Days past the due date while the office still holds the dossier; 0 if not late."""
        if self.status not in OPEN_STATUSES or self.due_date is None:
            return 0
        return max(0, (today - self.due_date).days)

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES

    def fingerprint(self) -> str:
        """What a citizen would be told, as a short hash: two reports with the same one are
        the same news (a poll that finds nothing new sends nothing)."""
        seen = [self.status, self.due_date.isoformat() if self.due_date else "", list(self.missing), self.pickup_place]
        return hashlib.sha256(json.dumps(seen, ensure_ascii=False).encode()).hexdigest()[:32]


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise MalformedRecord(f"'{key}' must be a string")
    value = " ".join(nfc(value).split())
    if len(value) > MAX_TEXT:
        raise MalformedRecord(f"'{key}' is longer than {MAX_TEXT} characters")
    return value


def _date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise MalformedRecord("'due_date' must be a date (YYYY-MM-DD) or null")
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError as error:
        raise MalformedRecord(f"'due_date' is not a date: {value[:40]!r}") from error


def parse_record(data: Any, *, expected_code: str | None = None) -> DossierRecord:
    """A checked :class:`DossierRecord` from the one-stop system's JSON object."""
    if not isinstance(data, dict):
        raise MalformedRecord("a dossier record must be a JSON object")
    raw_code = data.get("code")
    code = normalize_code(raw_code) if isinstance(raw_code, str) else None
    if code is None:
        raise MalformedRecord("'code' is missing or not a dossier code")
    if expected_code is not None and code != expected_code:
        raise MalformedRecord("the record is of another dossier")
    status = data.get("status")
    if status not in STATUSES:
        raise MalformedRecord(f"'status' must be one of {', '.join(STATUSES)}")
    missing = data.get("missing") or []
    if not isinstance(missing, list) or len(missing) > MAX_MISSING:
        raise MalformedRecord(f"'missing' must be a list of at most {MAX_MISSING} strings")
    items = []
    for item in missing:
        if not isinstance(item, str):
            raise MalformedRecord("'missing' must be a list of strings")
        item = " ".join(nfc(item).split())[:MAX_TEXT]
        if item:
            items.append(item)
    return DossierRecord(
        code=code,
        status=str(status),
        procedure_name=_text(data, "procedure_name"),
        due_date=_date(data.get("due_date")),
        missing=tuple(items),
        pickup_place=_text(data, "pickup_place"),
    )
