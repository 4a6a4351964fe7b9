"""Pure parsers turning the national catalog's run-together fields into schema types.

The portal export flattens its tables: the cells of a row and the rows of a table run
together with no separator. Each parser here takes one field (already NFC) and returns a
:class:`Parsed` value saying whether the field was extracted:

- ``ok``: the field was understood and gave data;
- ``none``: the catalog explicitly says there is nothing ("Không có thông tin");
- ``missing``: the field is empty or could not be understood.

``Parsed.extracted`` is true for ``ok`` and ``none``. Parsers never raise on odd input;
what they could not read is said in ``Parsed.notes`` (Vietnamese-free, for the report).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from pydantic import ValidationError

from guides.catalog import is_blank
from guides.schema import (
    Channel,
    ChannelType,
    Document,
    DocumentKind,
    Duration,
    Fee,
    LegalBasis,
    Level,
    TimeUnit,
)
from tthc_text import fold

T = TypeVar("T")
Status = Literal["ok", "none", "missing"]


@dataclass(frozen=True)
class Parsed(Generic[T]):
    """A parsed value, whether it was extracted, and what was odd about it."""

    value: T
    status: Status
    notes: tuple[str, ...] = ()

    @property
    def extracted(self) -> bool:
        """True when the field was understood (data found, or explicitly none)."""
        return self.status != "missing"


NO_INFO = "Không có thông tin"
_SPACES = re.compile(r"\s+")


def squash(text: str) -> str:
    """Collapse runs of whitespace into one space and strip."""
    return _SPACES.sub(" ", text).strip()


def clean_text(text: str) -> str:
    """A free-text field for a guide: "" when blank or "Không có thông tin"."""
    return "" if is_blank(text) else squash(text)


def _balanced(text: str, start: int) -> int:
    """Index just past the parenthesis group opening at ``text[start]`` ("(")."""
    depth = 0
    for index in range(start, len(text)):
        if text[index] == "(":
            depth += 1
        elif text[index] == ")":
            depth -= 1
            if depth == 0:
                return index + 1
    return len(text)


# --------------------------------------------------------------------------- money


_CURRENCY = r"(?:Việt Nam Đồng|đồng|VNĐ|VND|đ)(?![^\W\d_])"
# An amount with its currency, possibly with "/unit" in between ("15000000/lần Đồng").
_MONEY_WITH_CURRENCY = re.compile(
    rf"(?<![\d.,/])(\d{{1,3}}(?:[.,]\d{{3}})+|\d+)(?![\d.,]\d)(?:\s*/\s*[^\W\d_]+)?\s*{_CURRENCY}",
    re.IGNORECASE,
)
# A dot-grouped amount with no currency ("8.000.000/lần").
_MONEY_GROUPED = re.compile(r"(?<![\d.,/])(\d{1,3}(?:\.\d{3})+)(?![\d.,]?\d)(?!\s*/\s*\d)")


def parse_amount(text: str) -> int | None:
    """``"2,000,000"`` / ``"50.000"`` / ``"120"`` -> int; None when not an amount."""
    text = text.strip()
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+|\d+", text):
        return int(re.sub(r"[.,]", "", text))
    return None


_MILLIONS = re.compile(r"(?<![\d.,])(\d{1,3}(?:[.,]\d{1,3})?)\s*triệu\s*đồng", re.IGNORECASE)


def money_in(text: str) -> list[int]:
    """Every VND amount mentioned in free text, in order (duplicates kept)."""
    found: list[tuple[int, int]] = []
    taken: list[range] = []
    for match in _MILLIONS.finditer(text):
        found.append((match.start(), round(float(match.group(1).replace(",", ".")) * 1_000_000)))
        taken.append(range(match.start(), match.end()))
    for pattern in (_MONEY_WITH_CURRENCY, _MONEY_GROUPED):
        for match in pattern.finditer(text):
            if any(match.start(1) in span for span in taken):
                continue
            amount = parse_amount(match.group(1))
            if amount is not None and amount > 0:
                found.append((match.start(1), amount))
                taken.append(range(match.start(), match.end()))
    return [amount for _, amount in sorted(found)]


def format_vnd(amount: int) -> str:
    """``50000`` -> ``"50.000 đồng"``."""
    return f"{amount:,}".replace(",", ".") + " đồng"


# ------------------------------------------------------------------------ channels

CHANNEL_NAMES: dict[str, ChannelType] = {
    "Trực tuyến": ChannelType.online,
    "Dịch vụ bưu chính": ChannelType.post,
    "Trực tiếp": ChannelType.in_person,
}
_CHANNEL = re.compile("|".join(CHANNEL_NAMES))
_CHANNEL_HEADER = re.compile(r"^\s*Hình thức nộp\s*Thời gian\s*Phí,\s*lệ phí\s*Mô tả")

_UNITS: dict[str, tuple[TimeUnit, float]] = {
    "ngày làm việc": ("working_day", 1),
    "ngày": ("day", 1),
    "giờ": ("hour", 1),
    "tháng": ("month", 1),
    "năm": ("month", 12),
    "tuần": ("day", 7),
    "phút": ("hour", 1 / 60),
}
_TIME_WITH_UNIT = re.compile(
    r"(\d+(?:[.,]\d+)?)\s*(ngày làm việc|ngày|giờ|tháng|năm|tuần|phút)",
    re.IGNORECASE,
)
_SAME_DAY = re.compile(r"trong ngày(?: làm việc)?", re.IGNORECASE)
_FEE_AMOUNT = re.compile(
    r"(?:(?:Lệ phí|Phí)\s*:\s*)?(\d[\d.,]*)\s*(Việt Nam Đồng|VNĐ|VND|Đồng|đồng|USD)",
    re.IGNORECASE,
)
_FEE_START = re.compile(
    rf"Miễn phí|{NO_INFO}|(?:(?:Lệ phí|Phí)\s*:\s*)?\d[\d.,]*\s*(?:Việt Nam Đồng|VNĐ|VND|Đồng|USD)"
)
_PROVINCE_FEE = re.compile(r"Hội đồng nhân dân|HĐND", re.IGNORECASE)
UNSTATED_UNIT = "danh mục không ghi đơn vị"


@dataclass(frozen=True)
class _Cell:
    """One parsed cell: its value, where it ends, and notes."""

    value: object
    end: int
    ok: bool
    notes: tuple[str, ...] = ()


def _channel_starts(text: str) -> list[re.Match[str]]:
    """Channel names that open a row: glued to a time cell (digit or capital letter)."""
    starts = []
    for match in _CHANNEL.finditer(text):
        following = text[match.end() : match.end() + 1]
        if following and (following.isdigit() or following.isupper()):
            starts.append(match)
    return starts


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def _time_cell(row: str) -> _Cell:
    """The time cell at the start of ``row`` (text after the channel name)."""
    match = _TIME_WITH_UNIT.match(row)
    if match:
        unit, factor = _UNITS[match.group(2).lower()]
        value = round(_number(match.group(1)) * factor, 4)
        return _Cell(
            Duration(text=squash(match.group(0)), value=value, unit=unit), match.end(), True
        )
    match = _SAME_DAY.match(row)
    if match:
        duration = Duration(text="Trong ngày", value=1, unit="working_day")
        return _Cell(duration, match.end(), True)
    if row.startswith(NO_INFO):
        return _Cell(Duration(text=NO_INFO), len(NO_INFO), True, ("time: none",))
    match = re.match(r"\d+(?:[.,]\d+)?", row)
    if match and (_FEE_START.match(row, match.end()) or match.end() == len(row)):
        text = f"{match.group(0)} ({UNSTATED_UNIT})"
        return _Cell(Duration(text=text), match.end(), True, ("time: no unit",))
    fee = _FEE_START.search(row)
    if fee and 0 < fee.start() <= 200:  # free text in the time cell: "Không quy định"
        text = squash(row[: fee.start()])
        return _Cell(Duration(text=text), fee.start(), True, ("time: text only",))
    return _Cell(None, 0, False, ("time: not found",))


def _split_glued(digits: str, note: str) -> tuple[str, int] | None:
    """Split a bare time glued to an amount ("140,000" -> "1", 40000).

    The time has no unit; candidates are checked against amounts in the fee note, and
    otherwise the shortest time wins.
    """
    noted = [str(amount) for amount in money_in(note)]
    candidates: list[tuple[str, int]] = []
    for cut in range(1, len(digits)):
        time, rest = digits[:cut], digits[cut:]
        if not time.isdigit() or (rest.startswith("0") and rest != "0"):
            continue
        if not re.fullmatch(r"\d{1,3}(?:,\d{3})+|\d+", rest):
            continue
        amount = parse_amount(rest)
        if amount is not None:
            candidates.append((time, amount))
    for time, amount in candidates:
        if any(n.startswith(str(amount)) for n in noted if amount):
            return time, amount
    return candidates[0] if candidates else None


def _fee_note(row: str, start: int) -> tuple[str, int]:
    """A parenthesised note right after the fee cell, and where it ends."""
    spaces = re.match(r"[ \t]*(?=\()", row[start:])
    if spaces:
        start += spaces.end()
    if start < len(row) and row[start] == "(":
        end = _balanced(row, start)
        note = row[start:end]
        if re.fullmatch(r"\(\s*(?:\d{1,2}|[a-zđ]|[ivx]+)\s*\)", note):
            return "", start  # "(1) Trường hợp ..." numbers the description
        while note.startswith("(") and _balanced(note, 0) == len(note) and note.endswith(")"):
            note = note[1:-1].strip()
        return squash(note.lstrip("(")), end
    return "", start


def _fee_from_note(label: str, note: str) -> tuple[Fee, tuple[str, ...]] | None:
    """A fee stated in the note although the fee cell says ``label`` (free / no info)."""
    if _PROVINCE_FEE.search(note):
        text = "Theo mức Hội đồng nhân dân cấp tỉnh quy định"
        return Fee(kind="province", text=text, note=f"Danh mục ghi '{label}'. {note}"), (
            "fee: province (from note)",
        )
    amounts = money_in(note)
    if amounts:
        text = format_vnd(amounts[0])
        if len(set(amounts)) > 1:
            text += " (mức thu khác nhau tùy trường hợp, xem ghi chú)"
        remark = f"Danh mục ghi '{label}' ở cột phí nhưng ghi chú nêu mức thu: {note}"
        return Fee(kind="amount", amount_vnd=amounts[0], text=text, note=remark), (
            "fee: amount only in note",
        )
    return None


def _fee_cell(row: str, start: int) -> _Cell:
    """The fee cell (and its note) starting at ``row[start]``."""
    if row.startswith("Miễn phí", start):
        note, end = _fee_note(row, start + len("Miễn phí"))
        from_note = _fee_from_note("Miễn phí", note) if note else None
        if from_note:
            return _Cell(from_note[0], end, True, from_note[1])
        return _Cell(Fee(kind="free", text="Miễn phí", note=note or None), end, True)
    if row.startswith(NO_INFO, start):
        note, end = _fee_note(row, start + len(NO_INFO))
        from_note = _fee_from_note(NO_INFO, note) if note else None
        if from_note:
            return _Cell(from_note[0], end, True, from_note[1])
        return _Cell(
            Fee(kind="unknown", text=NO_INFO, note=note or None), end, True, ("fee: none",)
        )
    match = _FEE_AMOUNT.match(row, start)
    if match:
        note, end = _fee_note(row, match.end())
        return _amount_fee(match.group(1), match.group(2), squash(match.group(0)), note, end)
    return _Cell(None, start, False, ("fee: not found",))


def _amount_fee(digits: str, currency: str, text: str, note: str, end: int) -> _Cell:
    """A fee cell holding an amount, checked against its note."""
    note_or_none = note or None
    if currency.upper() == "USD":
        fee = Fee(kind="unknown", text=text, note=note_or_none)
        return _Cell(fee, end, True, ("fee: in USD",))
    amount = parse_amount(digits)
    if amount is None:
        return _Cell(
            Fee(kind="unknown", text=text, note=note_or_none),
            end,
            True,
            ("fee: unreadable amount",),
        )
    if amount == 0:
        return _Cell(Fee(kind="free", text="Miễn phí", note=note_or_none), end, True)
    if amount < 1000:
        larger = [n for n in money_in(note) if n >= 1000 and str(n).startswith(str(amount))]
        if larger:
            remark = f"Danh mục ghi {text}; ghi chú ghi {format_vnd(larger[0])}. {note}"
            return _Cell(
                Fee(kind="amount", amount_vnd=larger[0], text=format_vnd(larger[0]), note=remark),
                end,
                True,
                ("fee: amount in thousands, corrected from note",),
            )
        unclear = f"{text} (danh mục ghi vậy, có thể thiếu đơn vị nghìn đồng; hãy hỏi lại nơi nộp)"
        return _Cell(
            Fee(kind="unknown", text=unclear, note=note_or_none),
            end,
            True,
            ("fee: amount too small",),
        )
    return _Cell(
        Fee(kind="amount", amount_vnd=amount, text=format_vnd(amount), note=note_or_none), end, True
    )


def _parse_row(channel: ChannelType, row: str) -> tuple[Channel | None, tuple[str, ...]]:
    """One channel row: time cell, fee cell (+ note), then the free description."""
    notes: list[str] = []
    glued = re.match(r"(\d[\d,]*)\s*(?:Việt Nam Đồng|VNĐ|VND|Đồng)", row)
    if glued and not _TIME_WITH_UNIT.match(row):
        note, end = _fee_note(row, glued.end())
        split = _split_glued(glued.group(1), note)
        if split:
            time_digits, _amount = split
            digits = glued.group(1)[len(time_digits) :]
            time = _Cell(
                Duration(text=f"{time_digits} ({UNSTATED_UNIT})"), 0, True, ("time: no unit",)
            )
            fee = _amount_fee(digits, "VNĐ", f"{digits} VNĐ", note, end)
            notes.append("time and fee glued together")
            return _channel(channel, time, fee, row, notes)
    time = _time_cell(row)
    if not time.ok:
        return None, time.notes
    fee = _fee_cell(row, time.end)
    return _channel(channel, time, fee, row, notes)


def _channel(
    channel: ChannelType, time: _Cell, fee: _Cell, row: str, notes: list[str]
) -> tuple[Channel | None, tuple[str, ...]]:
    notes = [*notes, *time.notes, *fee.notes]
    unread = Fee(kind="unknown", text="Không rõ (không đọc được từ danh mục)")
    fee_value = fee.value if isinstance(fee.value, Fee) else unread
    description = squash(row[fee.end :]) if fee.ok else squash(row[time.end :])
    assert isinstance(time.value, Duration)
    try:
        parsed = Channel(type=channel, time=time.value, fee=fee_value, note=description or None)
    except ValidationError as exc:  # pragma: no cover - defensive: schema drift
        return None, (*notes, f"invalid channel: {exc.errors()[0]['msg']}")
    return parsed, tuple(notes)


def parse_channels(text: str) -> Parsed[list[Channel]]:
    """``cach_thuc_thuc_hien`` -> channels with time and fee.

    ``ok`` only when every channel row has both a time cell and a fee cell (an explicit
    "Không có thông tin" counts); a row whose fee cannot be read keeps an unknown fee and
    makes the result ``missing``.
    """
    body = _CHANNEL_HEADER.sub("", text, count=1)
    if is_blank(body):
        return Parsed([], "missing", ("channels: empty",))
    starts = _channel_starts(body)
    if not starts:
        return Parsed([], "missing", ("channels: no channel name found",))
    channels: list[Channel] = []
    notes: list[str] = []
    complete = True
    for index, match in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(body)
        channel, row_notes = _parse_row(CHANNEL_NAMES[match.group(0)], body[match.end() : end])
        notes.extend(row_notes)
        if channel is None or "fee: not found" in row_notes:
            complete = False
        if channel is not None:
            channels.append(channel)
    status: Status = "ok" if channels and complete else "missing"
    return Parsed(channels, status, tuple(dict.fromkeys(notes)))


def processing_time(channels: Iterable[Channel]) -> Duration | None:
    """The in-person channel's time, else the first channel's."""
    channels = list(channels)
    for channel in channels:
        if channel.type is ChannelType.in_person:
            return channel.time
    return channels[0].time if channels else None


# ----------------------------------------------------------------------- documents

_DOC_HEADER = re.compile(r"Tên giấy tờ\s*Mẫu đơn, tờ khai\s*Số lượng")
_QUANTITY = re.compile(r"(\d+) bản chính(?:\s*,\s*(\d+) bản sao)?")
_FORM_EXT = re.compile(r"\.(?:docx|doc|pdf|xlsx|xls|odt|rtf|zip|rar)(?![^\W\d_])", re.IGNORECASE)
_FORM_WORD = re.compile(
    r"Mẫu|MẪU|mẫu|Mau|MAU|mau|Phụ lục|PHỤ LỤC|Phu luc|Phu lục|Phụ Lục|PL"
    r"|Tờ khai|TỜ KHAI|To khai|Mus|Biểu|Đề cương|Đơn|ĐƠN"
)
_BULLET = re.compile(r"^(?:[-+*•\u2013]+|\(?\d{1,2}[.)](?!\d)|\(?[a-zđ]\d?\))\s*")
_PRESENT_SECTION = re.compile(r"xuất trình\W{0,3}$", re.IGNORECASE)
_HEADER_ROW = re.compile(
    r"^\*?\s*(?:Giấy tờ phải (?:nộp|xuất trình)|Thành phần hồ sơ)\s*:?$", re.IGNORECASE
)


@dataclass
class _Row:
    text: str
    originals: int
    copies: int
    section: str


def _quantity(digits: str) -> tuple[int, str]:
    """The real quantity and any digits that belong to the text before it.

    The portal prints small integers without leading zeros, so "011" or "1161" means a
    name ending in a number ("Mẫu số 01", "Nghị định 116") followed by "1".
    """
    if len(digits) > 1 and (digits.startswith("0") or int(digits) > 20):
        return int(digits[-1]), digits[:-1]
    return int(digits), ""


def _rows(body: str, section: str) -> tuple[list[_Row], str]:
    """Rows of one documents table; returns them and the text trailing the last row."""
    rows: list[_Row] = []
    position = 0
    for match in _QUANTITY.finditer(body):
        after = body[match.end() : match.end() + 1]
        before = body[match.start() - 1 : match.start()]
        if (after and after.isspace()) or before == "(":
            continue  # "(01 bản chính hoặc bản sao ...)" inside a name
        originals, carried = _quantity(match.group(1))
        copies = int(match.group(2)) if match.group(2) else 0
        text = body[position : match.start()] + carried
        rows.append(_Row(text, originals, copies, section))
        position = match.end()
    return rows, body[position:]


def _split_form(text: str) -> tuple[str, str | None]:
    """Separate a trailing form file name ("...27/12/2021;Mus08.docx") from the name."""
    ext = _FORM_EXT.search(text)
    if not ext:
        return text, None
    window_start = max(0, ext.start() - 90)
    candidates: list[int] = []
    for match in _FORM_WORD.finditer(text, window_start, ext.start()):
        before = text[match.start() - 1 : match.start()]
        if match.start() > 0 and before and not before.isspace() and before not in "(“\"'":
            candidates.append(match.start())  # a form word glued to the name
    for index in range(window_start, ext.start()):
        if text[index] in ".;:)”" and index + 1 < ext.start() and text[index + 1].isalpha():
            candidates.append(index + 1)  # glued after the end of the name
        elif index > 0 and text[index - 1].islower() and text[index].isupper():
            candidates.append(index)  # "...theo mẫuTK 1.docx": a capital glued to a word
    candidates = [c for c in candidates if ";" not in text[c : ext.start()] and c > 0]
    if not candidates:
        return text, None
    start = min(candidates)
    form = squash(_FORM_EXT.sub(lambda m: m.group(0) + "; ", text[start:])).rstrip("; ")
    form = re.sub(r";\s*;", ";", form)
    return text[:start], form


def _doc_name(text: str) -> str:
    name = squash(text)
    for _ in range(2):
        name = _BULLET.sub("", name).strip()
    return name.rstrip(" ;,.").strip()


ZERO_QUANTITY = "Danh mục ghi số lượng 0: thường là ghi chú hoặc giấy tờ chỉ cần khi có yêu cầu."
_GENERIC_SECTIONS = frozenset(
    {"giấy tờ phải nộp", "giấy tờ phải xuất trình", "thành phần hồ sơ", "hồ sơ gồm"}
)


def _section_label(section: str) -> str | None:
    """A documents table's own title worth keeping ("Đối với người nước ngoài:")."""
    label = squash(section).strip("-*:;. ")
    if len(label) < 4 or label.lower() in _GENERIC_SECTIONS:
        return None
    return label[:300]


def _document(row: _Row) -> Document | None:
    name, form = _split_form(row.text)
    name = _doc_name(name)
    if len(name) < 3:
        name = form or name
    if len(name) < 3:
        return None
    present = bool(_PRESENT_SECTION.search(squash(row.section)))
    note = None
    if present:
        kind, quantity = DocumentKind.present, max(row.originals, row.copies, 1)
    elif row.originals and row.copies:
        kind, quantity = DocumentKind.original_or_copy, max(row.originals, row.copies)
        note = f"Danh mục ghi: {row.originals} bản chính, {row.copies} bản sao."
    elif row.copies:
        kind, quantity = DocumentKind.copy, row.copies
    else:
        kind, quantity = DocumentKind.original, row.originals
        if not quantity:
            note = ZERO_QUANTITY
    label = _section_label(row.section)
    if label:
        note = f"{note} Nhóm: {label}" if note else f"Nhóm: {label}"
    try:
        return Document(name=name, kind=kind, quantity=min(quantity, 20), form=form, note=note)
    except ValidationError:  # pragma: no cover - defensive
        return None


def parse_documents(text: str) -> Parsed[list[Document]]:
    """``thanh_phan_ho_so`` -> documents (name, kind, quantity, form file name).

    Sections titled "Giấy tờ phải xuất trình" give ``present`` documents. The portal's
    row order is not meaningful, so a row with quantity 0 (often a remark such as
    "Trường hợp ...") stays a row of its own, with a note saying so.
    """
    if is_blank(text):
        return Parsed([], "missing", ("documents: empty",))
    parts = _DOC_HEADER.split(text)
    if len(parts) == 1:
        parts = ["", text]  # a table whose header was lost
    documents: list[Document] = []
    section = parts[0]
    notes: list[str] = []
    for body in parts[1:]:
        rows, trailing = _rows(body, section)
        for row in rows:
            if _HEADER_ROW.match(_doc_name(row.text)):
                continue  # a sub-heading printed as a row
            document = _document(row)
            if document is None:
                notes.append("documents: a row without a usable name")
            else:
                documents.append(document)
        section = trailing
    if not documents:
        return Parsed([], "missing", ("documents: no rows found", *notes))
    return Parsed(documents, "ok", tuple(dict.fromkeys(notes)))


# --------------------------------------------------------------------- legal basis

_LEGAL_HEADER = re.compile(r"^\s*Tên văn bản pháp lý\s*Mã văn bản")
_DOC_TYPES = r"TTLT|NĐCP|NĐ|ND|TT|QĐ|NQ|PL|CT|HD|SL|L"
_LEGISLATURE = r"(?:UBTVQH|QH)\d{2}"
_LEGAL_NUMBER = re.compile(
    rf"(?<![/])(?<!\d\.)(\d{{1,4}}[a-z]?)(?:\.\d{{1,2}})?/(?:\d{{4}}/)?"
    rf"(?:{_LEGISLATURE}|(?:{_DOC_TYPES})\s?[-\u2013]\s?)"
)
# Issuing bodies that end a document number ("123/2015/NĐ-CP", "09/2015/TTLT-BCA-BYT-BTC").
ISSUERS: frozenset[str] = frozenset(
    {
        *("CP", "TTg", "TTG", "BTC", "NHNN", "BCA", "BNNMT", "BTP", "BGTVT", "BNNPTNT", "BXD"),
        *("BTNMT", "BLĐTBXH", "BHXH", "BKHĐT", "UBND", "HĐND", "BQP", "BKHCN", "BYT", "BNG"),
        *("BCT", "BNV", "VPCP", "BTTTT", "BVHTTDL", "TANDTC", "VKSNDTC", "VPQH", "TCT", "TCHQ"),
        *("BGDĐT", "BKH", "CTN", "HĐTP", "BTNN", "KTNN", "UBDT", "BVHTT", "BGD", "BTM", "BNN"),
        *("BKHMT", "BLĐ", "NHNNVN", "UBCKNN", "MTTQ", "TLĐ", "TW"),
    }
)
_ISSUER_RUN = re.compile(r"[A-ZĐ][A-Za-zĐđ]*\d{0,2}")
_TYPE_WORDS = r"Luật|Nghị định|Thông tư(?: liên tịch)?|Quyết định|Nghị quyết|Pháp lệnh|Bộ luật"
_BARE_TYPE = re.compile(rf"(?:{_TYPE_WORDS}|Lệnh)?(?: số)?", re.IGNORECASE)
_TITLE_TAIL = re.compile(rf"(?<=[^\s])(?:{_TYPE_WORDS})(?: số)?\s*$")


# Cyrillic letters that look Latin, found inside some document numbers ("TT-BT" + Cyrillic Es).
_LOOKALIKES = str.maketrans(
    "\u0410\u0412\u0421\u0415\u041d\u041a\u041c\u041e\u0420\u0422\u0425"
    "\u0430\u0441\u0435\u043e\u0440\u0445",
    "ABCEHKMOPTXaceopx",
)
# Page text that follows the table when the export missed the section break.
_PAGE_SECTION = re.compile(r"Cơ quan thực hiện(?=\S)|Yêu cầu, điều kiện thực hiện|Kết quả xử lý")


def _issuer(text: str, start: int) -> int:
    """End of the issuer code starting at ``text[start]`` ("CPNghị định" -> after "CP").

    Known codes win (longest first); otherwise the capitals are taken, less a last
    capital that starts a glued word ("CQuy định" -> "C").
    """
    run = _ISSUER_RUN.match(text, start)
    if not run:
        return start
    word = run.group(0)
    legislature = re.match(_LEGISLATURE, word)
    if legislature:
        return start + legislature.end()
    for size in range(len(word), 0, -1):
        if word[:size] in ISSUERS:
            return start + size
    upper = re.match(r"[A-ZĐ]+", word)
    assert upper is not None
    size = len(upper.group(0))
    if size < len(word) and word[size].islower():
        size -= 1  # the last capital starts the next (glued) word
    return start + size


_DASH = re.compile(r"\s?[-\u2013]\s?")


def _legal_numbers(text: str) -> Iterator[tuple[int, int, str]]:
    """``(start, end, number)`` of every document number such as 123/2015/NĐ-CP."""
    for match in _LEGAL_NUMBER.finditer(text):
        start, end = match.start(), match.end()
        run = re.search(r"\d+$", text[: match.end(1)])
        if run and run.start() < start and re.match(r"(?:19|20)\d\d\d", run.group(0)):
            start = run.start() + 4  # "năm 202437/2024/QH15": a year glued to the number
        if not re.search(_LEGISLATURE + "$", match.group(0)):
            end = _issuer(text, end)
            if end == match.end():
                continue  # "TT-" with no issuer
            while dash := _DASH.match(text, end):
                segment_end = _issuer(text, dash.end())
                segment = text[dash.end() : segment_end]
                if segment not in ISSUERS and not re.fullmatch(_LEGISLATURE, segment):
                    break
                end = segment_end
        number = re.sub(r"\s", "", text[start:end]).replace("\u2013", "-")
        yield start, end, _fix_number(number)


def _fix_number(number: str) -> str:
    """Repair two catalog typos: a decree "NĐ-C" cut short, and "ND-CP" without Đ."""
    return re.sub(r"/(?:NĐ|ND)-CP?$", "/NĐ-CP", number)


def _closes_row(text: str, start: int, end: int) -> bool:
    """True when the number at ``text[start:end]`` is a row's number cell.

    Inside a title a number stands between spaces ("Nghị định số 123/2015/NĐ-CP ngày");
    the number cell is glued to the title before it or to the next title.
    """
    before = text[start - 1 : start]
    if before and not before.isspace() and before not in "(“\"'":
        return True
    rest = text[end:]
    stripped = rest.lstrip(".")
    if not stripped.strip():
        return True
    return not stripped[0].isspace() and stripped[0] not in ",;:)]”\"'-\u2013"


def parse_legal_basis(text: str) -> Parsed[list[LegalBasis]]:
    """``can_cu_phap_ly`` -> (number, title) pairs.

    Rows are "<title><number>"; a number closes a row when the next title is glued to it.
    A title ending with the same number as its cell ("Luật 60/2014/QH13" +
    "60/2014/QH13") is kept whole.
    """
    body = _LEGAL_HEADER.sub("", text.translate(_LOOKALIKES), count=1)
    body = _PAGE_SECTION.split(body, maxsplit=1)[0]
    if is_blank(body):
        return Parsed([], "none" if NO_INFO in body else "missing", ("legal basis: empty",))
    items: list[LegalBasis] = []
    notes: list[str] = []
    position = 0
    for start, end, number in _legal_numbers(body):
        if not _closes_row(body, start, end):
            continue
        title = squash(body[position:start])
        position = end
        if not title and items and items[-1].number == number:
            # the title ended with the number and the cell repeated it
            if not items[-1].title.endswith(number):
                items[-1] = LegalBasis(number=number, title=squash(f"{items[-1].title} {number}"))
            continue
        title = squash(_TITLE_TAIL.sub("", title)).rstrip(" .;,")
        if _BARE_TYPE.fullmatch(title):
            title = squash(f"{title} {number}")  # the cell held "Luật 18/2017/QH14"
        try:
            items.append(LegalBasis(number=number, title=title))
        except ValidationError:
            notes.append("legal basis: bad number")
    leftover = squash(body[position:])
    if items and items[-1].number.startswith(leftover):
        leftover = ""  # "Nghị định số 46/2020/NĐ-CP" + a cell cut short: "46/2020"
    if leftover:
        inner = next(iter(_legal_numbers(leftover)), None)
        if inner:
            items.append(LegalBasis(number=inner[2], title=leftover.rstrip(" .;,")))
        else:
            notes.append("legal basis: a title without a number")
    items = list({(item.number, item.title): item for item in items}.values())
    if not items:
        return Parsed([], "missing", ("legal basis: no number found", *notes))
    return Parsed(items, "ok", tuple(notes))


# -------------------------------------------------------------------------- result

_RESULT_CODE = re.compile(r"Mã\s*:\s*[A-Z0-9][A-Z0-9.\-]{0,40}?\d(?![\d.\-])")
_RESULT_TAIL = re.compile(
    r"Từ khóa|Chọn cơ quan thực hiện|Hệ thống chỉ hiển thị|Tỉnh/ Thành phố|-- Chọn"
)


def parse_result(text: str) -> Parsed[str]:
    """``ket_qua_xu_ly`` -> the result(s), without codes and page leftovers.

    Several results ("X Mã: KQ.. Y Mã: KQ..") are joined with "; ".
    """
    codes = list(_RESULT_CODE.finditer(text))
    tail_from = codes[-1].end() if codes else 0
    tail = _RESULT_TAIL.search(text, tail_from)
    body = text[: tail.start()] if tail else text
    body = re.sub(r"(?:Mô tả)?(?:Không có thông tin)?\s*Nộp hồ sơ\s*$", "", body)
    items = [squash(part).strip(" ;.") for part in _RESULT_CODE.split(body)]
    items = [item for item in items if item and not is_blank(item)]
    if not items:
        status: Status = (
            "none" if NO_INFO in text[: tail.start() if tail else len(text)] else "missing"
        )
        return Parsed("", status, ("result: empty",))
    return Parsed("; ".join(dict.fromkeys(items)), "ok")


# ------------------------------------------------------------ sections of raw_text

_RAW_CHANNELS = re.compile(r"Cách Thức Thực Hiện(?=\s*Hình thức nộp)")
_RAW_DOCUMENTS = re.compile(r"Thành phần hồ sơ")
_RAW_LEGAL = re.compile(
    r"Căn cứ pháp lý(?=\s*(?:Tên văn bản pháp lý|Không có thông tin|Cơ quan thực hiện))"
)
_RAW_AGENCY = re.compile(r"Cơ quan thực hiện")
_RAW_RESULT = re.compile(r"Kết quả xử lý")
RawSection = Literal["channels", "documents", "legal_basis", "result"]


def raw_section(raw_text: str, section: RawSection) -> str:
    """One table of the page text (``raw_text``), for when the export split it wrongly.

    The page runs: steps, "Cách Thức Thực Hiện" (channels), "Thành phần hồ sơ"
    (documents), "Căn cứ pháp lý" (legal basis), "Cơ quan thực hiện", ..., "Kết quả xử
    lý" (result). Step text may mention a heading, so the channels heading is the last
    one followed by the table header, and the others are searched after it.
    """
    channels = list(_RAW_CHANNELS.finditer(raw_text))
    if not channels:
        return ""
    start = channels[-1].end()
    documents = _RAW_DOCUMENTS.search(raw_text, start)
    legal = _RAW_LEGAL.search(raw_text, documents.end() if documents else start)
    if section == "channels":
        return raw_text[start : documents.start() if documents else len(raw_text)]
    if section == "documents":
        if not documents:
            return ""
        return raw_text[documents.end() : legal.start() if legal else len(raw_text)]
    if section == "legal_basis":
        if not legal:
            return ""
        agency = _RAW_AGENCY.search(raw_text, legal.end())
        return raw_text[legal.end() : agency.start() if agency else len(raw_text)]
    results = list(_RAW_RESULT.finditer(raw_text, legal.end() if legal else start))
    return raw_text[results[-1].end() :] if results else ""


# ----------------------------------------------------------------- steps and lists

_ITEM_BREAK = re.compile(
    r"\n+|(?<=[.;:])\s+(?=(?:[-+•]\s|Bước\s*\d|\(?[ivx]+\)\s|\(?\d{1,2}[.)]\s|[a-zđ]\)\s))"
)
_SENTENCE_END = re.compile(r"(?<=[.;])\s+")
MAX_ITEM = 400


def _sentences(text: str) -> list[str]:
    """Split after "." or ";" when the next sentence starts with a capital or a digit."""
    pieces: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        following = text[match.end() : match.end() + 1]
        if following.isupper() or following.isdigit():
            pieces.append(text[start : match.start()])
            start = match.end()
    pieces.append(text[start:])
    return [squash(piece) for piece in pieces if piece.strip()]


def split_items(text: str, max_length: int = MAX_ITEM) -> list[str]:
    """Split a long run of text into short items: lines, bullets, then sentences."""
    if is_blank(text):
        return []
    items: list[str] = []
    for part in _ITEM_BREAK.split(text):
        part = squash(part)
        if not part:
            continue
        pieces = [part]
        if len(part) > max_length:
            pieces = _sentences(part)
        for piece in pieces:
            piece = _BULLET.sub("", piece).strip() if re.match(r"[-+•\u2013]", piece) else piece
            if len(piece) >= 3 and not is_blank(piece):
                items.append(piece)
    return items


def parse_steps(text: str) -> Parsed[list[str]]:
    """``trinh_tu_thuc_hien`` -> short step items."""
    if is_blank(text):
        return Parsed([], "none" if NO_INFO in text else "missing", ("steps: empty",))
    items = split_items(text)
    return Parsed(items, "ok") if items else Parsed([], "missing", ("steps: no items",))


def parse_conditions(text: str) -> Parsed[list[str]]:
    """``yeu_cau_dieu_kien`` -> condition items ("Không" alone means none)."""
    if is_blank(text) or squash(text).rstrip(".").casefold() == "không":
        return Parsed([], "none")
    items = split_items(text)
    return Parsed(items, "ok") if items else Parsed([], "missing")


# ------------------------------------------------------------------- levels, codes

LEVEL_NAMES: dict[str, Level] = {
    "cấp xã": Level.commune,
    "cấp huyện": Level.commune,  # abolished on 1 July 2025: its procedures moved to the commune
    "cấp tỉnh": Level.province,
    "cấp bộ": Level.ministry,
    "cấp trung ương": Level.ministry,
    "cơ quan khác": Level.other,
}


def parse_levels(text: str) -> Parsed[list[Level]]:
    """``cap_thuc_hien`` ("Cấp bộ, Cấp tỉnh") -> levels; "Cấp huyện" maps to commune."""
    levels: list[Level] = []
    notes: list[str] = []
    for part in re.split(r"[,;]", text):
        name = squash(part).lower()
        if not name:
            continue
        level = LEVEL_NAMES.get(name)
        if level is None:
            notes.append(f"level: unknown '{squash(part)}'")
            continue
        if name == "cấp huyện":
            notes.append("level: Cấp huyện mapped to commune (district level abolished)")
        if level not in levels:
            levels.append(level)
    if not levels:
        return Parsed([], "missing", tuple(notes) or ("level: empty",))
    return Parsed(levels, "ok", tuple(notes))


_CODE_IN_TEXT = re.compile(r"(?<![\d.])\d\.\d{6}(?![\d])")


def related_codes(text: str, own_code: str = "") -> list[str]:
    """Procedure codes mentioned in ``thu_tuc_lien_quan`` (own code excluded)."""
    codes = [code for code in _CODE_IN_TEXT.findall(text) if code != own_code]
    return list(dict.fromkeys(codes))


_TITLE_PREFIX = re.compile(r"^\s*thủ tục\s*:?\s*", re.IGNORECASE)
SLUG_MAX = 60


def slugify(text: str, max_length: int = SLUG_MAX) -> str:
    """ASCII, accent-folded, lower-case words joined by "-", cut at a word boundary."""
    words = re.sub(r"[^a-z0-9]+", "-", fold(text).lower()).strip("-")
    if len(words) <= max_length:
        return words
    cut = words[: max_length + 1]
    return (cut.rsplit("-", 1)[0] if "-" in cut else words[:max_length]).strip("-")


def guide_id(title: str, code: str) -> str:
    """Slug id from the title plus the code: ``dang-ky-khai-sinh-1-001193``."""
    base = slugify(_TITLE_PREFIX.sub("", title)) or "thu-tuc"
    return f"{base}-{slugify(code)}" if slugify(code) else base
