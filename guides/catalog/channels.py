"""Channels, processing time and fee: the ``cach_thuc_thuc_hien`` table, and money in text."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import ValidationError

from guides.catalog.text import is_blank, squash
from guides.catalog.types import NO_INFO, Parsed, Status
from guides.schema import Channel, ChannelType, Duration, Fee, TimeUnit


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
