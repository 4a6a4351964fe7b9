"""The catalog tier: every national-catalog procedure as an entry the bot can answer from.

An entry is the importer's draft of a record (:func:`guides.catalog.importer.convert_safely`)
with ``tier: catalog``, tidied for citizens: footnote digits, portal boilerplate and
"Lưu ý" paragraphs dropped from the lists, legal titles out of upper case, long items cut at
a sentence, and a one-line summary written from the record's own fields (who handles it,
the time, the fee). Entries are built at index time (``tthc index build``), never committed:
they carry the catalog's text. A record whose code has a curated guide is left out.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from guides.catalog.importer import convert_safely
from guides.catalog.records import ReadStats, iter_records
from guides.schema import Channel, Document, Guide, LegalBasis

logger = logging.getLogger(__name__)

TIER = "catalog"
MAX_ITEM_CHARS = 220  # one document, condition or step, as a citizen reads it on a phone
MAX_NAME_CHARS = 110
# Paragraphs the portal puts among the list items: notes for the office, not things to bring.
_NOTE_ITEM = re.compile(r"^\s*(lưu ý|ghi chú|chú ý|trường hợp [^:]{0,80}thì cán bộ)\b", re.IGNORECASE)
_FOOTNOTE = re.compile(r"(?<=[^\d\s])[;,]?\d{1,2}\s*$")  # "... người làm chứng.7", "Đơn xin ...;1"
_FILE_NAME = re.compile(r"\.(docx?|pdf|xlsx?|rtf)$", re.IGNORECASE)
_BOILERPLATE = re.compile(r"^cách thức thực hiện\s*:", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


def _squash(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def cut(text: str, limit: int = MAX_ITEM_CHARS) -> str:
    """Cut a long text at the end of a sentence (or a word) before ``limit`` characters."""
    text = _squash(text)
    if len(text) <= limit:
        return text
    head = text[:limit]
    stop = max(head.rfind(". "), head.rfind("; "))
    if stop > limit // 2:
        return head[: stop + 1].rstrip(";")
    return head.rsplit(" ", 1)[0].rstrip(",;:") + "…"


def sentence_case(text: str) -> str:
    """"BAN HÀNH, HƯỚNG DẪN ..." -> "Ban hành, hướng dẫn ..." (other text unchanged)."""
    letters = [c for c in text if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) / len(letters) > 0.8:
        lower = text.lower()
        return lower[:1].upper() + lower[1:]
    return text


def _clean_item(text: str) -> str:
    return _FOOTNOTE.sub("", _squash(text)).rstrip(" ;,")


def tidy_documents(documents: Iterable[Document]) -> list[Document]:
    kept = []
    for doc in documents:
        name = _clean_item(doc.name)
        if _NOTE_ITEM.match(name) or len(name) < 3:
            continue
        form = doc.form if doc.form and not _FILE_NAME.search(doc.form) else None
        note = doc.note if doc.note and not doc.note.startswith(("Danh mục ghi số lượng 0", "Nhóm:")) else None
        kept.append(doc.model_copy(update={
            "name": cut(name, MAX_NAME_CHARS), "form": form, "note": cut(note, 120) if note else None,
            "quantity": max(doc.quantity, 1)}))
    return kept


def tidy_list(items: Iterable[str]) -> list[str]:
    return [cut(_clean_item(item)) for item in items if item.strip() and not _NOTE_ITEM.match(item)]


def tidy_channels(channels: Iterable[Channel]) -> list[Channel]:
    return [c.model_copy(update={"note": None if not c.note or _BOILERPLATE.match(c.note) else cut(c.note, 160)})
            for c in channels]


def tidy_legal(bases: Iterable[LegalBasis]) -> list[LegalBasis]:
    return [b.model_copy(update={"title": cut(sentence_case(_squash(b.title)), 140)}) for b in bases]


_LEAD = re.compile(r"^(?:thủ tục\s+)?(?:(?:đăng ký|giải quyết|thực hiện)\s+việc\s+|việc\s+)?", re.IGNORECASE)
_LEVEL_TAIL = re.compile(r"\s*(?:\((?:thực hiện )?(?:tại |ở )?cấp [^)]*\)|(?:thực hiện )?tại cấp \S+(?: \S+)?)\s*$",
                         re.IGNORECASE)


def core_name(title: str) -> str | None:
    """What a citizen calls the procedure, from its title: "Đăng ký việc nuôi con nuôi trong
    nước (cấp xã)" -> "nuôi con nuôi trong nước"; None when that is the title itself."""
    core = _LEVEL_TAIL.sub("", _LEAD.sub("", title.strip())).strip(" .,")
    if len(core.split()) < 2 or core.casefold() == title.strip().casefold():
        return None
    return core[:1].lower() + core[1:]


def summary_of(guide: Guide) -> str:
    """One plain sentence from the record's fields: who handles it, how long, how much."""
    parts = [f"Thủ tục do {cut(guide.agency, 120).rstrip('.')} giải quyết" if guide.agency else
             f"Thủ tục thuộc lĩnh vực {guide.field}" if guide.field else "Thủ tục hành chính"]
    if guide.processing_time and guide.processing_time.unit != "unknown":
        parts.append(f"thời hạn {guide.processing_time.text.lower()}")
    fees = {c.fee.text for c in guide.channels if c.fee.kind != "unknown"}
    if len(fees) == 1:
        parts.append(f"lệ phí: {next(iter(fees)).lower()}")
    return ", ".join(parts) + "."


def tidy(guide: Guide) -> Guide:
    """A draft of the catalog, ready to be answered from (``tier: catalog``)."""
    core = core_name(guide.title)
    tidied = guide.model_copy(update={
        "tier": TIER,
        "aliases": [*guide.aliases, *([core] if core else [])],
        "agency": cut(guide.agency, 200),
        "who": cut(guide.who, 200),
        "conditions": tidy_list(guide.conditions),
        "documents": tidy_documents(guide.documents),
        "steps": tidy_list(guide.steps),
        "channels": tidy_channels(guide.channels),
        "result": cut(guide.result, 200),
        "legal_basis": tidy_legal(guide.legal_basis),
        "online_url": guide.online_url or ("https://dichvucong.gov.vn" if any(
            c.type.value == "online" for c in guide.channels) else None),
    })
    return tidied.model_copy(update={"summary": summary_of(tidied)})


def catalog_entries(source: Path, exclude: Iterable[str] = ()) -> Iterator[Guide]:
    """Every record under ``source`` as a tidied catalog entry, but the excluded codes (those
    with a curated guide). Nothing when ``source`` does not exist."""
    skip = set(exclude)
    stats = ReadStats()
    seen: set[str] = set()
    for _, record in iter_records(source, stats):
        code = record["ma_thu_tuc"]
        if code in skip or code in seen:
            continue
        conversion = convert_safely(record)
        if conversion is None:
            continue
        seen.add(code)
        yield tidy(conversion.guide)
    if stats.unreadable:
        logger.warning("%d catalog files could not be read", len(stats.unreadable))
