"""Periodic tasks of mailings (merged into the beat schedule by training_site/celery.py)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "mailings-tick": {"task": "mailings.tasks.tick", "schedule": 30.0},
    "mailings-reminders": {
        "task": "mailings.tasks.send_reminders",
        "schedule": crontab(hour=9, minute=0),
    },
}
