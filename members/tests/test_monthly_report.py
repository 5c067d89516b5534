"""The monthly report mailed to each organisation's staff (members.monthly_report): the daily
task on the report day, once per organisation and month, the workbook's sheets, the command
and the admin download."""

import datetime
import io

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from members.models import AuditEvent, MonthlyReportDelivery
from members.tasks import monthly_reports_task
from tests.factories import make_member, make_staff
from tests.factories.lms import member_withdraws

D = datetime.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def world(organisation, other_organisation):
    """November 2026: two joins and one withdrawal in the organisation; staff on both sides."""
    make_member(organisation=organisation, member_no="000001", joined_on=D(2025, 4, 1))
    make_member(
        organisation=organisation, member_no="000002", name="佐藤　花子", joined_on=D(2026, 11, 5)
    )
    make_member(
        organisation=organisation, member_no="000003", name="鈴木　一郎", joined_on=D(2026, 11, 20)
    )
    leaver = make_member(
        organisation=organisation, member_no="000004", name="田中　次郎", joined_on=D(2025, 6, 1)
    )
    member_withdraws(member=leaver, on=D(2026, 11, 30))
    make_member(organisation=organisation, member_no="000005", joined_on=D(2026, 3, 3))
    make_member(organisation=other_organisation, member_no="S01", name="他団体　太郎")
    staff_a = make_staff(username="staff-a", organisations=[organisation])
    staff_a2 = make_staff(username="staff-a2", organisations=[organisation])
    staff_b = make_staff(username="staff-b", organisations=[other_organisation])
    return organisation, other_organisation, staff_a, staff_a2, staff_b


class UnreachableMailServer(BaseEmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError("smtp.example.jp:587")


def sheets(content: bytes):
    book = load_workbook(io.BytesIO(content))
    return {ws.title: [list(row) for row in ws.iter_rows(values_only=True)] for ws in book}


def test_on_the_11th_each_organisations_staff_get_one_japanese_mail_with_the_workbook(world):
    organisation, other, staff_a, staff_a2, staff_b = world
    with time_machine.travel(datetime.datetime(2026, 12, 10, 7, 30, tzinfo=datetime.UTC)):
        assert monthly_reports_task.delay().get() == 0  # 16:30 JST on the 10th: not yet
    assert mail.outbox == []

    with time_machine.travel(datetime.datetime(2026, 12, 10, 22, 30, tzinfo=datetime.UTC)):
        monthly_reports_task.delay()  # 07:30 JST on the 11th
    assert len(mail.outbox) == 2
    ours = next(m for m in mail.outbox if staff_a.email in m.to)
    assert sorted(ours.to) == sorted([staff_a.email, staff_a2.email])
    assert staff_b.email not in ours.to
    assert "2026年11月" in ours.subject and organisation.name in ours.subject
    assert "月次" in ours.subject
    assert "加入: 2" in ours.body and "脱退: 1" in ours.body
    assert "個人情報" in ours.body
    ((name, content, mimetype),) = ours.attachments
    assert name == "monthly-report-test-group-202611.xlsx"
    assert mimetype.endswith("spreadsheetml.sheet")

    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["概要", "月次の加入・脱退", "12か月の推移", "加入状況の統計"]
    listing = book["月次の加入・脱退"]
    assert [c.value for c in listing[1]][:2] == [organisation.name, "月次加入者報告 2026年11月"]
    assert listing["C1"].value == datetime.datetime(2026, 11, 30)
    assert listing.freeze_panes == "A3"
    assert listing.auto_filter.ref == "A2:F5"
    rows = [[c.value for c in row] for row in listing.iter_rows(min_row=3)]
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        (datetime.datetime(2026, 11, 5), "加入", "000002", "佐藤　花子"),
        (datetime.datetime(2026, 11, 20), "加入", "000003", "鈴木　一郎"),
        (datetime.datetime(2026, 11, 30), "脱退", "000004", "田中　次郎"),
    ]
    assert "他団体　太郎" not in str(sheets(content))

    totals = [[c.value for c in row] for row in book["12か月の推移"].iter_rows(min_row=3)]
    assert len(totals) == 13  # twelve months and the total
    assert totals[0][:3] == [datetime.datetime(2025, 12, 1), 0, 0]
    assert totals[3][:3] == [datetime.datetime(2026, 3, 1), 1, 0]  # 000005 joined in March
    assert totals[-2] == [datetime.datetime(2026, 11, 1), 2, 1, 1]
    assert totals[-1] == ["合計", 3, 1, 2]

    summary = {r[0]: r[1] for r in sheets(content)["概要"][2:]}
    assert summary["月末の加入者数"] == 4  # 000001, 000002, 000003, 000005
    statistics = book["加入状況の統計"]
    gender = [row for row in statistics.iter_rows(min_row=3) if row[0].value == "性別"]
    share = next(row for row in gender if row[2].value)
    assert share[2].value == 4 and share[3].value == pytest.approx(1.0)
    assert share[3].number_format == "0.0%"

    delivery = MonthlyReportDelivery.objects.get(organisation=organisation)
    assert (delivery.month, delivery.recipients, delivery.joined, delivery.withdrawn) == (
        D(2026, 11, 1),
        2,
        2,
        1,
    )
    logged = AuditEvent.objects.get(organisation=organisation, action=AuditEvent.Action.EXPORT)
    assert logged.user is None and "monthly-report-test-group-202611.xlsx" in logged.detail
    assert staff_a.email in logged.detail


def test_a_second_run_or_a_retry_sends_nothing_twice_and_a_missed_day_is_caught_up(world):
    organisation, other, staff_a, *_ = world
    with time_machine.travel(datetime.datetime(2026, 12, 13, 0, 0, tzinfo=datetime.UTC)):
        monthly_reports_task.delay()  # the 11th and 12th were missed: sent on the 13th
        monthly_reports_task.delay()
        call_command(
            "monthly_report", organisation=organisation.slug, month="2026-11", email=True,
            stdout=io.StringIO(),
        )  # fmt: skip
    assert len(mail.outbox) == 2
    assert MonthlyReportDelivery.objects.count() == 2
    with time_machine.travel(datetime.datetime(2027, 1, 11, 0, 0, tzinfo=datetime.UTC)):
        monthly_reports_task.delay()  # next month: December's report
    assert len(mail.outbox) == 4
    assert "2026年12月" in mail.outbox[-1].subject


def test_a_failed_send_leaves_no_record_so_the_retry_sends(world, settings):
    organisation, *_ = world
    settings.EMAIL_BACKEND = "members.tests.test_monthly_report.UnreachableMailServer"
    from members.monthly_report import monthly_report_send

    with pytest.raises(OSError):
        monthly_report_send(organisation=organisation, month=D(2026, 11, 1))
    assert not MonthlyReportDelivery.objects.exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert monthly_report_send(organisation=organisation, month=D(2026, 11, 1)) is not None
    assert len(mail.outbox) == 1


def test_the_report_day_is_a_setting(world, settings):
    settings.MEMBERS_MONTHLY_REPORT_DAY = 3
    with time_machine.travel(datetime.datetime(2026, 12, 2, 0, 0, tzinfo=datetime.UTC)):
        monthly_reports_task.delay()
    assert mail.outbox == []
    with time_machine.travel(datetime.datetime(2026, 12, 3, 0, 0, tzinfo=datetime.UTC)):
        monthly_reports_task.delay()
    assert len(mail.outbox) == 2


def test_the_command_prints_the_figures_and_writes_the_workbook(world, tmp_path):
    organisation, *_ = world
    out = io.StringIO()
    target = tmp_path / "report.xlsx"
    call_command(
        "monthly_report",
        organisation=organisation.slug,
        month="2026-11",
        output=str(target),
        stdout=out,
    )
    assert "2026-11" in out.getvalue()
    assert sheets(target.read_bytes())["12か月の推移"][-1] == ["合計", 3, 1, 2]
    assert mail.outbox == []
    assert AuditEvent.objects.filter(
        organisation=organisation, action=AuditEvent.Action.EXPORT, detail__contains=str(target)
    ).exists()


def test_staff_download_the_same_workbook_from_the_report_page_for_their_organisation_only(
    client, world
):
    organisation, other, staff_a, _a2, staff_b = world
    client.force_login(staff_a)
    page = client.get(reverse("members_movements"), {"month_from": "2026-11"})
    assert reverse("members_monthly_report") in page.content.decode()
    response = client.get(
        reverse("members_monthly_report"), {"organisation": organisation.pk, "month": "2026-11"}
    )
    assert response.status_code == 200
    assert sheets(response.content)["12か月の推移"][-1] == ["合計", 3, 1, 2]
    assert AuditEvent.objects.filter(
        user=staff_a, action=AuditEvent.Action.EXPORT, detail__contains="202611"
    ).exists()
    client.force_login(staff_b)
    response = client.get(
        reverse("members_monthly_report"), {"organisation": organisation.pk, "month": "2026-11"}
    )
    assert response.status_code == 404
