"""Reads: who an audience contains, who a mailing would reach and who it excludes, and why;
the reminders a member was sent."""

import datetime
from collections import Counter

from django.db.models import Case, Count, Exists, OuterRef, Q, Value, When
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from members.admin_scoping import is_staff_of, scope_to_staff
from members.models import Member, Membership
from members.querysets import period_covers
from members.selectors import members_of_user, organisations_for_staff

from .models import (
    Audience,
    Mailing,
    MailingRecipient,
    NewsletterConsent,
    NewsletterPage,
    ReminderDelivery,
    Suppression,
)

Reason = MailingRecipient.Reason
State = MailingRecipient.State
OPEN_STATES = (State.QUEUED, State.CLAIMED, State.SENDING)


# --- audiences -----------------------------------------------------------------------


def audiences_for_staff(*, user):
    return scope_to_staff(Audience.objects.all(), user=user)


def mailings_for_staff(*, user):
    return scope_to_staff(Mailing.objects.all(), user=user)


def audience_members(*, audience):
    """The members an audience selects (withdrawn ones included: they are excluded with a
    reason when a mailing starts)."""
    qs = Member.objects.filter(organisation_id=audience.organisation_id)
    if audience.categories:
        qs = qs.filter(category__in=audience.categories)
    if audience.work_types:
        qs = qs.filter(work_type__in=audience.work_types)
    if audience.occupations:
        qs = qs.filter(occupation__in=audience.occupations)
    if audience.prefectures:
        qs = qs.filter(prefecture__in=audience.prefectures)
    if audience.joined_from or audience.joined_to:
        periods = Membership.objects.filter(member=OuterRef("pk"))
        if audience.joined_from:
            periods = periods.filter(joined_on__gte=audience.joined_from)
        if audience.joined_to:
            periods = periods.filter(joined_on__lte=audience.joined_to)
        qs = qs.filter(Exists(periods))
    if audience.cycle_id and (audience.completion or audience.overdue_only):
        qs = qs.filter(_compliance_q(audience))
    return qs


def _compliance_q(audience) -> Q:
    from lms.models import Assignment

    assignments = Assignment.objects.filter(member=OuterRef("pk"), cycle_id=audience.cycle_id)
    if audience.requirement_id:
        assignments = assignments.filter(requirement_id=audience.requirement_id)
    q = Q()
    if audience.completion == Audience.Completion.COMPLETED:
        # every matching requirement done (exempt ones don't block), at least one done
        q &= Exists(assignments.done()) & ~Exists(assignments.open())
    elif audience.completion == Audience.Completion.NOT_COMPLETED:
        q &= Exists(assignments.open())
    if audience.overdue_only:
        q &= Exists(assignments.overdue(timezone.localdate()))
    return q


def delivery_reason(
    *,
    organisation_id,
    kind: str,
    day: datetime.date | None = None,
    member: str = "pk",
    email: str = "email",
):
    """Why a member does not get a mail of ``kind`` ('' when they do), as an SQL expression.

    ``member`` and ``email`` name the member's id and address in the query it annotates
    (``"pk"``/``"email"`` on members, ``"member_id"``/``"member__email"`` on their rows).
    """
    day = day or timezone.localdate()
    active = Exists(Membership.objects.filter(member=OuterRef(member)).filter(period_covers(day)))
    suppressed = Exists(
        Suppression.objects.filter(organisation_id=organisation_id, email=Lower(OuterRef(email)))
    )
    whens = [
        When(~active, then=Value(Reason.WITHDRAWN)),
        When(Q(**{email: ""}), then=Value(Reason.NO_EMAIL)),
        When(suppressed, then=Value(Reason.SUPPRESSED)),
    ]
    if kind == Mailing.Kind.NEWSLETTER:
        consents = NewsletterConsent.objects.filter(member=OuterRef(member))
        subscribed = Exists(consents.filter(withdrawn_at__isnull=True))
        whens += [
            When(~subscribed & Exists(consents), then=Value(Reason.UNSUBSCRIBED)),
            When(~subscribed, then=Value(Reason.NOT_SUBSCRIBED)),
        ]
    return Case(*whens, default=Value(""))


def annotate_delivery(members, *, organisation_id, kind: str, day: datetime.date | None = None):
    """Annotate ``mail_reason``: '' when the member gets the mail, else why not."""
    return members.annotate(
        mail_reason=delivery_reason(organisation_id=organisation_id, kind=kind, day=day)
    )


def audience_preview(*, audience, kind: str, limit: int = 50) -> dict:
    """Counts of who would get the mail and who is excluded and why, plus a first page."""
    members = annotate_delivery(
        audience_members(audience=audience), organisation_id=audience.organisation_id, kind=kind
    )
    counts = Counter(
        {
            row["mail_reason"]: row["n"]
            for row in members.order_by().values("mail_reason").annotate(n=Count("pk"))
        }
    )
    excluded = [
        (Reason(reason).label, reason, n) for reason, n in sorted(counts.items()) if reason and n
    ]
    sample = list(members.order_by("member_no")[:limit]) if limit else []
    for member in sample:
        member.reason_label = Reason(member.mail_reason).label if member.mail_reason else ""
    return {
        "total": sum(counts.values()),
        "recipients": counts.get("", 0),
        "excluded": excluded,
        "excluded_total": sum(n for reason, n in counts.items() if reason),
        "sample": sample,
    }


# --- mailings -----------------------------------------------------------------------


def mailing_counts(*, mailing) -> dict:
    rows = (
        MailingRecipient.objects.filter(mailing=mailing)
        .order_by()
        .values("state")
        .annotate(n=Count("pk"))
    )
    counts = {state: 0 for state in State.values}
    counts.update({row["state"]: row["n"] for row in rows})
    counts["total"] = sum(counts[s] for s in State.values)
    counts["to_send"] = counts["total"] - counts[State.SKIPPED]
    counts["open"] = sum(counts[s] for s in OPEN_STATES)
    counts["finished"] = counts["to_send"] - counts["open"]
    counts["percent"] = (
        round(100 * counts["finished"] / counts["to_send"]) if counts["to_send"] else 100
    )
    return counts


def mailing_exclusions(*, mailing) -> list[tuple[str, int]]:
    rows = (
        MailingRecipient.objects.filter(mailing=mailing, state=State.SKIPPED)
        .order_by()
        .values("reason")
        .annotate(n=Count("pk"))
    )
    return [(Reason(r["reason"]).label, r["n"]) for r in rows if r["reason"]]


# --- members ------------------------------------------------------------------------


def newsletter_subscribed(*, member) -> bool:
    return member.newsletter_consents.filter(withdrawn_at__isnull=True).exists()


def newsletter_readable_by(*, page, user) -> bool:
    if page.archive_visibility == NewsletterPage.Visibility.PUBLIC:
        return True
    if not user.is_authenticated:
        return False
    if is_staff_of(user=user, organisation_id=page.organisation_id):
        return True
    if page.permissions_for_user(user).can_edit():
        return True  # its editors
    return members_of_user(user=user).filter(organisation_id=page.organisation_id).exists()


def newsletters_visible_to(*, user, index):
    """Published newsletters under ``index`` the user may read, newest first."""
    pages = NewsletterPage.objects.live().child_of(index).order_by("-first_published_at")
    visible = Q(archive_visibility=NewsletterPage.Visibility.PUBLIC)
    if user.is_authenticated:
        org_ids = set(organisations_for_staff(user=user).values_list("pk", flat=True))
        org_ids |= set(members_of_user(user=user).values_list("organisation_id", flat=True))
        visible |= Q(organisation_id__in=org_ids)
    return pages.filter(visible)


# --- reminders sent to a member -------------------------------------------------------------


def reminders_sent_to(*, member):
    """The reminders mailed to ``member`` (scheduled and sent by staff), newest first: when,
    which step, which requirement, and whether the mail was delivered (its recipient's state)."""
    return (
        ReminderDelivery.objects.filter(
            assignment__member=member, state=ReminderDelivery.State.MAILED
        )
        .select_related("assignment__requirement", "assignment__cycle", "recipient__mailing")
        .order_by("-created_at", "-pk")
    )


def step_label(step_key: str) -> str:
    """A delivery step as staff read it: 「職員からの督促」 for staff-N, else the schedule's step."""
    if step_key.startswith("staff-"):
        return _("Sent by staff")
    if step_key == "announce":
        return _("Announcement")
    if step_key.startswith("before-"):
        return _("%(days)s days before the due date") % {"days": step_key.split("-", 1)[1]}
    if step_key == "overdue":
        return _("Overdue notice")
    if step_key.startswith("weekly-"):
        return _("Weekly overdue reminder")
    return step_key
