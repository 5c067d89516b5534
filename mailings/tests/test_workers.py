"""Two real Celery workers send one mailing together: every recipient gets exactly one
message, nobody is lost, and the organisation's sending rate holds for the two of them
together (one counter in Redis), not for each.

Needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL, else redis://127.0.0.1:6379/14).
"""

import collections
import os
import re
import signal
import subprocess
import sys
import time
import uuid

import pytest
from django.db import connection
from django.utils import timezone

from mailings.models import Audience, Mailing, MailingRecipient, OrganisationMailSettings
from mailings.tests.test_reliability import (
    REDIS_URL,
    ROOT,
    _database_url,
    _free_port,
    _lines,
    _redis_or_skip,
    _roster,
    _wait_for,
)
from tests.factories import make_organisation

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

RECIPIENTS = 600
RATE_PER_MINUTE = 1200  # 20 a second for the organisation, whatever the number of workers
PER_SECOND = RATE_PER_MINUTE // 60


@pytest.fixture
def timed_sink(tmp_path):
    port, log = _free_port(), tmp_path / "received.txt"
    process = subprocess.Popen(
        [sys.executable, "-m", "mailings.tests.smtp_sink", "--port", str(port), "--log", str(log),
         "--timestamps"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert process.stdout.readline().startswith("READY")
    yield port, log
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=10)


def test_two_workers_send_one_mailing_once_each_within_the_shared_rate(timed_sink, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip(
            "TWO-WORKER TEST SKIPPED: needs PostgreSQL; set "
            "DATABASE_URL=postgres://postgres@127.0.0.1:5432/lms_mailings"
        )
    _redis_or_skip()
    port, received_log = timed_sink
    organisation = make_organisation(slug="two-workers")
    OrganisationMailSettings.objects.create(
        organisation=organisation, rate_per_minute=RATE_PER_MINUTE
    )
    _roster(organisation, RECIPIENTS)
    mailing = Mailing.objects.create(
        organisation=organisation,
        kind=Mailing.Kind.NOTICE,
        title="two workers",
        subject="研修のお知らせ",
        html_template="<p>{{ name }} 様</p><p>{{ unsubscribe_url }}</p>",
        text_template="{{ name }} 様\n{{ unsubscribe_url }}\n",
        audience=Audience.objects.create(organisation=organisation, name="全員"),
        state=Mailing.State.SCHEDULED,
        scheduled_at=timezone.now(),
    )

    queue = f"mailings-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mailings.tests.worker_settings",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": REDIS_URL,
        "REDIS_URL": REDIS_URL,
        "MAILINGS_TEST_QUEUE": queue,
        "MAILINGS_TEST_SMTP_PORT": str(port),
    }
    workers, logs = [], []
    for name in ("worker-a", "worker-b"):
        log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115
        logs.append(log)
        workers.append(
            subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "training_site", "worker", "--pool=solo", "-Q", queue,
                 "-n", f"{name}@%h", "--without-gossip", "--without-mingle",
                 "--without-heartbeat", "-l", "info"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        )  # fmt: skip

    from celery import Celery

    client = Celery(broker=REDIS_URL, set_as_current=False)  # the tests' app stays current
    try:
        client.send_task("mailings.tasks.start_mailing", args=[mailing.pk], queue=queue)
        _wait_for(
            lambda: Mailing.objects.get(pk=mailing.pk).state == Mailing.State.DONE,
            240,
            "the mailing to finish",
        )  # 30 s at 20 a second
    finally:
        for process in workers:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=10)
        for log in logs:
            log.close()
        client.close()

    time.sleep(0.5)  # the sink flushes its last lines
    arrivals = []
    for line in _lines(received_log):
        stamp, _space, message_id = line.partition(" ")
        if match := re.match(rf"<m{mailing.pk}\.r(\d+)@", message_id):
            arrivals.append((float(stamp), int(match.group(1))))
    received = collections.Counter(row_id for _t, row_id in arrivals)
    rows = dict(MailingRecipient.objects.filter(mailing=mailing).values_list("id", "state"))

    # no loss, no duplicate
    assert len(rows) == RECIPIENTS and set(rows.values()) == {"sent"}
    assert set(received) == set(rows)
    assert max(received.values()) == 1, {r: n for r, n in received.items() if n > 1}

    # both workers sent part of it (each task logs what it sent)
    sent_by = {}
    for name in ("worker-a", "worker-b"):
        text = (tmp_path / f"{name}.log").read_text()
        sent_by[name] = sum(int(n) for n in re.findall(rf"mailing {mailing.pk}: (\d+) sent", text))
    assert sum(sent_by.values()) == RECIPIENTS, sent_by
    assert all(sent_by.values()), f"one worker sent everything: {sent_by}"

    # the rate is the organisation's, shared: two workers with a counter each would send
    # twice as fast (the whole mailing in ~15 s instead of ~30 s)
    times = sorted(t for t, _r in arrivals)
    elapsed = times[-1] - times[0]
    assert elapsed >= 0.85 * RECIPIENTS / PER_SECOND, f"{RECIPIENTS} messages in {elapsed:.1f}s"
    busiest_five_seconds = max(sum(1 for t in times if start <= t < start + 5) for start in times)
    # tokens are taken per one-second window and handed to SMTP just after: allow a
    # second's worth of spill-over, not the double rate of unshared counters
    assert busiest_five_seconds <= 6 * PER_SECOND, busiest_five_seconds
    print(
        f"\n{RECIPIENTS} messages in {elapsed:.1f}s ({RECIPIENTS / elapsed:.1f}/s, limit "
        f"{PER_SECOND}/s); busiest 5 s: {busiest_five_seconds}; sent by {sent_by}"
    )
