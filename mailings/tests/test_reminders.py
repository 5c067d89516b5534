"""Training reminders: each step at most once per assignment, skips recorded with reasons."""

import datetime

import pytest
from django.core import mail
from django.db import IntegrityError
from django.utils import timezone

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
    schedule = campaign.reminder_schedule  # every new campaign has one
    schedule.weekly_overdue = False  # these stories switch the weekly reminder off
    schedule.save()
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
    assert [k for k, _s in steps_for(schedule=schedule, due_on=due, today=D(2026, 8, 9))] == [
        "weekly-1"
    ]  # then weekly until done
    schedule.weekly_overdue = False  # switched off by staff
    assert steps_for(schedule=schedule, due_on=due, today=D(2026, 8, 9)) == []


def test_a_new_campaign_gets_the_default_schedule(organisation):
    campaign = make_campaign(organisation=organisation, cycles=False)
    schedule = ReminderSchedule.objects.get(campaign=campaign)
    assert schedule.enabled and schedule.announce_on_open
    assert schedule.days_before == [14, 7, 1]
    assert schedule.overdue_notice and schedule.weekly_overdue


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
    # the text part opens with the subject, the campaign's name in it (it once read 「【】」)
    campaign = schedule.campaign.name
    assert campaign in message.subject
    assert message.body.splitlines()[0] == message.subject
    assert f"<title>{message.subject}</title>" in html


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


def test_campaign_names_are_plain_text_in_the_text_part_and_escaped_in_the_html(
    setup, organisation, django_capture_on_commit_callbacks
):
    schedule, cycle, _requirement, _assignments = setup
    schedule.campaign.name = "<熱中症> & 腰痛"
    schedule.campaign.save()
    ReminderTemplate.objects.create(
        organisation=organisation, step="announcement", subject="{{ campaign }}（{{ cycle }}）",
        body="{{ name }}さん\n「{{ campaign }}」の期限は{{ due_date }}です。\n\n{{ courses }}",
    )  # fmt: skip
    run(D(2026, 6, 1), django_capture_on_commit_callbacks)
    message = mail.outbox[0]
    html = message.alternatives[0][0]
    assert message.subject == "<熱中症> & 腰痛（2026年度）"
    assert "「<熱中症> & 腰痛」の期限は2026年7月31日です。" in message.body
    assert "「&lt;熱中症&gt; &amp; 腰痛」の期限は2026年7月31日です。" in html
    assert "<熱中症>" not in html


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


# --- set-based: a constant number of queries, whatever the number of members ----------


def _cycle_with_members(organisation, n, *, slug):
    """A campaign whose cycle has ``n`` members in a realistic mix of statuses, two
    requirements each (two courses, one with two lessons), some progress, a suppressed
    address and a member no longer on the roster."""
    from courses.models import Enrolment, LessonProgress
    from lms.models import Assignment
    from mailings.models import Suppression
    from tests.factories import make_lesson

    campaign = make_campaign(organisation=organisation, cycles=False, slug=slug)
    cycle = campaign.cycles.create(
        name="2026年度", fiscal_year=2026, opens_on=D(2026, 6, 1), due_on=D(2026, 7, 31)
    )
    course = make_course(title=f"熱中症の予防 {slug}", organisation=organisation)
    lessons = [make_lesson(course=course, is_required=True) for _i in range(2)]
    other = make_course(title=f"墜落・転落の防止 {slug}", organisation=organisation)
    requirements = [
        make_requirement(campaign=campaign, courses=[course], name="全員研修"),
        make_requirement(campaign=campaign, courses=[other], name="職種別研修"),
    ]
    schedule = campaign.reminder_schedule
    statuses = ["assigned", "in_progress", "overdue", "completed", "exempt", "withdrawn"]
    members = []
    for i in range(n):
        status = statuses[i % len(statuses)]
        member = make_member(organisation=organisation, name=f"会員　{slug}{i:03d}",
                             email=f"{slug}{i:03d}@example.jp")  # fmt: skip
        members.append(member)
        for requirement in requirements:
            Assignment.objects.create(
                member=member, requirement=requirement, cycle=cycle, starts_on=cycle.opens_on,
                due_on=cycle.due_on, status=status,
            )  # fmt: skip
        if status == "in_progress":  # one of the two lessons done: 50%
            enrolment = Enrolment.objects.create(member=member, course=course)
            LessonProgress.objects.create(
                enrolment=enrolment, lesson=lessons[0], completed_at=timezone.now()
            )
    Suppression.objects.create(
        organisation=organisation, email=members[0].email, reason="bounce",
        source="manual",
    )  # fmt: skip
    return schedule, cycle, members


def _queries_of_one_day(schedule, cycle, day):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from mailings.reminders import reminders_for_cycle

    with CaptureQueriesContext(connection) as queries:
        counts = reminders_for_cycle(schedule=schedule, cycle=cycle, today=day)
    return len(queries), counts


def test_the_daily_decision_takes_as_many_queries_for_forty_members_as_for_five(organisation, site):
    """Before, the run made about two queries per member (22 for 5, 98 for 40)."""
    from mailings.models import MailingRecipient

    warm = _cycle_with_members(organisation, 1, slug="warm")
    few = _cycle_with_members(organisation, 5, slug="few")
    many = _cycle_with_members(organisation, 40, slug="many")
    day = D(2026, 7, 24)  # before-7; the announcement not yet sent: one is covered by the other
    _queries_of_one_day(warm[0], warm[1], day)  # what a worker reads once (site, settings)
    few_queries, few_counts = _queries_of_one_day(few[0], few[1], day)
    many_queries, many_counts = _queries_of_one_day(many[0], many[1], day)
    assert many_queries == few_queries, (few_queries, many_queries)
    # 40 members: 21 have open assignments (assigned, in progress, overdue), one suppressed
    open_members = [m for i, m in enumerate(many[2]) if i % 6 < 3]
    recipients = MailingRecipient.objects.filter(mailing__title__contains="announce").filter(
        member__in=many[2]
    )
    assert sorted(r.member_id for r in recipients) == sorted(m.pk for m in open_members)
    assert many_counts["mailed"] == len(open_members) - 1
    assert recipients.get(member=many[2][0]).reason == "suppressed"
    # closed ones: both steps of both assignments skipped with their reason; open ones: the
    # before-7 step covered by the announcement
    closed = 19 * 2 * 2
    assert many_counts["skipped"] == closed + len(open_members) * 2


def test_recipients_written_in_chunks_get_the_same_mails(
    organisation, site, django_capture_on_commit_callbacks
):
    from mailings.models import MailingRecipient
    from mailings.reminders import reminders_for_cycle

    schedule, cycle, members = _cycle_with_members(organisation, 12, slug="chunk")
    with django_capture_on_commit_callbacks(execute=True):
        counts = reminders_for_cycle(
            schedule=schedule, cycle=cycle, today=D(2026, 6, 1), chunk_size=2
        )
    open_members = [m for i, m in enumerate(members) if i % 6 < 3]
    assert counts["mailed"] == len(open_members) - 1  # one suppressed address
    assert MailingRecipient.objects.count() == len(open_members)
    assert len(mail.outbox) == len(open_members) - 1
    for message in mail.outbox:  # one mail per member listing both requirements' courses
        assert "熱中症の予防 chunk" in message.body and "墜落・転落の防止 chunk" in message.body
    in_progress = next(m for m in mail.outbox if m.to[0].endswith("chunk001@example.jp>"))
    assert "熱中症の予防 chunk（50%）" in in_progress.body
    assert "墜落・転落の防止 chunk（0%）" in in_progress.body
    assert "現在の進み具合" not in in_progress.body  # the announcement has no progress line
    mailed = ReminderDelivery.objects.filter(step="announce", state="mailed")
    assert mailed.count() == len(open_members) * 2
    assert all(d.recipient_id for d in mailed)
