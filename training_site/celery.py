"""The site's Celery application: ``celery -A training_site worker`` / ``beat``.

Without CELERY_BROKER_URL tasks run eagerly in-process. A worker or beat started without
DJANGO_SETTINGS_MODULE runs with the production settings (DEBUG off), never the dev ones.

Periodic tasks: the apps' schedule (members.beat.beat_schedule), so beat needs no
per-deployment configuration.
"""

import os

from celery import Celery

from members.beat import beat_schedule

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "training_site.settings.production")

app = Celery("training_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = beat_schedule()
