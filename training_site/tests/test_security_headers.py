"""Every page carries the Content-Security-Policy (django-csp, training_site/content_security.py) and the
Referrer-Policy; the admin alone may run inline scripts (Wagtail's widgets write them)."""

import pytest
from django.urls import reverse


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split("; ")}


@pytest.mark.django_db
def test_site_pages_run_only_our_own_scripts(client):
    response = client.get(reverse("account_request_login_code"))
    policy = directives(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'self'"] and policy["form-action"] == ["'self'"]
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_the_admin_may_run_inline_scripts(client):
    policy = directives(client.get(reverse("wagtailadmin_login")))
    assert policy["script-src"] == ["'self'", "'unsafe-inline'"]
    assert "'unsafe-inline'" not in directives(client.get("/accounts/login/code/"))["script-src"]
