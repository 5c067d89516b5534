"""Staff and editors: the admin's password login is throttled (django-axes) and followed by a
second factor (TOTP with recovery codes, allauth's MFA), required by default for staff."""

import re

import pyotp
import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.urls import reverse

from tests.factories import make_staff

pytestmark = pytest.mark.django_db

LOGIN = reverse("wagtailadmin_login")
HOME = reverse("wagtailadmin_home")
SETUP = reverse("members_twofactor:setup")
VERIFY = reverse("members_twofactor:verify")


@pytest.fixture
def required(settings):
    settings.MEMBERS_MFA_REQUIRED_FOR_STAFF = True


def password_sign_in(client, username, password="pw-staff-123", **extra):
    return client.post(LOGIN, {"username": username, "password": password, "next": HOME}, **extra)


def enrol(client):
    """Go through the setup page as a person would: read the key, type the app's code."""
    page = client.get(SETUP)
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page.content.decode()).group(1)
    response = client.post(SETUP, {"code": pyotp.TOTP(secret).now(), "next": HOME})
    assert response.status_code == 200
    codes = re.findall(r"<li><code>(\d+)</code></li>", response.content.decode())
    return secret, codes


def test_staff_password_alone_does_not_open_the_admin(client, organisation, required):
    make_staff(username="office", organisations=[organisation])
    response = password_sign_in(client, "office")
    assert response.status_code == 302
    response = client.get(HOME)
    assert response.status_code == 302 and response["Location"].startswith(SETUP)
    # nor any other admin page, a private download among them
    for url in (reverse("members_audit_log"), "/admin/members/member/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(SETUP), url


def test_staff_enrol_then_need_the_app_code_at_every_sign_in(client, organisation, required):
    make_staff(username="office", organisations=[organisation])
    password_sign_in(client, "office")
    page = client.get(SETUP)
    assert "<svg" in page.content.decode()  # the QR code
    secret, codes = enrol(client)
    assert len(codes) == 10
    assert client.get(HOME).status_code == 200

    client.post(reverse("wagtailadmin_logout"))
    password_sign_in(client, "office")
    response = client.get(HOME)
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    wrong = client.post(VERIFY, {"code": "000000", "next": HOME})
    assert wrong.status_code == 200 and client.get(HOME).status_code == 302
    right = client.post(VERIFY, {"code": pyotp.TOTP(secret).now(), "next": HOME})
    assert right.status_code == 302 and right["Location"] == HOME
    assert client.get(HOME).status_code == 200


def test_a_recovery_code_works_once(client, organisation, required):
    make_staff(username="office", organisations=[organisation])
    password_sign_in(client, "office")
    _secret, codes = enrol(client)
    for attempt in range(2):
        client.post(reverse("wagtailadmin_logout"))
        password_sign_in(client, "office")
        response = client.post(VERIFY, {"code": codes[0], "next": HOME})
        if attempt == 0:
            home = client.get(HOME)
            assert response.status_code == 302 and home.status_code == 200
            assert (
                "リカバリーコードでサインインしました。残りは 9 個です。" in home.content.decode()
            )
        else:
            assert response.status_code == 200 and client.get(HOME).status_code == 302


def test_new_recovery_codes_replace_the_old(client, organisation, required):
    make_staff(username="office", organisations=[organisation])
    password_sign_in(client, "office")
    _secret, codes = enrol(client)
    page = client.post(reverse("members_twofactor:recovery_codes"))
    new = re.findall(r"<li><code>(\d+)</code></li>", page.content.decode())
    assert len(new) == 10 and not set(new) & set(codes)
    client.post(reverse("wagtailadmin_logout"))
    password_sign_in(client, "office")
    assert client.post(VERIFY, {"code": codes[1], "next": HOME}).status_code == 200
    assert client.post(VERIFY, {"code": new[1], "next": HOME}).status_code == 302


def test_the_next_address_must_be_on_this_site(client, organisation, required):
    make_staff(username="office", organisations=[organisation])
    password_sign_in(client, "office")
    page = client.get(SETUP)
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page.content.decode()).group(1)
    response = client.post(
        SETUP, {"code": pyotp.TOTP(secret).now(), "next": "https://evil.example/"}
    )
    assert 'href="https://evil.example/"' not in response.content.decode()


@pytest.fixture
def editor(django_user_model):
    user = django_user_model.objects.create_user(
        username="editor", email="editor@example.jp", password="pw-staff-123"
    )
    group, _ = Group.objects.get_or_create(name="Editors")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    user.groups.add(group)
    return user


def test_editors_need_it_only_when_the_setting_says_so(client, editor, settings, required):
    password_sign_in(client, "editor")
    assert client.get(HOME).status_code == 200
    settings.MEMBERS_MFA_REQUIRED_FOR_EDITORS = True
    client.post(reverse("wagtailadmin_logout"))
    password_sign_in(client, "editor")
    response = client.get(HOME)
    assert response.status_code == 302 and response["Location"].startswith(SETUP)


def test_superusers_need_it(client, django_user_model, required):
    django_user_model.objects.create_superuser("root", "root@example.jp", "pw-staff-123")
    password_sign_in(client, "root")
    assert client.get(HOME)["Location"].startswith(SETUP)


def test_password_guessing_locks_the_user_name_for_that_client(client, organisation):
    make_staff(username="office", organisations=[organisation])
    for _ in range(4):
        response = password_sign_in(client, "office", password="guess")
        assert response.status_code == 200  # the form again, with its error
    assert password_sign_in(client, "office", password="guess").status_code == 429  # the 5th
    locked = password_sign_in(client, "office")  # the right password, too late
    assert locked.status_code == 429
    assert "サインインがロックされました" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # another client (another address) is not locked out with it
    other = client.__class__()
    assert password_sign_in(other, "office", REMOTE_ADDR="192.0.2.7").status_code == 302


def test_a_spike_of_sign_in_failures_alerts_the_superusers(client, settings, django_user_model):
    settings.MEMBERS_SIGNIN_FAILURE_ALERT = "3/10m"
    django_user_model.objects.create_superuser("root", "root@example.jp", "pw-root-123")
    for n in range(4):
        password_sign_in(client, f"nobody{n}", password="guess")
    alerts = [m for m in mail.outbox if m.to == ["root@example.jp"]]
    assert len(alerts) == 1  # once per window
    assert "3" in alerts[0].subject and "サインイン" in alerts[0].subject
