"""Request throttles for member actions (questions to the office, player heartbeats).

Fixed windows counted in Django's cache: Redis when ``REDIS_URL`` is set (shared by every web
process), else the database cache of the default set-up. Sign-in codes are limited by
django-allauth's own ACCOUNT_RATE_LIMITS; this is for our own endpoints.
"""

from __future__ import annotations

import time

from django.core.cache import cache


def parse_rate(rate: str) -> tuple[int, int]:
    """``"10/h"`` -> (10, 3600). Units: s, m, h, d."""
    count, _, unit = rate.partition("/")
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit.strip()[:1]]
    return int(count), seconds


def allow(*, scope: str, ident: str | int, rate: str) -> bool:
    """Count one more request of ``ident`` in ``scope``; False once the rate is exceeded.

    One cache round trip once the window has begun (an increment), two for its first request.
    """
    limit, period = parse_rate(rate)
    window = int(time.time() // period)
    key = f"throttle:{scope}:{ident}:{window}"
    try:
        count = cache.incr(key)
    except ValueError:  # the window's first request (or its key expired)
        count = 1 if cache.add(key, 1, timeout=period + 1) else cache.incr(key)
    return count <= limit
