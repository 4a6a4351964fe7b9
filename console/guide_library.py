"""The curated guides as the console shows them: loaded once at start, reloaded after a save.

Pages read titles and guides from here, never from the files per request. Another replica's
save reaches this one at the next look (at most every ``CHECK_EVERY_SECONDS``), when the files'
modification times say something changed.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from guides.loader import LoadResult, Problem, guide_files, load_guides
from guides.schema import Guide

CHECK_EVERY_SECONDS = 30.0


def _signature(folder: Path) -> tuple[tuple[str, int], ...]:
    """What changes when a guide file is added, removed or saved (names and mtimes, no reading)."""
    try:
        return tuple((str(p), p.stat().st_mtime_ns) for p in guide_files(folder))
    except OSError:
        return ()


class GuideLibrary:
    """Thread-safe holder of the loaded guides of one folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._loaded = LoadResult()
        self._signature: tuple[tuple[str, int], ...] = ()
        self._checked = 0.0
        self.reload()

    def reload(self) -> None:
        """Read every guide again (after a save)."""
        signature = _signature(self.folder)
        loaded = load_guides(self.folder) if self.folder.exists() else LoadResult()
        with self._lock:
            self._loaded, self._signature, self._checked = loaded, signature, time.monotonic()

    def _current(self) -> LoadResult:
        if time.monotonic() - self._checked >= CHECK_EVERY_SECONDS:
            self._checked = time.monotonic()
            if _signature(self.folder) != self._signature:
                self.reload()
        return self._loaded

    @property
    def guides(self) -> list[Guide]:
        """Every valid guide, by title."""
        return sorted(self._current().guides, key=lambda g: g.title)

    @property
    def problems(self) -> list[Problem]:
        return list(self._current().problems)

    def titles(self) -> dict[str, str]:
        """Procedure code -> the guide's title."""
        return {g.code: g.title for g in self._current().guides}

    def find(self, code: str) -> tuple[Guide, Path] | None:
        """The guide of a procedure code and its file, if there is one."""
        loaded = self._current()
        for guide in loaded.guides:
            if guide.code == code:
                return guide, loaded.paths[guide.id]
        return None
