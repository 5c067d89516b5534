"""Training reminders: each step at most once per assignment, skips recorded with reasons."""

import datetime

import pytest
from django.core import mail
from django.db import IntegrityError

from mailings.models import ReminderDelivery, ReminderSchedule, ReminderTemplate, StaffDigest
from mailings.reminders import reminders_run, steps_for
from tests.factories import make_campaign, make_course, make_member, make_requirement, make_staff

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def setup(organisation, site):
    from lms.models import Assignment

    campaign = make_campaign(organisation=organisation, cycles=False)
    cycle = campaign.cycles.create(
        name="2026年度", fiscal_year=2026, opens_on=D(2026, 6, 1), due_on=D(2026, 7, 31)
    )
    course = make_course(title="熱中症の予防と応急手当", organisation=organisation)
    requirement = make_requirement(campaign=campaign, courses=[course], name="全員研修")
    schedule = ReminderSchedule.objects.create(campaign=campaign)
    members = {
        status: make_member(organisation=organisation, name=f"会員　{status}",
                            email=f"{status}@example.jp")
        for status in ("assigned", "in_progress", "completed", "exempt", "withdrawn")
    }  # fmt: skip
    assignments = {
        status: Assignment.objects.create(
            member=member, requirement=requirement, cycle=cycle, starts_on=cycle.opens_on,
            due_on=cycle.due_on, status=status,
        )
        for status, member in members.items()
    }  # fmt: skip
    return schedule, cycle, requirement, assignments


def run(day, capture):
    with capture(execute=True):
        return reminders_run(today=day)


def mailed_to():
    return sorted(m.to[0].split("<")[-1].rstrip(">") for m in mail.outbox)


def test_default_schedule():
    schedule = ReminderSchedule(days_before=[14, 7, 1])
    due = D(2026, 7, 31)
    assert [k for k, _s in steps_for(schedule=schedule, due_on=due, today=D(2026, 6, 1))] == [
        "announce"
    ]
    assert [k for k, _s in steps_for(schedule=schedule, due_on=due, today=D(2026, 7, 17))] == [
        "announce",
        "before-14",
    ]
    assert "before-7" in [
        k for k, _ in steps_for(schedule=schedule, due_on=due, today=D(2026, 7, 24))
    ]
    assert "before-1" in [
        k for k, _ in steps_for(schedule=schedule, due_on=due, today=D(2026, 7, 30))
    ]
    assert [k for k, _s in steps_for(schedule=schedule, due_on=due, today=D(2026, 8, 1))] == [
        "overdue"
    ]
    assert steps_for(schedule=schedule, due_on=due, today=D(2026, 8, 9)) == []  # weekly is off
    schedule.weekly_overdue = True
    assert [k for k, _s in steps_for(schedule=schedule, due_on=due, today=D(2026, 8, 9))] == [
        "weekly-1"
    ]


def test_announcement_goes_to_members_concerned_and_skips_are_recorded(
    setup, django_capture_on_commit_callbacks
):
    schedule, cycle, requirement, assignments = setup
    counts = run(D(2026, 6, 1), django_capture_on_commit_callbacks)
    assert mailed_to() == ["assigned@example.jp", "in_progress@example.jp"]
    assert counts["skipped"] == 3
    skipped = dict(
        ReminderDelivery.objects.filter(state="skipped").values_list("assignment__status", "reason")
    )
    assert skipped == {"completed": "completed", "exempt": "exempt", "withdrawn": "withdrawn"}
    message = next(m for m in mail.outbox if "assigned@" in m.to[0])
    assert "会員　assigned 様" in message.body
    assert "2026年7月31日" in message.body
    assert "熱中症の予防と応急手当" in message.body and "/courses/" in message.body
    assert "0%" in message.body
    html = message.alternatives[0][0]
    assert "<li><a href=" in html and "熱中症の予防と応急手当" in html


def test_a_step_never_goes_twice(setup, django_capture_on_commit_callbacks):
    run(D(2026, 7, 17), django_capture_on_commit_callbacks)  # announce (covers before-14)
    first = len(mail.outbox)
    run(D(2026, 7, 17), django_capture_on_commit_callbacks)
    run(D(2026, 7, 18), django_capture_on_commit_callbacks)
    assert len(mail.outbox) == first == 2
    assert ReminderDelivery.objects.filter(step="before-14", reason="covered").count() == 2
    run(D(2026, 7, 24), django_capture_on_commit_callbacks)
    run(D(2026, 7, 25), django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 4
    assert "あと7日" in mail.outbox[-1].subject
    # the database refuses a second row for the same assignment and step
    delivery = ReminderDelivery.objects.filter(step="before-7").first()
    with pytest.raises(IntegrityError):
        ReminderDelivery.objects.create(
            assignment=delivery.assignment, step="before-7", state="mailed"
        )


def test_completed_before_the_reminder_is_skipped(setup, django_capture_on_commit_callbacks):
    schedule, cycle, requirement, assignments = setup
    run(D(2026, 6, 1), django_capture_on_commit_callbacks)
    assignments["in_progress"].status = "completed"
    assignments["in_progress"].save()
    mail.outbox.clear()
    run(D(2026, 7, 30), django_capture_on_commit_callbacks)
    assert mailed_to() == ["assigned@example.jp"]
    assert (
        ReminderDelivery.objects.get(assignment=assignments["in_progress"], step="before-1").reason
        == "completed"
    )


def test_overdue_notice_and_weekly_option(setup, django_capture_on_commit_callbacks):
    schedule, cycle, requirement, assignments = setup
    run(D(2026, 8, 1), django_capture_on_commit_callbacks)
    assert "期限超過" in mail.outbox[0].subject
    mail.outbox.clear()
    run(D(2026, 8, 9), django_capture_on_commit_callbacks)
    assert mail.outbox == []
    schedule.weekly_overdue = True
    schedule.save()
    run(D(2026, 8, 9), django_capture_on_commit_callbacks)
    run(D(2026, 8, 10), django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 2  # one per open assignment, once in that week


def test_edited_template_is_used(setup, organisation, django_capture_on_commit_callbacks):
    ReminderTemplate.objects.create(
        organisation=organisation, step="announcement", subject="【ご案内】{{ campaign }}",
        body="{{ name }}さん\n期限: {{ due_date }}\n進み具合: {{ progress }}\n\n{{ courses }}",
    )  # fmt: skip
    run(D(2026, 6, 1), django_capture_on_commit_callbacks)
    message = mail.outbox[0]
    assert message.subject == "【ご案内】災害防止等に関する研修"
    assert "さん\n期限: 2026年7月31日\n進み具合: 0%" in message.body


def test_member_joining_mid_window_gets_their_own_schedule(
    setup, organisation, django_capture_on_commit_callbacks
):
    from lms.models import Assignment

    schedule, cycle, requirement, assignments = setup
    run(D(2026, 6, 1), django_capture_on_commit_callbacks)
    late = make_member(organisation=organisation, email="late@example.jp")
    Assignment.objects.create(
        member=late, requirement=requirement, cycle=cycle, starts_on=D(2026, 7, 25),
        due_on=D(2026, 8, 24), status="assigned",
    )  # fmt: skip
    mail.outbox.clear()
    run(D(2026, 7, 25), django_capture_on_commit_callbacks)  # before-7 for the others
    assert "late@example.jp" in mailed_to()
    late_mail = next(m for m in mail.outbox if "late@" in m.to[0])
    assert "2026年8月24日" in late_mail.body


def test_staff_digest_once_a_week(setup, organisation, django_capture_on_commit_callbacks):
    make_staff(username="office", organisations=[organisation])
    monday = D(2026, 8, 3)
    run(monday, django_capture_on_commit_callbacks)
    digests = [m for m in mail.outbox if m.to == ["office@example.jp"]]
    assert len(digests) == 1
    assert "会員　assigned" in digests[0].body and "会員　completed" not in digests[0].body
    run(monday, django_capture_on_commit_callbacks)
    assert len([m for m in mail.outbox if m.to == ["office@example.jp"]]) == 1
    assert StaffDigest.objects.get().overdue_count == 2
