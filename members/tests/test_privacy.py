"""Members' personal-data requests (開示・訂正・利用停止等), the disclosure file, and the
anonymisation of former members after their organisation's retention period."""

import csv
import datetime
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from courses.models import Certificate
from courses.services import certificate_issue
from mailings.models import MailingRecipient
from members.audit import AuditEvent
from members.beat import beat_schedule
from members.models import Member, PersonalDataRequest
from members.tasks import anonymise_withdrawn_task
from tests.factories import make_member, make_staff
from tests.factories.lms import complete_course, make_campaign, make_course, make_requirement
from tests.factories.mailings import make_notice_mailing, subscribe
from tests.factories.quality import member_with_login

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 2)


@pytest.fixture
def staff(organisation, other_organisation):
    return (
        make_staff(username="staff-a", organisations=[organisation]),
        make_staff(username="staff-b", organisations=[other_organisation]),
    )


def _request_form(organisation, **fields):
    return {
        "organisation": organisation.pk,
        "member_no": "000001",
        "kind": "disclosure",
        "received_on": "2026-11-20",
        "answered_on": "",
        "status": "received",
        "details": "保有個人データの開示を求める",
        "staff_notes": "",
        **fields,
    }


# --- the request log --------------------------------------------------------------------------


def test_staff_record_a_request_and_are_noted_as_handling_it(client, member, staff):
    staff_a, _ = staff
    client.force_login(staff_a)
    response = client.post(reverse("personal_data_request:add"), _request_form(member.organisation))
    assert response.status_code == 302
    request_ = PersonalDataRequest.objects.get()
    assert (request_.member, request_.handled_by) == (member, staff_a)
    assert request_.received_on == datetime.date(2026, 11, 20)
    listing = client.get(reverse("personal_data_request:index")).content.decode()
    assert "開示" in listing and "000001" in listing and "2026年11月20日" in listing


def test_bad_input_is_explained_in_japanese_and_english(client, member, staff):
    staff_a, _ = staff
    client.force_login(staff_a)
    response = client.post(
        reverse("personal_data_request:add"),
        _request_form(member.organisation, member_no="999999", status="answered"),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "加入者番号 999999 の加入者は" in html and "No member 999999" in html
    assert "回答日を入力してください" in html and "Enter the date the request was answered" in html
    assert not PersonalDataRequest.objects.exists()


def test_requests_are_scoped_filtered_and_exported(client, member, other_organisation, staff):
    staff_a, staff_b = staff
    other = make_member(organisation=other_organisation, member_no="B00001")
    mine = PersonalDataRequest.objects.create(
        organisation=member.organisation, member=member, kind="correction", details="住所の訂正"
    )
    PersonalDataRequest.objects.create(
        organisation=member.organisation, member=member, kind="disclosure"
    )
    theirs = PersonalDataRequest.objects.create(
        organisation=other_organisation, member=other, kind="correction"
    )
    client.force_login(staff_a)
    index = reverse("personal_data_request:index")
    listing = client.get(index, {"kind": "correction"}).content.decode()
    assert reverse("personal_data_request:edit", args=[mine.pk]) in listing
    assert reverse("personal_data_request:edit", args=[theirs.pk]) not in listing
    assert "B00001" not in listing
    exported = client.get(index, {"export": "csv", "kind": "correction"})
    rows = list(csv.reader(io.StringIO(b"".join(exported.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 2 and "住所の訂正" in rows[1] and "000001" in rows[1]
    response = client.get(reverse("personal_data_request:edit", args=[theirs.pk]))
    assert response.status_code == 404
    client.force_login(staff_b)
    assert client.get(reverse("personal_data_request:edit", args=[mine.pk])).status_code == 404


# --- the disclosure file ----------------------------------------------------------------------


@pytest.fixture
def record(organisation):
    """A member with training, an assignment, a certificate, a consent and a mail."""
    member = member_with_login(
        organisation=organisation, member_no="D0001", email="d1@example.jp", name="開示　花子"
    )
    member.phone = "090-1111-2222"
    member.birth_date = datetime.date(1980, 5, 1)
    member.save()
    course = make_course(organisation=organisation, title="熱中症の予防")
    campaign = make_campaign(organisation=organisation, today=datetime.date(2026, 6, 1))
    make_requirement(campaign=campaign, courses=[course])
    enrolment = complete_course(member=member, course=course, on=datetime.date(2026, 6, 10))
    certificate = certificate_issue(enrolment=enrolment)
    subscribe(member)
    make_notice_mailing(organisation=organisation, members=[member], subject="研修のお知らせ")
    return member, certificate


def _cells(sheet):
    return {str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None}


def test_the_disclosure_file_holds_every_apps_data_and_is_audit_logged(client, record, staff):
    member, certificate = record
    staff_a, _ = staff
    client.force_login(staff_a)
    page = client.get(reverse("member:inspect", args=[member.pk])).content.decode()
    assert reverse("member:disclosure", args=[member.pk]) in page
    response = client.get(reverse("member:disclosure", args=[member.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "no-store" in response["Cache-Control"]
    book = load_workbook(io.BytesIO(response.content))
    titles = book.sheetnames
    assert titles[:2] == ["名簿の情報", "加入期間"]
    everything = set().union(*(_cells(book[t]) for t in titles))
    assert {"開示　花子", "d1@example.jp", "090-1111-2222", "D0001"} <= everything
    assert {"熱中症の予防", certificate.number, "研修のお知らせ"} <= everything
    assert any(t in titles for t in ("受講", "受講履歴")) or len(titles) >= 8
    event = AuditEvent.objects.get(action=AuditEvent.Action.DISCLOSURE)
    assert (event.user, event.object_id) == (staff_a, str(member.pk))


def test_the_disclosure_file_is_refused_outside_the_staffs_organisations(client, record, staff):
    member, _ = record
    _, staff_b = staff
    url = reverse("member:disclosure", args=[member.pk])
    assert client.get(url).status_code == 302  # signed out: to the admin login
    client.force_login(member.user)
    assert client.get(url).status_code == 302  # a member has no admin
    client.force_login(staff_b)
    assert client.get(url).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DISCLOSURE).exists()


# --- anonymisation ----------------------------------------------------------------------------


def _withdrawn(record, on):
    from tests.factories.lms import member_withdraws

    member, certificate = record
    member_withdraws(member=member, on=on)
    return member, certificate


LATER = datetime.date(2032, 1, 1)  # more than five years after withdrawing on 2026-07-31


def test_dry_run_lists_and_changes_nothing(record):
    member, _ = _withdrawn(record, datetime.date(2026, 7, 31))
    out = io.StringIO()
    call_command("anonymise_withdrawn", "--dry-run", "--today", LATER.isoformat(), stdout=out)
    assert "D0001" in out.getvalue() and "1" in out.getvalue()
    member.refresh_from_db()
    assert member.name == "開示　花子" and member.anonymised_at is None


def test_a_member_withdrawn_past_the_retention_is_anonymised_keeping_the_evidence(record):
    member, certificate = _withdrawn(record, datetime.date(2026, 7, 31))
    recent = make_member(
        organisation=member.organisation,
        member_no="R0001",
        name="最近　退会",
        joined_on=datetime.date(2024, 4, 1),
        withdrawn_on=datetime.date(2028, 3, 31),
    )
    call_command("anonymise_withdrawn", "--today", LATER.isoformat(), stdout=io.StringIO())
    member.refresh_from_db()
    assert member.name == f"匿名化済み {member.pk}"
    assert (member.email, member.phone, member.address, member.birth_date) == ("", "", "", None)
    assert member.member_no == "D0001" and member.anonymised_at is not None
    certificate.refresh_from_db()
    assert certificate.number and certificate.completed_on == datetime.date(2026, 6, 10)
    assert certificate.member_name == member.name
    assert member.enrolments.get().completed_at is not None
    assert not MailingRecipient.objects.filter(member=member).exclude(email="").exists()
    member.user.refresh_from_db()
    assert (member.user.email, member.user.is_active) == ("", False)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ERASURE).count() == 1
    recent.refresh_from_db()
    assert recent.name == "最近　退会"  # within the five years
    # idempotent: a second run changes nothing and logs nothing more
    call_command("anonymise_withdrawn", "--today", LATER.isoformat(), stdout=io.StringIO())
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ERASURE).count() == 1
    assert Certificate.objects.filter(number=certificate.number).exists()


def test_the_retention_is_per_organisation_and_the_nightly_task_runs_it(organisation):
    organisation.anonymise_after_days = 365
    organisation.save()
    gone = make_member(
        organisation=organisation,
        member_no="G1",
        joined_on=datetime.date(2020, 4, 1),
        withdrawn_on=datetime.date(2024, 3, 31),
    )
    assert anonymise_withdrawn_task.delay().get() == 1
    gone.refresh_from_db()
    assert gone.name.startswith("匿名化済み")
    assert anonymise_withdrawn_task.delay().get() == 0
    entry = beat_schedule()["members-anonymise-withdrawn"]
    assert entry["task"] == "members.tasks.anonymise_withdrawn_task"


def test_a_member_enrolled_again_is_not_anonymised(organisation):
    from tests.factories.lms import member_joins

    member = make_member(
        organisation=organisation,
        member_no="J1",
        joined_on=datetime.date(2015, 4, 1),
        withdrawn_on=datetime.date(2018, 3, 31),
    )
    member_joins(member=member, on=datetime.date(2025, 4, 1))
    member.withdrawn_on = datetime.date(2018, 3, 31)  # a roster still carrying the old date
    member.save(update_fields=["withdrawn_on"])
    call_command("anonymise_withdrawn", "--today", TODAY.isoformat(), stdout=io.StringIO())
    assert Member.objects.get(pk=member.pk).anonymised_at is None


def test_a_bad_date_is_refused_clearly():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="2026-07-31"):
        call_command("anonymise_withdrawn", "--today", "31/07/2026")


def test_the_requests_page_links_the_members_disclosure_file(client, member, staff):
    staff_a, _ = staff
    request_ = PersonalDataRequest.objects.create(
        organisation=member.organisation, member=member, kind="disclosure"
    )
    client.force_login(staff_a)
    html = client.get(reverse("personal_data_request:edit", args=[request_.pk])).content.decode()
    assert reverse("member:disclosure", args=[member.pk]) in html
    assert 'value="000001"' in html  # the member number the request was recorded for
