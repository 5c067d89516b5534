"""Test run: fast hashing, in-memory mail, eager Celery unless a broker is given."""

import os

os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-used-anywhere-else-0123456789")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,scorm.testserver,127.0.0.1,localhost")

from .base import *  # noqa: E402,F403
from .base import BASE_DIR  # noqa: E402

# The second factor is asked only by the tests about it (members/tests/test_twofactor.py,
# tests/browser/test_admin_twofactor.py), which turn it on; the others sign staff in directly.
MEMBERS_MFA_REQUIRED_FOR_STAFF = False
# django-axes warns that a per-process cache (locmem) counts per process: true, and fine here
SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "axes.W001"]  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = BASE_DIR / "var" / "test-media"
COURSES_SCORM_CONTENT_ORIGIN = "http://scorm.testserver"  # the content origin of SCORM lessons
STORAGES["scorm"]["OPTIONS"]["location"] = str(MEDIA_ROOT / "scorm")  # noqa: F405
PRIVATE_MEDIA_ROOT = BASE_DIR / "var" / "test-private"
STORAGES["private"]["OPTIONS"]["location"] = str(PRIVATE_MEDIA_ROOT)  # noqa: F405
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
if REDIS_URL:  # noqa: F405  (the PostgreSQL run of CI: the cache is the real Redis)
    # each pytest-xdist worker keeps its keys under its own prefix; conftest clears only those
    CACHES["default"]["KEY_PREFIX"] = "test-" + os.environ.get("PYTEST_XDIST_WORKER", "main")  # noqa: F405
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not SQLite's shared in-memory database: the browser tests' live server answers
    # several requests at once (a page, its frames, beacons, heartbeats), and shared-cache
    # memory databases fail those with "database table is locked" instead of waiting for
    # the lock (the 20 s busy timeout of the settings applies to files only).
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / "test-db.sqlite3")}  # noqa: F405
