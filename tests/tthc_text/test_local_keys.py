"""tthc_text.local_keys: one key per machine without configuration, the configured one otherwise."""

from __future__ import annotations

import stat
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from tthc_text.local_keys import local_key


def test_a_configured_key_is_used_and_no_file_written(tmp_path: Path) -> None:
    assert local_key(tmp_path, "action-token", "from-the-settings") == "from-the-settings"
    assert not (tmp_path / ".action-token").exists()


def test_without_one_a_random_key_is_kept_private_and_read_back(tmp_path: Path) -> None:
    first = local_key(tmp_path / "build", "action-token")
    assert len(first) >= 40
    path = tmp_path / "build" / ".action-token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert local_key(tmp_path / "build", "action-token") == first
    assert local_key(tmp_path / "build", "action-token", "") == first  # empty means not configured
    assert local_key(tmp_path / "build", "console-secret") != first  # each name its own key
    assert sorted(p.name for p in path.parent.iterdir()) == [".action-token", ".console-secret"]


def _key(folder: str) -> str:
    return local_key(Path(folder), "action-token")


def test_processes_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    with ProcessPoolExecutor(max_workers=6) as pool:
        keys = set(pool.map(_key, [str(tmp_path)] * 24))
    assert len(keys) == 1
    assert [p.name for p in tmp_path.iterdir()] == [".action-token"]
