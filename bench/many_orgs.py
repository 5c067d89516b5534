#!/usr/bin/env python
"""One installation for a hundred organisations, on PostgreSQL.

    .venv/bin/python bench/many_orgs.py [--organisations 100 --members-each 2000]

Uses DATABASE_URL when it is PostgreSQL (default postgres://postgres@127.0.0.1:5432/
lms_bench_orgs; created and migrated when missing; its tables are emptied). Each
organisation gets its members (5 % joining in the window, 2 % withdrawing), a campaign
(2026-06-01 .. 07-31) with two requirements on two shared courses, and some completions.

1. One organisation alone: the p95 of its campaign dashboard and of its 受講者一覧
   (learners list), each requested ``--requests`` times by its staff (Django's test client:
   the whole request, middleware, templates and queries, no network), three rounds.
2. The other organisations are added; the nightly refresh of all of them
   (``assignments_refresh_all``) against one raw INSERT … SELECT of the same rows over all
   of them, in turn, three rounds.
3. The first organisation's dashboard and learners list again, among all the others: their
   p95 must not grow with the other organisations' rows.
4. A 2,000-row roster import into a new organisation while the others' data exists,
   against a COPY of the same rows, in turn, three rounds.

The last line is machine-readable (ratios: medians of the rounds, with their spread; p95s:
the median of the rounds' p95s; growth: among all / alone):
    organisations=… members=… refresh_ratio=… refresh_ratio_spread=… dashboard_p95_ms_1=…
    dashboard_p95_ms_all=… dashboard_growth=… learners_p95_ms_1=… learners_p95_ms_all=…
    learners_growth=… import_ratio=… import_ratio_spread=…
"""

import argparse
import datetime
import statistics
import tempfile
from pathlib import Path

from common import Ratios, insert_members, insert_select, load_average, timed, use_database

OPENS, DUE = datetime.date(2026, 6, 1), datetime.date(2026, 7, 31)
TODAY = datetime.date(2026, 6, 20)


def add_organisation(number: int, members: int, courses):
    """An organisation with its members, campaign, cycle, requirements and completions."""
    from courses.models import Enrolment
    from lms.models import Campaign
    from members.models import Organisation
    from tests.factories import make_requirement

    organisation = Organisation.objects.create(
        name=f"ベンチ団体{number:03d}", slug=f"bench-org-{number:03d}"
    )
    insert_members(
        organisation.pk,
        members,
        member_no=f"'{number:03d}' || lpad(i::text, 6, '0')",
        email=f"'o{number}m' || i || '@example.jp'",
        joined_on="CASE WHEN i %% 20 = 0 THEN DATE '2026-06-01' + (i / 20) %% 50 "
        "ELSE DATE '2024-04-01' + (i %% 700) END",
        withdrawn_on="CASE WHEN id %% 50 = 1 THEN DATE '2026-06-10' END",
    )
    campaign = Campaign.objects.create(
        organisation=organisation, name="災害防止等に関する研修", slug=f"saigai-{number}",
        recurrence="FREQ=YEARLY", first_opens_on=OPENS, first_due_on=DUE,
    )  # fmt: skip
    campaign.cycles.create(name="2026年度", fiscal_year=2026, opens_on=OPENS, due_on=DUE)
    for n, course in enumerate(courses):
        make_requirement(campaign=campaign, courses=[course], name=f"要件{n}")
    for n, course in enumerate(courses):  # 40 % completed the first course, 10 % both
        share = 40 if n == 0 else 10
        insert_select(
            Enrolment,
            {"member_id": "m.id", "course_id": str(course.pk), "attempt": "1",
             "started_at": "TIMESTAMP WITH TIME ZONE '2026-06-05 10:00+09'",
             "completed_at": "TIMESTAMP WITH TIME ZONE '2026-06-08 10:00+09'",
             "source": "'online'"},
            f"FROM members_member m WHERE m.organisation_id = {organisation.pk} "
            f"AND m.id %% 100 < {share}",
        )  # fmt: skip
    return organisation, campaign


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--organisations", type=int, default=100)
    parser.add_argument("--members-each", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=20, help="per page and round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    use_database("lms_bench_orgs")

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client

    from courses.models import CoursePage
    from lms.models import Assignment
    from lms.services import assignments_refresh_all
    from members.models import Member, Organisation
    from tests.factories import make_course, make_lesson, make_staff

    call_command("migrate", verbosity=0)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    with connection.cursor() as cursor:  # (not organisations: that would empty course pages)
        cursor.execute(
            "TRUNCATE lms_assignment, lms_cycle, lms_requirement_courses, lms_requirement, "
            "lms_campaign, courses_lessonprogress, courses_enrolment, members_memberchange, "
            "members_membership, members_member RESTART IDENTITY CASCADE"
        )
    Organisation.objects.all().delete()
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(username="bench-office").delete()
    courses = []
    for n, title in enumerate(("熱中症の予防と応急手当", "墜落・転落災害の防止")):
        course = CoursePage.objects.filter(slug=f"bench-orgs-{n}").first()
        if course is None:  # open to every organisation: kept from one run to the next
            course = make_course(title=title, slug=f"bench-orgs-{n}")
            for _lesson in range(2):
                make_lesson(course=course, is_required=True)
        courses.append(course)

    measured, campaign = add_organisation(0, args.members_each, courses)
    assignments_refresh_all(today=TODAY)
    cycle = campaign.cycles.get(opens_on=OPENS)
    office = make_staff(username="bench-office", organisations=[measured])
    client = Client()
    client.force_login(office)
    pages = {
        "dashboard": f"/admin/lms/reports/dashboard/?cycle={cycle.pk}",
        "learners": "/admin/lms/reports/learners/",
    }

    def p95s() -> dict:
        """{page: median over the rounds of the p95 of ``--requests`` requests, in ms}."""
        for url in pages.values():  # templates compiled, caches warm, as on a running site
            assert client.get(url).status_code == 200, url
        rounds = {name: [] for name in pages}
        for _round in range(args.rounds):
            for name, url in pages.items():
                times = []
                for _i in range(args.requests):
                    seconds, response = timed(client.get, url)
                    assert response.status_code == 200, (url, response.status_code)
                    times.append(seconds * 1000)
                rounds[name].append(statistics.quantiles(times, n=20)[-1])
        return {name: statistics.median(values) for name, values in rounds.items()}

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    alone = p95s()
    print(f"one organisation alone: p95 {alone} ms")

    seconds, _none = timed(
        lambda: [
            add_organisation(n, args.members_each, courses) for n in range(1, args.organisations)
        ]
    )
    members = Member.objects.count()
    print(f"{args.organisations} organisations, {members:,} members in {seconds:.0f}s")

    raw_insert = f"""
        INSERT INTO lms_assignment (member_id, requirement_id, cycle_id, starts_on, due_on,
            status, created_at, updated_at)
        SELECT m.member_id, r.id, c.id, m.starts_on, m.due_on, 'assigned', now(), now()
        FROM (
            SELECT p.member_id, mm.organisation_id,
                   CASE WHEN bool_or(p.joined_on <= DATE '{OPENS}') THEN DATE '{OPENS}'
                        ELSE min(p.joined_on) END AS starts_on,
                   GREATEST(DATE '{DUE}', max(p.joined_on) FILTER (
                       WHERE p.joined_on > DATE '{OPENS}') + 30) AS due_on
            FROM members_membership p JOIN members_member mm ON mm.id = p.member_id
            WHERE (p.joined_on <= DATE '{OPENS}'
                   AND (p.withdrawn_on IS NULL OR p.withdrawn_on > DATE '{OPENS}'))
                  OR p.joined_on BETWEEN DATE '{OPENS}' AND DATE '{DUE}'
            GROUP BY p.member_id, mm.organisation_id
        ) m
        JOIN lms_campaign ca ON ca.organisation_id = m.organisation_id
        JOIN lms_cycle c ON c.campaign_id = ca.id AND c.opens_on = DATE '{OPENS}'
        JOIN lms_requirement r ON r.campaign_id = ca.id
        ON CONFLICT (member_id, requirement_id, cycle_id) DO NOTHING
    """

    def clear():
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE lms_assignment CASCADE")
            cursor.execute("VACUUM ANALYZE lms_assignment")

    def raw():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(raw_insert)

    refresh = Ratios("refresh_ratio")
    for _round in range(args.rounds):
        clear()
        raw_s, _none = timed(raw)
        raw_rows = Assignment.objects.count()
        clear()
        ours_s, _none = timed(assignments_refresh_all, today=TODAY)
        assert Assignment.objects.count() == raw_rows, (Assignment.objects.count(), raw_rows)
        refresh.add(ours_s, raw_s)
    print(f"nightly refresh: {raw_rows:,} assignments")

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    among = p95s()
    print(f"the same organisation among {args.organisations}: p95 {among} ms")

    import roster_import

    from members.models import RosterImport
    from members.roster import normalise
    from members.roster.diff import MEMBER_FIELDS
    from members.roster.pipeline import Options
    from members.roster.reading import read_table
    from members.roster.validation import validate
    from members.services import roster_import_file

    newcomer = Organisation.objects.create(name="新しい団体", slug="bench-org-new")
    rows = roster_import.make_rows(args.members_each, seed=11)
    data = roster_import.write_csv(Path(tempfile.mkdtemp()) / "roster.csv", rows)
    table = read_table(data, encoding="auto")
    validated = validate(
        table, normalise.map_columns(table.rows), occupations=normalise.OccupationList([]),
        known={}, as_of=datetime.date.today(), today=datetime.date.today(),
    )  # fmt: skip
    now = datetime.datetime.now(datetime.UTC)
    copy_columns = ["organisation_id", "member_no", *MEMBER_FIELDS, "roster_fingerprint",
                    "created_at", "updated_at"]  # fmt: skip
    values = [
        (newcomer.pk, r.values["member_no"], *(r.values[f] for f in MEMBER_FIELDS), r.fingerprint,
         now, now)
        for r in validated.rows
    ]  # fmt: skip

    def copy():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_member_copy")
            cursor.execute("CREATE TABLE bench_member_copy (LIKE members_member INCLUDING ALL)")
            with cursor.cursor.copy(
                f"COPY bench_member_copy ({', '.join(copy_columns)}) FROM STDIN"
            ) as pg_copy:
                for row in values:
                    pg_copy.write_row(row)
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_member_copy")

    def first_import():
        report, _import = roster_import_file(
            organisation=newcomer, data=data, file_name="roster.csv", options=Options()
        )
        assert report.counts["added"] == len(rows), report.counts

    imports = Ratios("import_ratio")
    for _round in range(args.rounds):
        Member.objects.filter(organisation=newcomer).delete()
        RosterImport.objects.filter(organisation=newcomer).delete()
        ours_s, _none = timed(first_import)
        raw_s, _none = timed(copy)
        imports.add(ours_s, raw_s)

    print(f"load average {load_average()}")
    growth = {name: among[name] / alone[name] for name in pages}
    print(
        f"organisations={args.organisations} members={members} {refresh.field()} "
        f"dashboard_p95_ms_1={alone['dashboard']:.0f} "
        f"dashboard_p95_ms_all={among['dashboard']:.0f} dashboard_growth={growth['dashboard']:.2f} "
        f"learners_p95_ms_1={alone['learners']:.0f} learners_p95_ms_all={among['learners']:.0f} "
        f"learners_growth={growth['learners']:.2f} {imports.field()}"
    )


if __name__ == "__main__":
    main()
