"""Benchmark of the sending engine against the raw SMTP limit, on PostgreSQL.

    .venv/bin/python bench/mailing.py [--recipients 20000]

Uses DATABASE_URL when it is PostgreSQL (default postgres://postgres@127.0.0.1:5432/
lms_bench_mail; created and migrated when missing). A local SMTP sink (aiosmtpd) runs in its
own process. Three rounds, each measuring in turn:

- raw_msg_per_s: a bare smtplib loop sending one pre-built message (the size of ours) N
  times over one connection to the sink;
- msg_per_s: a new mailing to the N members through the real engine in one worker (claims,
  row state updates, per-recipient unsubscribe token and name, one SMTP connection per
  chunk);

and the process's resident memory, sampled during every send (it stays flat). The last line
is machine-readable, the rates and the ratio (ours / raw, target >= 0.8) the medians of the
rounds, with the ratio's spread:
    recipients=… msg_per_s=… raw_msg_per_s=… ratio=… ratio_spread=… peak_rss_mb=…
"""

import argparse
import os
import resource
import smtplib
import socket
import statistics
import subprocess
import sys
import threading
import time

from common import ROOT, Ratios, insert_members, load_average, use_database


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def setup_roster(n):
    """An organisation with n members (bulk INSERT … SELECT generate_series)."""
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
        insert_members(
            org.pk,
            n,
            name="'会員　' || i",
            email="'b' || i || '@example.jp'",
            prefecture="'13'",
            joined_on="DATE '2025-04-01'",
        )
    audience, _ = Audience.objects.get_or_create(organisation=org, name="全員")
    return org, audience


def raw_loop(port, data: bytes, n: int) -> float:
    """Seconds to send ``data`` n times over one connection."""
    smtp = smtplib.SMTP("127.0.0.1", port)
    start = time.perf_counter()
    for _i in range(n):
        smtp.sendmail("bench@example.jp", ["someone@example.jp"], data)
    elapsed = time.perf_counter() - start
    smtp.quit()
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    n = args.recipients
    use_database("lms_bench_mail")

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import transaction
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

        def new_mailing():
            mailing = Mailing.objects.create(
                organisation=org, kind=Mailing.Kind.NOTICE, title="bench",
                subject="【重要】研修のお知らせ", html_template=html_template,
                text_template=text_template, audience=audience, state=Mailing.State.SCHEDULED,
                scheduled_at=timezone.now(),
            )  # fmt: skip
            with transaction.atomic():
                services._snapshot(mailing)
                Mailing.objects.filter(pk=mailing.pk).update(
                    state=Mailing.State.SENDING, started_at=timezone.now()
                )
            return mailing

        samples, sending = [], threading.Event()

        def sampler():
            while True:
                sending.wait()
                samples.append(rss_mb())
                time.sleep(2)

        threading.Thread(target=sampler, daemon=True).start()
        ratios, size = Ratios("ratio", rate=True), 0
        for _round in range(args.rounds):
            mailing = new_mailing()
            sample = engine.factory_for(mailing).build(
                recipient_id=1, member_id=1, email_address="b1@example.jp", name="会員　1"
            )
            data = sample.message().as_bytes(linesep="\r\n")
            size = len(data)
            raw_s = raw_loop(port, data, n)
            sending.set()
            start = time.perf_counter()
            result = engine.send_batch(mailing_id=mailing.pk, time_budget=10**9)
            ours_s = time.perf_counter() - start
            sending.clear()
            sent = MailingRecipient.objects.filter(mailing=mailing, state="sent").count()
            assert result.outcome == engine.DONE and sent == n, (result, sent)
            ratios.add(ours_s, raw_s)
            Mailing.objects.filter(pk=mailing.pk).delete()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"messages of {size} bytes; rss during the sends: first {samples[0]:.0f} MB, "
              f"last {samples[-1]:.0f} MB, max {max(samples):.0f} MB ({len(samples)} samples)")  # fmt: skip
        ours_rate = n / statistics.median(ratios.ours)
        raw_rate = n / statistics.median(ratios.raw)
        print(f"load average {load_average()}")
        print(
            f"recipients={n} msg_per_s={ours_rate:.0f} raw_msg_per_s={raw_rate:.0f} "
            f"{ratios.field()} peak_rss_mb={peak:.0f}"
        )
    finally:
        sink.terminate()
        sink.wait(timeout=10)


if __name__ == "__main__":
    main()
