"""Closing a cycle (確定): frozen person rows that later roster imports do not move, the
changes since shown beside them, and reopening with a reason by staff allowed to."""

import csv
import datetime
import io
import json

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook
from wagtail.models import ModelLogEntry

from lms import selectors
from lms.models import Assignment, Cycle, RequirementResult
from lms.services import assignments_refresh, cycle_reopen, cycles_close_due
from members.models import AuditEvent
from members.services import roster_import_file
from tests.factories import make_staff

from .test_people import listed_member_numbers, refresh
from .test_views import lms_staff

D = datetime.date
Status = Assignment.Status
pytestmark = pytest.mark.django_db


def roster_withdrawing(people, withdrawn: dict) -> bytes:
    """The organisation's whole roster as the office exports it, with 脱退日 for some."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["加入者番号", "氏名", "メールアドレス", "加入区分", "加入日", "脱退日"])
    for no, member in sorted(people.items()):
        left = withdrawn.get(no) or member.withdrawn_on
        writer.writerow(
            [no, member.name, member.email, "特定フリーランス事業", "2024-04-01",
             left.isoformat() if left else ""]
        )  # fmt: skip
    return out.getvalue().encode("utf-8")


def figures(client, cycle):
    """The cycle's figures as the dashboard, its Excel export, the people lists and the
    command line give them."""
    html = client.get(reverse("lms_reports:dashboard"), {"cycle": cycle.pk}).content.decode()
    book = load_workbook(
        io.BytesIO(
            b"".join(client.get(reverse("lms_reports:dashboard_export"), {"cycle": cycle.pk}))
        )
    )
    people_sheet = {row[0]: row[1] for row in book["人数"].iter_rows(min_row=3, values_only=True)}
    out = io.StringIO()
    call_command(
        "completion_report", organisation="test-group", campaign="saigai-boshi", year=2026,
        format="json", stdout=out,
    )  # fmt: skip
    total = json.loads(out.getvalue())["rows"][0]
    overdue = listed_member_numbers(client, reverse("lms_reports:overdue") + f"?cycle={cycle.pk}")
    return {
        "dashboard_required": html.split('data-testid="required">', 1)[1].split("<", 1)[0],
        "dashboard_overdue": html.split('data-testid="overdue">', 1)[1].split("<", 1)[0],
        "xlsx": (people_sheet["受講対象者"], people_sheet["期限切れ"], people_sheet["脱退"]),
        "command": (total["required"], total["overdue"], total["withdrawn"], total["rate"]),
        "overdue_list": overdue,
    }


def test_a_closed_cycle_keeps_its_figures_after_a_roster_import(
    client, campaign_of_two, organisation
):
    campaign, cycle, people = (campaign_of_two[k] for k in ("campaign", "cycle", "people"))
    refresh(campaign, D(2026, 7, 31))
    assert cycles_close_due(today=D(2026, 7, 31)) == []  # the due date itself: still open
    assert cycle in cycles_close_due(today=D(2026, 8, 1))  # (and the other organisation's)
    cycle.refresh_from_db()
    assert cycle.is_closed and cycle.closed_by is None
    assert RequirementResult.objects.filter(cycle=cycle).count() == 12
    staff = lms_staff("closing-staff", [organisation])
    client.force_login(staff)
    before = figures(client, cycle)
    assert before["command"] == (5, 4, 1, 20.0)
    assert before["dashboard_required"] == "5" and before["dashboard_overdue"] == "4"
    assert before["xlsx"] == (5, 4, 1)
    assert before["overdue_list"] == ["002", "003", "004", "006"]

    # December: the office imports a roster withdrawing two overdue members; one completes late
    report, _import = roster_import_file(
        organisation=organisation,
        data=roster_withdrawing(people, {"002": D(2026, 11, 30), "003": D(2026, 11, 30)}),
        file_name="roster-2026-12.csv",
    )
    assert not report.errors, report.errors
    from tests.factories.lms import complete_course

    complete_course(member=people["004"], course=campaign.requirements.get(name="基礎研修").courses.get(), on=D(2026, 12, 1))  # fmt: skip
    complete_course(member=people["004"], course=campaign.requirements.get(name="応用研修").courses.get(), on=D(2026, 12, 1))  # fmt: skip
    assignments_refresh(organisation=organisation, today=D(2026, 12, 2))
    assert (
        Assignment.objects.filter(cycle=cycle, status=Status.WITHDRAWN)
        .values("member")
        .distinct()
        .count()
        == 3
    )  # the live records moved
    after = figures(client, cycle)
    assert after == before
    changes = selectors.changes_after_closing(cycle=cycle)
    assert (changes.withdrawn, changes.completed) == (2, 1)
    html = client.get(reverse("lms_reports:dashboard"), {"cycle": cycle.pk}).content.decode()
    assert "確定後の変動" in html
    assert 'data-testid="withdrawn-after">2 人<' in html
    assert 'data-testid="completed-after">1 人<' in html


def test_reopening_needs_the_permission_and_a_reason_and_is_logged(
    client, campaign_of_two, organisation
):
    campaign, cycle = campaign_of_two["campaign"], campaign_of_two["cycle"]
    refresh(campaign, D(2026, 8, 1))
    cycles_close_due(today=D(2026, 8, 1))
    staff = make_staff(username="plain-staff", organisations=[organisation])
    assert not staff.has_perm("lms.close_cycle")  # not one of the staff group's permissions
    client.force_login(staff)
    url = reverse("lms_reports:cycle_reopen", args=[cycle.pk])
    html = client.get(reverse("lms_reports:dashboard"), {"cycle": cycle.pk}).content.decode()
    assert url not in html
    assert client.post(url, {"reason": "訂正"}).status_code in (302, 403)
    assert Cycle.objects.get(pk=cycle.pk).is_closed

    manager = make_staff(username="manager", organisations=[organisation])
    manager.user_permissions.add(Permission.objects.get(codename="close_cycle"))
    manager = type(manager).objects.get(pk=manager.pk)
    assert manager.has_perm("lms.close_cycle")
    client.force_login(manager)
    html = client.get(reverse("lms_reports:dashboard"), {"cycle": cycle.pk}).content.decode()
    assert url in html
    client.post(url, {"reason": ""})
    assert Cycle.objects.get(pk=cycle.pk).is_closed  # no reason, no reopening
    client.post(url, {"reason": "名簿の誤りを訂正するため"})
    cycle.refresh_from_db()
    assert not cycle.is_closed and cycle.reopened_at is not None
    assert cycles_close_due(today=D(2026, 8, 2)) == []  # staff close it again, not the night
    events = AuditEvent.objects.filter(object_id=str(cycle.pk), object_type="lms.cycle")
    assert [(e.action, e.user_label, e.detail) for e in events.order_by("pk")] == [
        (AuditEvent.Action.CYCLE_CLOSE, "", ""),
        (AuditEvent.Action.CYCLE_REOPEN, "manager", "名簿の誤りを訂正するため"),
    ]
    log = ModelLogEntry.objects.filter(object_id=str(cycle.pk)).order_by("pk")
    assert [entry.action for entry in log] == ["lms.cycle_close", "lms.cycle_reopen"]
    assert log.last().user == manager and log.last().data == {"reason": "名簿の誤りを訂正するため"}
    client.post(reverse("lms_reports:cycle_close", args=[cycle.pk]))
    cycle.refresh_from_db()
    assert cycle.is_closed and cycle.closed_by == manager


def test_reopen_without_a_reason_is_refused(campaign_of_two):
    campaign, cycle = campaign_of_two["campaign"], campaign_of_two["cycle"]
    refresh(campaign, D(2026, 8, 1))
    cycles_close_due(today=D(2026, 8, 1))
    with pytest.raises(ValueError):
        cycle_reopen(cycle=cycle, user=None, reason="  ")


def test_grace_period_setting(campaign_of_two, settings):
    settings.LMS_CLOSE_GRACE_DAYS = 7
    refresh(campaign_of_two["campaign"], D(2026, 8, 1))
    assert cycles_close_due(today=D(2026, 8, 7)) == []
    assert campaign_of_two["cycle"] in cycles_close_due(today=D(2026, 8, 8))
