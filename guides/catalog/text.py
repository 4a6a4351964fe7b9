"""Text helpers for catalog fields: whitespace, blank fields, lists, page sections, ids."""

from __future__ import annotations

import re
from typing import Literal

from guides.catalog.types import NO_INFO
from tthc_text import fold

_SPACES = re.compile(r"\s+")


def squash(text: str) -> str:
    """Collapse runs of whitespace into one space and strip."""
    return _SPACES.sub(" ", text).strip()


def is_blank(text: str) -> bool:
    """True for an empty field or the portal's "Không có thông tin" (no information)."""
    stripped = text.strip().strip("-").strip()
    return not stripped or stripped.rstrip(".").casefold() == NO_INFO.casefold()


def clean_text(text: str) -> str:
    """A free-text field for a guide: "" when blank or "Không có thông tin"."""
    return "" if is_blank(text) else squash(text)


# ----------------------------------------------------------------- steps and lists

_ITEM_BREAK = re.compile(
    r"\n+|(?<=[.;:])\s+(?=(?:[-+•]\s|Bước\s*\d|\(?[ivx]+\)\s|\(?\d{1,2}[.)]\s|[a-zđ]\)\s))"
)
_SENTENCE_END = re.compile(r"(?<=[.;])\s+")
MAX_ITEM = 400
_BULLET = re.compile(r"^(?:[-+*•\u2013]+|\(?\d{1,2}[.)](?!\d)|\(?[a-zđ]\d?\))\s*")


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


# ------------------------------------------------------------------------- ids

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
