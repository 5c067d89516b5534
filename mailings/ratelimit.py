"""A per-organisation sending rate shared by every worker.

Fixed windows counted in Redis (INCRBY + EXPIRE) when ``REDIS_URL`` is set, else in Django's
cache (the database cache in the default set-up, so workers on one database share it).
Workers take tokens in small batches so the counter is touched a few times per second,
not once per message.
"""

import time

from django.conf import settings
from django.core.cache import cache

_redis = None


def _redis_client():
    global _redis
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return None
    if _redis is None:
        import redis

        _redis = redis.Redis.from_url(url)
    return _redis


class RateLimiter:
    def __init__(self, *, key: str, per_minute: int, batch: int = 10, sleep=time.sleep):
        self.key = key
        self.per_minute = per_minute
        if per_minute >= 60:
            self.window, self.budget = 1, max(1, round(per_minute / 60))
        else:
            self.window, self.budget = 60, per_minute
        self.batch = max(1, min(batch, self.budget or 1))
        self.tokens = 0
        self.sleep = sleep

    @property
    def unlimited(self) -> bool:
        return self.per_minute <= 0

    def _take(self, n: int) -> int:
        window_id = int(time.time() // self.window)
        key = f"mailings:rate:{self.key}:{self.window}:{window_id}"
        client = _redis_client()
        if client is not None:
            pipe = client.pipeline()
            pipe.incrby(key, n)
            pipe.expire(key, self.window * 2 + 1)
            total = pipe.execute()[0]
        else:
            cache.add(key, 0, timeout=self.window * 2 + 1)
            try:
                total = cache.incr(key, n)
            except ValueError:  # expired between add and incr
                cache.set(key, n, timeout=self.window * 2 + 1)
                total = n
        return max(0, min(n, self.budget - (total - n)))

    def acquire(self) -> None:
        """Block until this worker may send one more message."""
        if self.unlimited:
            return
        while self.tokens <= 0:
            self.tokens = self._take(self.batch)
            if self.tokens <= 0:
                self.sleep(self.window - (time.time() % self.window) + 0.001)
        self.tokens -= 1
