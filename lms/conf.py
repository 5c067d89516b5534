"""Settings of the compliance app, each with a default: LMS_<NAME>."""

from django.conf import settings


def days_after_joining() -> int:
    """Default grace for members who join mid-window, and the onboarding due (days)."""
    return getattr(settings, "LMS_DAYS_AFTER_JOINING", 30)


def fiscal_year_start_month() -> int:
    """First month of the fiscal year (年度): April in Japan."""
    return getattr(settings, "LMS_FISCAL_YEAR_START_MONTH", 4)


def cycles_ahead_days() -> int:
    """How far ahead the periodic task creates the next cycles of recurring campaigns."""
    return getattr(settings, "LMS_CYCLES_AHEAD_DAYS", 120)


def preview_limit() -> int:
    """How many matching members the requirement preview lists."""
    return getattr(settings, "LMS_PREVIEW_LIMIT", 50)


def close_grace_days() -> int:
    """Days after a cycle's due date before the nightly task closes it (確定)."""
    return getattr(settings, "LMS_CLOSE_GRACE_DAYS", 0)
