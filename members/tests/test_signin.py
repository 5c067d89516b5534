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


@pytest.mark.django_db
def test_signup_is_closed(client):
    response = client.get(reverse("account_signup"))
    assert b"signup" not in response.content.lower() or response.status_code in (200, 302)
    response = client.post(reverse("account_signup"), {"email": "x@example.jp"})
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(email="x@example.jp").exists()
