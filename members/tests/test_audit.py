"""The audit log (who viewed, exported, downloaded, changed personal data) and its report; the
site history limited to the user's organisations, without e-mail addresses in labels."""

import csv
import datetime
import io

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from members.audit import AuditEvent, audit_log, audit_log_purge
from members.models import Member
from tests.factories import make_staff
from tests.factories.members import import_roster_fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_orgs(organisation, other_organisation):
    import_roster_fixture(
        organisation=organisation, name="month_05.csv", as_of=datetime.date(2026, 5, 10)
    )
    import_roster_fixture(organisation=other_organisation, name="split_names.csv")
    staff_a = make_staff(username="staff-a", organisations=[organisation])
    staff_b = make_staff(username="staff-b", organisations=[other_organisation])
    return organisation, other_organisation, staff_a, staff_b


def test_events_are_append_only(organisation):
    event = audit_log(user=None, action=AuditEvent.Action.EXPORT, organisation=organisation)
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.update(detail="x")
    with pytest.raises(TypeError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get().detail == ""


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_the_database_refuses_to_change_an_event(organisation):
    audit_log(user=None, action=AuditEvent.Action.EXPORT, organisation=organisation)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE members_auditevent SET detail = 'forged'")


def test_viewing_exporting_and_importing_are_logged(client, two_orgs):
    a, b, staff_a, _ = two_orgs
    # the two imports of the fixture were applied by the command: roster changes
    assert AuditEvent.objects.filter(action="roster_change").count() == 2
    client.force_login(staff_a)
    member = Member.objects.get(member_no="M001")
    assert client.get(reverse("member:inspect", args=[member.pk])).status_code == 200
    viewed = AuditEvent.objects.get(action="view_member")
    assert (viewed.user, viewed.organisation, viewed.object_id) == (staff_a, a, str(member.pk))
    assert viewed.object_label == str(member)

    response = client.get(reverse("member:index"), {"export": "csv"})
    b"".join(response.streaming_content)
    exported = AuditEvent.objects.get(action="export")
    assert (exported.user, exported.organisation) == (staff_a, a)
    assert exported.detail.startswith("members.csv")


def test_the_report_shows_staff_their_organisations_events_and_exports_them(client, two_orgs):
    a, b, staff_a, staff_b = two_orgs
    audit_log(
        user=staff_b, action=AuditEvent.Action.VIEW_MEMBER, obj=Member.objects.get(member_no="S01")
    )
    audit_log(
        user=staff_a, action=AuditEvent.Action.VIEW_MEMBER, obj=Member.objects.get(member_no="M001")
    )
    client.force_login(staff_a)
    page = client.get(reverse("members_audit_log")).content.decode()
    assert "staff-a" in page and "staff-b" not in page and "加入者ページの閲覧" in page

    response = client.get(reverse("members_audit_log"), {"export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    users = {row[1] for row in rows[1:]}
    assert "staff-a" in users and "staff-b" not in users
    assert rows[0][:4] == ["日時", "ユーザー名", "団体", "操作"]

    superuser = make_staff(username="root", organisations=[])
    superuser.is_superuser = True
    superuser.save()
    client.force_login(superuser)
    page = client.get(reverse("members_audit_log")).content.decode()
    assert "staff-a" in page and "staff-b" in page


def test_events_older_than_the_retention_period_are_removed(organisation):
    now = timezone.now()
    old = audit_log(user=None, action="export", organisation=organisation)
    AuditEvent.objects.filter(pk=old.pk).purge_before(now + datetime.timedelta(days=1))
    kept = audit_log(user=None, action="export", organisation=organisation)
    assert audit_log_purge(now=now + datetime.timedelta(days=3 * 365 - 1)) == 0
    assert audit_log_purge(now=now + datetime.timedelta(days=3 * 365 + 1)) == 1
    assert not AuditEvent.objects.filter(pk=kept.pk).exists()


def test_site_history_shows_only_the_users_organisations(client, two_orgs):
    from mailings.models import Suppression

    a, b, staff_a, staff_b = two_orgs
    theirs = Suppression.objects.create(organisation=b, email="bounced@example.jp", reason="bounce")
    ModelLogEntry.objects.log_action(theirs, "wagtail.create", user=staff_b)
    ours = Suppression.objects.create(organisation=a, email="ours@example.jp", reason="bounce")
    ModelLogEntry.objects.log_action(ours, "wagtail.create", user=staff_a)
    # no e-mail address in the label Wagtail stores
    assert not ModelLogEntry.objects.filter(label__contains="@").exists()

    client.force_login(staff_a)
    page = client.get("/admin/reports/site-history/").content.decode()
    assert f"#{ours.pk}" in page and "staff-b" not in page
    response = client.get("/admin/reports/site-history/", {"export": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert str(ours.pk) in text and "staff-b" not in text and "@" not in text
    assert len(list(csv.reader(io.StringIO(text)))) == 2  # the heading and our entry
