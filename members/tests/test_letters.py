"""Sign-in letters: staff print them for members without e-mail; members sign in with them."""

import datetime
import io
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from members.models import AuditEvent, Member, SignInLetter
from tests.factories import make_member, make_staff

pytestmark = pytest.mark.django_db
LETTERS = reverse("signin_letters:index")
LETTER_SIGNIN = reverse("members:letter_signin")


def pdf_pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def key_of(page_text: str) -> str:
    return re.search(r"\b([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})\b", page_text).group(1)


@pytest.fixture
def no_email(organisation):
    return [
        make_member(organisation=organisation, email="", name=f"紙の　人{i}", member_no=f"P{i}")
        for i in range(3)
    ]


@pytest.fixture
def staff_client(client, organisation, member):
    client.force_login(make_staff(username="office", organisations=[organisation]))
    return client


def print_letters(client, members=(), scope="selected"):
    response = client.post(LETTERS, {"scope": scope, "member": [m.pk for m in members]})
    assert response["Content-Type"] == "application/pdf", response.content[:300]
    return pdf_pages(response.content)


def test_staff_see_who_has_no_email_and_print_one_letter(staff_client, no_email, member):
    page = staff_client.get(LETTERS).content.decode()
    listed = re.findall(r'name="member" value="(\d+)"', page)
    assert sorted(map(int, listed)) == sorted(m.pk for m in no_email)  # not taro@example.jp
    pages = print_letters(staff_client, [no_email[0]])
    assert len(pages) == 1
    text = pages[0].replace(" ", "")
    assert "紙の人0" in text.replace("\u3000", "") and "P0" in text and "サインイン案内状" in text
    assert "有効期限" in text
    assert SignInLetter.objects.filter(member=no_email[0], revoked_at__isnull=True).count() == 1
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert "sign-in letters: 1" in event.detail


def test_staff_print_every_letter_at_once_one_a4_page_each(staff_client, no_email):
    data = staff_client.post(LETTERS, {"scope": "all"}).content
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 3
    width, height = (float(v) for v in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (595, 842)  # A4 portrait, in points
    keys = {key_of(p.extract_text()) for p in reader.pages}
    assert len(keys) == 3


def test_staff_of_another_organisation_cannot_print_these_letters(
    client, no_email, other_organisation
):
    client.force_login(make_staff(username="other", organisations=[other_organisation]))
    response = client.post(LETTERS, {"scope": "selected", "member": [no_email[0].pk]})
    assert response.status_code == 302 and not SignInLetter.objects.exists()


def test_the_member_signs_in_with_the_typed_key_and_lands_on_my_training(
    client, staff_client, no_email
):
    key = key_of(print_letters(staff_client, [no_email[1]])[0])
    staff_client.logout()
    typed = "".join(chr(ord(c) + 0xFEE0) for c in key.lower())  # full-width, lower case
    response = client.post(LETTER_SIGNIN, {"key": typed})
    assert response["Location"] == reverse("lms:my_training")
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="no-email"' in page
    no_email[1].refresh_from_db()
    assert no_email[1].user is not None


def test_the_qr_code_opens_the_page_with_the_key_filled_in_and_does_not_sign_in(
    client, staff_client, no_email
):
    key = key_of(print_letters(staff_client, [no_email[0]])[0])
    staff_client.logout()
    page = client.get(f"{LETTER_SIGNIN}?key={key.replace('-', '')}").content.decode()
    assert re.search(r'<input[^>]*name="key"[^>]*value="' + key.replace("-", ""), page)
    assert not client.get(reverse("lms:my_training")).wsgi_request.user.is_authenticated


def test_a_new_letter_revokes_the_old_one_and_revoked_or_expired_keys_fail(
    client, staff_client, no_email
):
    old = key_of(print_letters(staff_client, [no_email[0]])[0])
    new = key_of(print_letters(staff_client, [no_email[0]])[0])
    assert SignInLetter.objects.filter(member=no_email[0], revoked_at__isnull=True).count() == 1
    staff_client.post(reverse("signin_letters:revoke", args=[no_email[1].pk]))  # has none: no-op
    staff_client.logout()
    answer = client.post(LETTER_SIGNIN, {"key": old})
    assert (
        answer.status_code == 200 and "このキーではサインインできません" in answer.content.decode()
    )
    SignInLetter.objects.filter(member=no_email[0]).update(expires_at=timezone.now())
    assert client.post(LETTER_SIGNIN, {"key": new}).status_code == 200  # expired
    assert not client.get(reverse("lms:my_training")).wsgi_request.user.is_authenticated


def test_staff_revoke_a_lost_letter(client, staff_client, no_email):
    key = key_of(print_letters(staff_client, [no_email[2]])[0])
    staff_client.post(reverse("signin_letters:revoke", args=[no_email[2].pk]))
    staff_client.logout()
    assert client.post(LETTER_SIGNIN, {"key": key}).status_code == 200


def test_letter_sign_in_is_rate_limited_per_client(client, staff_client, no_email, settings):
    settings.MEMBERS_LETTER_RATE = "3/h"
    key = key_of(print_letters(staff_client, [no_email[0]])[0])
    staff_client.logout()
    for _ in range(3):
        client.post(LETTER_SIGNIN, {"key": "AAAA-AAAA-AAAA"})
    refused = client.post(LETTER_SIGNIN, {"key": key})
    assert refused.status_code == 200 and "試行回数が多すぎます" in refused.content.decode()


def test_the_member_adds_an_email_address_confirmed_by_a_code(client, staff_client, no_email):
    key = key_of(print_letters(staff_client, [no_email[0]])[0])
    staff_client.logout()
    client.post(LETTER_SIGNIN, {"key": key})
    my = client.get(reverse("lms:my_training")).content.decode()
    assert reverse("members:email_add") in my
    response = client.post(reverse("members:email_add"), {"email": "kami@example.jp"})
    assert response["Location"] == reverse("members:email_confirm")
    code = re.search(r"^\s+(\d{6})\s*$", mail.outbox[-1].body, re.M).group(1)
    assert mail.outbox[-1].to == ["kami@example.jp"]
    wrong = client.post(reverse("members:email_confirm"), {"code": "000000"})
    assert wrong.status_code == 200 and Member.objects.get(pk=no_email[0].pk).email == ""
    client.post(reverse("members:email_confirm"), {"code": code})
    assert Member.objects.get(pk=no_email[0].pk).email == "kami@example.jp"
    # from now on a code by e-mail signs the member in too
    client.logout()
    client.post(reverse("account_request_login_code"), {"email": "kami@example.jp"})
    assert mail.outbox[-1].to == ["kami@example.jp"]


def test_a_withdrawn_members_letter_works_for_the_grace_period_only(
    client, staff_client, no_email, settings
):
    key = key_of(print_letters(staff_client, [no_email[0]])[0])
    staff_client.logout()
    today = timezone.localdate()
    no_email[0].memberships.update(withdrawn_on=today - datetime.timedelta(days=10))
    settings.MEMBERS_WITHDRAWN_SIGNIN_DAYS = 5
    assert client.post(LETTER_SIGNIN, {"key": key}).status_code == 200  # refused
    settings.MEMBERS_WITHDRAWN_SIGNIN_DAYS = 365
    assert client.post(LETTER_SIGNIN, {"key": key})["Location"] == reverse("lms:my_training")
