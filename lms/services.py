"""Writes of the compliance domain. Plain functions with keyword-only arguments.

The assignment refresh is set-based: one ``INSERT … SELECT … ON CONFLICT`` per requirement and
cycle (both SQLite and PostgreSQL speak it), then a handful of ``UPDATE … WHERE`` statements
for the statuses. It never loops over members in Python, is idempotent (a unique constraint
plus ``ON CONFLICT``) and safe to run twice at once (on PostgreSQL a transaction-level advisory
lock per organisation serialises concurrent refreshes).
"""

import datetime
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    CharField,
    Count,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models import Value as V
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from courses import study_context
from members.models import Membership, Organisation
from members.querysets import period_covers

from .models import Assignment, Campaign, Cycle, Exemption, Requirement, fiscal_year_of
from .selectors import requirement_members

logger = logging.getLogger(__name__)

Status = Assignment.Status
LOCK_NAMESPACE = 0x4C4D5331  # "LMS1": the advisory-lock namespace of the refresh


# --- cycles -----------------------------------------------------------------------------------


def cycle_name(*, opens_on: datetime.date) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _("FY%(year)s") % {"year": fiscal_year_of(opens_on)}


def cycles_ensure(*, campaign, today=None, ahead_days=None) -> list[Cycle]:
    """Create the campaign's cycles from its first opening up to ``ahead_days`` from today
    (existing cycles are left exactly as they are). Returns the cycles created."""
    from . import conf

    today = today or timezone.localdate()
    ahead = conf.cycles_ahead_days() if ahead_days is None else ahead_days
    existing = set(campaign.cycles.values_list("opens_on", flat=True))
    created = []
    for opens_on in campaign.openings(until=today + datetime.timedelta(days=ahead)):
        if opens_on in existing:
            continue
        due_on = campaign.due_for(opens_on)
        next_opening = campaign.next_opening_after(opens_on)
        closes_on = None
        if next_opening is not None:
            closes_on = next_opening - datetime.timedelta(days=1)
            if campaign.kind == Campaign.Kind.ROLLING:
                # joiners of the cycle's last day still get their N days in this cycle
                closes_on = max(
                    closes_on, due_on + datetime.timedelta(days=campaign.days_after_joining)
                )
        cycle, was_created = Cycle.objects.get_or_create(
            campaign=campaign,
            opens_on=opens_on,
            defaults={
                "name": cycle_name(opens_on=opens_on),
                "fiscal_year": fiscal_year_of(opens_on),
                "due_on": due_on,
                "closes_on": closes_on,
            },
        )
        if was_created:
            created.append(cycle)
    return created


def cycles_ensure_all(*, today=None) -> int:
    n = 0
    for campaign in Campaign.objects.filter(is_active=True):
        n += len(cycles_ensure(campaign=campaign, today=today))
    return n


# --- the refresh ------------------------------------------------------------------------------


@dataclass
class RefreshResult:
    upserted: int = 0
    removed: int = 0
    status_changes: dict = field(default_factory=dict)

    def add_status(self, status, n):
        if n:
            self.status_changes[status] = self.status_changes.get(status, 0) + n


def _lock(organisation_id: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, organisation_id]
            )


def _upsert(*, requirement, cycle, now) -> int:
    """INSERT … SELECT every matching member; for existing rows not yet completed, move the
    dates when they changed (a rejoin extends the due date). Returns rows written."""
    members = (
        requirement_members(requirement=requirement, cycle=cycle)
        .annotate(
            a_member=F("pk"),
            a_requirement=V(requirement.pk, output_field=IntegerField()),
            a_cycle=V(cycle.pk, output_field=IntegerField()),
            a_status=V(Status.ASSIGNED.value, output_field=CharField()),
            a_now=V(now, output_field=DateTimeField()),
        )
        .values(
            "a_member",
            "a_requirement",
            "a_cycle",
            "lms_starts_on",
            "lms_due_on",
            "a_status",
            "a_now",
        )
    )
    select_sql, params = members.query.sql_with_params()
    qn = connection.ops.quote_name
    table = qn(Assignment._meta.db_table)
    done = ", ".join(f"'{s}'" for s in Assignment.DONE)
    sql = (
        f"INSERT INTO {table} (member_id, requirement_id, cycle_id, starts_on, due_on, status, "
        f"created_at, updated_at) "
        f"SELECT m.a_member, m.a_requirement, m.a_cycle, m.lms_starts_on, m.lms_due_on, "
        f"m.a_status, m.a_now, m.a_now FROM ({select_sql}) m WHERE m.lms_starts_on IS NOT NULL "
        f"ON CONFLICT (member_id, requirement_id, cycle_id) DO UPDATE SET "
        f"starts_on = excluded.starts_on, due_on = excluded.due_on, updated_at = excluded.updated_at "
        f"WHERE {table}.status NOT IN ({done}) AND ({table}.starts_on <> excluded.starts_on "
        f"OR {table}.due_on <> excluded.due_on)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


def _prune(*, requirement, cycle) -> int:
    """Remove rows nobody has acted on whose member no longer matches (a rule was narrowed, a
    roster error corrected). Started, completed, exempt and withdrawn rows stay."""
    matching = requirement_members(requirement=requirement, cycle=cycle).values("pk")
    deleted, _detail = (
        Assignment.objects.filter(
            requirement=requirement,
            cycle=cycle,
            status__in=[Status.ASSIGNED, Status.OVERDUE],
            enrolment__isnull=True,
        )
        .exclude(member__in=matching)
        .delete()
    )
    return deleted


def _update_statuses(*, requirement, cycle, today, now, result, members=None) -> None:
    """Completion first (earned on or after ``starts_on``), then, for the rest, in order of
    precedence: exempt, withdrawn, overdue, in progress, not started. Completed rows never
    change again."""
    from courses.models import Enrolment

    course_ids = sorted({c.pk for c in requirement.courses.all()})
    base = Assignment.objects.filter(requirement=requirement, cycle=cycle)
    if members is not None:
        base = base.filter(member__in=members)
    not_done = base.exclude(status__in=Assignment.DONE)

    if course_ids:
        valid = Enrolment.objects.filter(
            member=OuterRef("member_id"),
            course_id__in=course_ids,
            completed_at__isnull=False,
            completed_at__date__gte=OuterRef("starts_on"),
        )
        if requirement.completion_rule == Requirement.CompletionRule.ALL and len(course_ids) > 1:
            satisfied = Exists(
                valid.order_by()
                .values("member")
                .annotate(n=Count("course", distinct=True))
                .filter(n__gte=len(course_ids))
            )
            proof = valid.order_by("-completed_at", "-pk")
        else:
            satisfied = Exists(valid)
            proof = valid.order_by("completed_at", "pk")
        not_done.filter(satisfied, completed_at__isnull=True).update(
            completed_at=Subquery(proof.values("completed_at")[:1]),
            enrolment_id=Subquery(proof.values("pk")[:1]),
            updated_at=now,
        )
        newly = base.filter(completed_at__isnull=False).exclude(status__in=Assignment.DONE)
        result.add_status(
            Status.COMPLETED,
            newly.filter(completed_at__date__lte=F("due_on")).update(
                status=Status.COMPLETED, updated_at=now
            ),
        )
        result.add_status(
            Status.COMPLETED_LATE,
            newly.update(status=Status.COMPLETED_LATE, updated_at=now),
        )
        started = Q(
            Exists(
                Enrolment.objects.filter(
                    member=OuterRef("member_id"),
                    course_id__in=course_ids,
                    started_at__date__gte=OuterRef("starts_on"),
                )
            )
        )
    else:
        started = Q(pk__in=[])

    exempt = Q(
        Exists(
            Exemption.objects.filter(
                member=OuterRef("member_id"), requirement=requirement, revoked_at__isnull=True
            ).filter(Q(cycle__isnull=True) | Q(cycle=cycle))
        )
    )
    active = Q(
        Exists(Membership.objects.filter(member=OuterRef("member_id")).filter(period_covers(today)))
    )
    plan = [
        (Status.EXEMPT, exempt),
        (Status.WITHDRAWN, ~active),
        (Status.OVERDUE, Q(due_on__lt=today)),
        (Status.IN_PROGRESS, started),
        (Status.ASSIGNED, Q()),
    ]
    earlier = Q()
    for status, condition in plan:
        n = (
            not_done.filter(earlier)
            .filter(condition)
            .exclude(status=status)
            .update(status=status, updated_at=now)
        )
        result.add_status(status, n)
        earlier &= ~condition


def assignments_refresh(*, organisation, requirement=None, today=None) -> RefreshResult:
    """Materialise the assignments of every current cycle of the organisation (or of one
    requirement) and bring their statuses up to date. Past cycles are never touched."""
    today = today or timezone.localdate()
    now = timezone.now()
    result = RefreshResult()
    for campaign in Campaign.objects.filter(organisation=organisation, is_active=True):
        cycles_ensure(campaign=campaign, today=today)
    with transaction.atomic():
        _lock(organisation.pk)
        cycles = (
            Cycle.objects.current(today)
            .filter(campaign__organisation=organisation, campaign__is_active=True)
            .select_related("campaign")
        )
        for cycle in cycles:
            requirements = cycle.campaign.requirements.filter(is_active=True)
            if requirement is not None:
                requirements = requirements.filter(pk=requirement.pk)
            for req in requirements:
                result.upserted += _upsert(requirement=req, cycle=cycle, now=now)
                result.removed += _prune(requirement=req, cycle=cycle)
                _update_statuses(requirement=req, cycle=cycle, today=today, now=now, result=result)
    # a new cycle starts fresh attempts: heartbeats must not keep studying in the old one
    transaction.on_commit(study_context.forget_all)
    logger.info("assignments refreshed for %s: %s", organisation.slug, result)
    return result


def assignments_refresh_all(*, today=None) -> dict:
    return {
        org.slug: assignments_refresh(organisation=org, today=today)
        for org in Organisation.objects.filter(campaigns__is_active=True).distinct()
    }


def assignments_sync_member(*, member, course_id=None, today=None) -> RefreshResult:
    """Bring one member's current assignments up to date (after a completion)."""
    today = today or timezone.localdate()
    now = timezone.now()
    result = RefreshResult()
    pairs = Assignment.objects.filter(member=member, cycle__in=Cycle.objects.current(today))
    if course_id is not None:
        pairs = pairs.filter(requirement__courses=course_id)
    pairs = list(pairs.values_list("requirement_id", "cycle_id").distinct())
    requirements = Requirement.objects.in_bulk({r for r, _c in pairs})
    cycles = Cycle.objects.in_bulk({c for _r, c in pairs})
    with transaction.atomic():
        for requirement_id, cycle_id in pairs:
            _update_statuses(
                requirement=requirements[requirement_id],
                cycle=cycles[cycle_id],
                today=today,
                now=now,
                result=result,
                members=[member.pk],
            )
    return result


def assignment_record_completion(*, enrolment) -> RefreshResult:
    """A course was completed (e-learning, seminar or paper): update the member's assignments."""
    return assignments_sync_member(member=enrolment.member, course_id=enrolment.course_id)


# --- exemptions -------------------------------------------------------------------------------


def exemption_grant(*, member, requirement, reason: str, user, cycle=None) -> Exemption:
    exemption = Exemption.objects.create(
        member=member, requirement=requirement, cycle=cycle, reason=reason, granted_by=user
    )
    assignments_sync_member(member=member)
    return exemption


def exemption_revoke(*, exemption, user) -> Exemption:
    if exemption.revoked_at is None:
        exemption.revoked_at = timezone.now()
        exemption.revoked_by = user
        exemption.save(update_fields=["revoked_at", "revoked_by"])
        assignments_sync_member(member=exemption.member)
    return exemption


# --- scheduling the refresh ----------------------------------------------------------------


def refresh_enqueue(*, organisation_id: int, requirement_id: int | None = None) -> None:
    """Run the refresh in a worker once the current transaction commits."""
    from .tasks import refresh_assignments

    transaction.on_commit(lambda: refresh_assignments.delay(organisation_id, requirement_id))
