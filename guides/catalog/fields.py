"""The smaller fields: result, steps, conditions, levels and related procedure codes."""

from __future__ import annotations

import re

from guides.catalog.text import is_blank, split_items, squash
from guides.catalog.types import NO_INFO, Parsed, Status
from guides.schema import Level

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


# ---------------------------------------------------------- steps, conditions


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
