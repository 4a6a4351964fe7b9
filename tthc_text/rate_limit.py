"""A sliding-window rate limit kept in this process's memory, for both runtimes: the Rasa
channels count senders and addresses with it (``connectors.ratelimit`` adds the Redis one
that replicas share), the web front counts addresses."""

from __future__ import annotations

import threading
import time
import unicodedata
from collections import deque
from typing import Protocol


def identity(sender: str) -> str:
    """The key one sender is counted under, whatever way the id was written: compatibility
    forms folded (full-width ``ＡＢ`` is ``ab``), case folded, invisible format characters
    (zero-width spaces and joiners, direction marks) and surrounding spaces dropped."""
    folded = unicodedata.normalize("NFKC", sender).casefold()
    return "".join(c for c in folded if unicodedata.category(c) != "Cf").strip()


class Limiter(Protocol):
    def wait_time(self, key: str) -> float:
        """0 if ``key`` may send now (and counts it), else the seconds until it may."""


class RateLimiter:
    """Counts in this process's memory (one Rasa server, or the web front)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._last_sweep: float | None = None

    def wait_time(self, key: str, now: float | None = None) -> float:
        """0 if ``key`` may send now (and counts it), else the seconds until it may."""
        if self.limit <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        key = identity(key)
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(0.001, hits[0] + self.window - now)
            hits.append(now)
            if self._last_sweep is None:
                self._last_sweep = now
            elif now - self._last_sweep > self.window:
                self._sweep(now)
            return 0.0

    def _sweep(self, now: float) -> None:
        """Forget senders who have been quiet for a whole window (bounded memory)."""
        for key in [k for k, h in self._hits.items() if not h or h[-1] <= now - self.window]:
            del self._hits[key]
        self._last_sweep = now
