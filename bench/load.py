#!/usr/bin/env python
"""The morning of June 1: members sign in with a mailed code, open マイ研修 and their first
lesson, and send a heartbeat every 60 seconds while they read (the player's
COURSES_HEARTBEAT_INTERVAL; it also sends one when the page is hidden or left).

    .venv/bin/python bench/load.py                      # 2,000 members over 10 minutes
    .venv/bin/python bench/load.py --users 100 --duration 60   # a quick run

One command: (re)creates the PostgreSQL database lms_bench_load, migrates it, seeds the demo
plus N load members, serves the site with gunicorn (production settings, workers for 2 cores),
and drives it with locust (headless, in this process) after a short warm-up (2 x workers extra
members sign in first, not counted). Codes are read from the e-mails the site writes with
Django's file backend into a temporary folder, as a member reads their mail.
Prints p50/p95 and errors per endpoint class, and the raw baseline of the same run: the same
server answering /healthz once a second. The last line is machine-readable:
    users=2000 errors=… p95_page_ms=… p95_heartbeat_ms=… p95_healthz_ms=… heartbeat_vs_healthz=…
"""

from __future__ import annotations

from gevent import monkey  # locust runs on gevent: patch before anything opens a socket

monkey.patch_all()

import argparse  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import urlencode  # noqa: E402

from common import database_url  # noqa: E402  (bench/ is sys.path[0])

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
DB_NAME = database_url("lms_bench_load").rsplit("/", 1)[1]  # DATABASE_URL may name another
REDIS = os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/10")
CLASSES = ["sign-in", "マイ研修", "lesson page", "heartbeat"]
# the raw baseline, measured in the same run: the same server answering /healthz (a SELECT 1 and
# a broker ping; no session, no middleware work of ours) once a second under the same load
FLOOR = "healthz (floor)"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--duration", type=int, default=600, help="seconds (default 600)")
    parser.add_argument("--ramp", type=int, default=None, help="seconds to start every user")
    # more sync workers than cores: the kernel time-slices between them, so a 3 ms heartbeat is
    # not queued behind 40 ms pages (2 cores, 2,000 members: heartbeat p95 340 ms with 5
    # workers, 93 ms with 10)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 2) * 4 + 2)
    # sync workers: CPU-bound Django on 2 cores; gthread's threads fight over the GIL (p95 3.7 s
    # against 12 s when 1,200 members signed in within 2 minutes)
    parser.add_argument("--worker-class", default="sync", help="gunicorn's (default sync)")
    parser.add_argument("--threads", type=int, default=1, help="per gthread worker (default 1)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--keep-db", action="store_true", help="reuse a seeded database")
    return parser.parse_args()


def environment(mail_dir: Path) -> dict:
    env = dict(os.environ)
    for name in ("EMAIL_URL", "CELERY_BROKER_URL"):
        env.pop(name, None)
    env.update(site_environment(db_name=DB_NAME, redis_url=REDIS, mail_dir=mail_dir, root=ROOT))
    return env


from load_seed import PG, SEED, site_environment  # noqa: E402  (bench/ is sys.path[0])


def prepare(args, env) -> dict:
    import json

    import psycopg

    if not args.keep_db:
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {DB_NAME}")
    import redis

    redis.Redis.from_url(REDIS).flushdb()  # fresh rate-limit counters for this run
    t0 = time.monotonic()
    subprocess.run([PY, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    out = subprocess.run(
        [PY, "-c", "import django; django.setup()\n" + SEED, str(args.users + warm_members(args))],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    sys.stderr.write(out.stderr[-3000:])
    if out.returncode:
        raise SystemExit("seeding the load database failed (see above)")
    urls = json.loads(out.stdout.rsplit("URLS=", 1)[1])
    print(f"prepared {DB_NAME} with {args.users} load members in {time.monotonic() - t0:.0f}s")
    return urls


def serve(args, env):
    proc = subprocess.Popen(
        [
            PY, "-m", "gunicorn", "training_site.wsgi:application",
            "--bind", f"127.0.0.1:{args.port}",
            "--workers", str(args.workers),
            "--worker-class", args.worker_class, "--threads", str(args.threads),
            "--timeout", "60", "--log-level", "error",
        ],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    import urllib.request

    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{args.port}/healthz", timeout=2)
            return proc
        except Exception:
            time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGTERM)
    raise SystemExit("gunicorn did not answer /healthz")


class Mailbox:
    """Codes from the file backend's messages, indexed once per new file."""

    CODE = re.compile(r"^\s+(\d{6})\s*$", re.MULTILINE)
    TO = re.compile(r"^To: (\S+)$", re.MULTILINE)

    def __init__(self, folder: Path):
        self.folder, self.sizes, self.codes = folder, {}, {}
        self.scanned_at = 0.0

    def code_for(self, email: str, timeout=30.0):
        import gevent

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if email in self.codes:
                return self.codes.pop(email)
            if time.monotonic() - self.scanned_at > 0.1:  # one scan serves every waiting user
                self.scanned_at = time.monotonic()
                self.scan()
            gevent.sleep(0.2)
        return None

    def scan(self):
        """Read the files that are new or have grown: two workers can append to one file
        (Django's file backend names it by the second and an object id, which forked workers
        share)."""
        for path in self.folder.glob("*.log"):
            size = path.stat().st_size
            if self.sizes.get(path) == size:
                continue
            text = path.read_text(errors="replace")
            for message in text.split("-" * 79):
                to, code = self.TO.search(message), self.CODE.search(message)
                if to and code:
                    self.codes[to.group(1).lower()] = code.group(1)
            self.sizes[path] = size


def warm_members(args) -> int:
    """Members (after the N load members) who sign in before the run: a server that has been
    up all night has compiled its templates and opened its connections in every worker."""
    return 2 * args.workers


def warm_up(args, urls, mailbox):
    import gevent
    import requests

    base = f"http://127.0.0.1:{args.port}"

    def one(i):
        n = args.users + i
        s = requests.Session()
        s.headers["X-Forwarded-For"] = f"10.255.{n // 256 % 256}.{n % 256}"
        s.get(base + "/accounts/login/code/")
        email = f"load{n}@example.jp"
        data = {"email": email, "csrfmiddlewaretoken": s.cookies.get("csrftoken")}
        s.post(base + "/accounts/login/code/", data=data, allow_redirects=False)
        code = mailbox.code_for(email)
        data = {"code": code or "", "csrfmiddlewaretoken": s.cookies.get("csrftoken")}
        r = s.post(base + "/accounts/login/code/confirm/", data=data, allow_redirects=False)
        for name in ("my", "lesson"):
            if urls.get(name):
                s.get(base + urls[name])
        if urls.get("heartbeat"):
            headers = {"X-CSRFToken": s.cookies.get("csrftoken", ""), "Referer": base}
            s.post(base + urls["heartbeat"], json={"seconds": 1}, headers=headers)
        return r.status_code == 302

    jobs = [gevent.spawn(one, i) for i in range(warm_members(args))]
    gevent.joinall(jobs, timeout=120)
    print(f"warm-up: {sum(bool(j.value) for j in jobs)} of {len(jobs)} members signed in")


class CpuMeter:
    """Where the two cores went, minute by minute: gunicorn, the load generator (this
    process), PostgreSQL and Redis, in cores, and the machine's idle and steal time (a shared
    virtual machine can lose a large share of its CPU to its neighbours, which makes runs
    differ; the table says when)."""

    GROUPS = ("gunicorn", "locust", "postgres", "redis")

    def __init__(self, server_pid: int, interval: float = 60.0):
        import psutil

        self.psutil, self.server_pid, self.interval = psutil, server_pid, interval
        self.rows, self.last = [], self.sample()

    def _group_of(self, proc) -> str | None:
        if proc.pid == os.getpid():
            return "locust"
        name = proc.info["name"] or ""
        if name.startswith("postgres"):
            return "postgres"
        if name.startswith("redis"):
            return "redis"
        return None

    def _processes(self):
        ps = self.psutil
        try:
            server = ps.Process(self.server_pid)
            yield from (("gunicorn", p) for p in [server, *server.children(recursive=True)])
        except ps.Error:
            pass
        for proc in ps.process_iter(["name"]):
            group = self._group_of(proc)
            if group:
                yield group, proc

    def sample(self) -> dict:
        """CPU seconds per process (pid -> (group, seconds)), and the machine's idle and steal."""
        per_pid = {}
        for group, proc in self._processes():
            try:
                t = proc.cpu_times()
            except self.psutil.Error:
                continue
            per_pid[proc.pid] = (group, t.user + t.system)
        machine = self.psutil.cpu_times()
        idle = machine.idle + getattr(machine, "iowait", 0.0)
        return {"pids": per_pid, "idle": idle, "steal": getattr(machine, "steal", 0.0),
                "at": time.monotonic()}  # fmt: skip

    def run(self, users_running):
        import gevent

        while True:
            gevent.sleep(self.interval)
            self.tick(users_running())

    def tick(self, users: int):
        """One row: cores per group since the last tick (a process that ended meanwhile
        loses its last interval: PostgreSQL backends come and go)."""
        now, last = self.sample(), self.last
        seconds = now["at"] - last["at"]
        row = dict.fromkeys(self.GROUPS, 0.0)
        for pid, (group, cpu) in now["pids"].items():
            row[group] += (cpu - last["pids"].get(pid, (group, 0.0))[1]) / seconds
        for name in ("idle", "steal"):
            row[name] = (now[name] - last[name]) / seconds
        row["users"] = users
        self.rows.append(row)
        self.last = now

    def report(self):
        print(f"\n{'minute':>6}{'users':>7}" + "".join(f"{g:>10}" for g in self.GROUPS)
              + f"{'idle':>8}{'steal':>8}   (cores)")  # fmt: skip
        for i, row in enumerate(self.rows, start=1):
            print(f"{i:>6}{row['users']:>7}" + "".join(f"{row[g]:>10.2f}" for g in self.GROUPS)
                  + f"{row['idle']:>8.2f}{row['steal']:>8.2f}")  # fmt: skip


def run_locust(args, urls, mail_dir: Path, server_pid: int):
    import gevent
    from locust import FastHttpUser, between, constant, events, task
    from locust.env import Environment

    mailbox = Mailbox(mail_dir)
    warm_up(args, urls, mailbox)
    counter = iter(range(args.users))
    host = f"http://127.0.0.1:{args.port}"

    class Member(FastHttpUser):  # geventhttpclient: the load generator shares the 2 cores
        wait_time = between(58, 62)  # a heartbeat every ~60 s while reading, as the player
        host_url = host

        def cookie(self, name: str) -> str:
            return next((c.value for c in self.client.cookiejar if c.name == name), "")

        def on_start(self):
            self.n = next(counter)
            self.email = f"load{self.n}@example.jp"
            # its own address, as behind a proxy: the per-IP limits apply per member
            self.headers = {
                "X-Forwarded-For": f"10.{self.n // 65536}.{self.n // 256 % 256}.{self.n % 256}",
                "Referer": host,
            }
            self.ready = False
            c = self.client

            def step(method, url, name, expected, form=None):
                """One request of the sign-in; any other status than ``expected`` is an error
                (a refused code or a page that redirects to the sign-in is not a success)."""
                headers = dict(self.headers)
                if form is not None:
                    headers["Content-Type"] = "application/x-www-form-urlencoded"
                with c.request(
                    method,
                    url,
                    name=name,
                    allow_redirects=False,
                    catch_response=True,
                    headers=headers,
                    data=urlencode(form) if form is not None else None,
                ) as r:
                    if r.status_code != expected:
                        r.failure(f"HTTP {r.status_code}, expected {expected}")
                        return False
                    r.success()
                    return True

            if not step("GET", "/accounts/login/code/", "sign-in", 200):
                return
            if not step(
                "POST", "/accounts/login/code/", "sign-in", 302,
                form={"email": self.email, "csrfmiddlewaretoken": self.cookie("csrftoken")},
            ):  # fmt: skip
                return
            code = mailbox.code_for(self.email)
            if code is None:
                events.request.fire(
                    request_type="MAIL",
                    name="sign-in",
                    response_time=0,
                    response_length=0,
                    exception=Exception("no code mailed"),
                    context={},
                )
                return
            if not step(
                "POST", "/accounts/login/code/confirm/", "sign-in", 302,
                form={"code": code, "csrfmiddlewaretoken": self.cookie("csrftoken")},
            ):  # fmt: skip
                return
            if urls.get("my") and not step("GET", urls["my"], "マイ研修", 200):
                return
            if urls.get("lesson") and not step("GET", urls["lesson"], "lesson page", 200):
                return
            self.ready = True

        @task
        def heartbeat(self):
            if not (self.ready and urls.get("heartbeat")):
                return
            self.client.post(
                urls["heartbeat"], json={"seconds": 60}, name="heartbeat",
                headers={**self.headers, "X-CSRFToken": self.cookie("csrftoken")},
            )  # fmt: skip

    class Floor(FastHttpUser):
        fixed_count = 1
        wait_time = constant(1)

        @task
        def healthz(self):
            self.client.get("/healthz", name=FLOOR)

    Member.host = Floor.host = host
    env = Environment(user_classes=[Member, Floor], events=events)
    runner = env.create_local_runner()
    ramp = args.ramp or max(1, int(args.duration * 0.8))
    meter = CpuMeter(server_pid)
    runner.start(args.users + 1, spawn_rate=max(1.0, args.users / ramp))
    sampler = gevent.spawn(meter.run, lambda: max(0, runner.user_count - Floor.fixed_count))
    gevent.spawn_later(args.duration, runner.quit)
    runner.greenlet.join()
    sampler.kill()
    return env.stats, meter


def main():
    args = parse_args()
    mail_dir = Path(tempfile.mkdtemp(prefix="lms-load-mail-"))
    env = environment(mail_dir)
    urls = prepare(args, env)
    missing = [k for k in ("my", "lesson", "heartbeat") if not urls.get(k)]
    if missing:
        print(f"NOTE: not built yet, skipped in this run: {', '.join(missing)} "
              "(マイ研修 = lms:my_training, lesson = a live LessonPage, heartbeat = courses:heartbeat)")  # fmt: skip
    server = serve(args, env)
    try:
        stats, meter = run_locust(args, urls, mail_dir, server.pid)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:  # keep-alive connections hold the graceful stop
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    meter.report()
    print(f"\n{'endpoint class':<16}{'requests':>10}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}")
    errors, p95 = 0, {}
    for name in [*CLASSES, FLOOR]:
        entries = [e for (n, _m), e in stats.entries.items() if n == name]
        if not entries:
            print(f"{name:<16}{'(not run)':>10}")
            continue
        reqs = sum(e.num_requests for e in entries)
        fails = sum(e.num_failures for e in entries)
        if name != FLOOR:  # the baseline's own failures are printed, not counted as the site's
            errors += fails
        merged = entries[0]
        for extra in entries[1:]:
            merged.extend(extra)
        p50, p95[name] = (
            merged.get_response_time_percentile(0.5),
            merged.get_response_time_percentile(0.95),
        )
        print(f"{name:<16}{reqs:>10}{fails:>8}{p50:>9.0f}{p95[name]:>9.0f}")
    for error in stats.errors.values():
        print(f"  error: {error.method} {error.name}: {error.error} x{error.occurrences}")
    page_p95 = max((p95[k] for k in ("sign-in", "マイ研修", "lesson page") if k in p95), default=0)
    heartbeat_p95, floor_p95 = p95.get("heartbeat", 0), p95.get(FLOOR, 0)
    ratio = f"{heartbeat_p95 / floor_p95:.2f}" if floor_p95 else "n/a"
    print(
        f"users={args.users} errors={errors} p95_page_ms={page_p95:.0f} "
        f"p95_heartbeat_ms={heartbeat_p95:.0f} p95_healthz_ms={floor_p95:.0f} "
        f"heartbeat_vs_healthz={ratio}"
    )


if __name__ == "__main__":
    main()
