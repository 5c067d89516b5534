"""Benchmark of the sending engine against the raw SMTP limit, on PostgreSQL.

    .venv/bin/python bench/mailing.py [--recipients 100000]

Uses the database lms_bench_mail on 127.0.0.1:5432 (created and migrated when missing;
override with BENCH_DATABASE_URL). A local SMTP sink (aiosmtpd) runs in its own process.
Measures, in the same run:

- raw_msg_per_s: a bare smtplib loop sending one pre-built message (the size of ours) over
  one connection to the sink;
- msg_per_s: N personalised recipients through the real engine in one worker (claims, row
  state updates, per-recipient unsubscribe token and name, one SMTP connection per chunk);
- peak_rss_mb: the process's peak resident memory, with samples during the send to show
  it stays flat.

The last line is machine-readable:
    recipients=… msg_per_s=… raw_msg_per_s=… ratio=… peak_rss_mb=…
"""

import argparse
import os
import resource
import smtplib
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/lms_bench_mail")
os.environ["DATABASE_URL"] = DB_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.test")
RAW_MAX = 30_000  # the raw loop's rate is stable well before this many messages


def ensure_database():
    import psycopg

    name = DB_URL.rsplit("/", 1)[1]
    admin = DB_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def setup_roster(n):
    """An organisation with n members (bulk INSERT … SELECT generate_series)."""
    from django.db import connection

    from mailings.models import Audience, OrganisationMailSettings
    from members.models import Member, Membership, Organisation

    org, _ = Organisation.objects.update_or_create(
        slug="bench-mail",
        defaults={
            "name": "ベンチマーク労災保険センター",
            "postal_address": "〒100-0001 東京都千代田区千代田1-1",
            "contact_email": "bench@example.jp",
            "mail_from": "ベンチ 研修事務局 <bench@example.jp>",
        },
    )
    OrganisationMailSettings.objects.update_or_create(
        organisation=org, defaults={"rate_per_minute": 0}
    )
    if Member.objects.filter(organisation=org).count() != n:
        from mailings.models import Mailing

        Mailing.objects.filter(organisation=org).delete()
        Membership.objects.filter(member__organisation=org).delete()
        Member.objects.filter(organisation=org).delete()
        given = {
            "organisation_id": "%s",
            "member_no": "lpad(i::text, 7, '0')",
            "name": "'会員　' || i",
            "prefecture": "'13'",
            "email": "'b' || i || '@example.jp'",
            "category": "'2F'",
            "joined_on": "DATE '2025-04-01'",
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
                    params.append(org.pk)
            elif not field.null:
                columns.append(field.column)
                values.append("%s")
                params.append(field.get_db_prep_save(field.get_default(), connection=None))
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {Member._meta.db_table} ({', '.join(columns)}) "
                f"SELECT {', '.join(values)} FROM generate_series(1, %s) AS i",
                [*params, n],
            )
            cursor.execute(
                f"""INSERT INTO {Membership._meta.db_table} (member_id, joined_on, category)
                SELECT id, joined_on, category FROM {Member._meta.db_table}
                WHERE organisation_id = %s""",
                [org.pk],
            )
    audience, _ = Audience.objects.get_or_create(organisation=org, name="全員")
    return org, audience


def raw_loop(port, data: bytes, n: int) -> float:
    smtp = smtplib.SMTP("127.0.0.1", port)
    start = time.perf_counter()
    for _i in range(n):
        smtp.sendmail("bench@example.jp", ["someone@example.jp"], data)
    elapsed = time.perf_counter() - start
    smtp.quit()
    return n / elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    args = parser.parse_args()
    n = args.recipients

    ensure_database()
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    port = free_port()
    sink = subprocess.Popen(
        [sys.executable, "-m", "mailings.tests.smtp_sink", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert sink.stdout.readline().startswith("READY")
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
    try:
        from mailings import engine, services
        from mailings.models import Mailing, MailingRecipient
        from mailings.rendering import render_mail

        t = time.perf_counter()
        org, audience = setup_roster(n)
        print(f"roster: {n} members ready in {time.perf_counter() - t:.1f}s")
        body = (
            "<h2>熱中症に気をつけましょう</h2>"
            + "<p>{{ name }} 様、こまめに水分と塩分をとり、暑さ指数を確かめてから作業しましょう。</p>"
            * 12
        )
        html_template, text_template = render_mail(
            organisation=org, kind="notice", subject="【重要】研修のお知らせ", preheader="",
            body_html=body,
        )  # fmt: skip
        mailing = Mailing.objects.create(
            organisation=org, kind=Mailing.Kind.NOTICE, title="bench", subject="【重要】研修のお知らせ",
            html_template=html_template, text_template=text_template, audience=audience,
            state=Mailing.State.SCHEDULED, scheduled_at=timezone.now(),
        )  # fmt: skip

        sample = engine.factory_for(mailing).build(
            recipient_id=1, member_id=1, email_address="b1@example.jp", name="会員　1"
        )
        data = sample.message().as_bytes(linesep="\r\n")
        raw_n = min(n, RAW_MAX)
        raw = raw_loop(port, data, raw_n)
        print(f"raw smtplib loop: {raw_n} messages of {len(data)} bytes, {raw:.0f} msg/s")

        t = time.perf_counter()
        from django.db import transaction

        with transaction.atomic():
            services._snapshot(mailing)
            Mailing.objects.filter(pk=mailing.pk).update(
                state=Mailing.State.SENDING, started_at=timezone.now()
            )
        print(
            f"snapshot: {n} recipient rows in {time.perf_counter() - t:.2f}s (one INSERT … SELECT)"
        )

        samples, done = [], threading.Event()

        def sampler():
            while not done.wait(2):
                samples.append(rss_mb())

        threading.Thread(target=sampler, daemon=True).start()
        start = time.perf_counter()
        result = engine.send_batch(mailing_id=mailing.pk, time_budget=10**9)
        elapsed = time.perf_counter() - start
        done.set()
        sent = MailingRecipient.objects.filter(mailing=mailing, state="sent").count()
        assert result.outcome == engine.DONE and sent == n, (result, sent)
        ours = n / elapsed
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if samples:
            print(
                f"rss during send: first {samples[0]:.0f} MB, last {samples[-1]:.0f} MB, "
                f"max {max(samples):.0f} MB ({len(samples)} samples)"
            )
        print(f"engine: {n} messages in {elapsed:.1f}s, {ours:.0f} msg/s (one worker)")
        print(
            f"recipients={n} msg_per_s={ours:.0f} raw_msg_per_s={raw:.0f} "
            f"ratio={ours / raw:.2f} peak_rss_mb={peak:.0f}"
        )
    finally:
        sink.terminate()
        sink.wait(timeout=10)


if __name__ == "__main__":
    main()
