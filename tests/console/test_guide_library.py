"""console.guide_library: the guides the console shows, loaded once and reloaded on change."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from console import guide_library
from console.guide_library import GuideLibrary

FIXTURE_GUIDES = Path(__file__).parents[1] / "fixtures" / "guides" / "valid"


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURE_GUIDES, tmp_path / "guides")
    return tmp_path / "guides"


def retitle(path: Path, title: str) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["title"] = title
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # a later save, whatever the clock


def test_guides_are_read_once_and_found_by_code(folder: Path) -> None:
    library = GuideLibrary(folder)
    some = library.guides[0]
    guide, path = library.find(some.code)  # type: ignore[misc]
    assert guide == some and folder in path.parents
    assert library.titles()[some.code] == some.title
    assert library.find("9.999999") is None
    retitle(path, "Tên mới")
    assert library.titles()[some.code] == some.title  # not read again per request
    library.reload()  # after a save
    assert library.titles()[some.code] == "Tên mới"


def test_a_save_by_another_replica_is_seen_at_the_next_check(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    library = GuideLibrary(folder)
    some = library.guides[0]
    _, path = library.find(some.code)  # type: ignore[misc]
    retitle(path, "Sửa ở máy khác")
    monkeypatch.setattr(guide_library, "CHECK_EVERY_SECONDS", 0.0)
    assert library.titles()[some.code] == "Sửa ở máy khác"
    path.unlink()
    assert library.find(some.code) is None


def test_a_missing_folder_is_an_empty_library(tmp_path: Path) -> None:
    library = GuideLibrary(tmp_path / "none")
    assert library.guides == [] and library.titles() == {}
