"""Settings shared by every environment; everything external comes from the environment.

See the configuration table in README.md.
"""

from pathlib import Path

import dj_database_url
import environ
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()

INSECURE_SECRET_KEY_PREFIX = "django-insecure-"

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY and DEBUG:
    SECRET_KEY = INSECURE_SECRET_KEY_PREFIX + "dev-only-do-not-use-in-production"
if not DEBUG and (not SECRET_KEY or SECRET_KEY.startswith(INSECURE_SECRET_KEY_PREFIX)):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a long random value when DEBUG is off "
        "(refusing to start with a missing or insecure key). "
        "DEBUG が無効のときは SECRET_KEY に十分長いランダムな値を設定してください。"
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
WAGTAILADMIN_BASE_URL = SITE_URL
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])
WAGTAIL_SITE_NAME = env("WAGTAIL_SITE_NAME", default="労災保険 特別加入団体 安全衛生研修")

INSTALLED_APPS = [
    # this site: settings, home page, base templates (first, so that its templates win)
    "training_site",
    # the apps, in dependency order
    "members",
    "courses",
    "lms",
    "mailings",
    # wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "wagtailmedia",
    "modelcluster",
    "taggit",
    # accounts
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    # django
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "storages",
    "anymail",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "training_site.content_security.SiteCSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # no admin page before the second factor (inside allauth's middleware: it uses its context)
    "members.twofactor.AdminTwoFactorMiddleware",
    "members.middleware.WithdrawnMemberMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # django-axes: the admin password login locked after repeated failures (last, as it asks)
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "training_site.urls"
WSGI_APPLICATION = "training_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "wagtail.contrib.settings.context_processors.settings",
                "training_site.context_processors.site",
                "training_site.navigation.site_menu",
            ],
        },
    },
]

# --- database -------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"),
        conn_max_age=env.int("CONN_MAX_AGE", default=60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dev server and an eager task runner read while one writes. Transactions
    # take the write lock when they begin (IMMEDIATE): a transaction that read first and then
    # wrote would otherwise fail at once with "database is locked" when another writer waits,
    # instead of waiting for the busy timeout.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- auth -----------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # first: refuses a locked-out username/client before the password is even checked
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_request_login_code"
# after signing in, members land on マイ研修 (or the page they were going to)
LOGIN_REDIRECT_URL = reverse_lazy("lms:my_training")
LOGOUT_REDIRECT_URL = "/"

# Members sign in with a one-time code e-mailed to the address on the roster.
from members import conf as members_conf  # noqa: E402  (its defaults, extended below)

# Former members: sign-in for a year after withdrawal, to their transcript and certificates only
MEMBERS_WITHDRAWN_SIGNIN_DAYS = 365
MEMBERS_WITHDRAWN_ALLOWED_URLS = [
    *members_conf.WITHDRAWN_ALLOWED_URLS,
    "members:letter_signin",
    "lms:my_training",
    "courses:attempt_detail",
    "courses:certificate_pdf",
    "courses:verify",
    "courses:verify_number",
    "healthz",
]

ACCOUNT_ADAPTER = "members.adapters.MemberAccountAdapter"
ACCOUNT_FORMS = {
    "request_login_code": "members.forms.MemberRequestLoginCodeForm",
    "confirm_login_code": "members.forms.MemberConfirmLoginCodeForm",
}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*"]
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = 5
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 600
ACCOUNT_LOGIN_BY_CODE_SUPPORTS_RESEND = 3  # "send a new code", at most three times
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_USER_MODEL_USERNAME_FIELD = "username"
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_RATE_LIMITS = {
    # per e-mail address and per client address (behind a proxy: ALLAUTH_TRUSTED_PROXY_COUNT)
    "request_login_code": "5/10m/key,20/10m/ip",
    # code confirmations per client address (members.forms.MemberConfirmLoginCodeForm); each
    # code also takes at most ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS tries
    "confirm_login_code": "20/10m/ip",
}

# Staff and editors: the admin's password login is throttled by django-axes (per user name and
# client address) and followed by a second factor (TOTP with recovery codes, allauth's MFA):
# members/twofactor.py. MEMBERS_MFA_REQUIRED_FOR_STAFF / _EDITORS say who must enrol.
MEMBERS_MFA_REQUIRED_FOR_STAFF = env.bool("MFA_REQUIRED_FOR_STAFF", default=True)
MEMBERS_MFA_REQUIRED_FOR_EDITORS = env.bool("MFA_REQUIRED_FOR_EDITORS", default=False)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = WAGTAIL_SITE_NAME
MFA_RECOVERY_CODE_COUNT = 10
# failures counted in the cache (Redis in production): no database writes on a member's sign-in
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)  # hours: 15 minutes
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "members.twofactor.locked_out"
AXES_CLIENT_IP_CALLABLE = "members.throttle.client_ip"  # the same client address as allauth's
AXES_VERBOSE = False

# --- i18n -----------------------------------------------------------------
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
WAGTAIL_CONTENT_LANGUAGES = [("ja", _("Japanese"))]
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
# Japanese for Wagtail's admin JavaScript strings its own catalogue lacks ("Collapse all"):
# Wagtail's JavaScript catalogue reads only wagtail.admin's files and LOCALE_PATHS.
LOCALE_PATHS = [BASE_DIR / "training_site" / "locale_js"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

# --- static & media ---------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Files with personal data (roster and attendance uploads, exemption evidence, evidence packs)
# never go to MEDIA_ROOT: they live in the "private" storage, outside anything a web server
# serves, and are handed out only by permission-checked views (members/storage.py).
PRIVATE_MEDIA_ROOT = Path(env("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "var" / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
    "private": {
        "BACKEND": "members.storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT)},
    },
}
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    # S3-compatible object storage (AWS, MinIO, Cloudflare R2, さくらのクラウド …)
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", default=None),
            "region_name": env("AWS_S3_REGION_NAME", default=None),
            "access_key": env("AWS_ACCESS_KEY_ID", default=None),
            "secret_key": env("AWS_SECRET_ACCESS_KEY", default=None),
            "custom_domain": env("AWS_S3_CUSTOM_DOMAIN", default=None),
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
AWS_PRIVATE_STORAGE_BUCKET_NAME = env(
    "AWS_PRIVATE_STORAGE_BUCKET_NAME", default=AWS_STORAGE_BUCKET_NAME
)
if AWS_PRIVATE_STORAGE_BUCKET_NAME:
    # Private objects: no public ACL, never behind the public custom domain (that would drop
    # the signature), and links that expire after PRIVATE_URL_EXPIRE seconds. With one bucket
    # for both, private files keep to their own prefix, which the bucket policy must not
    # make public.
    STORAGES["private"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_PRIVATE_STORAGE_BUCKET_NAME,
            "location": env("AWS_PRIVATE_LOCATION", default="private"),
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", default=None),
            "region_name": env("AWS_S3_REGION_NAME", default=None),
            "access_key": env("AWS_ACCESS_KEY_ID", default=None),
            "secret_key": env("AWS_SECRET_ACCESS_KEY", default=None),
            "custom_domain": None,
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": env.int("PRIVATE_URL_EXPIRE", default=60),
            "file_overwrite": False,
        },
    }

# SCORM packages: a folder outside MEDIA_ROOT (or a private S3 prefix), served only through
# the content origin's permission-checked view (courses/scorm/content.py)
SCORM_ROOT = Path(env("SCORM_ROOT", default=str(BASE_DIR / "var" / "scorm")))
STORAGES["scorm"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": str(SCORM_ROOT)},
}
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["scorm"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **STORAGES["default"]["OPTIONS"],
            "location": env("SCORM_S3_LOCATION", default="scorm-private"),
            "custom_domain": None,  # never a public CDN address: files leave through the view
        },
    }
# The origin SCORM packages are served from (not the site's own): e.g. https://scorm.example.jp
# pointing at the same server. Unset on 127.0.0.1/localhost: the other of the two names.
COURSES_SCORM_CONTENT_ORIGIN = env("SCORM_CONTENT_ORIGIN", default="").rstrip("/") or None
if COURSES_SCORM_CONTENT_ORIGIN and ALLOWED_HOSTS != ["*"]:
    from urllib.parse import urlsplit as _urlsplit

    _scorm_host = _urlsplit(COURSES_SCORM_CONTENT_ORIGIN).hostname
    if _scorm_host and _scorm_host not in ALLOWED_HOSTS:
        ALLOWED_HOSTS.append(_scorm_host)

# --- e-mail ------------------------------------------------------------------
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(BASE_DIR / "var" / "mail"))
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
if env("EMAIL_URL", default=""):
    # smtp://user:pass@host:587/?tls=True, consolemail://, filemail:///path, ...
    vars().update(env.email_url("EMAIL_URL"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="研修事務局 <noreply@example.jp>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ANYMAIL = env.dict("ANYMAIL", default={})

# --- celery ----------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# Every task stops: SoftTimeLimitExceeded is raised in it after the soft limit (it records a
# failure and cleans up), the worker process is killed after the hard one. Long jobs (imports,
# the nightly refresh) set their own, larger limits on the task.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
CELERY_BEAT_SCHEDULE = {}  # apps add their periodic tasks in training_site/celery.py
REDIS_URL = env(
    "REDIS_URL", default=CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else ""
)

if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "training_site.cache.ReusedClientRedisCache", "LOCATION": REDIS_URL}
    }
    # Sessions are read on every request (each heartbeat): from Redis, written through to the
    # database, so a flushed cache signs nobody out.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "lms_cache",
        }
    }

# --- wagtail -----------------------------------------------------------------
# No third party sees who uses the admin: no Gravatar images (staff e-mail hashes) and no
# update check from the browser (both would also break the Content-Security-Policy).
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["pdf", "docx", "xlsx", "csv", "txt", "vtt"]
WAGTAILMEDIA = {
    "MEDIA_MODEL": "wagtailmedia.Media",
    # durations are read from the uploaded file on the server (courses/media.py)
    "MEDIA_FORM_BASE": "courses.media.ServerDurationMediaForm",
}
COURSES_MEDIA_SERVE = env("COURSES_MEDIA_SERVE", default="django")
COURSES_MEDIA_ACCEL_PREFIX = env("COURSES_MEDIA_ACCEL_PREFIX", default="/protected-media/")
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024

# --- security ------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "SAMEORIGIN"
# SAMEORIGIN, not DENY: Wagtail's preview panel frames the site's own pages (the CSP's
# frame-ancestors 'self' says the same to current browsers)
SILENCED_SYSTEM_CHECKS = ["security.W019"]
if SITE_URL.startswith("https://"):
    # the proxy (nginx) ends TLS and says so in X-Forwarded-Proto
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the load balancer's probe may come over http
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

# The client's address behind a reverse proxy, for every per-client limit (allauth's sign-in
# codes, django-axes, members.throttle): how many proxies append to X-Forwarded-For, or the
# header a single trusted proxy sets (e.g. X-Real-IP). Unset: REMOTE_ADDR (no proxy). A wrong
# value either lets clients forge their address or puts every client behind one limit.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("ALLAUTH_TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = env("ALLAUTH_TRUSTED_CLIENT_IP_HEADER", default=None)

# Content-Security-Policy (django-csp): training_site/content_security.py. Media from S3 (a custom domain
# or the endpoint's host) and video embeds are allowed sources; more from the environment.
from urllib.parse import urlsplit as _split  # noqa: E402

from training_site.content_security import directives as _csp_directives  # noqa: E402

_media_sources = env.list("CSP_MEDIA_SOURCES", default=[])
for _host in (
    env("AWS_S3_CUSTOM_DOMAIN", default=""),
    _split(env("AWS_S3_ENDPOINT_URL", default="") or "").netloc,
):
    if _host:
        _media_sources.append(f"https://{_host}")
if AWS_STORAGE_BUCKET_NAME and not _media_sources:
    _media_sources.append(f"https://{AWS_STORAGE_BUCKET_NAME}.s3.amazonaws.com")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": _csp_directives(
        media_sources=_media_sources,
        frame_sources=env.list(
            "CSP_FRAME_SOURCES",
            default=[
                "https://www.youtube.com",
                "https://www.youtube-nocookie.com",
                "https://player.vimeo.com",
            ],
        ),
    )
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
}

# --- app wiring --------------------------------------------------------------
# This site takes the apps' effects on the whole admin (each off by default for other sites):
# 和暦 in every admin date field, formula-safe Wagtail exports, and the staff group kept
# current by every migrate.
MEMBERS_WAREKI_ADMIN_DATES = True
MEMBERS_SAFE_WAGTAIL_EXPORTS = True
MEMBERS_SYNC_STAFF_GROUP = True
# Workflow mails go to the task's approvers only (an organisation's approvers), once each;
# superusers are not copied on every organisation's submissions.
WAGTAILADMIN_NOTIFICATION_INCLUDE_SUPERUSERS = False
