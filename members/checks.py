"""System checks: what the four apps need from the site that installs them, each with a hint
(README, "Adding the apps to an existing Wagtail site")."""

from django.apps import apps
from django.conf import settings
from django.core.checks import Error, Warning, register

REQUIRED_APPS = {
    "allauth": "members sign in with a one-time code e-mailed by django-allauth",
    "allauth.account": "members sign in with a one-time code e-mailed by django-allauth",
    "wagtailmedia": "video lessons are wagtailmedia items",
    "django.contrib.humanize": "the admin lists and dashboards format numbers with it",
    "wagtail.documents": "lessons link documents and captions",
    "wagtail.images": "courses and newsletters show images",
}
REQUIRED_MIDDLEWARE = {
    "allauth.account.middleware.AccountMiddleware": "django-allauth needs it for signing in",
}
# The settings that make members sign in with a code sent to their roster address only.
REQUIRED_SETTINGS = {
    "ACCOUNT_ADAPTER": "members.adapters.MemberAccountAdapter",
    "ACCOUNT_LOGIN_BY_CODE_ENABLED": True,
    "ACCOUNT_LOGIN_METHODS": {"email"},
    "ACCOUNT_FORMS": {"request_login_code": "members.forms.MemberRequestLoginCodeForm"},
}


@register()
def required_apps(app_configs=None, **kwargs):
    return [
        Error(
            f"{name} is not in INSTALLED_APPS: {reason}.",
            hint=f'Add "{name}" to INSTALLED_APPS.',
            id="members.E001",
        )
        for name, reason in REQUIRED_APPS.items()
        if name not in settings.INSTALLED_APPS
    ]


@register()
def required_middleware(app_configs=None, **kwargs):
    return [
        Error(
            f"{name} is not in MIDDLEWARE: {reason}.",
            hint=f'Add "{name}" to MIDDLEWARE, after AuthenticationMiddleware.',
            id="members.E002",
        )
        for name, reason in REQUIRED_MIDDLEWARE.items()
        if name not in settings.MIDDLEWARE
    ]


@register()
def sign_in_with_a_code(app_configs=None, **kwargs):
    errors = []
    for name, wanted in REQUIRED_SETTINGS.items():
        value = getattr(settings, name, None)
        if isinstance(wanted, dict):
            ok = isinstance(value, dict) and all(value.get(k) == v for k, v in wanted.items())
        elif isinstance(wanted, set):
            ok = value is not None and set(value) == wanted
        else:
            ok = value == wanted
        if not ok:
            errors.append(
                Error(
                    f"{name} is {value!r}: members sign in with a one-time code sent to the "
                    "address on the roster.",
                    hint=f"Set {name} = {wanted!r}.",
                    id="members.E003",
                )
            )
    backend = "allauth.account.auth_backends.AuthenticationBackend"
    if backend not in getattr(settings, "AUTHENTICATION_BACKENDS", []):
        errors.append(
            Error(
                f"{backend} is not in AUTHENTICATION_BACKENDS.",
                hint=f'AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend", '
                f'"{backend}"]',
                id="members.E004",
            )
        )
    return errors


@register()
def tasks_reach_a_worker(app_configs=None, **kwargs):
    """Without a broker, ``.delay()`` would publish to Celery's default AMQP address and the
    task (an import, a mailing) would be lost without an error."""
    from celery import current_app

    conf = current_app.conf
    if conf.task_always_eager or conf.broker_url:
        return []
    return [
        Error(
            "Celery has no broker and does not run tasks eagerly: imports, mailings and "
            "reminders would never run.",
            hint="Give the site a Celery app configured from the Django settings "
            '(app.config_from_object("django.conf:settings", namespace="CELERY")) and set '
            'CELERY_BROKER_URL (e.g. "redis://127.0.0.1:6379/0"), or CELERY_TASK_ALWAYS_EAGER '
            "= True to run tasks in the web process.",
            id="members.E005",
        )
    ]


@register()
def links_have_an_address(app_configs=None, **kwargs):
    if getattr(settings, "SITE_URL", "") or getattr(settings, "WAGTAILADMIN_BASE_URL", ""):
        return []
    if not apps.is_installed("wagtail"):
        return []
    return [
        Warning(
            "Neither SITE_URL nor WAGTAILADMIN_BASE_URL is set: links in e-mails and "
            "certificates use the default Wagtail Site's root URL.",
            hint='Set SITE_URL = "https://your-site.example" to choose it.',
            id="members.W006",
        )
    ]


@register()
def base_template_reaches_the_templates(app_configs=None, **kwargs):
    from . import conf

    if conf.base_template() == "base.html":
        return []
    processor = "members.context_processors.base_template"
    if any(processor in engine.get("OPTIONS", {}).get("context_processors", []) for engine in
           settings.TEMPLATES):  # fmt: skip
        return []
    return [
        Error(
            f"LMS_BASE_TEMPLATE is {conf.base_template()!r} but the apps' pages cannot see it.",
            hint=f'Add "{processor}" to TEMPLATES[0]["OPTIONS"]["context_processors"].',
            id="members.E007",
        )
    ]


@register()
def private_storage_is_configured(app_configs=None, **kwargs):
    """Uploaded rosters and attendance lists hold personal data: never in public media."""
    if "private" in getattr(settings, "STORAGES", {}):
        return []
    return [
        Error(
            'STORAGES has no "private" storage for files with personal data.',
            hint='STORAGES["private"] = {"BACKEND": "members.storage.PrivateFileSystemStorage", '
            '"OPTIONS": {"location": "/srv/private"}} (a folder no web server serves).',
            id="members.E008",
        )
    ]
