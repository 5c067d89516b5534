"""Reminders staff send from a list of people (督促メール): pick a reminder text, preview it
with one member's values and the count, confirm, send.

The mails go through the same writer and engine as the scheduled reminders
(``mailings.reminders``): one mailing per cycle, one mail per member listing their open
requirements of that cycle, each assignment logged in ``ReminderDelivery`` (step
``staff-<id>``), so the member's record shows scheduled and staff reminders alike. Members
who may not be mailed (withdrawn, no address, suppressed) are recorded as skipped with the
reason. A ``StaffReminder`` row, keyed by the confirmation page, makes the send atomic and
idempotent: the same confirmation submitted twice sends once.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from itertools import groupby

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from lms.models import Assignment, Cycle
from members.admin_scoping import require_staff_of

from .mime import MessageFactory
from .models import Mailing, StaffReminder
from .reminders import (
    RECIPIENTS_PER_WRITE,
    _ReminderWriter,
    reminder_subject,
    reminder_templates,
)
from .selectors import delivery_reason


@dataclasses.dataclass
class Preview:
    members: int  # people who get the mail
    skipped: int  # people of the selection who cannot be mailed (no address, suppressed …)
    subject: str
    body: str  # the plain-text mail of the sample member, exactly as it would go
    sample_name: str


def _open_rows(*, cycle, member_ids, today):
    """The open assignments of ``member_ids`` in ``cycle`` with what the writer needs."""
    return (
        Assignment.objects.filter(cycle=cycle, member_id__in=member_ids)
        .open()
        .annotate(
            mail_reason=delivery_reason(
                organisation_id=cycle.campaign.organisation_id,
                kind=Mailing.Kind.REMINDER,
                day=today,
                member="member_id",
                email="member__email",
            )
        )
        .order_by("member_id", "pk")
        .values(
            "pk",
            "member_id",
            "requirement_id",
            "due_on",
            "mail_reason",
            email=F("member__email"),
            name=F("member__name"),
        )
    )


def _targets_by_cycle(targets) -> dict[int, list[int]]:
    """{cycle id: [member id, …]} from (member id, cycle id) pairs."""
    by_cycle = defaultdict(set)
    for member_id, cycle_id in targets:
        by_cycle[cycle_id].add(member_id)
    return {cycle_id: sorted(ids) for cycle_id, ids in by_cycle.items()}


def _cycles(*, organisation, cycle_ids):
    return Cycle.objects.filter(
        pk__in=cycle_ids, campaign__organisation=organisation
    ).select_related("campaign__organisation")


def staff_reminder_preview(*, user, organisation, targets, step, today=None) -> Preview:
    """What the confirmation page shows: how many get the mail, and the first one's mail."""
    require_staff_of(user=user, organisation=organisation)
    today = today or timezone.localdate()
    members, skipped, sample = set(), set(), None
    for cycle in _cycles(organisation=organisation, cycle_ids=_targets_by_cycle(targets)):
        member_ids = _targets_by_cycle(targets)[cycle.pk]
        rows = list(_open_rows(cycle=cycle, member_ids=member_ids, today=today))
        for member_id, member_rows in groupby(rows, key=lambda row: row["member_id"]):
            member_rows = list(member_rows)
            if member_rows[0]["mail_reason"]:
                skipped.add(member_id)
                continue
            members.add(member_id)
            if sample is None:
                sample = _sample_mail(cycle=cycle, rows=member_rows, step=step, today=today)
    skipped -= members
    subject, body, name = sample or ("", "", "")
    return Preview(
        members=len(members), skipped=len(skipped), subject=subject, body=body, sample_name=name
    )


def _sample_mail(*, cycle, rows, step, today) -> tuple[str, str, str]:
    """The subject and plain-text body one member would get, built by the engine's factory."""
    organisation = cycle.campaign.organisation
    subject_template, html_template, text_template = reminder_templates(
        organisation=organisation, campaign=cycle.campaign, cycle=cycle, step=step
    )
    writer = _ReminderWriter(campaign=cycle.campaign, cycle=cycle, today=today, chunk_size=1)
    first = rows[0]
    member_id, _email, name, _state, _reason, _error, _attempts, context = writer._recipient(
        ("preview", step), rows
    )
    due_on = min(row["due_on"] for row in rows)
    subject = reminder_subject(
        subject_template, campaign=cycle.campaign, cycle=cycle, due_on=due_on, today=today
    )
    factory = MessageFactory(
        organisation=organisation,
        subject=subject,
        html_template=html_template,
        text_template=text_template,
    )
    message = factory.build(
        recipient_id=0, member_id=member_id, email_address=first["email"], name=name,
        context=context,
    )  # fmt: skip
    return subject, message.body, name


def staff_reminder_send(
    *, user, organisation, targets, step, key, list_name, today=None
) -> tuple[StaffReminder, bool]:
    """Send the chosen reminder text to ``targets`` ((member id, cycle id) pairs). Returns the
    ``StaffReminder`` and whether it was sent now (False: this ``key`` was sent before)."""
    require_staff_of(user=user, organisation=organisation)
    today = today or timezone.localdate()
    by_cycle = _targets_by_cycle(targets)
    try:
        with transaction.atomic():
            reminder = StaffReminder.objects.create(
                key=key,
                organisation=organisation,
                list_name=list_name,
                step=step,
                created_by=user,
            )
            mailed = members = 0
            for cycle in _cycles(organisation=organisation, cycle_ids=by_cycle):
                writer = _ReminderWriter(
                    campaign=cycle.campaign,
                    cycle=cycle,
                    today=today,
                    chunk_size=RECIPIENTS_PER_WRITE,
                )
                rows = _open_rows(cycle=cycle, member_ids=by_cycle[cycle.pk], today=today)
                for _member_id, member_rows in groupby(rows, key=lambda row: row["member_id"]):
                    member_rows = list(member_rows)
                    for row in member_rows:
                        row["pending"] = [(reminder.delivery_step, step)]
                    writer.add_member(member_rows)
                    members += 1
                writer.finish()
                mailed += writer.mailed
            reminder.members, reminder.mailed = members, mailed
            reminder.save(update_fields=["members", "mailed"])
    except IntegrityError:
        existing = StaffReminder.objects.filter(key=key, organisation=organisation).first()
        if existing is None:
            raise
        return existing, False
    return reminder, True
