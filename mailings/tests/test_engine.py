"""The sending engine against a real SMTP server: each recipient once, every outcome recorded."""

import datetime
import uuid

import pytest
from django.core.mail import get_connection
from django.utils import timezone

from mailings import conf, engine, services
from mailings.models import Mailing, MailingRecipient, OrganisationMailSettings
from mailings.ratelimit import RateLimiter
from tests.factories import make_member, make_notice_mailing, make_staff

State = MailingRecipient.State
pytestmark = pytest.mark.django_db


@pytest.fixture
def members(organisation):
    return [
        make_member(organisation=organisation, name=f"会員　{i:02d}", email=f"m{i:02d}@example.jp")
        for i in range(12)
    ]


def states(mailing):
    return dict(MailingRecipient.objects.filter(mailing=mailing).values_list("email", "state"))


def test_every_recipient_gets_exactly_one_message(smtp_server, organisation, members, settings):
    settings.MAILINGS_CHUNK_SIZE = 5  # several claims
    mailing = make_notice_mailing(organisation=organisation, members=members)

    result = engine.send_batch(mailing_id=mailing.pk)

    assert result.outcome == engine.DONE and result.sent == 12
    received = sorted(rcpt for rcpts, _m in smtp_server.messages for rcpt in rcpts)
    assert received == sorted(m.email for m in members)
    assert set(states(mailing).values()) == {State.SENT}
    mailing.refresh_from_db()
    assert mailing.state == Mailing.State.DONE and mailing.finished_at
    # running again (a redelivered task) sends nothing more
    assert engine.send_batch(mailing_id=mailing.pk).outcome == engine.STOPPED
    assert len(smtp_server.messages) == 12


def test_each_message_is_personalised(smtp_server, organisation, members):
    mailing = make_notice_mailing(organisation=organisation, members=members[:2])
    engine.send_batch(mailing_id=mailing.pk)
    message = smtp_server.to("m01@example.jp")[0]
    assert "会員　01" in str(message["To"])
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    assert "会員　01様" in html and "会員　01様" in text
    assert "会員　00" not in html
    token_url = message["List-Unsubscribe"].split("<")[2].rstrip(">")
    assert token_url in html and token_url in text


def test_permanent_rejection_fails_the_row_without_retry(smtp_server, organisation, members):
    smtp_server.reject["m03@example.jp"] = "550 5.1.1 No such user"
    mailing = make_notice_mailing(organisation=organisation, members=members[:5])
    result = engine.send_batch(mailing_id=mailing.pk)
    assert result.outcome == engine.DONE
    row = MailingRecipient.objects.get(mailing=mailing, email="m03@example.jp")
    assert row.state == State.FAILED and "550" in row.error and row.attempts == 1
    assert states(mailing) == {
        **{f"m{i:02d}@example.jp": State.SENT for i in range(5)},
        "m03@example.jp": State.FAILED,
    }


def test_transient_rejection_is_retried_later_with_backoff(smtp_server, organisation, members):
    smtp_server.reject["m02@example.jp"] = "451 4.3.0 Try again later"
    mailing = make_notice_mailing(organisation=organisation, members=members[:4])

    result = engine.send_batch(mailing_id=mailing.pk)

    row = MailingRecipient.objects.get(mailing=mailing, email="m02@example.jp")
    assert result.outcome == engine.WAIT
    assert row.state == State.QUEUED and "451" in row.error and row.attempts == 1
    assert row.next_attempt_at > timezone.now() + datetime.timedelta(seconds=50)
    # not yet due: nothing happens
    assert engine.send_batch(mailing_id=mailing.pk).sent == 0
    # due, and the server accepts now
    del smtp_server.reject["m02@example.jp"]
    MailingRecipient.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert engine.send_batch(mailing_id=mailing.pk).outcome == engine.DONE
    row.refresh_from_db()
    assert row.state == State.SENT and row.attempts == 2
    assert len(smtp_server.to("m02@example.jp")) == 1


def test_transient_errors_give_up_after_max_attempts(smtp_server, organisation, members, settings):
    settings.MAILINGS_MAX_ATTEMPTS = 2
    smtp_server.reject["m00@example.jp"] = "421 4.7.0 Busy"
    mailing = make_notice_mailing(organisation=organisation, members=members[:1])
    engine.send_batch(mailing_id=mailing.pk)
    MailingRecipient.objects.filter(mailing=mailing).update(next_attempt_at=timezone.now())
    engine.send_batch(mailing_id=mailing.pk)
    row = MailingRecipient.objects.get(mailing=mailing)
    assert row.state == State.FAILED and row.attempts == 2


def test_unreachable_server_keeps_rows_queued(organisation, members, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens
    mailing = make_notice_mailing(organisation=organisation, members=members[:5])
    result = engine.send_batch(mailing_id=mailing.pk)
    assert result.outcome == engine.WAIT
    rows = MailingRecipient.objects.filter(mailing=mailing)
    assert rows.filter(state=State.QUEUED).count() == 5  # nobody lost, nobody failed
    assert rows.exclude(error="").count() == 3  # three tries, then the chunk was released


def test_dead_worker_rows_become_unknown_or_return_to_queue(smtp_server, organisation, members):
    mailing = make_notice_mailing(organisation=organisation, members=members[:6])
    claim = uuid.uuid4()
    rows = engine.claim_chunk(mailing_id=mailing.pk, claim=claim, size=4)
    assert len(rows) == 4
    # the dead worker had handed the first row to SMTP: it is "sending"
    MailingRecipient.objects.filter(pk=rows[0][0]).update(state=State.SENDING)
    past = timezone.now() - datetime.timedelta(seconds=1)
    MailingRecipient.objects.filter(claim=claim).update(lease_expires_at=past)

    result = engine.send_batch(mailing_id=mailing.pk)

    assert result.outcome == engine.DONE and result.sent == 5
    unknown = MailingRecipient.objects.get(mailing=mailing, state=State.UNKNOWN)
    assert unknown.pk == rows[0][0] and "may or may not" in unknown.error
    assert smtp_server.to(unknown.email) == []  # never re-sent blindly
    assert len(smtp_server.messages) == 5


def test_live_claims_are_not_taken_and_the_task_waits(smtp_server, organisation, members):
    mailing = make_notice_mailing(organisation=organisation, members=members[:3])
    engine.claim_chunk(mailing_id=mailing.pk, claim=uuid.uuid4(), size=2)  # another worker
    result = engine.send_batch(mailing_id=mailing.pk)
    assert result.outcome == engine.WAIT and result.sent == 1
    assert 1 <= result.retry_in <= 61


def test_two_claims_never_share_a_row(organisation, members):
    mailing = make_notice_mailing(organisation=organisation, members=members)
    a = engine.claim_chunk(mailing_id=mailing.pk, claim=uuid.uuid4(), size=7)
    b = engine.claim_chunk(mailing_id=mailing.pk, claim=uuid.uuid4(), size=7)
    assert len(a) == 7 and len(b) == 5
    assert not {r[0] for r in a} & {r[0] for r in b}


def test_pause_stops_and_resume_finishes_without_duplicates(
    smtp_server, organisation, members, settings, django_capture_on_commit_callbacks
):
    staff = make_staff(organisations=[organisation])
    mailing = make_notice_mailing(organisation=organisation, members=members)
    services.mailing_pause(mailing=mailing, user=staff)
    assert engine.send_batch(mailing_id=mailing.pk).outcome == engine.STOPPED
    assert smtp_server.messages == []

    with django_capture_on_commit_callbacks(execute=True):
        assert services.mailing_resume(mailing=mailing, user=staff)
    assert sorted(r for rcpts, _m in smtp_server.messages for r in rcpts) == sorted(
        m.email for m in members
    )
    mailing.refresh_from_db()
    assert mailing.state == Mailing.State.DONE


def test_pause_mid_chunk_releases_unsent_rows(smtp_server, organisation, members, settings):
    """A worker notices a pause between two messages and gives its claimed rows back."""
    settings.MAILINGS_CHUNK_SIZE = 50
    mailing = make_notice_mailing(organisation=organisation, members=members)
    sent_before_pause = 3

    class PausingLimiter(RateLimiter):
        def acquire(self):
            self.n = getattr(self, "n", 0) + 1
            if self.n == sent_before_pause + 1:
                Mailing.objects.filter(pk=mailing.pk).update(state=Mailing.State.PAUSED)

    claim = uuid.uuid4()
    rows = engine.claim_chunk(mailing_id=mailing.pk, claim=claim, size=50)
    sender = engine.ChunkSender(
        mailing=mailing,
        factory=engine.factory_for(mailing),
        limiter=PausingLimiter(key="t", per_minute=0),
        conn=get_connection(),
        claim=claim,
    )
    sender.CONTROL_EVERY = sender._next_control = 0  # check before every message
    sender.inflight = 1
    sender.run(rows)
    counts = dict.fromkeys(State.values, 0)
    for state in states(mailing).values():
        counts[state] += 1
    assert counts[State.SENT] == sent_before_pause + 1  # the one in hand finishes
    assert counts[State.QUEUED] == 12 - counts[State.SENT]
    assert len(smtp_server.messages) == counts[State.SENT]


def test_cancel_cancels_queued_rows(smtp_server, organisation, members):
    staff = make_staff(organisations=[organisation])
    mailing = make_notice_mailing(organisation=organisation, members=members)
    assert services.mailing_cancel(mailing=mailing, user=staff)
    assert engine.send_batch(mailing_id=mailing.pk).outcome == engine.STOPPED
    assert set(states(mailing).values()) == {State.CANCELLED}
    assert smtp_server.messages == []


def test_unknown_rows_resolved_by_staff(
    smtp_server, organisation, members, django_capture_on_commit_callbacks
):
    staff = make_staff(organisations=[organisation])
    mailing = make_notice_mailing(organisation=organisation, members=members[:3])
    MailingRecipient.objects.filter(mailing=mailing).update(state=State.UNKNOWN)
    Mailing.objects.filter(pk=mailing.pk).update(state=Mailing.State.DONE)
    first = MailingRecipient.objects.filter(mailing=mailing).first()
    assert (
        services.mailing_unknown_resolve(
            mailing=mailing, user=staff, decision="sent", ids=[first.pk]
        )
        == 1
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.mailing_unknown_resolve(mailing=mailing, user=staff, decision="resend") == 2
    assert len(smtp_server.messages) == 2
    assert set(states(mailing).values()) == {State.SENT}


def test_rate_limit_is_shared_by_workers_of_an_organisation(organisation):
    """Two limiters (two workers) with 30/min share 30 messages per minute."""
    x, y = f"org-x-{uuid.uuid4().hex}", f"org-y-{uuid.uuid4().hex}"  # Redis may be shared
    a = RateLimiter(key=x, per_minute=30)
    b = RateLimiter(key=x, per_minute=30)
    other = RateLimiter(key=y, per_minute=30)
    assert (a._take(20), b._take(20), other._take(20)) == (20, 10, 20)


def test_rate_limiter_waits_for_the_next_window(organisation):
    """60/min is one message per second: the second message waits for the next second."""
    import time

    slept = []
    limiter = RateLimiter(
        key=f"org-z-{uuid.uuid4().hex}",
        per_minute=60,
        sleep=lambda s: (slept.append(s), time.sleep(s)),
    )
    limiter.acquire()
    first = int(time.time())
    limiter.acquire()
    assert slept and int(time.time()) > first


def test_tokens_left_from_an_ended_window_are_not_spent(organisation):
    """A worker that stalled past its window takes fresh tokens: last second's leftovers on top
    of this second's would send faster than the organisation's rate."""
    import time

    key = f"org-s-{uuid.uuid4().hex}"
    stalled = RateLimiter(key=key, per_minute=1200)  # 20 a second, taken 10 at a time
    stalled.acquire()
    assert stalled.tokens == 9
    time.sleep(1.02 - time.time() % 1)  # the next one-second window begins
    stalled.acquire()
    other_worker = RateLimiter(key=key, per_minute=1200)
    assert other_worker._take(20) == 10  # the stalled worker counted a fresh batch here
    assert stalled.tokens == 9


def test_organisation_rate_setting(organisation, settings):
    settings.MAILINGS_DEFAULT_RATE_PER_MINUTE = 600
    assert engine._limiter_for(organisation).per_minute == 600
    OrganisationMailSettings.objects.create(organisation=organisation, rate_per_minute=0)
    assert engine._limiter_for(organisation).unlimited


def test_parallel_tasks_are_started_for_a_mailing(
    smtp_server, organisation, members, settings, django_capture_on_commit_callbacks
):
    settings.MAILINGS_PARALLEL_TASKS = 3
    mailing = make_notice_mailing(organisation=organisation, members=members)
    Mailing.objects.filter(pk=mailing.pk).update(
        state=Mailing.State.SCHEDULED, scheduled_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.mailing_start(mailing_id=mailing.pk)
    assert len(smtp_server.messages) == 12  # the two extra tasks found nothing left to do
    assert conf.parallel_tasks() == 3
