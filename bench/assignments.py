"""Benchmark of the assignment refresh and the completion dashboard on PostgreSQL.

    .venv/bin/python bench/assignments.py [--members 100000]

Uses DATABASE_URL when it is PostgreSQL (default postgres://postgres@127.0.0.1:5432/
lms_bench_assign; created and migrated when missing; its tables are emptied). Measures, ours
and the raw baseline in turn, three rounds:

- refresh_ratio: lms.services.assignments_refresh on an empty table (100,000 members x 3
  requirements) / one raw INSERT … SELECT of the same rows (target <= 1.5x);
- noop_refresh_ratio: the same refresh again when nothing changed / the raw INSERT … SELECT;
- people_s: lms.services.cycle_results_refresh building the person rows (one status per
  person) of a cycle of 1,000,000 assignments (what the nightly refresh adds);
- report_ratio: lms.selectors.cycle_summary (people by status) over that cycle / the raw
  GROUP BY of the person rows, each the best of five (target <= 1x);
- dashboard_p95_ms: the campaign dashboard of that cycle (the whole admin page, as staff
  request it through Django's test client) over ``--requests`` requests (target < 300 ms);
  dashboard_ratio: its p95 / the raw ``GROUP BY status`` over the cycle's 1,000,000
  assignments (what counting the cycle costs at all), measured in the same rounds.

The last line is machine-readable, each ratio the median of the rounds with its spread:
    members=100000 refresh_ratio=… refresh_ratio_spread=… noop_refresh_ratio=… … report_ratio=…
    … people_s=… dashboard_p95_ms=… dashboard_ratio=…
"""

import argparse
import datetime
import statistics

from common import Ratios, insert_members, load_average, timed, use_database

OPENS, DUE = datetime.date(2026, 6, 1), datetime.date(2026, 7, 31)
TODAY = datetime.date(2026, 6, 20)
REPORT_REQUIREMENTS = 10  # x members = the report cycle's rows (1,000,000 for 100,000 members)


def best_of(n, fn) -> float:
    return min(timed(fn)[0] for _i in range(n))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=20, help="dashboard requests a round")
    args = parser.parse_args()
    use_database("lms_bench_assign")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0)

    from lms.models import Assignment, Campaign, Requirement
    from lms.selectors import cycle_summary
    from lms.services import assignments_refresh, cycle_results_refresh, cycles_ensure
    from members.models import Organisation

    n = args.members
    with connection.cursor() as cur:
        # a clean slate: only this benchmark uses this database
        cur.execute(
            "TRUNCATE lms_assignment, lms_requirement_courses, lms_audiencerule, lms_exemption, "
            "lms_requirement, lms_cycle, lms_campaign, members_membership, members_member, "
            "members_organisation RESTART IDENTITY CASCADE"
        )
    org = Organisation.objects.create(name="ベンチ団体", slug="bench")
    insert_members(
        org.pk,
        n,
        name="'加入者' || i",
        email="''",
        withdrawn_on="CASE WHEN id %% 50 = 0 AND joined_on < DATE '2026-06-10' "
        "THEN DATE '2026-06-10' END",
    )
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    # the roster engineer's importer may add columns with defaults; nothing else is needed
    campaign = Campaign.objects.create(
        organisation=org,
        name="災害防止等に関する研修",
        slug="saigai-boshi",
        recurrence="FREQ=YEARLY",
        first_opens_on=OPENS,
        first_due_on=DUE,
    )
    cycles_ensure(campaign=campaign, today=TODAY)
    cycle = campaign.cycles.get(opens_on=OPENS)
    requirements = [
        Requirement.objects.create(campaign=campaign, name=f"要件{i}", sort_order=i)
        for i in range(3)
    ]
    req_ids = ",".join(str(r.pk) for r in requirements)

    # the same rows by hand: enrolled on the opening day or joining in the window; joiners get
    # max(window due, joined + 30 days)
    raw_insert = f"""
        INSERT INTO lms_assignment (member_id, requirement_id, cycle_id, starts_on, due_on,
            status, created_at, updated_at)
        SELECT m.member_id, r.id, {cycle.pk}, m.starts_on, m.due_on, 'assigned', now(), now()
        FROM (
            SELECT p.member_id,
                   CASE WHEN bool_or(p.joined_on <= DATE '{OPENS}') THEN DATE '{OPENS}'
                        ELSE min(p.joined_on) END AS starts_on,
                   GREATEST(DATE '{DUE}', max(p.joined_on) FILTER (
                       WHERE p.joined_on > DATE '{OPENS}') + 30) AS due_on
            FROM members_membership p JOIN members_member mm ON mm.id = p.member_id
            WHERE mm.organisation_id = {org.pk}
              AND ((p.joined_on <= DATE '{OPENS}'
                    AND (p.withdrawn_on IS NULL OR p.withdrawn_on > DATE '{OPENS}'))
                   OR p.joined_on BETWEEN DATE '{OPENS}' AND DATE '{DUE}')
            GROUP BY p.member_id
        ) m CROSS JOIN lms_requirement r
        WHERE r.id IN ({req_ids})
        ON CONFLICT (member_id, requirement_id, cycle_id) DO NOTHING
    """

    def clear():
        with connection.cursor() as cur:
            cur.execute("TRUNCATE lms_assignment CASCADE")
            cur.execute("VACUUM ANALYZE lms_assignment")

    def raw():
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(raw_insert)

    def refresh():
        assignments_refresh(organisation=org, today=TODAY)

    refresh_ratios, noop_ratios = Ratios("refresh_ratio"), Ratios("noop_refresh_ratio")
    for _round in range(args.runs):
        clear()
        raw_time, _none = timed(raw)
        raw_rows = Assignment.objects.count()
        clear()
        refresh_time, _none = timed(refresh)
        rows = Assignment.objects.count()
        assert rows == raw_rows, (rows, raw_rows)
        refresh_ratios.add(refresh_time, raw_time)
        noop_time, _none = timed(refresh)
        assert Assignment.objects.count() == rows
        noop_ratios.add(noop_time, raw_time)

    # the report: a cycle with 1,000,000 assignments in realistic statuses
    report_cycle = campaign.cycles.create(
        name="2030年度", fiscal_year=2030, opens_on=datetime.date(2030, 6, 1),
        due_on=datetime.date(2030, 7, 31), closes_on=datetime.date(2031, 5, 31),
    )  # fmt: skip
    more = [
        Requirement.objects.create(campaign=campaign, name=f"報告用{i}", is_active=False)
        for i in range(REPORT_REQUIREMENTS)
    ]
    with connection.cursor() as cur:
        cur.execute(
            f"""
            INSERT INTO lms_assignment (member_id, requirement_id, cycle_id, starts_on, due_on,
                status, created_at, updated_at)
            SELECT m.id, r.id, {report_cycle.pk}, DATE '2030-06-01', DATE '2030-07-31',
                (ARRAY['completed','completed','completed','completed_late','in_progress',
                       'assigned','overdue','exempt','withdrawn'])[1 + (m.id + r.id) % 9],
                now(), now()
            FROM members_member m CROSS JOIN lms_requirement r
            WHERE m.organisation_id = {org.pk} AND r.id IN ({",".join(str(r.pk) for r in more)})
            """
        )
        cur.execute("VACUUM ANALYZE lms_assignment")
    report_rows = Assignment.objects.filter(cycle=report_cycle).count()
    people_s, _written = timed(cycle_results_refresh, cycle=report_cycle)
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE lms_cycleresult")
    raw_people_sql = (
        "SELECT status, COUNT(*) FROM lms_cycleresult WHERE organisation_id = %s "
        "AND cycle_id = %s GROUP BY status"
    )
    raw_assignments_sql = (
        "SELECT status, COUNT(id) FROM lms_assignment WHERE cycle_id = %s GROUP BY status"
    )

    def raw_report():
        with connection.cursor() as cur:
            cur.execute(raw_people_sql, [org.pk, report_cycle.pk])
            return dict(cur.fetchall())

    def raw_assignments():
        with connection.cursor() as cur:
            cur.execute(raw_assignments_sql, [report_cycle.pk])
            return dict(cur.fetchall())

    def report():
        return cycle_summary(cycle=report_cycle).counts

    assert raw_report() == report()
    assert sum(report().values()) == n  # one row per person
    report_ratios = Ratios("report_ratio")
    for _round in range(args.runs):
        raw_report_time = best_of(5, raw_report)
        report_ratios.add(best_of(5, report), raw_report_time)

    # the dashboard page, as the office opens it
    from django.contrib.auth import get_user_model
    from django.test import Client

    staff, _created = get_user_model().objects.get_or_create(
        username="bench-staff", defaults={"is_superuser": True, "is_staff": True}
    )
    client = Client()
    client.force_login(staff)
    url = f"/admin/lms/reports/dashboard/?cycle={report_cycle.pk}"
    assert client.get(url).status_code == 200  # warm: templates, translations, the admin

    def dashboard():
        response = client.get(url)
        assert response.status_code == 200
        return response

    dashboard_ratios, dashboard_p95s = Ratios("dashboard_ratio"), []
    for _round in range(args.runs):
        times = sorted(timed(dashboard)[0] for _i in range(args.requests))
        p95 = times[max(0, int(round(0.95 * len(times))) - 1)]
        dashboard_p95s.append(p95)
        dashboard_ratios.add(p95, best_of(5, raw_assignments))
    dashboard_p95_ms = statistics.median(dashboard_p95s) * 1000

    print(f"{rows:,} assignments refreshed; the report over {report_rows:,} ({n:,} people)")
    print(f"load average {load_average()}")
    print(
        f"members={n} {refresh_ratios.field()} {noop_ratios.field()} {report_ratios.field()} "
        f"people_s={people_s:.2f} dashboard_p95_ms={dashboard_p95_ms:.0f} "
        f"{dashboard_ratios.field()}"
    )


if __name__ == "__main__":
    main()
