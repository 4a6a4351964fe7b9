"""A per-sender rate limit for every channel: at most N messages per sender in a sliding
window (``RATE_LIMIT_MESSAGES`` per ``RATE_LIMIT_WINDOW`` seconds).

One Rasa server keeps the counts in memory (``RateLimiter``). Several replicas share them
in Redis (``RedisRateLimiter``, when ``REDIS_URL`` is set), so a sender cannot multiply
the limit by spreading messages over the replicas. (The ``limits`` library would be the
natural choice, but its releases need ``packaging>=21`` and Rasa 3.6 pins
``packaging<21``.)
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from tthc_text.rate_limit import Limiter, RateLimiter, identity

logger = logging.getLogger(__name__)


# One sorted set per sender (score: the time of each message), trimmed to the window and
# checked and updated in one atomic script, on the Redis server's clock.
_SLIDING_WINDOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tostring(tonumber(oldest[2]) + window - now)
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
return '0'
"""


class RedisRateLimiter:
    """Counts in Redis, shared by every replica. If Redis cannot be reached, messages are
    let through (the limit protects the service; it must not stop it) and it is logged."""

    def __init__(self, url: str, limit: int, window: float, prefix: str = "tthc:ratelimit:") -> None:
        import redis  # type: ignore[import]  # noqa: PLC0415 - only with REDIS_URL; Rasa already depends on it

        self.limit = limit
        self.window = window
        self.prefix = prefix
        self._redis = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        self._script: Any = self._redis.register_script(_SLIDING_WINDOW)

    def wait_time(self, key: str) -> float:
        if self.limit <= 0:
            return 0.0
        try:
            answer = self._script(keys=[self.prefix + identity(key)], args=[self.window, self.limit, uuid.uuid4().hex])
        except Exception as error:  # noqa: BLE001 - fail open, loudly
            logger.warning("rate limit not checked (Redis unavailable): %r", error)
            return 0.0
        wait = float(answer.decode() if isinstance(answer, bytes) else answer)
        return max(0.001, wait) if wait > 0 else 0.0


__all__ = ["Limiter", "RateLimiter", "RedisRateLimiter", "app_limiter", "identity", "make_limiter"]


def make_limiter(channel: str, limit: int, window: float, redis_url: str | None) -> Limiter:
    """A channel's limiter for the settings: shared in Redis when the replicas have one."""
    if redis_url:
        return RedisRateLimiter(redis_url, limit, window, prefix=f"tthc:ratelimit:{channel}:")
    return RateLimiter(limit, window)


def app_limiter(app: Any, space: str, limit: int, window: float, redis_url: str | None) -> Limiter:
    """One limiter per counting space for a Rasa server's channels (kept on the Sanic app; in
    Redis across replicas): the REST and web channels take client-chosen sender ids from one
    space, so one sender is counted once on both."""
    limiters: dict[tuple[str, int, float], Limiter] = app.ctx.__dict__.setdefault("tthc_limiters", {})
    key = (space, limit, window)
    if key not in limiters:
        limiters[key] = make_limiter(space, limit, window, redis_url)
    return limiters[key]
