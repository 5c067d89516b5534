"""django-anymail's ESP webhooks at /mail/esp/<esp>/tracking/: mounted only behind
ANYMAIL["WEBHOOK_SECRET"], only for ESPs whose settings are complete, and never a server error
whatever is posted to them."""

import base64
import importlib
import json

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import NoReverseMatch, URLResolver, clear_url_caches, get_resolver, reverse

SECRET = "hook:long-random-secret"
AUTH = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(SECRET.encode()).decode()}
BODIES = ["", "not json", "{}", "[]", '{"RecordType": "Bounce"}', '[{"event": 1}]', "\x00\xff"]


def _reload_urls():
    import mailings.urls
    import members.site_urls

    importlib.reload(mailings.urls)
    importlib.reload(members.site_urls)  # the one include() that mounts mailings.urls
    importlib.reload(importlib.import_module(django_settings.ROOT_URLCONF))
    clear_url_caches()


@pytest.fixture
def webhooks_configured(settings):
    """The project's URLs as they are built when the secret is set (reloaded, then restored)."""
    original = getattr(django_settings, "ANYMAIL", {})
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    _reload_urls()
    yield
    settings.ANYMAIL = original
    _reload_urls()


def _webhook_urls():
    """{name: path} of every ESP webhook mounted under /mail/esp/."""

    def resolvers(patterns):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield p
                yield from resolvers(p.url_patterns)

    mail = next(p for p in resolvers(get_resolver().url_patterns) if p.namespace == "mailings")
    esp = [p for p in mail.url_patterns if isinstance(p, URLResolver) and p.namespace == "anymail"]
    if not esp:
        return {}
    return {p.name: f"/mail/esp/{p.pattern}" for p in esp[0].url_patterns}


def test_without_a_secret_no_webhook_is_mounted(client):
    assert getattr(django_settings, "ANYMAIL", {}).get("WEBHOOK_SECRET") is None
    assert _webhook_urls() == {}
    with pytest.raises(NoReverseMatch):
        reverse("mailings:anymail:postmark_tracking_webhook")


@pytest.mark.django_db
def test_without_a_secret_posting_to_a_webhook_is_a_404(client):
    response = client.post("/mail/esp/postmark/tracking/", "{}", content_type="application/json")
    assert response.status_code == 404


@pytest.mark.django_db
def test_with_a_secret_only_configured_esps_are_mounted(webhooks_configured):
    urls = _webhook_urls()
    assert "postmark_tracking_webhook" in urls and "amazon_ses_tracking_webhook" in urls
    # Mailgun needs its signing key as well: without it, not mounted (it would answer 500)
    assert "mailgun_tracking_webhook" not in urls
    assert reverse("mailings:anymail:postmark_tracking_webhook") == "/mail/esp/postmark/tracking/"
    client = Client(raise_request_exception=False)
    response = client.post("/mail/esp/mailgun/tracking/", "{}", content_type="application/json")
    assert response.status_code == 404


@pytest.mark.django_db
def test_webhooks_never_answer_a_server_error(webhooks_configured):
    client = Client(raise_request_exception=False)
    urls = _webhook_urls()
    assert len(urls) > 5
    answers = {}
    for name, url in urls.items():
        for headers in ({}, AUTH):
            refused = client.post(url, "{}", content_type="application/json").status_code
            # 404: an ESP whose own key is read per request and missing (Mandrill)
            assert refused in (400, 401, 403, 404), f"{url} without the secret"
            for body in BODIES:
                response = client.post(url, body, content_type="application/json", **headers)
                answers[(name, bool(headers), body)] = response.status_code
            answers[(name, bool(headers), "GET")] = client.get(url, **headers).status_code
    errors = {key: status for key, status in answers.items() if status >= 500}
    assert not errors, errors


@pytest.mark.django_db
def test_mandrill_without_its_key_is_a_404_not_a_500(webhooks_configured):
    client = Client(raise_request_exception=False)
    response = client.post("/mail/esp/mandrill/tracking/", "{}", **AUTH, content_type="text/plain")
    assert response.status_code == 404


@pytest.mark.django_db
def test_a_signed_hard_bounce_suppresses_the_address(webhooks_configured, organisation, member):
    from mailings.models import Suppression

    event = {
        "RecordType": "Bounce",
        "Type": "HardBounce",
        "TypeCode": 1,
        "Email": member.email,
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "BouncedAt": "2026-06-02T10:00:00Z",
        "Description": "The server was unable to deliver your message",
        "Details": "smtp;550 5.1.1 user unknown",
        "Metadata": {},
    }
    client = Client(raise_request_exception=False)
    response = client.post(
        reverse("mailings:anymail:postmark_tracking_webhook"),
        json.dumps(event),
        content_type="application/json",
        **AUTH,
    )
    assert response.status_code == 200
    assert Suppression.objects.filter(
        organisation=organisation, email=member.email, source="webhook"
    ).exists()
