"""Members sign in with a one-time code sent to their roster e-mail."""

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import make_member

REQUEST = reverse("account_request_login_code")
CONFIRM = reverse("account_confirm_login_code")


def request_code(client, email):
    return client.post(REQUEST, {"email": email})


def code_from(message) -> str:
    match = re.search(r"^\s+([0-9]{6})\s*$", message.body, re.MULTILINE)
    assert match, message.body
    return match.group(1)


@pytest.mark.django_db
def test_roster_email_receives_a_japanese_code_and_signs_in(client, member):
    response = request_code(client, "Taro@Example.jp")
    assert response.status_code == 302
    assert response["Location"].startswith(CONFIRM)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["taro@example.jp"]
    assert "サインインコード" in message.subject
    code = code_from(message)

    response = client.post(CONFIRM, {"code": code})
    assert response.status_code == 302
    home = client.get("/")
    assert home.context["user"].is_authenticated
    member.refresh_from_db()
    assert member.user == home.context["user"]
    assert not member.user.has_usable_password()


@pytest.mark.django_db
def test_unknown_and_withdrawn_emails_get_the_same_neutral_answer_and_no_code(
    client, organisation, member
):
    make_member(
        organisation=organisation,
        email="gone@example.jp",
        joined_on=datetime.date(2024, 11, 1),
        withdrawn_on=datetime.date(2025, 3, 1),
    )
    answers = []
    for email in ["taro@example.jp", "nobody@example.jp", "gone@example.jp"]:
        client.cookies.clear()
        response = request_code(client, email)
        page = client.get(response["Location"])
        text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page.content.decode())
        text = text.replace(email, "EMAIL")
        answers.append((response.status_code, response["Location"], text))
    assert answers[0] == answers[1] == answers[2]
    assert [m.to for m in mail.outbox] == [["taro@example.jp"]]


@pytest.mark.django_db
def test_sixth_wrong_code_in_a_row_is_refused_even_with_the_right_code(client, member):
    request_code(client, "taro@example.jp")
    code = code_from(mail.outbox[0])
    for _ in range(5):
        response = client.post(CONFIRM, {"code": "000000" if code != "000000" else "111111"})
        assert not client.get("/").context["user"].is_authenticated
    response = client.post(CONFIRM, {"code": code}, follow=True)
    assert not response.context["user"].is_authenticated


@pytest.mark.django_db
def test_code_requests_are_rate_limited_per_address(client, member):
    for _ in range(5):
        client.cookies.clear()
        request_code(client, "taro@example.jp")
    assert len(mail.outbox) == 5
    client.cookies.clear()
    response = request_code(client, "taro@example.jp")
    assert response.status_code == 200  # the form is shown again with an error
    assert len(mail.outbox) == 5
    assert response.context["form"].errors


# allauth's password, e-mail-address, sign-up and re-authentication pages: members have no
# password and the roster is the source of truth for their address, so none of them exists.
CLOSED_PATHS = [
    "/accounts/signup/",
    "/accounts/reauthenticate/",
    "/accounts/email/",
    "/accounts/confirm-email/",
    "/accounts/confirm-email/some-key/",
    "/accounts/password/set/",
    "/accounts/password/change/",
    "/accounts/password/reset/",
    "/accounts/password/reset/done/",
    "/accounts/password/reset/key/1-set-password/",
    "/accounts/password/reset/key/done/",
]
CLOSED_NAMES = [
    "account_signup",
    "account_reauthenticate",
    "account_email",
    "account_email_verification_sent",
    "account_confirm_email",
    "account_set_password",
    "account_change_password",
    "account_reset_password",
    "account_reset_password_done",
    "account_reset_password_from_key",
    "account_reset_password_from_key_done",
]


def _signed_in_member(client, member):
    request_code(client, member.email)
    client.post(CONFIRM, {"code": code_from(mail.outbox[-1])})
    member.refresh_from_db()
    assert member.user_id and client.get("/").context["user"] == member.user
    return member.user


@pytest.mark.django_db
@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "member"])
def test_password_email_and_signup_pages_do_not_exist(client, member, signed_in):
    if signed_in:
        _signed_in_member(client, member)
    for url in CLOSED_PATHS:
        assert client.get(url).status_code == 404, url
        data = {"email": "new@example.jp", "password1": "Tr1cky-pass!", "password2": "Tr1cky-pass!"}
        assert client.post(url, data).status_code == 404, url
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(email="new@example.jp").exists()
    if signed_in:
        member.user.refresh_from_db()
        assert not member.user.has_usable_password()
        assert not member.user.emailaddress_set.filter(email="new@example.jp").exists()


KWARGS = {
    "account_confirm_email": {"key": "k"},
    "account_reset_password_from_key": {"uidb36": "1", "key": "x-y"},
}


@pytest.mark.parametrize("name", CLOSED_NAMES)
def test_closed_allauth_pages_are_not_mounted(name):
    from django.urls import NoReverseMatch

    with pytest.raises(NoReverseMatch):
        reverse(name, kwargs=KWARGS.get(name))


@pytest.mark.django_db
def test_the_site_sign_in_page_takes_no_password(client, django_user_model):
    """/accounts/login/ explains the code sign-in; it does not accept a password, even from an
    account that has one (staff use the Wagtail admin sign-in)."""
    django_user_model.objects.create_user(
        username="office", email="office@example.jp", password="pw-office-123"
    )
    page = client.get(reverse("account_login"))
    assert page.status_code == 200
    assert reverse("account_request_login_code") in page.content.decode()
    response = client.post(
        reverse("account_login"), {"login": "office@example.jp", "password": "pw-office-123"}
    )
    assert response.status_code == 405
    assert not client.get("/").context["user"].is_authenticated


@pytest.mark.django_db
def test_signup_is_closed_in_the_adapter_too(rf):
    from members.adapters import MemberAccountAdapter

    assert MemberAccountAdapter().is_open_for_signup(rf.get("/")) is False
