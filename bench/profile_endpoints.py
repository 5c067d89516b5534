#!/usr/bin/env python
"""Single-user profile of the hot endpoints of bench/load.py: SQL queries and server time.

    .venv/bin/python bench/profile_endpoints.py                 # (re)create lms_bench_profile
    .venv/bin/python bench/profile_endpoints.py --keep-db       # reuse it
    .venv/bin/python bench/profile_endpoints.py --keep-db --cprofile heartbeat

Same settings as the load run (bench/load_settings.py: production, Redis cache, file mail)
on its own PostgreSQL database (lms_bench_profile) and Redis DB (11, or PROFILE_REDIS_URL).
Requests go through Django's test client in this process, so the times are server time
without the network or gunicorn. Each simulated member signs in with a mailed code, opens
マイ研修 and the first lesson, then sends heartbeats; the first member warms the caches and is
not counted. Prints, per endpoint, the median and max of the queries and milliseconds (wall clock,
and the CPU time of this process: the Django side, steadier on a busy machine); with
--sql, the statements of the last request of each endpoint.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import database_url  # (bench/ is sys.path[0])

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = sys.executable
DB_NAME = database_url("lms_bench_profile").rsplit("/", 1)[1]  # DATABASE_URL may name another
PG = "postgres://postgres@127.0.0.1:5432"
REDIS = os.environ.get("PROFILE_REDIS_URL", "redis://127.0.0.1:6379/11")
ENDPOINTS = [
    "request-code GET",
    "request-code POST",
    "confirm-code POST",
    "my_training GET",
    "lesson GET (first open)",
    "lesson GET (again)",
    "heartbeat POST",
]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=12, help="simulated members (default 12)")
    parser.add_argument("--heartbeats", type=int, default=3, help="per member (default 3)")
    parser.add_argument("--keep-db", action="store_true", help="reuse a seeded database")
    parser.add_argument("--sql", action="store_true", help="print each endpoint's statements")
    parser.add_argument("--cprofile", choices=[e.split()[0] for e in ENDPOINTS], default=None)
    return parser.parse_args()


def prepare(args, mail_dir: Path):
    from load_seed import site_environment

    os.environ.update(
        site_environment(db_name=DB_NAME, redis_url=REDIS, mail_dir=mail_dir, root=ROOT)
    )
    for name in ("EMAIL_URL", "CELERY_BROKER_URL"):
        os.environ.pop(name, None)
    import psycopg
    import redis

    redis.Redis.from_url(REDIS).flushdb()
    # enough load members for every run of this script against a kept database
    n = 400
    if not args.keep_db:
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {DB_NAME}")
        subprocess.run([PY, "manage.py", "migrate", "-v", "0"], cwd=ROOT, check=True)
    from load_seed import SEED

    out = subprocess.run(
        [PY, "-c", "import django; django.setup()\n" + SEED, str(n)],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    if out.returncode:
        sys.stderr.write(out.stderr[-3000:])
        raise SystemExit("seeding failed")
    import json

    return json.loads(out.stdout.rsplit("URLS=", 1)[1])


def code_from_mail(folder: Path, email: str) -> str | None:
    code_re = re.compile(r"^\s+(\d{6})\s*$", re.MULTILINE)
    for path in sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True):
        for message in reversed(path.read_text(errors="replace").split("-" * 79)):
            if f"To: {email}" in message:
                found = code_re.search(message)
                if found:
                    return found.group(1)
    return None


def main():
    args = parse_args()
    mail_dir = Path(tempfile.mkdtemp(prefix="lms-profile-mail-"))
    urls = prepare(args, mail_dir)

    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from members.models import Member

    taken = set(
        Member.objects.filter(member_no__startswith="L", user__isnull=False).values_list(
            "member_no", flat=True
        )
    )
    free = [
        int(no[1:])
        for no in Member.objects.filter(member_no__startswith="L")
        .order_by("member_no")
        .values_list("member_no", flat=True)
        if no not in taken
    ]
    if len(free) < args.members + 1:
        raise SystemExit("not enough fresh load members: run without --keep-db")

    results: dict[str, list[tuple[int, float, float]]] = {name: [] for name in ENDPOINTS}
    last_sql: dict[str, list[str]] = {}
    profiler = cProfile.Profile() if args.cprofile else None

    def call(name, method, path, counted, **kwargs):
        fn = getattr(client, method)
        with CaptureQueriesContext(connection) as ctx:
            if profiler and counted and name.split()[0] == args.cprofile:
                profiler.enable()
            t0, c0 = time.perf_counter(), time.thread_time()
            response = fn(path, **kwargs)
            ms = (time.perf_counter() - t0) * 1000
            cpu = (time.thread_time() - c0) * 1000
            if profiler:
                profiler.disable()
        if counted:
            results[name].append((len(ctx.captured_queries), ms, cpu))
            last_sql[name] = [q["sql"] for q in ctx.captured_queries]
        return response

    for i, n in enumerate(free[: args.members + 1]):
        counted = i > 0
        email = f"load{n}@example.jp"
        client = Client(
            HTTP_HOST="127.0.0.1",
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"10.9.{n // 256 % 256}.{n % 256}",
        )
        r = call("request-code GET", "get", "/accounts/login/code/", counted)
        assert r.status_code == 200, r.status_code
        r = call(
            "request-code POST",
            "post",
            "/accounts/login/code/",
            counted,
            data={"email": email},
        )
        assert r.status_code == 302, (r.status_code, r.content[:500])
        code = code_from_mail(mail_dir, email)
        assert code, f"no code mailed to {email}"
        r = call(
            "confirm-code POST",
            "post",
            "/accounts/login/code/confirm/",
            counted,
            data={"code": code},
        )
        assert r.status_code == 302, (r.status_code, r.content[:500])
        if urls.get("my"):
            r = call("my_training GET", "get", urls["my"], counted)
            assert r.status_code == 200, r.status_code
        if urls.get("lesson"):
            r = call("lesson GET (first open)", "get", urls["lesson"], counted)
            assert r.status_code == 200, r.status_code
            r = call("lesson GET (again)", "get", urls["lesson"], counted)
            assert r.status_code == 200, r.status_code
        if urls.get("heartbeat"):
            for _ in range(args.heartbeats):
                r = call(
                    "heartbeat POST",
                    "post",
                    urls["heartbeat"],
                    counted,
                    data={"seconds": 60},
                    content_type="application/json",
                )
                assert r.status_code == 200, (r.status_code, r.content[:500])

    print(
        f"\n{'endpoint':<26}{'queries':>9}{'max q':>7}{'median ms':>11}{'max ms':>9}"
        f"{'median cpu ms':>15}"
    )
    for name in ENDPOINTS:
        rows = results[name]
        if not rows:
            print(f"{name:<26}{'(not run)':>9}")
            continue
        q = [r[0] for r in rows]
        ms = [r[1] for r in rows]
        cpu = [r[2] for r in rows]
        print(
            f"{name:<26}{statistics.median(q):>9.0f}{max(q):>7}"
            f"{statistics.median(ms):>11.1f}{max(ms):>9.1f}{statistics.median(cpu):>15.1f}"
        )
    if args.sql:
        for name, sqls in last_sql.items():
            print(f"\n--- {name}: {len(sqls)} queries")
            for sql in sqls:
                print("  ", sql[:300])
    if profiler:
        print()
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
