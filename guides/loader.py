"""Load guide files from a folder tree, validating each against :class:`guides.schema.Guide`.

A bad file never stops the others from loading: its problems are returned (and logged)
with the file, the field and what is wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from guides.schema import Guide

logger = logging.getLogger(__name__)

GUIDE_SUFFIXES = (".yml", ".yaml")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one guide file."""

    path: Path
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.field}: {self.message}"


@dataclass
class LoadResult:
    guides: list[Guide] = field(default_factory=list)
    paths: dict[str, Path] = field(default_factory=dict)  # guide id -> file
    problems: list[Problem] = field(default_factory=list)

    def published(self) -> list[Guide]:
        return [g for g in self.guides if g.is_published]


def guide_files(root: Path) -> Iterator[Path]:
    """Every guide file under ``root`` (sub-folders included), in a stable order."""
    if root.is_file():
        yield root
        return
    for path in sorted(root.rglob("*")):
        if path.suffix in GUIDE_SUFFIXES and path.is_file() and not path.name.startswith("."):
            yield path


def _field_name(loc: Iterable[int | str]) -> str:
    return ".".join(str(part) for part in loc) or "(file)"


def parse_guide(path: Path) -> tuple[Guide | None, list[Problem]]:
    """Parse and validate one file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return None, [Problem(path, "(file)", f"cannot be read as YAML: {exc}")]
    if not isinstance(data, dict):
        return None, [Problem(path, "(file)", "must be a YAML mapping of field: value")]
    try:
        return Guide.model_validate(data), []
    except ValidationError as exc:
        problems = [
            Problem(path, _field_name(err["loc"]), err["msg"].removeprefix("Value error, "))
            for err in exc.errors()
        ]
        return None, problems


def load_guides(root: Path) -> LoadResult:
    """Load every guide under ``root``; invalid files and duplicate codes/ids are skipped."""
    result = LoadResult()
    seen_codes: dict[str, Path] = {}
    for path in guide_files(root):
        guide, problems = parse_guide(path)
        if guide is not None:
            if guide.code in seen_codes:
                problems = [
                    Problem(path, "code", f"{guide.code} is already used by {seen_codes[guide.code]}")
                ]
            elif guide.id in result.paths:
                problems = [Problem(path, "id", f"'{guide.id}' is already used by {result.paths[guide.id]}")]
        if problems:
            for problem in problems:
                logger.warning("skipping guide: %s", problem)
            result.problems.extend(problems)
            continue
        assert guide is not None
        seen_codes[guide.code] = path
        result.paths[guide.id] = path
        result.guides.append(guide)
    return result
