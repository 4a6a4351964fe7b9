"""What a guide and its catalog record each say, field by field, in one comparable shape.

The fact check (:mod:`guides.catalog.check`) compares a guide's :class:`Facts` with its
record's; the stale-content alerts compare the record's per-field fingerprints with those
the guide stored at its last review. Both sides go through the same functions: the record
is first parsed into a draft guide by the importer (:func:`guides.catalog.importer.convert`).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, replace
from typing import Any

from guides.catalog.channels import format_vnd, money_in
from guides.catalog.importer import convert
from guides.catalog.records import CatalogRecord
from guides.schema import CHECK_FIELDS, ChannelType, Document, Guide
from tthc_text import search_text

# Systems a record can name for filing online, as they read after search_text(), and the
# name a guide gives them. The national portal is the default the others refine.
NATIONAL_PORTAL = "national_portal"
SYSTEMS: dict[str, tuple[re.Pattern[str], str]] = {
    "vneid": (re.compile(r"\bung dung dinh danh\b|\bvneid\b"), "Ứng dụng VNeID"),
    "police_portal": (re.compile(r"\bcong dich vu cong (cua )?bo cong an\b|\bdichvucong bocongan\b"),
                      "Cổng dịch vụ công Bộ Công an"),
    "business_registration": (
        re.compile(r"\bhe thong thong tin quoc gia ve dang ky doanh nghiep\b|\bdangkykinhdoanh\b"),
        "Hệ thống thông tin quốc gia về đăng ký doanh nghiệp"),
    "cooperative_registration": (re.compile(r"\bhe thong thong tin (quoc gia )?ve dang ky hop tac xa\b"),
                                 "Hệ thống thông tin về đăng ký hợp tác xã"),
    "tax": (re.compile(r"\b(he thong|cong thong tin)( \w+){0,8} (cua )?co quan thue\b|\bthue dien tu\b|"
                       r"\bthuedientu\b|\betax\b"), "Hệ thống thuế điện tử"),
    "social_insurance": (re.compile(r"\bcong dich vu cong (cua )?(bao hiem xa hoi|bhxh)\b|\bvssid\b"),
                         "Cổng dịch vụ công Bảo hiểm xã hội Việt Nam / VssID"),
    NATIONAL_PORTAL: (re.compile(r"\bcong dich vu cong quoc gia\b|\bdichvucong gov vn\b"),
                      "Cổng Dịch vụ công quốc gia"),
}

CHANNEL_NAMES: dict[str, str] = {
    ChannelType.in_person.value: "trực tiếp",
    ChannelType.post.value: "bưu điện",
    ChannelType.online.value: "trực tuyến",
}
UNIT_NAMES: dict[str, str] = {"hour": "giờ", "working_day": "ngày làm việc", "day": "ngày", "month": "tháng"}
LEVEL_NAMES: dict[str, str] = {"commune": "xã", "province": "tỉnh", "ministry": "bộ", "other": "khác"}
KIND_NAMES: dict[str, str] = {"original": "bản chính", "copy": "bản sao", "original_or_copy": "bản chính hoặc bản sao",
                              "present": "xuất trình"}
_EXEMPT = re.compile(r"\bmien (phi|le phi|nop|thu)\b|\bkhong (phai )?(nop|thu) (le )?phi\b|\bduoc mien\b")
_LEGAL_TYPES = str.maketrans({"Đ": "D", "đ": "d"})


@dataclass(frozen=True)
class ChannelFacts:
    """One way of filing: its fee and its time limit."""

    fee_kind: str  # free | amount | province | unknown
    amount: int | None
    time_value: float | None
    time_unit: str  # hour | working_day | day | month | unknown
    fee_text: str = ""
    time_text: str = ""


@dataclass(frozen=True)
class Facts:
    """The checked facts of one guide, or of the draft its catalog record parses into."""

    channels: dict[str, ChannelFacts]  # the first row of each way of filing
    rows: dict[str, tuple[ChannelFacts, ...]]  # every row (a record can give one way two times)
    amounts_mentioned: frozenset[int]  # every amount anywhere in its fee texts and notes
    exemption: bool  # says that someone pays nothing (or less)
    legal: tuple[str, ...]  # legal-basis numbers as written
    documents: tuple[Document, ...]
    agency: str
    levels: tuple[str, ...]
    systems: tuple[str, ...]  # the online systems it names (keys of SYSTEMS)

    @property
    def online(self) -> bool:
        return ChannelType.online.value in self.channels


def legal_key(number: str) -> str:
    """A legal-basis number in the form two spellings of it share ("123/2015/NĐ-CP")."""
    return re.sub(r"\s+", "", number).translate(_LEGAL_TYPES).upper().replace("–", "-")


def systems_named(text: str) -> tuple[str, ...]:
    """The online systems a text names, by key."""
    said = search_text(text)
    return tuple(key for key, (pattern, _) in SYSTEMS.items() if pattern.search(said))


def _fee_texts(guide: Guide) -> list[str]:
    texts = [t for c in guide.channels for t in (c.fee.text, c.fee.note or "", c.note or "")]
    for item in guide.fees.items:
        texts += [item.name, item.fee.text, item.fee.note or ""]
    return [*texts, *guide.fees.exemptions, guide.fees.note or ""]


def _amounts(guide: Guide, texts: list[str]) -> frozenset[int]:
    found = {c.fee.amount_vnd for c in guide.channels if c.fee.amount_vnd}
    found |= {i.fee.amount_vnd for i in guide.fees.items if i.fee.amount_vnd}
    for text in texts:
        found |= set(money_in(text))
    return frozenset(a for a in found if a)


def guide_facts(guide: Guide, online_text: str = "") -> Facts:
    """The facts a guide states. ``online_text`` adds text that names online systems (a
    record's raw channel and step text, which the parsed draft does not keep)."""
    texts = _fee_texts(guide)
    rows: dict[str, tuple[ChannelFacts, ...]] = {}
    for c in guide.channels:
        row = ChannelFacts(c.fee.kind, c.fee.amount_vnd, c.time.value, c.time.unit, c.fee.text, c.time.text)
        rows[c.type.value] = (*rows.get(c.type.value, ()), row)
    channels = {kind: found[0] for kind, found in rows.items()}
    online = next((c for c in guide.channels if c.type is ChannelType.online), None)
    online_said = " ".join(filter(None, [guide.online_system, guide.online_url, online.note if online else None,
                                         *guide.steps, online_text]))
    fee_words = search_text(" ".join(texts))
    return Facts(
        channels=channels,
        rows=rows,
        amounts_mentioned=_amounts(guide, texts),
        exemption=bool(guide.fees.exemptions) or bool(_EXEMPT.search(fee_words)),
        legal=tuple(dict.fromkeys(b.number for b in guide.legal_basis)),
        documents=tuple(guide.documents),
        agency=guide.agency,
        levels=tuple(sorted(level.value for level in guide.level)),
        systems=systems_named(online_said),
    )


def record_facts(record: CatalogRecord) -> Facts:
    """The facts a catalog record states (raises when the record cannot be parsed)."""
    draft = convert(record).guide
    facts = guide_facts(draft, online_text=f"{record['cach_thuc_thuc_hien']} {record['trinh_tu_thuc_hien']}")
    # a record's exemption is a fee note about who pays nothing, not a free channel
    notes = search_text(" ".join(c.fee.note or "" for c in draft.channels))
    return replace(facts, exemption=bool(_EXEMPT.search(notes)))


# -------------------------------------------------------------- per field, for people


def _time(value: float | None, unit: str) -> str:
    if value is None or unit == "unknown":
        return "không rõ"
    number = f"{value:g}".replace(".", ",")
    return f"{number} {UNIT_NAMES.get(unit, unit)}"


def _fee(channel: ChannelFacts) -> str:
    if channel.fee_kind == "amount" and channel.amount is not None:
        return format_vnd(channel.amount)
    return {"free": "miễn phí", "province": "theo mức tỉnh quy định"}.get(channel.fee_kind, "không rõ")


def describe(facts: Facts, name: str) -> str:
    """What ``facts`` say about one checked field, in a line a clerk reads."""
    if name == "fee":
        text = "; ".join(f"{CHANNEL_NAMES[t]}: {_fee(c)}" for t, c in sorted(facts.channels.items()))
        return text + ("; có trường hợp được miễn/giảm" if facts.exemption else "")
    if name == "time":
        return "; ".join(f"{CHANNEL_NAMES[t]}: {_time(c.time_value, c.time_unit)}" for t, c in sorted(facts.channels.items()))
    if name == "legal_basis":
        return ", ".join(sorted(facts.legal, key=legal_key))
    if name == "documents":
        return "; ".join(f"{d.name} ({KIND_NAMES[d.kind.value]})" for d in facts.documents)
    if name == "agency":
        return facts.agency
    if name == "level":
        return ", ".join(LEVEL_NAMES[level] for level in facts.levels)
    if name == "online":
        if not facts.online:
            return "không nộp trực tuyến"
        names = [SYSTEMS[key][1] for key in facts.systems]
        return "nộp trực tuyến" + (f" qua {', '.join(names)}" if names else " (không nêu hệ thống)")
    raise ValueError(f"not a checked field: {name}")


# -------------------------------------------------------------- fingerprints


def field_values(facts: Facts) -> dict[str, Any]:
    """Each checked field as plain data: what its fingerprint is taken over."""
    return {
        "fee": {t: sorted([c.fee_kind, c.amount or 0] for c in rows) for t, rows in sorted(facts.rows.items())}
        | {"exempt": facts.exemption},
        "time": {t: sorted([c.time_value or 0, c.time_unit] for c in rows) for t, rows in sorted(facts.rows.items())},
        "legal_basis": sorted({legal_key(n) for n in facts.legal}),
        "documents": sorted([search_text(d.name), d.kind.value] for d in facts.documents),
        "agency": search_text(facts.agency),
        "level": list(facts.levels),
        "online": {"online": facts.online, "systems": sorted(facts.systems)},
    }


def fingerprints(facts: Facts) -> dict[str, str]:
    """Per checked field, a short hash of what the facts say about it."""
    values = field_values(facts)
    return {
        name: hashlib.sha256(json.dumps(values[name], sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]
        for name in CHECK_FIELDS
    }
