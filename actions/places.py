"""Places citizens name, resolved to the 2025 units, and the office that serves them.

Citizens still use pre-2025 names (quận Hải Châu, phường Hòa Cường Bắc). A name is first
read as a pre-2025 address and converted to the current ward/commune; failing that it is
read as a current one. Offices come from the clerk-edited directory ``offices/offices.yml``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from guides.schema import Guide, Level
from tthc_settings import REPO_ROOT
from tthc_text import search_text

logger = logging.getLogger(__name__)

OFFICES_FILE = REPO_ROOT / "offices" / "offices.yml"


@dataclass(frozen=True)
class Place:
    province: str
    province_code: str
    ward: str | None = None
    ward_code: str | None = None
    legacy_district: str | None = None  # the pre-2025 district the citizen named, if any

    @property
    def label(self) -> str:
        name = f"{self.ward}, {self.province}" if self.ward else self.province
        if self.legacy_district and not self.ward:
            name = f"{self.legacy_district} cũ ({self.province})"
        return name


def _attr(unit: Any, name: str) -> str:
    return str(getattr(unit, name, "") or "").strip()


def _named_in(unit: Any, text: str, *fields: str) -> bool:
    """Whether one of the unit's short names really occurs in the text (accent-folded).

    The library guesses a unit for any text ("cách nấu phở bò" -> Hà Nội); a guess whose
    name the citizen did not write is not a place they named.
    """
    haystack = f" {' '.join(search_text(text).split())} "
    for field in fields:
        name = search_text(_attr(unit, field))
        if name and f" {name} " in haystack:
            return True
    return False


@lru_cache(maxsize=2048)
def resolve_place(text: str) -> Place | None:
    """The current unit a citizen's place name refers to, or None if it is not a place."""
    if not text.strip():
        return None
    try:
        from vietnamadminunits import convert_address, parse_address  # noqa: PLC0415
    except ImportError:  # pragma: no cover - installed with the app extra
        return None
    try:
        legacy = parse_address(text, mode="LEGACY")
        if _attr(legacy, "ward") and _named_in(legacy, text, "short_ward"):
            new = convert_address(text)
            if _attr(new, "province"):
                return Place(_attr(new, "province"), _attr(new, "province_code"), _attr(new, "ward") or None,
                             _attr(new, "ward_code") or None, _attr(legacy, "district") or None)
        current = parse_address(text, mode="FROM_2025")
        if _attr(current, "ward") and not _attr(current, "street") and _named_in(current, text, "short_ward"):
            return Place(_attr(current, "province"), _attr(current, "province_code"),
                         _attr(current, "ward"), _attr(current, "ward_code"))
        if _attr(legacy, "province") and _named_in(legacy, text, "short_district", "short_province"):
            return Place(_attr(legacy, "province"), _attr(legacy, "province_code"),
                         legacy_district=_attr(legacy, "district") or None)
    except Exception:  # noqa: BLE001 - a library hiccup must not break an answer
        logger.exception("could not resolve the place %r", text)
    return None


class Office(BaseModel):
    """One entry of the office directory: who receives applications for a ward or commune
    (``level: commune``, by ``ward_code``) or for a whole province (``level: province``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    level: Literal["commune", "province"]
    name: str = Field(min_length=3)
    province_code: str = Field(pattern=r"^\d{2}$")
    ward_code: str | None = Field(default=None, pattern=r"^\d{5}$")
    address: str | None = None
    hours: str | None = None
    phone: str | None = None

    @field_validator("province_code", "ward_code", mode="before")
    @classmethod
    def _code_as_text(cls, value: object) -> object:
        """A code written without quotes is read by YAML as a number (48, 20257)."""
        return f"{value:02d}" if isinstance(value, int) and not isinstance(value, bool) else value

    @model_validator(mode="after")
    def _a_commune_office_names_its_ward(self) -> Office:
        if self.level == "commune" and not self.ward_code:
            raise ValueError("a commune office needs its ward_code (the 2025 unit's code)")
        return self


class OfficeFileError(ValueError):
    """The office directory breaks its schema (the message names the entry and field)."""


def load_offices(path: Path = OFFICES_FILE) -> tuple[Office, ...]:
    """The office directory, checked: a mistake stops the action server's start."""
    try:
        entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except (OSError, yaml.YAMLError) as error:
        raise OfficeFileError(f"{path}: cannot be read: {error}") from error
    if not isinstance(entries, list):
        raise OfficeFileError(f"{path}: must be a list of offices")
    offices = []
    for number, entry in enumerate(entries, start=1):
        try:
            offices.append(Office.model_validate(entry))
        except ValidationError as error:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(entry)'}: {e['msg']}"
                                 for e in error.errors())
            raise OfficeFileError(f"{path}: office {number}: {problems}") from error
    return tuple(offices)


@lru_cache(maxsize=1)
def office_directory() -> tuple[Office, ...]:
    """The project's office directory, read once."""
    return load_offices()


def find_office(place: Place, level: Level, directory: tuple[Office, ...] | None = None) -> Office | None:
    entries = office_directory() if directory is None else directory
    for entry in entries:
        if level is Level.commune and place.ward_code and entry.ward_code == place.ward_code:
            return entry
        if level is not Level.commune and entry.province_code == place.province_code and entry.level == "province":
            return entry
    return None


def office_line(entry: Office) -> str:
    parts = [entry.name, *(v for v in (entry.address, entry.hours, entry.phone) if v)]
    return " — ".join(parts)


def office_for(text: str, guide: Guide) -> tuple[str, str | None] | None:
    """(place label, office line or None) for a place the citizen named, or None."""
    place = resolve_place(text)
    if place is None:
        return None
    level = guide.level[0] if guide.level else Level.commune
    entry = find_office(place, level)
    return place.label, (office_line(entry) if entry else None)
