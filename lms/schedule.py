"""Periodic tasks of the compliance app (merged into beat by training_site/celery.py)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "lms-nightly-refresh": {
        # after midnight JST: new cycles appear ahead of time, overdue flips on the day after due
        "task": "lms.nightly_refresh",
        "schedule": crontab(hour=0, minute=20),
    },
}
