"""Settings come from the environment; unsafe production settings refuse to start."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBE = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], "
    "'name': str(s.DATABASES['default']['NAME']), 'eager': s.CELERY_TASK_ALWAYS_EAGER, "
    "'email': s.EMAIL_BACKEND, 'lang': s.LANGUAGE_CODE, 'tz': s.TIME_ZONE, "
    "'storage': s.STORAGES['default']['BACKEND'], 'hosts': s.ALLOWED_HOSTS}))"
)


def run_settings(module, **env):
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("DJANGO", "DATABASE", "SECRET", "DEBUG", "CELERY", "EMAIL", "AWS", "ALLOWED", "REDIS")
        )
    }
    base.update(env, DJANGO_SETTINGS_MODULE=module)
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_without_secret_key_refuses_to_start():
    result = run_settings("training_site.settings.production")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
    assert "SECRET_KEY に十分長いランダムな値" in result.stderr


def test_production_with_insecure_default_key_refuses_to_start():
    result = run_settings("training_site.settings.production", SECRET_KEY="django-insecure-abc")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_embedded_defaults_are_sqlite_eager_celery_file_mail_local_storage():
    result = run_settings("training_site.settings.dev")
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    assert got["engine"] == "django.db.backends.sqlite3"
    assert got["name"].endswith("var/db.sqlite3")
    assert got["eager"] is True
    assert got["email"] == "django.core.mail.backends.filebased.EmailBackend"
    assert got["storage"] == "django.core.files.storage.FileSystemStorage"
    assert (got["lang"], got["tz"]) == ("ja", "Asia/Tokyo")


def test_environment_switches_database_broker_mail_and_storage():
    result = run_settings(
        "training_site.settings.production",
        SECRET_KEY="x" * 50,
        ALLOWED_HOSTS="lms.example.jp",
        DATABASE_URL="postgres://u:p@db.example:5432/lms",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
        EMAIL_URL="smtp://mailer:secret@smtp.example.jp:587/?tls=True",
        AWS_STORAGE_BUCKET_NAME="lms-media",
    )
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    assert got["engine"] == "django.db.backends.postgresql"
    assert got["name"] == "lms"
    assert got["eager"] is False
    assert got["email"] == "django.core.mail.backends.smtp.EmailBackend"
    assert got["storage"] == "storages.backends.s3.S3Storage"
    assert got["hosts"] == ["lms.example.jp"]


PRODUCTION_ENV = {
    "SECRET_KEY": "a-long-random-production-key-" + "Zk4q9Xw2Lp7Rt5Vb8Nm3Hj6Gf1Dc0Sa" * 2,
    "ALLOWED_HOSTS": "lms.example.jp",
    "SITE_URL": "https://lms.example.jp",
    "SCORM_CONTENT_ORIGIN": "https://scorm.example.jp",
}


def test_check_deploy_is_clean_with_production_settings():
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO", "SECRET", "DEBUG", "ALLOWED", "SITE_URL", "SCORM"))
    }
    env.update(PRODUCTION_ENV, DJANGO_SETTINGS_MODULE="training_site.settings.production")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_security_headers_and_proxy_come_from_the_environment():
    probe = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'hsts': s.SECURE_HSTS_SECONDS, 'ssl': s.SECURE_SSL_REDIRECT, "
        "'cookie': s.SESSION_COOKIE_SECURE, 'csrf': s.CSRF_COOKIE_SECURE, "
        "'referrer': s.SECURE_REFERRER_POLICY, 'proxies': s.ALLAUTH_TRUSTED_PROXY_COUNT, "
        "'header': s.ALLAUTH_TRUSTED_CLIENT_IP_HEADER, "
        "'csp': s.CONTENT_SECURITY_POLICY['DIRECTIVES']['script-src']}))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "SECRET"))}
    env.update(
        PRODUCTION_ENV,
        ALLAUTH_TRUSTED_PROXY_COUNT="1",
        DJANGO_SETTINGS_MODULE="training_site.settings.production",
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    assert got == {
        "hsts": 31536000,
        "ssl": True,
        "cookie": True,
        "csrf": True,
        "referrer": "same-origin",
        "proxies": 1,
        "header": None,
        "csp": ["'self'"],
    }
