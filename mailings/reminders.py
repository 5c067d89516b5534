"""Training announcements and reminders from lms assignments, and the staff digest.

Each (assignment, step) is recorded once in ``ReminderDelivery`` (a unique row): mailed, or
skipped with the reason (completed, exempt, withdrawn, or covered by another mail that
day). A member with several assignments due in the same step gets one mail listing them.
The mails themselves go through the sending engine as administrative notices.

Steps, per assignment (its own due date, so members who joined mid-window are fair):
``announce`` while the assignment is open; ``before-N`` from N days before due until the
next reminder; ``overdue`` the week after the due date; ``weekly-K`` every week after that
when enabled.
"""

import datetime
import html
import logging
import re
from collections import defaultdict

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, CharField, DateTimeField, Exists, F, OuterRef, Q, Value, When
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lms.models import Assignment, Cycle, Requirement
from members import mailheaders
from members.bulk import insert_rows, insert_rows_returning_ids

from . import conf
from .models import (
    Mailing,
    MailingRecipient,
    ReminderDelivery,
    ReminderSchedule,
    ReminderTemplate,
    StaffDigest,
)
from .rendering import CORE_SLOTS, render_mail, render_shared
from .selectors import delivery_reason

logger = logging.getLogger(__name__)
Step = ReminderTemplate.Step
SKIP_REASONS = {
    Assignment.Status.COMPLETED: ReminderDelivery.Reason.COMPLETED,
    Assignment.Status.COMPLETED_LATE: ReminderDelivery.Reason.COMPLETED,
    Assignment.Status.EXEMPT: ReminderDelivery.Reason.EXEMPT,
    Assignment.Status.WITHDRAWN: ReminderDelivery.Reason.WITHDRAWN,
}
# Recipients written per INSERT (and rows fetched per round trip) when a day's reminders are
# recorded: a hundred thousand members take fifty statements and bounded memory.
RECIPIENTS_PER_WRITE = 2000
# The overdue notice goes out on any of the first seven days after the due date (a member
# who joins or is reminded late still gets it once); the weekly reminders start after them.
OVERDUE_NOTICE_DAYS = 7
# Overdue members listed in a staff digest: a mail longer than this is not read; the digest
# gives the full count and links to the admin's list.
DIGEST_ROWS = 200
# What differs between the recipients of one reminder mailing: filled per recipient (a member
# who joined late has a due date of their own); the campaign and cycle are rendered once.
RECIPIENT_SLOTS = (*CORE_SLOTS, "due_date", "days_left", "progress", "courses")

DEFAULT_TEMPLATES = {
    Step.ANNOUNCEMENT: (
        "【{{ campaign }}】受講のご案内（期限 {{ due_date }}）",
        "{{ name }} 様\n\n"
        "{{ cycle }}の「{{ campaign }}」の受講期間が始まりました。\n"
        "{{ due_date }}までに、次の研修を受講してください。スマートフォンからいつでも受講できます。\n\n"
        "{{ courses }}\n\n"
        "労災保険の特別加入団体として、加入者の皆さまに毎年の受講をお願いしています。",
    ),
    Step.BEFORE_DUE: (
        "【あと{{ days_left }}日】{{ campaign }}の受講期限は{{ due_date }}です",
        "{{ name }} 様\n\n"
        "「{{ campaign }}」（{{ cycle }}）の受講期限まで、あと{{ days_left }}日です。\n"
        "現在の進み具合: {{ progress }}\n\n"
        "{{ courses }}\n\n"
        "受講がお済みでない方は、期限までに修了してください。",
    ),
    Step.OVERDUE: (
        "【期限超過】{{ campaign }}を受講してください",
        "{{ name }} 様\n\n"
        "「{{ campaign }}」（{{ cycle }}）の受講期限（{{ due_date }}）を過ぎましたが、"
        "まだ修了が確認できていません。\n"
        "現在の進み具合: {{ progress }}\n\n"
        "{{ courses }}\n\n"
        "至急受講してください。すでに会場研修などで受講済みの場合は、事務局までご連絡ください。",
    ),
    Step.WEEKLY: (
        "【再送】{{ campaign }}の受講をお願いします",
        "{{ name }} 様\n\n"
        "「{{ campaign }}」（{{ cycle }}）の修了がまだ確認できていません（期限 {{ due_date }}）。\n"
        "現在の進み具合: {{ progress }}\n\n"
        "{{ courses }}",
    ),
}


def reminder_schedule_ensure(*, campaign) -> ReminderSchedule:
    """The campaign's reminder schedule, made with the defaults when it has none: an opening
    notice, reminders 14, 7 and 1 days before the due date, an overdue notice, then weekly
    until done (``MAILINGS_REMINDER_DAYS_BEFORE`` sets the days)."""
    schedule, _created = ReminderSchedule.objects.get_or_create(campaign=campaign)
    return schedule


def template_for(*, organisation, step: str) -> tuple[str, str]:
    row = ReminderTemplate.objects.filter(organisation=organisation, step=step).first()
    if row:
        return row.subject, row.body
    return DEFAULT_TEMPLATES[step]


def text_to_html(text: str) -> str:
    """Editable plain text as HTML paragraphs with links; {{ courses }} becomes its HTML."""
    text = text.replace("{{ courses }}", "{{ courses_html }}")
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        if block.strip() == "{{ courses_html }}":
            paragraphs.append(block.strip())
            continue
        escaped = html.escape(block, quote=False).replace("\n", "<br>\n")
        escaped = re.sub(r"(https?://[^\s<]+)", r'<a href="\1">\1</a>', escaped)
        paragraphs.append(f"<p>{escaped}</p>")
    return "\n".join(paragraphs)


def _date_ja(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def steps_for(*, schedule, due_on: datetime.date, today: datetime.date) -> list[tuple[str, str]]:
    """(step key, template step) that apply to an assignment due on ``due_on`` today."""
    steps = []
    if schedule.announce_on_open and today <= due_on:
        steps.append(("announce", Step.ANNOUNCEMENT))
    days = sorted({int(d) for d in (schedule.days_before or []) if int(d) > 0}, reverse=True)
    for i, n in enumerate(days):
        following = days[i + 1] if i + 1 < len(days) else 0
        if (
            due_on - datetime.timedelta(days=n)
            <= today
            < due_on - datetime.timedelta(days=following)
        ):
            steps.append((f"before-{n}", Step.BEFORE_DUE))
    late = (today - due_on).days
    if schedule.overdue_notice and 1 <= late <= OVERDUE_NOTICE_DAYS:
        steps.append(("overdue", Step.OVERDUE))
    if schedule.weekly_overdue and late > OVERDUE_NOTICE_DAYS:
        steps.append((f"weekly-{(late - 1) // 7}", Step.WEEKLY))
    return steps


def reminders_for_cycle(
    *, schedule, cycle, today: datetime.date, chunk_size: int = RECIPIENTS_PER_WRITE
) -> dict:
    """Record and mail the reminder steps due today for one cycle. Idempotent.

    The same number of queries for ten members or a hundred thousand: which steps apply
    depends only on the due date (one query finds the cycle's due dates); closed
    assignments are recorded as skipped with one INSERT … SELECT per step; the open ones
    come in one streamed query with their member's address, whether the mail may go to
    it (roster, suppression) and which of today's steps each already had, plus one query
    for the members' progress. Recipients are written in chunks of ``chunk_size``.
    """
    steps_by_due = _steps_by_due_date(schedule=schedule, cycle=cycle, today=today)
    keys = list(dict.fromkeys(key for steps in steps_by_due.values() for key, _t in steps))
    counts = {"skipped": 0, "mailed": 0, "mailings": 0}
    if not keys:
        return counts
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # The streamed query's estimate (a subplan per step, per row) crosses PostgreSQL's
            # JIT threshold; compiling it took 2 of its 2.6 s for 20,000 members.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        counts["skipped"] += _skip_closed_assignments(
            cycle=cycle, steps_by_due=steps_by_due, keys=keys
        )
        writer = _ReminderWriter(
            campaign=schedule.campaign, cycle=cycle, today=today, chunk_size=chunk_size
        )
        for member_rows in _open_assignments_by_member(
            cycle=cycle, steps_by_due=steps_by_due, keys=keys, today=today
        ):
            writer.add_member(member_rows)
        writer.finish()
    counts["skipped"] += writer.skipped
    counts["mailed"] += writer.mailed
    counts["mailings"] += len(writer.mailings)
    return counts


def _steps_by_due_date(*, schedule, cycle, today) -> dict:
    """{due date: [(step key, template step), …]} for the due dates of the cycle's
    assignments that have a step today."""
    due_dates = (
        Assignment.objects.filter(cycle=cycle).order_by("due_on").values_list("due_on", flat=True)
    )
    steps_by_due = {}
    for due_on in due_dates.distinct():
        steps = steps_for(schedule=schedule, due_on=due_on, today=today)
        if steps:
            steps_by_due[due_on] = steps
    return steps_by_due


def _due_dates_with(key, steps_by_due) -> list:
    return [due_on for due_on, steps in steps_by_due.items() if key in dict(steps)]


def _skip_closed_assignments(*, cycle, steps_by_due, keys) -> int:
    """Completed, exempt and withdrawn assignments: today's steps are recorded as skipped
    with the reason, one INSERT … SELECT per step."""
    reason = Case(
        *[When(status=status, then=Value(why)) for status, why in SKIP_REASONS.items()],
        output_field=CharField(),
    )
    table = ReminderDelivery._meta.db_table
    recorded = 0
    for key in keys:
        rows = (
            Assignment.objects.filter(
                cycle=cycle,
                due_on__in=_due_dates_with(key, steps_by_due),
                status__in=list(SKIP_REASONS),
            )
            .exclude(Exists(ReminderDelivery.objects.filter(assignment=OuterRef("pk"), step=key)))
            .annotate(
                r_step=Value(key, output_field=CharField()),
                r_state=Value(ReminderDelivery.State.SKIPPED, output_field=CharField()),
                r_reason=reason,
                r_created=Value(timezone.now(), output_field=DateTimeField()),
            )
            .order_by()
            .values_list("pk", "r_step", "r_state", "r_reason", "r_created")
        )
        sql, params = rows.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (assignment_id, step, state, reason, created_at) {sql}",
                params,
            )
            recorded += cursor.rowcount
    return recorded


def _open_assignments(*, cycle, steps_by_due, keys, today):
    """The cycle's open assignments that have a step not yet recorded today, as dicts with
    the member's name, address and ``mail_reason``, and ``had_<n>`` for each of ``keys``
    (the step was recorded before)."""
    already = {
        f"had_{index}": Exists(ReminderDelivery.objects.filter(assignment=OuterRef("pk"), step=key))
        for index, key in enumerate(keys)
    }
    still_to_record = Q()
    for index, key in enumerate(keys):
        still_to_record |= Q(
            due_on__in=_due_dates_with(key, steps_by_due), **{f"had_{index}": False}
        )
    return (
        Assignment.objects.filter(cycle=cycle)
        .open()
        .annotate(
            **already,
            mail_reason=delivery_reason(
                organisation_id=cycle.campaign.organisation_id,
                kind=Mailing.Kind.REMINDER,
                day=today,
                member="member_id",
                email="member__email",
            ),
        )
        .filter(still_to_record)
        .order_by("member_id", "pk")
        .values(
            "pk",
            "member_id",
            "requirement_id",
            "due_on",
            "mail_reason",
            *already,
            email=F("member__email"),
            name=F("member__name"),
        )  # fmt: skip
    )


def _open_assignments_by_member(*, cycle, steps_by_due, keys, today):
    """:func:`_open_assignments` streamed and grouped by member, each row with ``pending``:
    the steps still to record today, in order."""
    rows = _open_assignments(cycle=cycle, steps_by_due=steps_by_due, keys=keys, today=today)
    member_rows = []
    for row in rows.iterator(chunk_size=RECIPIENTS_PER_WRITE):
        row["pending"] = [
            (key, template_step)
            for key, template_step in steps_by_due[row["due_on"]]
            if not row[f"had_{keys.index(key)}"]
        ]
        if member_rows and member_rows[0]["member_id"] != row["member_id"]:
            yield member_rows
            member_rows = []
        member_rows.append(row)
    if member_rows:
        yield member_rows


class _ReminderWriter:
    """Turns each member's pending steps into one mail per step (listing every assignment
    that step covers) and ``ReminderDelivery`` rows, written ``chunk_size`` recipients at a
    time; one ``Mailing`` per step, created with its first recipient."""

    def __init__(self, *, campaign, cycle, today, chunk_size):
        self.campaign = campaign
        self.organisation = self.campaign.organisation
        self.cycle = cycle
        self.today = today
        self.chunk_size = max(1, chunk_size)
        self.mailings = {}  # (step key, template step) -> Mailing
        self.first_due = {}  # (step key, template step) -> earliest due date among its mails
        self.pending_mails = []  # (step, recipient's columns, its assignments' rows)
        self.covered = []  # (assignment id, step key) skipped: covered by another mail
        self.mailed = self.skipped = 0
        self.progress = _MemberProgress(cycle=cycle)

    def add_member(self, rows) -> None:
        by_step = defaultdict(list)
        for row in rows:
            first, *others = row["pending"]
            by_step[first].append(row)  # one mail per assignment per day: its first step
            self.covered += [(row["pk"], key) for key, _t in others]
        for step, step_rows in by_step.items():
            self.pending_mails.append((step, self._recipient(step, step_rows), step_rows))
        if len(self.pending_mails) >= self.chunk_size:
            self._write()

    def _recipient(self, step, rows) -> tuple:
        """The recipient's columns after ``mailing_id``: member, e-mail, name, state, reason,
        error, attempts, context."""
        member_id, due_on = rows[0]["member_id"], min(row["due_on"] for row in rows)
        self.first_due[step] = min(due_on, self.first_due.get(step, due_on))
        text_list, html_list, progress = self.progress.course_lines(
            member_id=member_id, requirement_ids=[row["requirement_id"] for row in rows]
        )
        reason = rows[0]["mail_reason"]
        context = {
            **_due_values(due_on=due_on, today=self.today),
            "progress": progress,
            "courses": text_list,
            "courses_html": html_list,
        }
        state = MailingRecipient.State.SKIPPED if reason else MailingRecipient.State.QUEUED
        return (member_id, rows[0]["email"], rows[0]["name"], state, reason, "", 0, context)

    def _write(self) -> None:
        recipient_ids = insert_rows_returning_ids(
            MailingRecipient,
            ["mailing_id", "member_id", "email", "name", "state", "reason", "error", "attempts",
             "context"],
            [(self._mailing(step).pk, *recipient) for step, recipient, _rows in self.pending_mails],
        )  # fmt: skip
        now = timezone.now()
        deliveries = [
            (row["pk"], step[0], ReminderDelivery.State.MAILED, "", recipient_id, now)
            for (step, _recipient, rows), recipient_id in zip(
                self.pending_mails, recipient_ids, strict=True
            )
            for row in rows
        ]
        deliveries += [
            (assignment_id, key, ReminderDelivery.State.SKIPPED, ReminderDelivery.Reason.COVERED,
             None, now)
            for assignment_id, key in self.covered
        ]  # fmt: skip
        insert_rows(
            ReminderDelivery,
            ["assignment_id", "step", "state", "reason", "recipient_id", "created_at"],
            deliveries,
        )
        self.mailed += sum(
            recipient[3] == MailingRecipient.State.QUEUED
            for _s, recipient, _r in self.pending_mails
        )
        self.skipped += len(self.covered)
        self.pending_mails, self.covered = [], []

    def _mailing(self, step) -> Mailing:
        if step not in self.mailings:
            self.mailings[step] = _reminder_mailing(
                organisation=self.organisation,
                campaign=self.campaign,
                cycle=self.cycle,
                key=step[0],
                template_step=step[1],
                today=self.today,
            )
        return self.mailings[step]

    def finish(self) -> None:
        from .services import _enqueue_sends

        if self.pending_mails or self.covered:
            self._write()
        for step, mailing in self.mailings.items():
            # The subject may hold slots too; all recipients of one step share it, filled
            # with the earliest due date among them.
            subject = reminder_subject(
                mailing.subject, campaign=self.campaign, cycle=self.cycle,
                due_on=self.first_due[step], today=self.today,
            )  # fmt: skip
            Mailing.objects.filter(pk=mailing.pk).update(subject=subject)
            _enqueue_sends(mailing.pk)


class _MemberProgress:
    """Course lines and progress of the members reminded about one cycle: the cycle's
    requirements, courses and lesson counts read once, every member's latest attempts in
    one query (members who never started a course are 0%)."""

    def __init__(self, *, cycle):
        from courses.selectors import latest_attempts, required_lessons

        requirements = Requirement.objects.filter(campaign_id=cycle.campaign_id).prefetch_related(
            "courses"
        )
        self.courses_of = {r.pk: list(r.courses.all()) for r in requirements}
        courses = {c.pk: c for courses in self.courses_of.values() for c in courses}
        self.required = required_lessons(courses.values())
        self.links = {pk: conf.site_url() + c.url if c.url else "" for pk, c in courses.items()}
        pending_members = Assignment.objects.filter(cycle=cycle).open().values("member_id")
        self.attempts = {
            (member_id, course_id): (completed_at is not None, lessons_done)
            for member_id, course_id, completed_at, lessons_done in latest_attempts(
                members=pending_members, courses=list(courses)
            )
            .order_by()
            .values_list("member_id", "course_id", "completed_at", "lessons_done")
            .iterator(chunk_size=RECIPIENTS_PER_WRITE)
        }

    def percent(self, member_id, course_id) -> int:
        from courses.selectors import progress_percent

        completed, lessons_done = self.attempts.get((member_id, course_id), (False, 0))
        return progress_percent(
            completed=completed,
            lessons_done=lessons_done,
            lessons_required=self.required.get(course_id, 0),
        )

    def course_lines(self, *, member_id, requirement_ids) -> tuple[str, str, str]:
        lines, items, percents = [], [], []
        for requirement_id in requirement_ids:
            for course in self.courses_of.get(requirement_id, ()):
                percent = self.percent(member_id, course.pk)
                percents.append(percent)
                url = self.links[course.pk]
                lines.append(f"・{course.title}（{percent}%）\n  {url}")
                items.append(
                    f'<li><a href="{html.escape(url)}">{html.escape(course.title)}</a>'
                    f"（{percent}%）</li>"
                )
        progress = f"{round(sum(percents) / len(percents))}%" if percents else "0%"
        return "\n".join(lines), "<ul>" + "".join(items) + "</ul>", progress


def _shared_values(*, campaign, cycle) -> dict:
    return {"campaign": campaign.name, "cycle": cycle.name}


def reminder_templates(*, organisation, campaign, cycle, step) -> tuple[str, str, str]:
    """The subject template and the HTML and text templates of one step's mail: what all
    its recipients share rendered once, their own values left as slots."""
    subject_template, body_template = template_for(organisation=organisation, step=step)
    shared = _shared_values(campaign=campaign, cycle=cycle)
    body = render_shared(body_template, shared, slots=RECIPIENT_SLOTS)
    html_template, text_template = render_mail(
        organisation=organisation,
        kind=Mailing.Kind.REMINDER,
        # the mail's heading: the campaign and cycle filled in, the recipient's values as slots
        subject=render_shared(subject_template, shared, slots=RECIPIENT_SLOTS),
        preheader="",
        body_html=text_to_html(body),
        body_text=body,
    )
    return subject_template, html_template, text_template


def reminder_subject(subject_template: str, *, campaign, cycle, due_on, today) -> str:
    """The subject every recipient of one step shares (filled with the earliest due date)."""
    values = {
        **_shared_values(campaign=campaign, cycle=cycle),
        **_due_values(due_on=due_on, today=today),
    }
    return render_shared(subject_template, values).strip()


def _reminder_mailing(*, organisation, campaign, cycle, key, template_step, today) -> Mailing:
    subject_template, html_template, text_template = reminder_templates(
        organisation=organisation, campaign=campaign, cycle=cycle, step=template_step
    )
    now = timezone.now()
    return Mailing.objects.create(
        organisation=organisation,
        kind=Mailing.Kind.REMINDER,
        state=Mailing.State.SENDING,
        title=f"{campaign.name} {cycle.name}: {key} ({today.isoformat()})",
        subject=subject_template,  # its slots are filled once every recipient is known
        html_template=html_template,
        text_template=text_template,
        audience_name=_("Reminder: %(step)s") % {"step": key},
        scheduled_at=now,
        started_at=now,
        heartbeat_at=now,
    )


def _due_values(*, due_on: datetime.date, today: datetime.date) -> dict:
    return {"due_date": _date_ja(due_on), "days_left": str(max(0, (due_on - today).days))}


def reminders_run(*, today: datetime.date | None = None) -> dict:
    """The daily task: every enabled schedule, every current cycle; then the staff digests."""
    today = today or timezone.localdate()
    totals = defaultdict(int)
    for schedule in ReminderSchedule.objects.filter(
        enabled=True, campaign__is_active=True
    ).select_related("campaign__organisation"):
        for cycle in Cycle.objects.filter(campaign=schedule.campaign).current(today):
            try:
                with transaction.atomic():
                    ReminderSchedule.objects.select_for_update().filter(pk=schedule.pk).first()
                    counts = reminders_for_cycle(schedule=schedule, cycle=cycle, today=today)
            except IntegrityError:  # a concurrent run recorded these steps first
                logger.info("reminders for cycle %s already recorded", cycle.pk)
                continue
            for k, v in counts.items():
                totals[k] += v
            if schedule.staff_digest and today.weekday() == schedule.digest_weekday:
                totals["digests"] += staff_digest_send(cycle=cycle, today=today)
    return dict(totals)


def staff_digest_send(*, cycle, today: datetime.date) -> int:
    """The weekly list of overdue members to the organisation's staff, once per week."""
    organisation = cycle.campaign.organisation
    week_of = today - datetime.timedelta(days=today.weekday())
    overdue = (
        Assignment.objects.filter(cycle=cycle)
        .overdue(today)
        .select_related("member", "requirement")
        .order_by("member__member_no")
    )
    staff = [u.email for u in organisation.staff.filter(is_active=True) if u.email]
    if not staff:
        return 0
    try:
        with transaction.atomic():
            digest = StaffDigest.objects.create(
                cycle=cycle,
                week_of=week_of,
                overdue_count=overdue.count(),
                recipients=", ".join(staff),
            )
    except IntegrityError:
        return 0
    context = {
        "organisation": organisation,
        "cycle": cycle,
        "count": digest.overdue_count,
        "rows": list(overdue[:DIGEST_ROWS]),
        "admin_url": conf.site_url() + reverse("wagtailadmin_home"),
        "today": today,
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("[Weekly] %(count)s overdue: %(campaign)s %(cycle)s") % {
            "count": digest.overdue_count,
            "campaign": cycle.campaign.name,
            "cycle": cycle.name,
        }
        body = render_to_string("mailings/email/staff_digest.txt", context)
    message = EmailMessage(
        subject=mailheaders.header_value(subject, name="Subject"),
        body=body,
        from_email=mailheaders.header_value(
            organisation.mail_from or settings.DEFAULT_FROM_EMAIL, name="From"
        ),
        to=staff,
    )
    transaction.on_commit(lambda: get_connection().send_messages([message]))
    return 1
