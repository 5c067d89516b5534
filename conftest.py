"""Fixtures shared by every app's tests."""

import os

import pytest

# Playwright's sync API keeps an event loop in the test thread; the ORM calls made by the
# test itself are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "scorm": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "scorm")},
        },
    }


@pytest.fixture
def organisation(db):
    from tests.factories import make_organisation

    return make_organisation()


@pytest.fixture
def other_organisation(db):
    from tests.factories import make_organisation

    return make_organisation(name="別の団体", slug="other-group")


@pytest.fixture
def member(organisation):
    from tests.factories import make_member

    return make_member(organisation=organisation, member_no="000001", email="taro@example.jp")


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate limits and study contexts live in the cache; every test starts with a clean slate.

    On Redis (REDIS_URL set), only this worker's keys: the database may be shared with other
    workers and with the Celery broker of the reliability test."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    cache = caches["default"]
    if isinstance(cache, RedisCache):
        client = cache._cache.get_client(write=True)
        keys = list(client.scan_iter(match=f"{cache.key_prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    else:
        cache.clear()
    yield
