"""Documents to submit or present: the ``thanh_phan_ho_so`` table."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import ValidationError

from guides.catalog.text import _BULLET, is_blank, squash
from guides.catalog.types import Parsed
from guides.schema import Document, DocumentKind

_DOC_HEADER = re.compile(r"Tên giấy tờ\s*Mẫu đơn, tờ khai\s*Số lượng")
_QUANTITY = re.compile(r"(\d+) bản chính(?:\s*,\s*(\d+) bản sao)?")
_FORM_EXT = re.compile(r"\.(?:docx|doc|pdf|xlsx|xls|odt|rtf|zip|rar)(?![^\W\d_])", re.IGNORECASE)
_FORM_WORD = re.compile(
    r"Mẫu|MẪU|mẫu|Mau|MAU|mau|Phụ lục|PHỤ LỤC|Phu luc|Phu lục|Phụ Lục|PL"
    r"|Tờ khai|TỜ KHAI|To khai|Mus|Biểu|Đề cương|Đơn|ĐƠN"
)
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
