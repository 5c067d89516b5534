"""Cache generations: a counter that, once moved on, makes everything remembered under its old
value stale (study contexts in courses/study_context.py, the site's page routes)."""

from django.core.cache import cache
from django.utils import timezone


def move_generation_on(key: str) -> None:
    """Move a cache *generation* on: whatever was remembered under the old one is stale."""
    try:
        cache.incr(key)
    except ValueError:  # not in the cache yet (or evicted): any value new to it will do
        cache.set(key, int(timezone.now().timestamp() * 1000), None)
