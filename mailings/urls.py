"""Public and member URLs of mailings, mounted at /mail/."""

import functools
import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpResponseBadRequest
from django.urls import URLPattern, include, path

from .views import site as views

app_name = "mailings"
logger = logging.getLogger(__name__)

# What a malformed or truncated ESP payload raises inside anymail's parsers.
PAYLOAD_ERRORS = (ValueError, LookupError, TypeError, AttributeError)


def esp_webhooks() -> list:
    """django-anymail's tracking and inbound webhooks (/mail/esp/<esp>/tracking/).

    Mounted only once ANYMAIL["WEBHOOK_SECRET"] protects them (HTTP basic auth; anymail
    answers 400 without it), and only the ESPs whose other required settings are present
    (e.g. Mailgun's signing key): an ESP that is not configured is not mounted (404) instead
    of answering every request with a 500; one whose setting is read per request (Mandrill's
    webhook key) answers 404 too. A mounted webhook answers a malformed payload with 400; only
    a failure on our side (e.g. the database) is a 5xx, so the ESP retries later.
    """
    if not (getattr(settings, "ANYMAIL", None) or {}).get("WEBHOOK_SECRET"):
        return []
    from anymail.urls import urlpatterns as anymail_patterns

    mounted = [
        URLPattern(p.pattern, _bad_payload_is_400(p.callback), p.default_args, p.name)
        for p in anymail_patterns
        if _configured(p)
    ]
    return [path("esp/", include((mounted, "anymail")))] if mounted else []


def _configured(pattern) -> bool:
    view_class = getattr(pattern.callback, "view_class", None)
    try:
        view_class(**getattr(pattern.callback, "view_initkwargs", {}))
    except ImproperlyConfigured:  # anymail's AnymailConfigurationError: a setting is missing
        return False
    return True


def _bad_payload_is_400(view):
    from anymail.exceptions import AnymailError

    @functools.wraps(view)  # keeps csrf_exempt / login_not_required
    def webhook(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except ImproperlyConfigured:  # a setting read only per request (Mandrill's key)
            logger.error("ESP webhook %s is not configured", request.path, exc_info=True)
            raise Http404 from None
        except (*PAYLOAD_ERRORS, AnymailError):  # e.g. "Malformed SNS message body"
            logger.warning("Malformed ESP webhook payload at %s", request.path, exc_info=True)
            return HttpResponseBadRequest("malformed webhook payload")

    return webhook


urlpatterns = [
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("preferences/", views.preferences, name="preferences"),
    *esp_webhooks(),
]
