"""The one schema every procedure guide file is validated against.

A guide is one YAML file under ``procedures/``. Published guides are answered by the
bot and must be complete; drafts (imported from the national catalog) validate under
looser rules: unknown fee or time, no documents, any level the catalog uses.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import Enum
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tthc_text import nfc

CODE_RE = re.compile(r"^\d\.\d{6}$")
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class _Model(BaseModel):
    """Base: unknown keys are errors (a typo in a field name must not pass silently),
    and every string is NFC-normalised on the way in."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _nfc(cls, value: object) -> object:
        if isinstance(value, str):
            return nfc(value)
        if isinstance(value, list):
            return [nfc(v) if isinstance(v, str) else v for v in value]
        return value


class Status(str, Enum):
    draft = "draft"
    published = "published"


# Where an entry comes from: a guide a clerk curates, or the national catalog imported as it
# is (answered, and said to be unreviewed; never a file of the repository).
Tier = Literal["curated", "catalog"]


class Level(str, Enum):
    """Level that handles the procedure, after the July 2025 two-tier reform."""

    commune = "commune"  # Cấp xã (xã, phường, đặc khu)
    province = "province"  # Cấp tỉnh
    ministry = "ministry"  # Cấp bộ / trung ương
    other = "other"  # Cơ quan khác (e.g. notary offices, banks)


class DocumentKind(str, Enum):
    original = "original"  # bản chính
    copy = "copy"  # bản sao (chứng thực hoặc kèm bản chính để đối chiếu)
    original_or_copy = "original_or_copy"
    present = "present"  # xuất trình, không nộp


class Document(_Model):
    name: str = Field(min_length=3)
    kind: DocumentKind = DocumentKind.original
    quantity: int = Field(default=1, ge=0, le=20)
    form: str | None = None  # name of the form / template (mẫu tờ khai)
    form_url: str | None = None
    note: str | None = None  # when it is needed, who issues it, ...


TimeUnit = Literal["hour", "working_day", "day", "month", "unknown"]


class Duration(_Model):
    """A processing time: the plain text shown to citizens plus a structured value."""

    text: str = Field(min_length=1)  # e.g. "Trong ngày", "15 ngày làm việc"
    value: float | None = Field(default=None, ge=0)
    unit: TimeUnit = "unknown"

    @model_validator(mode="after")
    def _value_needs_unit(self) -> Duration:
        if self.value is not None and self.unit == "unknown":
            raise ValueError("a time with a value needs a unit (hour, working_day, day, month)")
        return self


FeeKind = Literal["free", "amount", "province", "unknown"]


class Fee(_Model):
    """A fee: free, a fixed amount in VND, set by the province, or unknown."""

    kind: FeeKind
    amount_vnd: int | None = Field(default=None, ge=0)
    text: str = Field(min_length=1)  # "Miễn phí", "50.000 đồng", "Theo mức HĐND tỉnh quy định"
    note: str | None = None

    @model_validator(mode="after")
    def _amount_matches_kind(self) -> Fee:
        if self.kind == "amount" and self.amount_vnd is None:
            raise ValueError("kind 'amount' needs amount_vnd")
        if self.kind == "free" and self.amount_vnd not in (None, 0):
            raise ValueError("kind 'free' cannot have a non-zero amount_vnd")
        return self


class ChannelType(str, Enum):
    in_person = "in_person"  # Trực tiếp
    online = "online"  # Trực tuyến
    post = "post"  # Dịch vụ bưu chính


CHANNEL_LABELS: dict[ChannelType, str] = {
    ChannelType.in_person: "Nộp trực tiếp",
    ChannelType.online: "Nộp trực tuyến",
    ChannelType.post: "Qua bưu điện",
}


class Channel(_Model):
    type: ChannelType
    time: Duration
    fee: Fee
    note: str | None = None


class FeeItem(_Model):
    name: str = Field(min_length=2)  # "Lệ phí đăng ký khai sinh"
    fee: Fee


class Fees(_Model):
    items: list[FeeItem] = Field(default_factory=list)
    exemptions: list[str] = Field(default_factory=list)  # who does not pay
    note: str | None = None


class LegalBasis(_Model):
    number: str = Field(min_length=3)  # "123/2015/NĐ-CP"
    title: str = ""


# The fields `tthc procedures check` compares with the catalog record; a guide explains a
# deliberate difference (`catalog_differences`) and keeps the record's fingerprints of its
# last review (`catalog_fingerprint`) by these names.
CheckField = Literal["fee", "time", "legal_basis", "documents", "agency", "level", "online"]
CHECK_FIELDS: tuple[CheckField, ...] = get_args(CheckField)


class Guide(_Model):
    """One administrative procedure, as citizens need to know it."""

    code: str
    id: str
    title: str = Field(min_length=3)
    status: Status = Status.draft
    tier: Tier = "curated"
    summary: str | None = None  # one or two plain sentences for the general answer
    aliases: list[str] = Field(default_factory=list)
    field: str = ""
    level: list[Level] = Field(default_factory=list)
    agency: str = ""
    who: str = ""
    conditions: list[str] = Field(default_factory=list)
    documents: list[Document] = Field(default_factory=list)
    steps: list[str] = Field(default_factory=list)
    channels: list[Channel] = Field(default_factory=list)
    fees: Fees = Field(default_factory=Fees)
    processing_time: Duration | None = None
    result: str = ""
    legal_basis: list[LegalBasis] = Field(default_factory=list)
    online_url: str | None = None
    # the system the catalog names for filing online ("Ứng dụng VNeID", "Cổng Dịch vụ công
    # Bộ Công an"...): named, never replaced by a made-up address
    online_system: str | None = None
    sample_questions: list[str] = Field(default_factory=list)
    related: list[str] = Field(default_factory=list)
    source: str
    last_reviewed: dt.date | None = None
    # why this guide says something else than its catalog record, by field ("explained")
    catalog_differences: dict[CheckField, str] = Field(default_factory=dict)
    # per-field fingerprints of the catalog record when the guide was last checked
    catalog_fingerprint: dict[CheckField, str] = Field(default_factory=dict)

    @field_validator("code")
    @classmethod
    def _code_format(cls, value: str) -> str:
        if not CODE_RE.match(value):
            raise ValueError(f"'{value}' is not a national procedure code like 1.001193")
        return value

    @field_validator("related")
    @classmethod
    def _related_codes(cls, value: list[str]) -> list[str]:
        bad = [c for c in value if not CODE_RE.match(c)]
        if bad:
            raise ValueError(f"not procedure codes: {', '.join(bad)}")
        return value

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG_RE.match(value):
            raise ValueError(f"'{value}' is not a slug (lowercase ascii words joined by '-')")
        return value

    @field_validator("source", "online_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://\S+$", value):
            raise ValueError(f"'{value}' is not an http(s) URL")
        return value

    @model_validator(mode="after")
    def _published_is_complete(self) -> Guide:
        if self.status is not Status.published:
            return self
        missing = [
            name
            for name, ok in (
                ("aliases (at least 2)", len(self.aliases) >= 2),
                ("field", bool(self.field)),
                ("level", bool(self.level)),
                ("agency", bool(self.agency)),
                ("who", bool(self.who)),
                ("documents", bool(self.documents)),
                ("steps", bool(self.steps)),
                ("channels", bool(self.channels)),
                ("processing_time", self.processing_time is not None),
                ("result", bool(self.result)),
                ("legal_basis", bool(self.legal_basis)),
                ("sample_questions (at least 3)", len(self.sample_questions) >= 3),
                ("last_reviewed", self.last_reviewed is not None),
                ("summary", bool(self.summary)),
            )
            if not ok
        ]
        if missing:
            raise ValueError("a published guide needs: " + ", ".join(missing))
        online = [c for c in self.channels if c.type is ChannelType.online]
        if online and not (self.online_url or self.online_system):
            raise ValueError("a published guide with an online channel needs online_url or online_system")
        return self

    @property
    def is_published(self) -> bool:
        return self.status is Status.published

    @property
    def is_catalog(self) -> bool:
        return self.tier == "catalog"
