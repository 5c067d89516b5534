"""The apps' periodic tasks for Celery beat, as one importable function.

In the site's Celery app::

    from members.beat import beat_schedule

    app.conf.beat_schedule = {**beat_schedule(), **app.conf.beat_schedule}

Each app keeps its entries in ``<app>/schedule.py`` (a plain dict: no models, so the schedule
is read before Django is set up).
"""

from importlib import import_module

SCHEDULED_APPS = ("members", "courses", "lms", "mailings")


def beat_schedule() -> dict:
    """The nightly refresh, the reminders, the mail tick and the purges of the four apps."""
    schedule = {}
    for label in SCHEDULED_APPS:
        try:
            module = import_module(f"{label}.schedule")
        except ModuleNotFoundError as exc:
            if exc.name != f"{label}.schedule":
                raise
            continue  # an app without periodic tasks
        schedule.update(module.BEAT_SCHEDULE)
    return schedule
