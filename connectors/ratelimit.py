"""A per-sender rate limit for every channel: at most N messages per sender in a sliding
window (``RATE_LIMIT_MESSAGES`` per ``RATE_LIMIT_WINDOW`` seconds).

In memory: each channel of a Rasa server process holds its own limiter. (The ``limits``
library would be the natural choice, but its releases need ``packaging>=21`` and Rasa 3.6
pins ``packaging<21``.)
"""

from __future__ import annotations

import threading
import time
from collections import deque


class RateLimiter:
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
