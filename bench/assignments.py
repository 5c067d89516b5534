"""Benchmark of the assignment refresh and the completion dashboard on PostgreSQL.

    .venv/bin/python bench/assignments.py [--members 100000]

Uses the database lms_bench_assign on 127.0.0.1:5432 (created and migrated when missing;
override with BENCH_DATABASE_URL). Measures, in the same run:

- refresh_ratio: lms.services.assignments_refresh on an empty table (100,000 members x 3
  requirements) / one raw INSERT … SELECT of the same rows (target <= 2x);
- noop_refresh_ratio: the same refresh again when nothing changed / the raw INSERT … SELECT;
- report_ratio: lms.selectors.cycle_summary over a cycle of 1,000,000 assignments / the raw
  GROUP BY query (target <= 1.5x).

The last line is machine-readable:
    members=100000 refresh_ratio=… noop_refresh_ratio=… report_ratio=…
"""

import argparse
import datetime
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/lms_bench_assign")
os.environ["DATABASE_URL"] = DB_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.test")

OPENS, DUE = datetime.date(2026, 6, 1), datetime.date(2026, 7, 31)
TODAY = datetime.date(2026, 6, 20)
REPORT_REQUIREMENTS = 10  # x members = the report cycle's rows (1,000,000 for 100,000 members)


def ensure_database():
    import psycopg

    name = DB_URL.rsplit("/", 1)[1]
    admin = DB_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def member_insert(organisation_id, n):
    """INSERT … SELECT generate_series of members; columns other apps add get their defaults."""
    from members.models import Member

    given = {
        "organisation_id": "%s",
        "member_no": "lpad(i::text, 7, '0')",
        "name": "'加入者' || i",
        "gender": "'M'",
        "prefecture": "lpad((1 + i %% 47)::text, 2, '0')",
        "category": "'2F'",
        "occupation": "'職種' || (i %% 20)",
        "joined_on": "DATE '2024-04-01' + (i %% 820)",
        "created_at": "now()",
        "updated_at": "now()",
    }
    columns, values, params = [], [], []
    for field in Member._meta.concrete_fields:
        if field.primary_key:
            continue
        if field.column in given:
            columns.append(field.column)
            values.append(given[field.column])
            if given[field.column] == "%s":
                params.append(organisation_id)
        elif not field.null:
            columns.append(field.column)
            values.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection=None))
    sql = (
        f"INSERT INTO members_member ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} FROM generate_series(1, %s) AS i"
    )
    return sql, [*params, n]


def best_of(n, fn, before=None):
    times = []
    for _ in range(n):
        if before:
            before()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    ensure_database()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0)

    from lms.models import Assignment, Campaign, Requirement
    from lms.selectors import cycle_summary
    from lms.services import assignments_refresh, cycles_ensure
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
    with connection.cursor() as cur:
        cur.execute(*member_insert(org.pk, n))
        cur.execute(
            """
            INSERT INTO members_membership (member_id, joined_on, withdrawn_on, category)
            SELECT id, joined_on,
                   CASE WHEN id %% 50 = 0 AND joined_on < DATE '2026-06-10' THEN DATE '2026-06-10' END, category
            FROM members_member WHERE organisation_id = %s
            """,
            [org.pk],
        )
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

    raw_time = best_of(args.runs, raw, before=clear)
    raw_rows = Assignment.objects.count()
    refresh_time = best_of(args.runs, refresh, before=clear)
    rows = Assignment.objects.count()
    assert rows == raw_rows, (rows, raw_rows)
    noop_time = best_of(args.runs, refresh)
    assert Assignment.objects.count() == rows

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
    raw_report_sql = (
        "SELECT status, COUNT(id) FROM lms_assignment WHERE cycle_id = %s GROUP BY status"
    )

    def raw_report():
        with connection.cursor() as cur:
            cur.execute(raw_report_sql, [report_cycle.pk])
            return dict(cur.fetchall())

    def report():
        return cycle_summary(cycle=report_cycle).counts

    assert raw_report() == report()
    raw_report_time = best_of(args.runs + 2, raw_report)
    report_time = best_of(args.runs + 2, report)

    print(f"raw INSERT…SELECT of {rows:,} rows: {raw_time:.3f}s")
    print(f"assignments_refresh (empty table): {refresh_time:.3f}s")
    print(f"assignments_refresh (no change):   {noop_time:.3f}s")
    print(f"raw GROUP BY over {report_rows:,} rows: {raw_report_time:.3f}s")
    print(f"cycle_summary over {report_rows:,} rows: {report_time:.3f}s")
    print(
        f"members={n} refresh_ratio={refresh_time / raw_time:.2f} "
        f"noop_refresh_ratio={noop_time / raw_time:.2f} "
        f"report_ratio={report_time / raw_report_time:.2f}"
    )


if __name__ == "__main__":
    main()
