"""The office home (admin dashboard panels) and the member page's training record."""

import datetime
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from courses.services import question_ask
from members.selectors import roster_imports_due

from .test_people import refresh
from .test_views import lms_staff

D = datetime.date
pytestmark = pytest.mark.django_db


def at(day, hour=9):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def test_roster_import_due_by_the_tenth(organisation):
    from members.models import RosterImport

    staff = lms_staff("roster-staff", [organisation])
    (due,) = roster_imports_due(user=staff, today=D(2026, 7, 10))
    assert (due.last_applied_at, due.done_this_month, due.overdue) == (None, False, False)
    (due,) = roster_imports_due(user=staff, today=D(2026, 7, 11))
    assert due.overdue  # none this month, from the 11th
    RosterImport.objects.create(
        organisation=organisation, file_name="r.csv", checksum="x",
        status=RosterImport.Status.APPLIED, applied_at=at(D(2026, 6, 8)),
    )  # fmt: skip
    (due,) = roster_imports_due(user=staff, today=D(2026, 7, 11))
    assert due.overdue and timezone.localdate(due.last_applied_at) == D(2026, 6, 8)
    RosterImport.objects.create(
        organisation=organisation, file_name="r.csv", checksum="y",
        status=RosterImport.Status.APPLIED, applied_at=at(D(2026, 7, 3)),
    )  # fmt: skip
    (due,) = roster_imports_due(user=staff, today=D(2026, 7, 11))
    assert due.done_this_month and not due.overdue


def test_the_admin_home_says_what_to_do(client, campaign_of_two, organisation):
    refresh(campaign_of_two["campaign"], D(2026, 7, 12))
    client.force_login(lms_staff("home-staff", [organisation]))
    cycle = campaign_of_two["cycle"]
    with time_machine.travel(at(D(2026, 7, 12)), tick=False):
        html = client.get("/admin/").content.decode()
    roster = html.split('data-testid="office-roster"', 1)[1].split("</section>", 1)[0]
    assert "今月はまだ取り込まれていません（期限: 10日）" in roster and "最終取込: なし" in roster
    campaigns = html.split('data-testid="office-campaigns"', 1)[1].split("</section>", 1)[0]
    assert "対象 5 人、修了率 20.0%、残り 19 日（期限 2026年7月31日）" in campaigns
    assert f'href="/admin/lms/reports/not-started/?cycle={cycle.pk}" data-count="3"' in campaigns
    assert f'data-testid="not-started-{cycle.pk}">3 人<' in campaigns
    assert f'data-testid="overdue-{cycle.pk}">0 人<' in campaigns


def test_the_member_page_shows_the_training_record(client, campaign_of_two, organisation):
    people = campaign_of_two["people"]
    refresh(campaign_of_two["campaign"], D(2026, 8, 5))
    question_ask(member=people["002"], body="応用研修の動画が見られません", course=None)
    client.force_login(lms_staff("record-staff", [organisation]))
    html = client.get(reverse("member:inspect", args=[people["002"].pk])).content.decode()
    record = html.split('data-testid="training-record"', 1)[1]
    assert "災害防止等に関する研修 2026年度 — 期限切れ" in record
    rows = re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</th>\s*<td>(.*?)</td>", record)
    assert rows == [("基礎研修", "修了"), ("応用研修", "期限切れ")]
    assert "2026年6月12日" in record and "2026年7月31日" in record
    assert "応用研修の動画が見られません" in record and "未回答" in record


def test_questions_bounces_and_reminders_on_the_home_and_member_page(
    client, campaign_of_two, organisation
):
    from mailings.models import MailingRecipient, ReminderDelivery, Suppression
    from tests.factories.mailings import make_notice_mailing

    people = campaign_of_two["people"]
    refresh(campaign_of_two["campaign"], D(2026, 8, 5))
    question_ask(member=people["003"], body="修了証はどこですか", course=None)
    Suppression.objects.create(
        organisation=organisation, email="gone@example.jp", reason="bounce", source="import"
    )
    mailing = make_notice_mailing(
        organisation=organisation, members=[people["002"]], subject="研修期限のお知らせ"
    )
    MailingRecipient.objects.filter(mailing=mailing).update(state="sent", sent_at=at(D(2026, 8, 2)))
    ReminderDelivery.objects.create(
        assignment=people["002"].assignments.first(),
        step="overdue",
        state="mailed",
        recipient=mailing.recipients.get(),
    )
    from tests.factories.quality import make_office_staff

    client.force_login(make_office_staff(username="office", organisations=[organisation]))
    html = client.get("/admin/").content.decode()
    assert 'data-testid="unanswered-questions">1 件<' in html
    assert 'data-testid="bounced-addresses">1 件<' in html
    assert 'href="/admin/mailings/suppression/?reason=bounce" data-count="1"' in html
    page = client.get(reverse("member:inspect", args=[people["002"].pk])).content.decode()
    assert 'data-testid="training-record"' in page
