"""The sending engine: claim chunks of recipients, send each once, record each outcome.

Row states (``MailingRecipient.State``)::

    queued --claim--> claimed --(a few at a time)--> sending --> sent | failed | queued (retry)

A worker marks a few claimed rows "sending" (``MAILINGS_INFLIGHT``, default 20) in one durable
UPDATE before handing them to SMTP, and the UPDATE that records their outcomes marks the
next few. A worker killed mid-send therefore leaves at most two such batches "sending" (they
become "unknown" when the lease runs out: staff decide, the default is not to resend) and
some "claimed" rows that were never handed to SMTP (they go back to the queue). Nothing is
sent twice and nobody is skipped.

Claims use ``SELECT … FOR UPDATE SKIP LOCKED`` where the database has it (PostgreSQL) and a
conditional ``UPDATE … WHERE state='queued'`` everywhere, so two workers can never claim the
same row; SQLite serialises writers, which makes the conditional update enough there.
"""

import datetime
import logging
import smtplib
import socket
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import connection, transaction
from django.db.models import Min, Q
from django.utils import timezone

from . import conf
from .mime import MessageFactory
from .models import ERROR_MAX_CHARS, Mailing, MailingRecipient, OrganisationMailSettings
from .ratelimit import RateLimiter

logger = logging.getLogger(__name__)
State = MailingRecipient.State
TABLE = MailingRecipient._meta.db_table

# outcomes of one send task
MORE, WAIT, DONE, STOPPED = "more", "wait", "done", "stopped"


@dataclass
class BatchResult:
    outcome: str
    sent: int = 0
    failed: int = 0
    retry_in: float = 0.0


class PermanentError(Exception):
    pass


class TransientError(Exception):
    def __init__(self, message, *, connection_lost=False):
        super().__init__(message)
        self.connection_lost = connection_lost


def classify(exc: Exception) -> Exception:
    """PermanentError (do not retry) or TransientError (retry with backoff)."""
    try:  # django-anymail, when an ESP backend is configured
        from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused

        if isinstance(exc, AnymailRecipientsRefused):
            return PermanentError(str(exc))
        if isinstance(exc, AnymailAPIError):
            status = getattr(exc, "status_code", None)
            if status and 400 <= status < 500 and status not in (408, 429):
                return PermanentError(str(exc))
            return TransientError(str(exc))
    except ImportError:  # pragma: no cover
        pass
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        detail = "; ".join(f"{code} {msg!r}" for code, msg in exc.recipients.values())
        if codes and all(code >= 500 for code in codes):
            return PermanentError(detail)
        return TransientError(detail)
    if isinstance(exc, smtplib.SMTPResponseException):
        detail = f"{exc.smtp_code} {exc.smtp_error!r}"
        if exc.smtp_code >= 500:
            return PermanentError(detail)
        return TransientError(detail)
    if isinstance(exc, smtplib.SMTPServerDisconnected | ConnectionError | socket.timeout | OSError):
        return TransientError(f"{exc.__class__.__name__}: {exc}", connection_lost=True)
    return TransientError(f"{exc.__class__.__name__}: {exc}")


def _dt(value):
    return connection.ops.adapt_datetimefield_value(value) if value is not None else None


def backoff(attempts: int) -> datetime.timedelta:
    waits = conf.retry_backoff_seconds()
    return datetime.timedelta(seconds=waits[min(max(attempts, 1), len(waits)) - 1])


# --- claims and leases ------------------------------------------------------------------


def claim_chunk(*, mailing_id: int, claim: uuid.UUID, size: int) -> list[tuple]:
    """Claim up to ``size`` queued rows for this worker: (id, member_id, email, name, context)."""
    now = timezone.now()
    lease = now + datetime.timedelta(seconds=conf.lease_seconds())
    with transaction.atomic():
        candidates = (
            MailingRecipient.objects.filter(mailing_id=mailing_id, state=State.QUEUED)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .order_by("id")
        )
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("id", flat=True)[:size])
        if not ids:
            return []
        MailingRecipient.objects.filter(id__in=ids, state=State.QUEUED).update(
            state=State.CLAIMED, claim=claim, lease_expires_at=lease
        )
    return list(
        MailingRecipient.objects.filter(claim=claim, state=State.CLAIMED)
        .order_by("id")
        .values_list("id", "member_id", "email", "name", "context")
    )


def leases_expire(*, mailing_id: int) -> tuple[int, int]:
    """Rows of dead workers: "sending" -> "unknown", untouched "claimed" -> back to the queue."""
    now = timezone.now()
    expired = MailingRecipient.objects.filter(mailing_id=mailing_id, lease_expires_at__lt=now)
    unknown = expired.filter(state=State.SENDING).update(
        state=State.UNKNOWN,
        lease_expires_at=None,
        error="The worker stopped while handing this message to the mail server; "
        "it may or may not have been delivered.",
    )
    requeued = expired.filter(state=State.CLAIMED).update(
        state=State.QUEUED, claim=None, lease_expires_at=None
    )
    if unknown:
        logger.warning("mailing %s: %s rows left sending by a dead worker", mailing_id, unknown)
    return unknown, requeued


def release_claim(*, claim: uuid.UUID, to_state: str) -> int:
    return MailingRecipient.objects.filter(claim=claim, state=State.CLAIMED).update(
        state=to_state, claim=None, lease_expires_at=None
    )


# --- sending ------------------------------------------------------------------------------


def _case(column: str, mapping: dict, default: str) -> tuple[str, list]:
    """``CASE WHEN id = %s THEN %s … ELSE default END`` and its parameters."""
    if not mapping:
        return default, []
    sql = "CASE" + " WHEN id = %s THEN %s" * len(mapping) + f" ELSE {default} END"
    params = [x for pair in mapping.items() for x in pair]
    return sql, params


class ChunkSender:
    """Sends one claimed chunk over one connection, recording each row's outcome.

    Rows go to "sending" a few at a time (``conf.inflight()``): one durable UPDATE records the
    outcomes of the messages just sent and marks the next few "sending" before any of them
    is handed to SMTP. A worker killed mid-send leaves at most that many rows "sending".
    """

    CONTROL_EVERY = 0.5  # seconds between checks for pause/cancel

    def __init__(self, *, mailing, factory, limiter, conn, claim):
        self.mailing = mailing
        self.factory = factory
        self.limiter = limiter
        self.conn = conn
        self.claim = claim
        self.claim_db = MailingRecipient._meta.get_field("claim").get_db_prep_value(
            claim, connection
        )
        self.lease_seconds = conf.lease_seconds()
        self.inflight = max(1, conf.inflight())
        self.max_attempts = conf.max_attempts()
        self.sent = self.failed = 0
        # Django's SMTP backend: hand our prebuilt bytes straight to its open smtplib
        # connection (no per-message address parsing); any other backend (django-anymail
        # ESPs, locmem in tests) gets the message through send_messages().
        self.smtp_direct = isinstance(conn, SMTPBackend)
        self.stop_state = None  # the Mailing state that made us stop
        self.connection_errors = 0
        self._opened = False
        self._next_control = time.monotonic() + self.CONTROL_EVERY
        self._next_heartbeat = time.monotonic() + self.lease_seconds / 4

    def _flush(self, outcomes: list, unattempted: list, next_ids: list) -> set:
        """Record outcomes, give back unattempted rows, mark ``next_ids`` sending — one
        statement. Returns the ids of ``next_ids`` that are now ours to send."""
        if not (outcomes or unattempted or next_ids):
            return set()
        states = {row_id: state for row_id, state, _e, _r in outcomes}
        states.update({row_id: State.CLAIMED for row_id in unattempted})
        states.update({row_id: State.SENDING for row_id in next_ids})
        errors = {row_id: error for row_id, _s, error, _r in outcomes}
        retries = {row_id: _dt(at) for row_id, _s, _e, at in outcomes if at is not None}
        requeued = [row_id for row_id, state, _e, _r in outcomes if state == State.QUEUED]
        sent = [row_id for row_id, state, _e, _r in outcomes if state == State.SENT]
        state_sql, state_params = _case("state", states, "state")
        error_sql, error_params = _case("error", errors, "error")
        retry_sql, retry_params = _case("next_attempt_at", retries, "next_attempt_at")
        now = _dt(timezone.now())

        def in_list(ids):
            return ("id IN (" + ", ".join(["%s"] * len(ids)) + ")") if ids else "FALSE"

        all_ids = list(states)
        sql = (
            f"UPDATE {TABLE} SET state = {state_sql}, error = {error_sql}, "
            f"next_attempt_at = {retry_sql}, "
            f"sent_at = CASE WHEN {in_list(sent)} THEN %s ELSE sent_at END, "
            f"claim = CASE WHEN {in_list(requeued)} THEN NULL ELSE claim END, "
            f"lease_expires_at = CASE WHEN {in_list(requeued)} THEN NULL "
            "ELSE lease_expires_at END, "
            f"attempts = CASE WHEN {in_list(next_ids)} THEN attempts + 1 ELSE attempts END "
            f"WHERE claim = %s AND {in_list(all_ids)} "
            "AND (state IN (%s, %s) OR (state = %s AND " + in_list(next_ids) + ")) "
            "RETURNING id"
        )
        params = [
            *state_params, *error_params, *retry_params,
            *sent, now,
            *requeued, *requeued,
            *next_ids,
            self.claim_db, *all_ids,
            State.SENDING, State.UNKNOWN, State.CLAIMED, *next_ids,
        ]  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute(sql.replace("FALSE", "1 = 0"), params)
            returned = {row[0] for row in cursor.fetchall()}
        return returned & set(next_ids)

    def _control(self) -> None:
        now = time.monotonic()
        if now < self._next_control:
            return
        self._next_control = now + self.CONTROL_EVERY
        state = Mailing.objects.filter(pk=self.mailing.pk).values_list("state", flat=True).first()
        if state != Mailing.State.SENDING:
            self.stop_state = state or Mailing.State.CANCELLED
        if now >= self._next_heartbeat:
            self._next_heartbeat = now + self.lease_seconds / 4
            lease = timezone.now() + datetime.timedelta(seconds=self.lease_seconds)
            MailingRecipient.objects.filter(
                claim=self.claim, state__in=(State.CLAIMED, State.SENDING)
            ).update(lease_expires_at=lease)
            Mailing.objects.filter(pk=self.mailing.pk).update(heartbeat_at=timezone.now())

    def _build(self, row):
        row_id, member_id, email, name, context = row
        return self.factory.build(
            recipient_id=row_id,
            member_id=member_id,
            email_address=email,
            name=name,
            context=context,
        )

    def _deliver(self, row, message) -> tuple[str, str, datetime.datetime | None]:
        row_id, _member_id, email, _name, _context = row
        attempts = self._attempts.get(row_id, 0) + 1
        try:
            if self.smtp_direct and message.envelope_ok:
                if self.conn.connection is None:
                    self.conn.open()
                self.conn.connection.sendmail(self.factory.envelope_from, [email], message.prebuilt)
            else:
                if not self._opened:
                    self.conn.open()  # keep one connection for the whole chunk
                    self._opened = True
                self.conn.send_messages([message])
        except Exception as exc:  # classified below; nothing escapes unrecorded
            error = classify(exc)
            if isinstance(error, TransientError) and error.connection_lost:
                self.connection_errors += 1
                self._opened = False
                try:
                    self.conn.close()
                except Exception:  # noqa: BLE001 - the connection is gone anyway
                    pass
            if isinstance(error, PermanentError) or attempts >= self.max_attempts:
                return State.FAILED, str(error)[:ERROR_MAX_CHARS], None
            return State.QUEUED, str(error)[:ERROR_MAX_CHARS], timezone.now() + backoff(attempts)
        status = getattr(message, "anymail_status", None)
        if status is not None and status.status and status.status <= {"rejected", "invalid"}:
            return State.FAILED, f"ESP status: {', '.join(sorted(status.status))}", None
        self.connection_errors = 0
        return State.SENT, "", None

    @property
    def stopping(self) -> bool:
        return bool(self.stop_state) or self.connection_errors >= conf.connection_errors_to_pause()

    def _send_batch(self, batch, owned) -> tuple[list, list]:
        outcomes, unattempted = [], []
        batch = [row for row in batch if row[0] in owned]  # lost ones are never sent
        # The next messages are built in a second thread while this one waits for the mail
        # server's answers (socket waits release the GIL): building is a third of a
        # message's time in this process, and the server's round trip hides it.
        messages = (
            self._builder.map(self._build, batch) if self._builder else map(self._build, batch)
        )
        for row, message in zip(batch, messages, strict=True):
            if self.stopping:
                unattempted.append(row[0])
                continue
            self.limiter.acquire()
            state, error, retry_at = self._deliver(row, message)
            outcomes.append((row[0], state, error, retry_at))
            if state == State.SENT:
                self.sent += 1
            elif state == State.FAILED:
                self.failed += 1
            self._control()
        return outcomes, unattempted

    def _overlap_possible(self) -> bool:
        """Write state from a second connection while sending? Only outside a transaction
        (a second connection could not see its rows) and where it pays: PostgreSQL."""
        return (
            conf.overlap_writes()
            and connection.vendor == "postgresql"
            and not connection.in_atomic_block
        )

    def run(self, rows: list[tuple]) -> None:
        """Send the chunk in batches of ``inflight``. With overlap, the next batch is marked
        "sending" (and the previous outcomes recorded) on a second connection while this
        batch is being sent, so the commit's disk flush costs no sending time; a killed
        worker then leaves at most two batches "sending"."""
        self._attempts = dict(
            MailingRecipient.objects.filter(id__in=[r[0] for r in rows]).values_list(
                "id", "attempts"
            )
        )
        k = self.inflight
        batches = [rows[i : i + k] for i in range(0, len(rows), k)]
        executor = ThreadPoolExecutor(max_workers=1) if self._overlap_possible() else None
        self._builder = ThreadPoolExecutor(max_workers=1) if conf.overlap_writes() else None
        try:
            owned = self._flush([], [], _ids(batches[0]))
            carry_outcomes, carry_unattempted = [], []
            for index, batch in enumerate(batches):
                following = batches[index + 1] if index + 1 < len(batches) else []
                future = None
                if executor is not None and following and not self.stopping:
                    future = executor.submit(
                        self._flush, carry_outcomes, carry_unattempted, _ids(following)
                    )
                    carry_outcomes, carry_unattempted = [], []
                outcomes, unattempted = self._send_batch(batch, owned)
                carry_outcomes += outcomes
                carry_unattempted += unattempted
                if future is not None:
                    owned = future.result()
                    if self.stopping:
                        carry_unattempted += [i for i in _ids(following) if i in owned]
                        break
                    continue
                if self.stopping or not following:
                    break
                owned = self._flush(carry_outcomes, carry_unattempted, _ids(following))
                carry_outcomes, carry_unattempted = [], []
            self._flush(carry_outcomes, carry_unattempted, [])
        finally:
            if executor is not None:
                executor.submit(lambda: connection.close()).result()  # its own connection
                executor.shutdown()
            if self._builder is not None:
                self._builder.shutdown(cancel_futures=True)
        to_state = State.CANCELLED if self.stop_state == Mailing.State.CANCELLED else State.QUEUED
        release_claim(claim=self.claim, to_state=to_state)


def _ids(rows) -> list:
    return [row[0] for row in rows]


def _limiter_for(organisation) -> RateLimiter:
    settings_row = OrganisationMailSettings.objects.filter(organisation=organisation).first()
    per_minute = (
        settings_row.effective_rate_per_minute() if settings_row else conf.default_rate_per_minute()
    )
    return RateLimiter(key=f"org{organisation.pk}", per_minute=per_minute)


def factory_for(mailing) -> MessageFactory:
    return MessageFactory(
        organisation=mailing.organisation,
        subject=mailing.subject,
        html_template=mailing.html_template,
        text_template=mailing.text_template,
        mailing_id=mailing.pk,
    )


def send_batch(*, mailing_id: int, time_budget: float | None = None) -> BatchResult:
    """Work on a sending mailing for up to ``time_budget`` seconds. Safe to run any number
    of times, in any number of workers at once."""
    budget = conf.task_seconds() if time_budget is None else time_budget
    mailing = Mailing.objects.select_related("organisation").filter(pk=mailing_id).first()
    if mailing is None or mailing.state != Mailing.State.SENDING:
        return BatchResult(STOPPED)
    deadline = time.monotonic() + budget
    factory = factory_for(mailing)
    limiter = _limiter_for(mailing.organisation)
    conn = get_connection()
    result = BatchResult(MORE)
    try:
        while time.monotonic() < deadline:
            leases_expire(mailing_id=mailing_id)
            claim = uuid.uuid4()
            rows = claim_chunk(mailing_id=mailing_id, claim=claim, size=conf.chunk_size())
            if not rows:
                break
            sender = ChunkSender(
                mailing=mailing, factory=factory, limiter=limiter, conn=conn, claim=claim
            )
            try:
                sender.run(rows)
            finally:
                result.sent += sender.sent
                result.failed += sender.failed
            Mailing.objects.filter(pk=mailing_id).update(heartbeat_at=timezone.now())
            if sender.stop_state:
                return BatchResult(STOPPED, result.sent, result.failed)
            if sender.connection_errors >= conf.connection_errors_to_pause():
                return BatchResult(WAIT, result.sent, result.failed, retry_in=conf.pause_seconds())
        else:
            return result  # time budget used up: a fresh task continues
    finally:
        try:
            conn.close()
        except Exception:  # noqa: BLE001
            pass
    return _after_queue_empty(mailing_id, result)


def _after_queue_empty(mailing_id: int, result: BatchResult) -> BatchResult:
    """No claimable rows left: finish the mailing, or say when to look again."""
    open_rows = MailingRecipient.objects.filter(
        mailing_id=mailing_id, state__in=(State.QUEUED, State.CLAIMED, State.SENDING)
    )
    if not open_rows.exists():
        Mailing.objects.filter(pk=mailing_id, state=Mailing.State.SENDING).update(
            state=Mailing.State.DONE, finished_at=timezone.now()
        )
        return BatchResult(DONE, result.sent, result.failed)
    now = timezone.now()
    times = open_rows.aggregate(lease=Min("lease_expires_at"), retry=Min("next_attempt_at"))
    waits = [(t - now).total_seconds() for t in (times["lease"], times["retry"]) if t is not None]
    retry_in = min([max(1.0, w + 1) for w in waits] or [5.0])
    return BatchResult(WAIT, result.sent, result.failed, retry_in=min(retry_in, 60))
