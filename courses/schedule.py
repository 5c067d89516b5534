"""Periodic tasks of courses (merged into the beat schedule by the Celery app)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    # the office's daily digest of new questions (organisations that chose 1日1回)
    "courses-question-office-digest": {
        "task": "courses.tasks.question_office_digest",
        "schedule": crontab(hour=8, minute=30),
    },
}
