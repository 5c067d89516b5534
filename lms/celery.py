"""The Celery application. Without CELERY_BROKER_URL tasks run eagerly in-process.

Periodic tasks: each app may define ``BEAT_SCHEDULE`` (a plain dict, no model imports) in
``<app>/schedule.py``; they are merged here so beat needs no per-deployment configuration.
"""

import os
from importlib import import_module

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.dev")

app = Celery("lms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

SCHEDULED_APPS = ["members", "courses", "lms", "mailings"]


def collect_beat_schedule() -> dict:
    schedule = {}
    for label in SCHEDULED_APPS:
        try:
            module = import_module(f"{label}.schedule")
        except ModuleNotFoundError as exc:
            if exc.name != f"{label}.schedule":
                raise
            continue
        schedule.update(module.BEAT_SCHEDULE)
    return schedule


app.conf.beat_schedule = collect_beat_schedule()
