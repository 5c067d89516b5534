"""The one rate counter: fixed windows counted in Django's cache.

With ``REDIS_URL`` the cache is Redis, so every web process and every Celery worker on any
machine counts in the same windows; the default set-up's database cache is shared by the
processes of one database. Used for member actions (questions to the office, player
heartbeats: :func:`allow`) and for the per-organisation sending rate of mailings
(:func:`take`). Sign-in codes are limited by django-allauth's own ACCOUNT_RATE_LIMITS.
"""

from __future__ import annotations

import time

from django.core.cache import cache


def parse_rate(rate: str) -> tuple[int, int]:
    """``"10/h"`` -> (10, 3600), ``"50/10m"`` -> (50, 600). Units: s, m, h, d."""
    count, _, period = rate.partition("/")
    period = period.strip()
    digits = period[: len(period) - len(period.lstrip("0123456789"))]
    unit = {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[len(digits) :][:1]]
    return int(count), int(digits or 1) * unit


def hit(*, scope: str, ident: str | int, period: int, amount: int = 1) -> int:
    """Count ``amount`` more in the current ``period``-second window of ``ident`` in
    ``scope``; returns the window's total including them.

    One increment once the window has begun, an add (and an increment) for its first hit.
    Keys outlive their window by a second and then expire.
    """
    window = int(time.time() // period)
    key = f"throttle:{scope}:{ident}:{period}:{window}"
    try:
        return cache.incr(key, amount)
    except ValueError:  # the window's first hit (or its key expired)
        if cache.add(key, amount, timeout=period + 1):
            return amount
        return cache.incr(key, amount)


def allow(*, scope: str, ident: str | int, rate: str) -> bool:
    """Count one more request of ``ident`` in ``scope``; False once the rate is exceeded."""
    limit, period = parse_rate(rate)
    return hit(scope=scope, ident=ident, period=period) <= limit


def take(*, scope: str, ident: str | int, limit: int, period: int, amount: int) -> int:
    """Take up to ``amount`` of the ``limit`` units a window allows; returns how many were
    granted (0 when the window is used up). Everyone taking from the same scope and ident
    shares the limit."""
    total = hit(scope=scope, ident=ident, period=period, amount=amount)
    return max(0, min(amount, limit - (total - amount)))


def client_ip(request) -> str:
    """The client's address as django-allauth's rate limits see it: REMOTE_ADDR, or behind a
    proxy the address it reports (ALLAUTH_TRUSTED_PROXY_COUNT, ALLAUTH_TRUSTED_CLIENT_IP_HEADER;
    see README). django-axes uses it too (AXES_CLIENT_IP_CALLABLE), so both count the same
    client."""
    from allauth.core.internal.httpkit import get_client_ip

    return get_client_ip(request) or ""
