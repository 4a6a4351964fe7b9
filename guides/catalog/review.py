"""A guide's review against its catalog record: the fingerprints stored in the guide file.

``tthc procedures check --accept ID`` and a save in the console store the record's
per-field fingerprints in the guide (``catalog_fingerprint``); ``tthc procedures stale``
lists the guides whose record has changed since.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from guides.catalog.check import changed_fields, load_record
from guides.schema import CHECK_FIELDS, Guide

KEY = "catalog_fingerprint"


class ReviewError(ValueError):
    """The fingerprint could not be stored (the file is left as it was)."""


def _without_block(lines: list[str]) -> list[str]:
    """The file's lines less its top-level ``catalog_fingerprint`` block."""
    kept: list[str] = []
    inside = False
    for line in lines:
        if inside and (line.startswith((" ", "\t", "-")) or not line.strip()):
            continue
        inside = line.startswith(f"{KEY}:")
        if not inside:
            kept.append(line)
    while kept and not kept[-1].strip():
        kept.pop()
    return kept


def store_fingerprint(path: Path, prints: dict[str, str]) -> None:
    """Write ``prints`` as the guide file's ``catalog_fingerprint``, keeping the rest of the
    file as the clerk wrote it (comments, layout). Raises :class:`ReviewError` when the result
    would not be a valid guide."""
    original = path.read_text(encoding="utf-8")
    block = [f"{KEY}:", *(f'  {name}: "{prints[name]}"' for name in CHECK_FIELDS if name in prints)]
    text = "\n".join([*_without_block(original.splitlines()), *block]) + "\n"
    try:
        guide = Guide.model_validate(yaml.safe_load(text))
    except (yaml.YAMLError, ValidationError) as exc:
        raise ReviewError(f"{path}: the fingerprint cannot be stored: {exc}") from exc
    if guide.catalog_fingerprint != {k: v for k, v in prints.items() if k in CHECK_FIELDS}:
        raise ReviewError(f"{path}: the stored fingerprint does not read back")
    path.write_text(text, encoding="utf-8")


@dataclass(frozen=True)
class StaleGuide:
    """A guide to look at again, and why."""

    guide: Guide
    path: Path
    reason: str  # catalog_changed | record_missing | record_unreadable | never_checked | not_reviewed
    changed_fields: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        g = self.guide
        return {
            "code": g.code,
            "id": g.id,
            "title": g.title,
            "last_reviewed": g.last_reviewed.isoformat() if g.last_reviewed else None,
            "path": str(self.path),
            "reason": self.reason,
            "changed_fields": self.changed_fields,
        }


def stale_guides(guides: list[tuple[Guide, Path]], *, days: int, catalog: Path | None,
                 today: dt.date | None = None) -> list[StaleGuide]:
    """Guides whose catalog record changed since their last review (when a catalog is
    given), then guides not reviewed for ``days`` days."""
    limit = (today or dt.date.today()) - dt.timedelta(days=days)
    found: list[StaleGuide] = []
    for guide, path in guides:
        if catalog is not None:
            try:
                record = load_record(catalog, guide.code)
            except ValueError:
                record = None
            if record is None:
                if guide.catalog_fingerprint:
                    found.append(StaleGuide(guide, path, "record_missing", list(CHECK_FIELDS)))
                    continue
            elif not guide.catalog_fingerprint:
                found.append(StaleGuide(guide, path, "never_checked"))
                continue
            else:
                try:
                    changed = changed_fields(guide, record)
                except Exception:  # a record the importer cannot parse: look at the guide again
                    found.append(StaleGuide(guide, path, "record_unreadable", list(CHECK_FIELDS)))
                    continue
                if changed:
                    found.append(StaleGuide(guide, path, "catalog_changed", changed))
                    continue
        if guide.last_reviewed is None or guide.last_reviewed < limit:
            found.append(StaleGuide(guide, path, "not_reviewed"))
    return found
