"""A former member signs in for a while after withdrawing and sees only their own records."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.services import enrolment_record_external
from members.services import member_login_user
from tests.factories import make_course, make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def withdrawn(organisation):
    today = timezone.localdate()
    return make_member(
        organisation=organisation,
        email="former@example.jp",
        name="退会　花子",
        joined_on=today - datetime.timedelta(days=800),
        withdrawn_on=today - datetime.timedelta(days=30),
    )


@pytest.fixture
def certificate(withdrawn):
    course = make_course(title="安全の基本", issues_certificate=True)
    enrolment, _ = enrolment_record_external(
        member=withdrawn,
        course=course,
        source="paper",
        completed_on=timezone.localdate() - datetime.timedelta(days=60),
    )
    return enrolment.certificate


def test_a_recently_withdrawn_member_can_sign_in(withdrawn):
    assert member_login_user(email="former@example.jp") is not None


def test_a_member_withdrawn_longer_ago_than_the_setting_cannot(withdrawn, settings):
    settings.MEMBERS_WITHDRAWN_SIGNIN_DAYS = 29
    assert member_login_user(email="former@example.jp") is None
    settings.MEMBERS_WITHDRAWN_SIGNIN_DAYS = 31
    assert member_login_user(email="former@example.jp") is not None


def test_the_former_member_sees_their_transcript_and_downloads_the_certificate(
    client, withdrawn, certificate
):
    client.force_login(member_login_user(email="former@example.jp"))
    page = client.get(reverse("lms:my_training"))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="withdrawn-notice"' in html
    assert "安全の基本" in html
    until = (withdrawn.withdrawn_on + datetime.timedelta(days=364)).strftime("%Y年%-m月%-d日")
    assert until in html
    pdf = client.get(reverse("courses:certificate_pdf", args=[certificate.number]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    # the menu offers only マイ研修 (and signing out)
    assert 'data-menu="my"' in html and 'data-menu="mail"' not in html
    assert 'data-menu="courses"' not in html


def test_the_former_member_sees_nothing_else(client, withdrawn, certificate):
    client.force_login(member_login_user(email="former@example.jp"))
    course_url = certificate.enrolment.course.url
    for url in ["/", course_url, reverse("mailings:preferences"), reverse("courses:my_questions")]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == reverse("lms:my_training"), url
    assert client.post(reverse("account_logout")).status_code == 302
    assert client.get(reverse("lms:my_training")).status_code == 302  # signed out: to sign-in
