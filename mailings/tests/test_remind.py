"""督促メール from the lists of people: the count and a preview with one member's values, a
confirmed send through the engine, once however often it is submitted, logged per member."""

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse

from lms.services import assignments_refresh
from mailings.models import StaffReminder
from mailings.selectors import reminders_sent_to, step_label
from tests.factories import (
    make_campaign,
    make_course,
    make_member,
    make_requirement,
    make_staff,
)

pytestmark = pytest.mark.django_db
D = datetime.date
REMIND = reverse("mailings_admin:remind")


@pytest.fixture
def overdue(organisation, site):
    """Three overdue members of a cycle due 2026-07-31 (one without an e-mail address)."""
    campaign = make_campaign(organisation=organisation, today=D(2026, 6, 1))
    course = make_course(title="熱中症の予防と応急手当", organisation=organisation)
    make_requirement(campaign=campaign, courses=[course], name="全員研修")
    members = [
        make_member(organisation=organisation, member_no="000001", name="山田　太郎",
                    email="taro@example.jp"),
        make_member(organisation=organisation, member_no="000002", name="佐藤　花子",
                    email="hanako@example.jp"),
        make_member(organisation=organisation, member_no="000003", name="鈴木　一郎", email=""),
    ]  # fmt: skip
    assignments_refresh(organisation=organisation, today=D(2026, 8, 10))
    return members


@pytest.fixture
def staff_client(client, organisation):
    client.force_login(make_staff(organisations=[organisation]))
    return client


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return re.sub(r"[ \t\r\n]+", " ", response.content.decode())


def test_preview_shows_the_count_and_one_members_mail(staff_client, overdue):
    response = staff_client.get(REMIND, {"list": "overdue", "everyone": "1"})
    assert "3 人が選択されています" in page(response)
    # the texts to choose from read as mails, not as templates
    assert "期限超過のお知らせ — 【期限超過】災害防止等に関する研修を受講してください" in page(
        response
    )
    assert "〈各人の期限〉" in page(response) and "{{" not in page(response)
    preview = page(
        staff_client.post(REMIND, {"list": "overdue", "everyone": "1", "step": "overdue",
                                   "action": "preview"})
    )  # fmt: skip
    assert "督促メールは 2 人に送られます。" in preview
    assert "1 人はメールを送れないため" in preview  # 鈴木 has no address
    assert "【期限超過】災害防止等に関する研修を受講してください" in preview
    assert "山田　太郎 様" in preview and "2026年7月31日" in preview
    assert "熱中症の予防と応急手当" in preview
    assert not mail.outbox and not StaffReminder.objects.exists()  # a preview sends nothing


def _send(client, data, capture):
    with capture(execute=True):
        return client.post(REMIND, {**data, "action": "send"})


def test_confirmed_send_mails_once_and_logs_each_member(
    staff_client, overdue, django_capture_on_commit_callbacks
):
    data = {"list": "overdue", "everyone": "1", "step": "overdue",
            "key": "1b0c6d0e-4a57-4a8e-9d53-6b1f5f1f0c01"}  # fmt: skip
    response = _send(staff_client, data, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("lms_reports:overdue"))
    assert sorted(m.to[0] for m in mail.outbox) == [
        "佐藤　花子 <hanako@example.jp>",
        "山田　太郎 <taro@example.jp>",
    ]
    assert "山田　太郎 様" in mail.outbox[-1].body or "佐藤　花子 様" in mail.outbox[-1].body
    # the same confirmation again (a double click, the back button): nothing more is sent
    _send(staff_client, data, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 2 and StaffReminder.objects.count() == 1
    reminder = StaffReminder.objects.get()
    assert (reminder.members, reminder.mailed, reminder.list_name) == (3, 2, "overdue")
    taro, _hanako, ichiro = overdue
    (sent,) = reminders_sent_to(member=taro)
    assert step_label(sent.step) == "職員からの督促"
    assert sent.recipient.mailing.kind == "reminder"
    (not_sent,) = reminders_sent_to(member=ichiro)  # no address: logged with the reason
    assert not_sent.recipient.state == "skipped" and not_sent.recipient.reason == "no_email"


def test_only_the_ticked_people_are_reminded(
    staff_client, overdue, django_capture_on_commit_callbacks
):
    taro = overdue[0]
    response = staff_client.get(REMIND, {"list": "overdue", "member": [taro.pk]})
    assert "1 人が選択されています" in page(response)
    _send(
        staff_client,
        {"list": "overdue", "member": [taro.pk], "step": "overdue",
         "key": "2b0c6d0e-4a57-4a8e-9d53-6b1f5f1f0c02"},
        django_capture_on_commit_callbacks,
    )  # fmt: skip
    assert [m.to[0] for m in mail.outbox] == ["山田　太郎 <taro@example.jp>"]


def test_another_organisations_staff_cannot_remind_these_people(
    client, overdue, other_organisation, django_capture_on_commit_callbacks
):
    client.force_login(make_staff(username="other", organisations=[other_organisation]))
    taro = overdue[0]
    response = client.get(REMIND, {"list": "overdue", "member": [taro.pk]})
    assert "0 人が選択されています" in page(response)
    _send(
        client,
        {"list": "overdue", "member": [taro.pk], "step": "overdue",
         "key": "3b0c6d0e-4a57-4a8e-9d53-6b1f5f1f0c03"},
        django_capture_on_commit_callbacks,
    )  # fmt: skip
    assert not mail.outbox and not StaffReminder.objects.exists()


def test_sending_needs_a_post_with_the_csrf_token(overdue, organisation):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(make_staff(organisations=[organisation]))
    response = client.post(REMIND, {"list": "overdue", "everyone": "1", "step": "overdue",
                                    "key": "4b0c6d0e-4a57-4a8e-9d53-6b1f5f1f0c04",
                                    "action": "send"})  # fmt: skip
    assert response.status_code == 403 and not StaffReminder.objects.exists()


def test_the_overdue_list_offers_the_reminder_and_the_member_page_shows_it(
    staff_client, overdue, django_capture_on_commit_callbacks
):
    listing = page(staff_client.get(reverse("lms_reports:overdue")))
    assert 'data-testid="people-actions"' in listing
    assert "チェックした人に督促メール" in listing and "この一覧の全員に督促メール" in listing
    taro = overdue[0]
    assert f'name="member" value="{taro.pk}"' in listing
    _send(
        staff_client,
        {"list": "overdue", "member": [taro.pk], "step": "overdue",
         "key": "5b0c6d0e-4a57-4a8e-9d53-6b1f5f1f0c05"},
        django_capture_on_commit_callbacks,
    )  # fmt: skip
    member_page = page(staff_client.get(reverse("member:inspect", args=[taro.pk])))
    assert 'data-testid="member-reminders"' in member_page
    assert "職員からの督促" in member_page and "全員研修" in member_page
