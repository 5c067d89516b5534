"""Settings of the real Celery worker started by the reliability test (test settings plus a
broker, an SMTP server and a short lease, all from the environment)."""

import os

from training_site.settings.test import *  # noqa: F403

CELERY_BROKER_URL = os.environ["CELERY_BROKER_URL"]
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("MAILINGS_TEST_QUEUE", "celery")
REDIS_URL = os.environ.get("REDIS_URL", CELERY_BROKER_URL)
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ["MAILINGS_TEST_SMTP_PORT"])
EMAIL_USE_TLS = False
MAILINGS_LEASE_SECONDS = int(os.environ.get("MAILINGS_LEASE_SECONDS", "10"))
MAILINGS_TASK_SECONDS = 120
MAILINGS_CHUNK_SIZE = 200
