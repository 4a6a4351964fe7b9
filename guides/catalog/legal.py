"""Legal basis: the ``can_cu_phap_ly`` table of document titles and numbers."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pydantic import ValidationError

from guides.catalog.text import is_blank, squash
from guides.catalog.types import NO_INFO, Parsed
from guides.schema import LegalBasis

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
