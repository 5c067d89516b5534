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


def _sign_in_by_code(client, email):
    request_code(client, email)
    return client.post(CONFIRM, {"code": code_from(mail.outbox[-1])})


@pytest.mark.django_db
@pytest.mark.parametrize("privilege", ["superuser", "staff group", "editor", "is_staff"])
def test_a_member_code_never_signs_into_a_privileged_account_with_the_same_address(
    client, organisation, member, django_user_model, privilege
):
    from django.contrib.auth.models import Group

    admin = django_user_model.objects.create_user(
        username="boss", email="Taro@example.jp", password="pw-admin-123"
    )
    if privilege == "superuser":
        admin.is_superuser = admin.is_staff = True
        admin.save()
    elif privilege == "staff group":
        organisation.staff.add(admin)
    elif privilege == "editor":
        admin.groups.add(Group.objects.get_or_create(name="Editors")[0])
    else:
        admin.is_staff = True
        admin.save()

    assert _sign_in_by_code(client, member.email).status_code == 302
    signed_in = client.get("/").context["user"]
    assert signed_in.is_authenticated and signed_in.pk != admin.pk
    assert not (signed_in.is_staff or signed_in.is_superuser or signed_in.groups.exists())
    member.refresh_from_db()
    assert member.user == signed_in
    assert client.get("/admin/").status_code == 302  # the admin is not opened by a code
    admin.refresh_from_db()
    assert admin.has_usable_password() and admin.email == "Taro@example.jp"


@pytest.mark.django_db
def test_a_member_once_linked_to_a_staff_account_gets_a_member_account_of_their_own(
    client, organisation, member, django_user_model
):
    staff = django_user_model.objects.create_user(
        username=f"member-{member.pk}", email=member.email, password="pw-staff-123"
    )
    staff.is_staff = True
    staff.save()
    member.user = staff  # linked by an earlier version that reused any account
    member.save()

    _sign_in_by_code(client, member.email)
    signed_in = client.get("/").context["user"]
    assert signed_in.pk != staff.pk and not signed_in.is_staff
    assert signed_in.username.startswith(f"member-{member.pk}-")
    member.refresh_from_db()
    assert member.user_id == signed_in.pk


PROXY = {"REMOTE_ADDR": "10.0.0.2"}  # nginx in front: every request comes from its address


@pytest.mark.django_db
def test_two_members_behind_one_proxy_have_separate_limits(client, organisation, settings):
    """20 code requests from one client behind the proxy do not lock the next client out."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    make_member(organisation=organisation, member_no="000002", email="hanako@example.jp")
    attacker = {**PROXY, "HTTP_X_FORWARDED_FOR": "198.51.100.66"}
    for n in range(20):
        client.cookies.clear()
        client.post(REQUEST, {"email": f"guess{n}@example.jp"}, **attacker)
    client.cookies.clear()
    refused = client.post(REQUEST, {"email": "hanako@example.jp"}, **attacker)
    assert refused.status_code == 200 and refused.context["form"].errors
    assert mail.outbox == []

    member = client.__class__()
    sent = member.post(
        REQUEST, {"email": "hanako@example.jp"}, **PROXY, HTTP_X_FORWARDED_FOR="203.0.113.5"
    )
    assert sent.status_code == 302 and len(mail.outbox) == 1
    confirmed = member.post(
        CONFIRM, {"code": code_from(mail.outbox[0])}, **PROXY, HTTP_X_FORWARDED_FOR="203.0.113.5"
    )
    assert confirmed.status_code == 302


@pytest.mark.django_db
def test_code_confirmations_are_limited_per_client(client, organisation, settings):
    """ACCOUNT_RATE_LIMITS["confirm_login_code"] is enforced: a client that keeps guessing
    with fresh codes is stopped, even with a right code."""
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "confirm_login_code": "6/10m/ip",
    }
    members = [
        make_member(organisation=organisation, member_no=f"00010{n}", email=f"m{n}@example.jp")
        for n in range(3)
    ]
    for member in members[:2]:
        client.cookies.clear()
        request_code(client, member.email)
        for _ in range(3):
            client.post(CONFIRM, {"code": "000000"})
    client.cookies.clear()
    request_code(client, members[2].email)
    response = client.post(CONFIRM, {"code": code_from(mail.outbox[-1])})
    assert not client.get("/").context["user"].is_authenticated, response


def _forget_connections(app):
    """Drop the app's connection and producer pools (close() keeps the AMQP producer pool).
    close() also takes the app off Celery's list of active apps, and a task module imported
    after that would not register its shared tasks on it (the NotRegistered errors of later
    tests in the same process): put it back."""
    from celery._state import _register_app

    app.close()
    app.amqp._producer_pool = None
    _register_app(app)


@pytest.fixture
def task_queue():
    """A real (in-memory) Celery queue instead of running tasks in the request."""
    from training_site.celery import app

    saved = app.conf.task_always_eager, app.conf.broker_url
    _forget_connections(app)  # pools made for another broker in this process are not reused
    app.conf.task_always_eager, app.conf.broker_url = False, "memory://"
    try:
        with app.connection_for_read() as connection:
            queue = connection.SimpleQueue("celery")
            yield queue
            queue.close()
    finally:
        _forget_connections(app)
        app.conf.task_always_eager, app.conf.broker_url = saved


@pytest.mark.django_db
def test_the_code_mail_leaves_through_the_task_queue(client, member, task_queue):
    """The answer does not wait for the mail server: it is the same for any address."""
    from training_site.celery import app

    assert request_code(client, member.email).status_code == 302
    assert mail.outbox == []  # not sent while the member waits
    queued = task_queue.get(timeout=5)
    name, kwargs = queued.headers["task"], queued.decode()[1]
    assert name == "members.tasks.send_email_task" and kwargs["to"] == [member.email]
    app.tasks[name].apply(kwargs=kwargs)  # what the worker does
    assert len(mail.outbox) == 1 and "サインインコード" in mail.outbox[0].subject
    client.post(CONFIRM, {"code": code_from(mail.outbox[0])})
    assert client.get("/").context["user"].is_authenticated


@pytest.mark.django_db
def test_signing_in_lands_on_my_training_or_the_page_asked_for(client, member):
    request_code(client, "taro@example.jp")
    response = client.post(CONFIRM, {"code": code_from(mail.outbox[-1])})
    assert response["Location"] == reverse("lms:my_training")
    client.logout()
    client.post(REQUEST, {"email": "taro@example.jp", "next": "/mail/preferences/"})
    response = client.post(
        CONFIRM, {"code": code_from(mail.outbox[-1]), "next": "/mail/preferences/"}
    )
    assert response["Location"] == "/mail/preferences/"


@pytest.mark.django_db
def test_the_code_field_opens_a_number_pad_and_takes_the_code_from_the_keyboard(client, member):
    request_code(client, "taro@example.jp")
    html = client.get(CONFIRM).content.decode()
    field = re.search(r'<input[^>]*name="code"[^>]*>', html).group(0)
    assert 'inputmode="numeric"' in field and 'autocomplete="one-time-code"' in field
    # resend and another address, without going back
    assert 'name="action" value="resend"' in html and "コードをもう一度送る" in html
    assert f'href="{REQUEST}"' in html and "別のメールアドレスを使う" in html


@pytest.mark.django_db
def test_the_link_in_the_code_email_fills_the_code_in(client, member):
    request_code(client, "taro@example.jp")
    message = mail.outbox[-1]
    code = code_from(message)
    link = re.search(r"^(https?://\S+)$", message.body, re.MULTILINE).group(1)
    assert link.endswith(f"{CONFIRM}?code={code}")
    page = client.get(link.split("testserver", 1)[1]).content.decode()
    field = re.search(r'<input[^>]*name="code"[^>]*>', page).group(0)
    assert f'value="{code}"' in field
    assert not client.get("/my/").wsgi_request.user.is_authenticated  # pressing サインイン signs in
    assert client.post(CONFIRM, {"code": code})["Location"] == reverse("lms:my_training")


@pytest.mark.django_db
def test_a_full_width_code_is_the_same_code(client, member):
    request_code(client, "taro@example.jp")
    code = code_from(mail.outbox[-1])
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code)
    assert client.post(CONFIRM, {"code": full_width})["Location"] == reverse("lms:my_training")


@pytest.mark.django_db
def test_an_unknown_address_gets_the_neutral_answer_and_the_office_contact(
    client, organisation, member
):
    organisation.office_name = "研修事務局"
    organisation.contact_phone = "03-1234-5678"
    organisation.office_hours = "平日 9:00〜17:00"
    organisation.save()
    page = client.get(request_code(client, "nobody@example.jp")["Location"]).content.decode()
    assert "nobody@example.jp" in page and not mail.outbox
    assert "研修事務局" in page and "03-1234-5678" in page and "平日 9:00〜17:00" in page
    assert "office@example.jp" in page  # the organisation's contact e-mail


@pytest.mark.django_db
def test_a_wrong_code_is_announced_on_the_field(client, member):
    request_code(client, "taro@example.jp")
    html = client.post(CONFIRM, {"code": "000000"}).content.decode()
    field = re.search(r'<input[^>]*name="code"[^>]*>', html).group(0)
    described_by = re.search(r'aria-describedby="([^"]+)"', field).group(1).split()
    assert described_by and all(f'id="{i}"' in html for i in described_by)
    assert 'aria-invalid="true"' in field
