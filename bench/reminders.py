#!/usr/bin/env python
"""The daily reminder decision for one cycle of a large organisation, on PostgreSQL.

    .venv/bin/python bench/reminders.py [--members 100000]

Uses DATABASE_URL when it is PostgreSQL (default postgres://postgres@127.0.0.1:5432/
lms_bench_reminders; created and migrated when missing; its tables are emptied). Builds one
organisation with N members and a campaign cycle (2026-06-01 .. 07-31) with two
requirements (two courses of two lessons), in a realistic mix: 45 % completed, 20 % in
progress (one lesson of two done), 25 % not started, 3 % exempt, 2 % withdrawn, and 5 % who
joined in the window with due dates of their own (some overdue); 1 % of the addresses are
suppressed; the announcement and the 14-days reminder already went out. Then, on July 24
(7 days before the due date), runs the daily decision (``reminders_for_cycle``: who gets
which step, recipients and delivery records written) and counts its queries.

The raw baseline, in turn with ours three times: the same recipient and delivery rows
written by two hand-written INSERT … SELECT into scratch copies of the tables (no course
lines, no progress). The last line is machine-readable:
    members=… reminders_s=… queries=… queries_per_member=… recipients=… ratio=… ratio_spread=…
(reminders_s: the median of the three runs; ratio: the median of ours / raw.)
"""

import argparse
import datetime

from common import Ratios, insert_members, insert_select, load_average, timed, use_database

TODAY = datetime.date(2026, 7, 24)
OPENS, DUE = datetime.date(2026, 6, 1), datetime.date(2026, 7, 31)


def seed(members: int):
    from django.db import connection

    from courses.models import CoursePage, Enrolment, LessonPage, LessonProgress
    from lms.models import Assignment, Campaign
    from mailings.models import ReminderDelivery, ReminderSchedule, Suppression
    from members.models import Organisation
    from tests.factories import make_course, make_lesson, make_requirement

    with connection.cursor() as cursor:  # (not organisations: that would empty course pages)
        cursor.execute(
            "TRUNCATE mailings_reminderdelivery, mailings_mailingrecipient, mailings_mailing, "
            "mailings_suppression, mailings_reminderschedule, lms_assignment, lms_cycle, "
            "lms_requirement_courses, lms_requirement, lms_campaign, courses_lessonprogress, "
            "courses_enrolment, members_membership, members_member RESTART IDENTITY CASCADE"
        )
    Organisation.objects.all().delete()
    organisation = Organisation.objects.create(
        name="ベンチ労災保険センター", slug="bench-reminders"
    )
    org = organisation.pk
    # 5 % joined in the window (due 30 days after joining); 2 % withdrew on June 20
    insert_members(
        org,
        members,
        joined_on="CASE WHEN i %% 20 = 0 THEN DATE '2026-06-01' + (i / 20) %% 50 "
        "ELSE DATE '2024-04-01' + (i %% 700) END",
        withdrawn_on="CASE WHEN id %% 50 = 1 THEN DATE '2026-06-20' END",
    )
    campaign = Campaign.objects.create(
        organisation=organisation, name="災害防止等に関する研修", slug="saigai",
        recurrence="FREQ=YEARLY", first_opens_on=OPENS, first_due_on=DUE,
    )  # fmt: skip
    cycle = campaign.cycles.create(name="2026年度", fiscal_year=2026, opens_on=OPENS, due_on=DUE)
    courses, first_lessons = [], []
    for n, title in enumerate(("熱中症の予防と応急手当", "墜落・転落災害の防止")):
        course = CoursePage.objects.filter(slug=f"bench-reminders-{n}").first()
        if course is None:  # open to every organisation: kept from one run to the next
            course = make_course(title=title, slug=f"bench-reminders-{n}")
            for _lesson in range(2):
                make_lesson(course=course, is_required=True)
        courses.append(course)
        first_lessons.append(LessonPage.objects.child_of(course).order_by("path").first())
    requirements = [
        make_requirement(campaign=campaign, courses=[course], name=f"要件{n}")
        for n, course in enumerate(courses)
    ]
    ReminderSchedule.objects.get_or_create(campaign=campaign)
    due = f"GREATEST(DATE '{DUE}', m.joined_on + 30)"
    for requirement in requirements:
        insert_select(
            Assignment,
            {
                "member_id": "m.id", "requirement_id": str(requirement.pk),
                "cycle_id": str(cycle.pk), "starts_on": f"GREATEST(m.joined_on, DATE '{OPENS}')",
                "due_on": due,
                "status": "CASE WHEN m.id %% 50 = 1 THEN 'withdrawn' "
                "WHEN m.id %% 100 < 45 THEN 'completed' "
                "WHEN m.id %% 100 < 65 THEN 'in_progress' "
                "WHEN m.id %% 100 < 68 THEN 'exempt' "
                f"WHEN {due} < DATE '{TODAY}' THEN 'overdue' ELSE 'assigned' END",
                "created_at": "now()", "updated_at": "now()",
            },
            f"FROM members_member m WHERE m.organisation_id = {org}",
        )  # fmt: skip
    for course, lesson in zip(courses, first_lessons, strict=True):
        insert_select(
            Enrolment,
            {
                "member_id": "a.member_id", "course_id": str(course.pk), "attempt": "1",
                "started_at": "now()",
                "completed_at": "CASE WHEN a.status = 'completed' THEN now() END",
            },
            "FROM lms_assignment a JOIN lms_requirement_courses rc "
            "ON rc.requirement_id = a.requirement_id "
            f"WHERE rc.coursepage_id = {course.pk} AND a.cycle_id = {cycle.pk} "
            "AND a.status IN ('completed', 'in_progress')",
        )  # fmt: skip
        insert_select(  # the first of two lessons done
            LessonProgress,
            {"enrolment_id": "e.id", "lesson_id": str(lesson.pk), "completed_at": "now()",
             "completion_path": "'reading'"},
            f"FROM courses_enrolment e WHERE e.course_id = {course.pk}",
        )  # fmt: skip
    insert_select(  # 1 % of the addresses bounce
        Suppression,
        {"organisation_id": str(org), "email": "email", "reason": "'bounce'",
         "source": "'manual'", "detail": "''", "created_at": "now()"},
        f"FROM members_member WHERE organisation_id = {org} AND id %% 100 = 7",
    )  # fmt: skip
    insert_select(  # what went out before today: the announcement and the 14-days reminder
        ReminderDelivery,
        {"assignment_id": "a.id", "step": "s.step", "state": "'mailed'", "reason": "''",
         "created_at": "now()"},
        "FROM lms_assignment a CROSS JOIN (VALUES ('announce'), ('before-14')) AS s(step) "
        f"WHERE a.cycle_id = {cycle.pk} AND a.due_on = DATE '{DUE}'",
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return organisation, campaign, cycle


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    use_database("lms_bench_reminders")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from lms.models import Assignment
    from mailings.models import Mailing, MailingRecipient, ReminderDelivery
    from mailings.reminders import reminders_for_cycle

    call_command("migrate", verbosity=0)
    seconds, _result = timed(seed, args.members)
    organisation, campaign, cycle = _result
    assignments = Assignment.objects.filter(cycle=cycle).count()
    print(f"seeded {args.members:,} members, {assignments:,} assignments in {seconds:.0f}s")
    schedule = campaign.reminder_schedule

    def rolled_back(function):
        """Run ``function`` in a transaction and roll it back: every round starts from the
        same morning, and the mails are never handed to the (in-process) sending tasks."""
        with transaction.atomic():
            result = function()
            transaction.set_rollback(True)
        return result

    def ours():
        with CaptureQueriesContext(connection) as queries:
            counts = reminders_for_cycle(schedule=schedule, cycle=cycle, today=TODAY)
        return counts, len(queries), MailingRecipient.objects.count()

    mailing = Mailing.objects.create(organisation=organisation, title="raw", subject="raw")
    open_pending = f"""
        FROM lms_assignment a JOIN members_member m ON m.id = a.member_id
        WHERE a.cycle_id = {cycle.pk} AND a.status IN ('assigned', 'in_progress', 'overdue')
          AND NOT EXISTS (SELECT 1 FROM mailings_reminderdelivery d
                          WHERE d.assignment_id = a.id AND d.step = 'before-7')
    """

    def raw():
        recipients = insert_select(
            MailingRecipient,
            {"mailing_id": str(mailing.pk), "member_id": "a.member_id", "email": "a.email",
             "name": "a.name", "state": "'queued'", "reason": "''", "error": "''",
             "context": "jsonb_build_object('due_date', a.due_on::text)"},
            "FROM (SELECT DISTINCT ON (a.member_id) a.member_id, a.due_on, m.email, m.name "
            f"{open_pending} ORDER BY a.member_id) a",
        )  # fmt: skip
        insert_select(
            ReminderDelivery,
            {"assignment_id": "a.id", "step": "'before-7'", "state": "'mailed'", "reason": "''",
             "created_at": "now()"},
            open_pending,
        )  # fmt: skip
        return recipients

    ratios = Ratios("ratio")
    for _round in range(args.rounds):
        ours_s, (counts, queries, recipients) = timed(rolled_back, ours)
        raw_s, _rows = timed(rolled_back, raw)
        ratios.add(ours_s, raw_s)
    print(f"the decision of July 24: {counts} in {queries} queries, {recipients:,} recipients")
    reminders_s = sorted(ratios.ours)[len(ratios.ours) // 2]
    print(f"load average {load_average()}")
    print(
        f"members={args.members} reminders_s={reminders_s:.2f} queries={queries} "
        f"queries_per_member={queries / args.members:.4f} recipients={recipients} "
        f"{ratios.field()}"
    )


if __name__ == "__main__":
    main()
