"""Public and member URLs of mailings, mounted at /mail/."""

from django.conf import settings
from django.urls import include, path

from . import views

app_name = "mailings"


def esp_webhooks() -> list:
    """django-anymail's tracking and inbound webhooks (/mail/esp/<esp>/tracking/), mounted
    once ANYMAIL["WEBHOOK_SECRET"] protects them (anymail refuses requests without it)."""
    if (getattr(settings, "ANYMAIL", None) or {}).get("WEBHOOK_SECRET"):
        return [path("esp/", include("anymail.urls"))]
    return []


urlpatterns = [
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("preferences/", views.preferences, name="preferences"),
    *esp_webhooks(),
]
