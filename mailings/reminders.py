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
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from members.models import Member

from . import conf
from .models import (
    Mailing,
    MailingRecipient,
    ReminderDelivery,
    ReminderSchedule,
    ReminderTemplate,
    StaffDigest,
)
from .rendering import render_mail
from .selectors import annotate_delivery

logger = logging.getLogger(__name__)
Step = ReminderTemplate.Step
DONE = ("completed", "completed_late")
SKIP_REASONS = {
    "completed": ReminderDelivery.Reason.COMPLETED,
    "completed_late": ReminderDelivery.Reason.COMPLETED,
    "exempt": ReminderDelivery.Reason.EXEMPT,
    "withdrawn": ReminderDelivery.Reason.WITHDRAWN,
}

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
    if schedule.overdue_notice and 1 <= late < 8:
        steps.append(("overdue", Step.OVERDUE))
    if schedule.weekly_overdue and late >= 8:
        steps.append((f"weekly-{(late - 1) // 7}", Step.WEEKLY))
    return steps


def _course_lines(member, requirements, progress_of) -> tuple[str, str, str]:
    lines, items, percents = [], [], []
    for requirement in requirements:
        for course in requirement.courses.all():
            p = progress_of(member, course)
            percents.append(p)
            url = conf.site_url() + course.url if course.url else ""
            lines.append(f"・{course.title}（{p}%）\n  {url}")
            items.append(
                f'<li><a href="{html.escape(url)}">{html.escape(course.title)}</a>（{p}%）</li>'
            )
    progress = f"{round(sum(percents) / len(percents))}%" if percents else "0%"
    return "\n".join(lines), "<ul>" + "".join(items) + "</ul>", progress


def _progress_lookup():
    from courses.selectors import course_progress

    cache = {}

    def progress_of(member, course):
        key = (member.pk, course.pk)
        if key not in cache:
            result = course_progress(member=member, courses=[course]).get(course.pk)
            cache[key] = int(getattr(result, "percent", 0) or 0)
        return cache[key]

    return progress_of


def reminders_for_cycle(*, schedule, cycle, today: datetime.date) -> dict:
    """Record and mail the reminder steps due today for one cycle. Idempotent."""
    from lms.models import Assignment

    campaign = schedule.campaign
    organisation = campaign.organisation
    assignments = list(
        Assignment.objects.filter(cycle=cycle)
        .select_related("requirement")
        .prefetch_related("requirement__courses")
        .order_by("member_id", "id")
    )
    done_steps = set(
        ReminderDelivery.objects.filter(assignment__cycle=cycle).values_list(
            "assignment_id", "step"
        )
    )
    skipped, to_mail = [], defaultdict(list)  # (step, template step) -> [(member_id, asg)]
    for asg in assignments:
        pending = [
            (key, template_step)
            for key, template_step in steps_for(schedule=schedule, due_on=asg.due_on, today=today)
            if (asg.pk, key) not in done_steps
        ]
        if not pending:
            continue
        if asg.status in SKIP_REASONS:
            reason = SKIP_REASONS[asg.status]
            skipped += [
                ReminderDelivery(assignment=asg, step=key, state="skipped", reason=reason)
                for key, _t in pending
            ]
            continue
        # one mail per assignment per day: the first step; the others are covered by it
        to_mail[pending[0]].append((asg.member_id, asg))
        skipped += [
            ReminderDelivery(
                assignment=asg, step=key, state="skipped", reason=ReminderDelivery.Reason.COVERED
            )
            for key, _t in pending[1:]
        ]
    counts = {"skipped": len(skipped), "mailed": 0, "mailings": 0}
    with transaction.atomic():
        ReminderDelivery.objects.bulk_create(skipped)
        for (key, template_step), rows in to_mail.items():
            mailing, n = _reminder_mailing(
                organisation=organisation,
                campaign=campaign,
                cycle=cycle,
                key=key,
                template_step=template_step,
                rows=rows,
                today=today,
            )
            counts["mailed"] += n
            counts["mailings"] += 1
    return counts


def _reminder_mailing(*, organisation, campaign, cycle, key, template_step, rows, today):
    from .services import _enqueue_sends

    subject_template, body = template_for(organisation=organisation, step=template_step)
    by_member = defaultdict(list)
    for member_id, asg in rows:
        by_member[member_id].append(asg)
    members = annotate_delivery(
        Member.objects.filter(pk__in=by_member),
        organisation_id=organisation.pk,
        kind=Mailing.Kind.REMINDER,
        day=today,
    )
    html_template, text_template = render_mail(
        organisation=organisation,
        kind=Mailing.Kind.REMINDER,
        subject=subject_template,
        preheader="",
        body_html=text_to_html(body),
        body_text=body,
    )
    # The subject may hold slots too; all recipients of one step share it, filled once.
    first_due = min(asg.due_on for _m, asg in rows)
    subject = _fill_shared(subject_template, campaign=campaign, cycle=cycle, due_on=first_due,
                           today=today)  # fmt: skip
    now = timezone.now()
    mailing = Mailing.objects.create(
        organisation=organisation,
        kind=Mailing.Kind.REMINDER,
        state=Mailing.State.SENDING,
        title=f"{campaign.name} {cycle.name}: {key} ({today.isoformat()})",
        subject=subject,
        html_template=html_template,
        text_template=text_template,
        audience_name=_("Reminder: %(step)s") % {"step": key},
        scheduled_at=now,
        started_at=now,
        heartbeat_at=now,
    )
    progress_of = _progress_lookup()
    recipients, deliveries = [], []
    for member in members:
        asgs = by_member[member.pk]
        due_on = min(a.due_on for a in asgs)
        text_list, html_list, progress = _course_lines(
            member, [a.requirement for a in asgs], progress_of
        )
        recipient = MailingRecipient(
            mailing=mailing,
            member=member,
            email=member.email,
            name=member.name,
            state=MailingRecipient.State.SKIPPED if member.mail_reason else "queued",
            reason=member.mail_reason,
            context={
                "campaign": campaign.name,
                "cycle": cycle.name,
                "due_date": _date_ja(due_on),
                "days_left": str(max(0, (due_on - today).days)),
                "progress": progress,
                "courses": text_list,
                "courses_html": html_list,
            },
        )
        recipients.append(recipient)
        for asg in asgs:
            deliveries.append(
                ReminderDelivery(
                    assignment=asg,
                    step=key,
                    state=ReminderDelivery.State.MAILED,
                    recipient=recipient,
                )
            )
    MailingRecipient.objects.bulk_create(recipients)
    ReminderDelivery.objects.bulk_create(deliveries)
    _enqueue_sends(mailing.pk)
    return mailing, sum(1 for r in recipients if r.state == "queued")


def _fill_shared(template: str, *, campaign, cycle, due_on, today) -> str:
    values = {
        "campaign": campaign.name,
        "cycle": cycle.name,
        "due_date": _date_ja(due_on),
        "days_left": str(max(0, (due_on - today).days)),
    }
    return re.sub(
        r"\{\{\s*([a-z_]+)\s*\}\}", lambda m: values.get(m.group(1), ""), template
    ).strip()


def reminders_run(*, today: datetime.date | None = None) -> dict:
    """The daily task: every enabled schedule, every current cycle; then the staff digests."""
    from lms.models import Cycle

    today = today or timezone.localdate()
    totals = defaultdict(int)
    for schedule in ReminderSchedule.objects.filter(
        enabled=True, campaign__is_active=True
    ).select_related("campaign__organisation"):
        cycles = Cycle.objects.filter(campaign=schedule.campaign, opens_on__lte=today).filter(
            Q(closes_on__isnull=True) | Q(closes_on__gte=today)
        )
        for cycle in cycles:
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
    from lms.models import Assignment

    organisation = cycle.campaign.organisation
    week_of = today - datetime.timedelta(days=today.weekday())
    overdue = (
        Assignment.objects.filter(cycle=cycle)
        .filter(Q(status="overdue") | Q(status__in=("assigned", "in_progress"), due_on__lt=today))
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
        "rows": list(overdue[:200]),
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
        subject=subject,
        body=body,
        from_email=organisation.mail_from or settings.DEFAULT_FROM_EMAIL,
        to=staff,
    )
    transaction.on_commit(lambda: get_connection().send_messages([message]))
    return 1
