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
    Case,
    CharField,
    Count,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    When,
)
from django.db.models import Value as V
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from courses import study_context
from members.models import Membership, Organisation
from members.querysets import period_covers

from .models import (
    PERSON_PRECEDENCE,
    Assignment,
    Campaign,
    Cycle,
    CycleResult,
    Exemption,
    Requirement,
    RequirementResult,
    fiscal_year_of,
)
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


def _upsert(*, requirements, cycle, now) -> int:
    """INSERT … SELECT every matching member, for each of ``requirements`` (which share one
    audience: the members are found once); for existing rows not yet completed, move the
    dates when they changed (a rejoin extends the due date). Returns rows written."""
    members = (
        requirement_members(requirement=requirements[0], cycle=cycle)
        .annotate(
            a_member=F("pk"),
            a_cycle=V(cycle.pk, output_field=IntegerField()),
            a_status=V(Status.ASSIGNED.value, output_field=CharField()),
            a_now=V(now, output_field=DateTimeField()),
        )
        .values("a_member", "a_cycle", "lms_starts_on", "lms_due_on", "a_status", "a_now")
    )
    select_sql, params = members.query.sql_with_params()
    if connection.vendor == "postgresql":
        # Keep the members' subquery whole: flattened into the join with the requirements,
        # its per-member dates were computed once per requirement instead of once.
        select_sql += " OFFSET 0"
    qn = connection.ops.quote_name
    table = qn(Assignment._meta.db_table)
    done = ", ".join(f"'{s}'" for s in Assignment.DONE)
    requirement_ids = " UNION ALL ".join(["SELECT %s AS id"] * len(requirements))
    sql = (
        f"INSERT INTO {table} (member_id, requirement_id, cycle_id, starts_on, due_on, status, "
        f"created_at, updated_at) "
        f"SELECT m.a_member, r.id, m.a_cycle, m.lms_starts_on, m.lms_due_on, "
        f"m.a_status, m.a_now, m.a_now FROM ({select_sql}) m CROSS JOIN ({requirement_ids}) r "
        f"WHERE m.lms_starts_on IS NOT NULL "
        f"ON CONFLICT (member_id, requirement_id, cycle_id) DO UPDATE SET "
        f"starts_on = excluded.starts_on, due_on = excluded.due_on, updated_at = excluded.updated_at "
        f"WHERE {table}.status NOT IN ({done}) AND ({table}.starts_on <> excluded.starts_on "
        f"OR {table}.due_on <> excluded.due_on)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *(r.pk for r in requirements)])
        return max(cursor.rowcount, 0)


def _same_audience(requirements) -> list[list]:
    """Requirements grouped by identical audience rules, in their order: a campaign's
    requirements often share one (everyone enrolled), and then its members are found once."""
    groups: dict[tuple, list] = {}
    for requirement in requirements:
        rules = tuple(
            sorted(
                (
                    tuple(sorted(rule.categories or [])),
                    tuple(sorted(rule.work_type_list())),
                    tuple(sorted(o.pk for o in rule.occupations.all())),
                    tuple(sorted(rule.prefectures or [])),
                )
                for rule in requirement.rules.all()
            )
        )
        groups.setdefault(rules, []).append(requirement)
    return list(groups.values())


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
    course_ids = sorted({c.pk for c in requirement.courses.all()})
    rows = Assignment.objects.filter(requirement=requirement, cycle=cycle)
    if members is not None:
        rows = rows.filter(member__in=members)
    if course_ids:
        _record_completions(
            requirement=requirement, rows=rows, course_ids=course_ids, now=now, result=result
        )
    plan = [
        (Status.EXEMPT, _exempt(requirement=requirement, cycle=cycle)),
        (Status.WITHDRAWN, ~_enrolled_on(today)),
        (Status.OVERDUE, Q(due_on__lt=today)),
        (Status.IN_PROGRESS, _started(course_ids)),
        (Status.ASSIGNED, Q()),
    ]
    _apply_status_plan(
        not_done=rows.exclude(status__in=Assignment.DONE), plan=plan, now=now, result=result
    )


def _satisfying_completions(*, requirement, course_ids):
    """(does the member satisfy the requirement, the completion that proves it): any one
    course's first completion, or with "all of" the last of the courses."""
    from courses.models import Enrolment

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
        return satisfied, valid.order_by("-completed_at", "-pk")
    return Exists(valid), valid.order_by("completed_at", "pk")


def _record_completions(*, requirement, rows, course_ids, now, result) -> None:
    """Attach the proving completion to rows newly satisfied, then mark them completed (by
    the due date) or completed late."""
    satisfied, proof = _satisfying_completions(requirement=requirement, course_ids=course_ids)
    rows.exclude(status__in=Assignment.DONE).filter(satisfied, completed_at__isnull=True).update(
        completed_at=Subquery(proof.values("completed_at")[:1]),
        enrolment_id=Subquery(proof.values("pk")[:1]),
        updated_at=now,
    )
    newly = rows.filter(completed_at__isnull=False).exclude(status__in=Assignment.DONE)
    on_time = newly.filter(completed_at__date__lte=F("due_on"))
    result.add_status(Status.COMPLETED, on_time.update(status=Status.COMPLETED, updated_at=now))
    result.add_status(
        Status.COMPLETED_LATE, newly.update(status=Status.COMPLETED_LATE, updated_at=now)
    )


def _started(course_ids) -> Q:
    """An attempt at one of the courses begun in this cycle (on or after ``starts_on``)."""
    from courses.models import Enrolment

    if not course_ids:
        return Q(pk__in=[])
    return Q(
        Exists(
            Enrolment.objects.filter(
                member=OuterRef("member_id"),
                course_id__in=course_ids,
                started_at__date__gte=OuterRef("starts_on"),
            )
        )
    )


def _exempt(*, requirement, cycle) -> Q:
    """An exemption in force for this requirement, in this cycle or in every cycle."""
    return Q(
        Exists(
            Exemption.objects.filter(
                member=OuterRef("member_id"), requirement=requirement, revoked_at__isnull=True
            ).filter(Q(cycle__isnull=True) | Q(cycle=cycle))
        )
    )


def _enrolled_on(day) -> Q:
    return Q(
        Exists(Membership.objects.filter(member=OuterRef("member_id")).filter(period_covers(day)))
    )


def _apply_status_plan(*, not_done, plan, now, result) -> None:
    """Each row not done gets the first status of ``plan`` whose condition holds: one UPDATE
    per status, each excluding the rows an earlier condition took."""
    earlier = Q()
    for status, condition in plan:
        changed = (
            not_done.filter(earlier)
            .filter(condition)
            .exclude(status=status)
            .update(status=status, updated_at=now)
        )
        result.add_status(status, changed)
        earlier &= ~condition


# --- people: one row per person and cycle -----------------------------------------------------


def _person_status_columns(*, cycle, organisation_id, now):
    """Assignments of ``cycle`` grouped per member: the strongest status by PERSON_PRECEDENCE
    (ranked in SQL), how many requirements, the earliest due date still open, the last
    completion, and the member's roster facts. Column names match CycleResult's."""
    from members.selectors import age_band_expression

    rank = Case(
        *(
            When(status=status, then=V(len(PERSON_PRECEDENCE) - i))
            for i, status in enumerate(PERSON_PRECEDENCE)
        ),
        output_field=IntegerField(),
    )
    strongest = Max(rank)
    status = Case(
        *(
            When(r_rank=len(PERSON_PRECEDENCE) - i, then=V(status.value))
            for i, status in enumerate(PERSON_PRECEDENCE)
        ),
        output_field=CharField(),
    )
    return (
        # the member filter is implied by the cycle; it lets the planner read the members of
        # this organisation by its index instead of scanning every organisation's members
        # (145 ms → a few ms per organisation among 100 organisations of 2,000 members)
        Assignment.objects.filter(cycle=cycle, member__organisation_id=organisation_id)
        .annotate(
            r_cycle=F("cycle_id"),
            r_member=F("member_id"),
            r_member_no=F("member__member_no"),
            r_name=F("member__name"),
            r_prefecture=F("member__prefecture"),
            r_occupation=F("member__occupation"),
            r_category=F("member__category"),
            r_age_band=age_band_expression(cycle.opens_on, field="member__birth_date"),
        )
        .order_by()
        .values(
            "r_cycle",
            "r_member",
            "r_member_no",
            "r_name",
            "r_prefecture",
            "r_occupation",
            "r_category",
            "r_age_band",
        )  # fmt: skip
        .annotate(
            r_rank=strongest,
            r_status=status,
            r_requirements=Count("pk"),
            r_due_on=Min("due_on", filter=Q(status__in=Assignment.OPEN)),
            r_completed_at=Max("completed_at"),
            r_organisation=V(organisation_id, output_field=IntegerField()),
            r_now=V(now, output_field=DateTimeField()),
        )
    )


RESULT_COLUMNS = (
    "organisation_id", "cycle_id", "member_id", "status", "requirements", "due_on",
    "completed_at", "member_no", "name", "prefecture", "occupation", "category", "age_band",
    "updated_at",
)  # fmt: skip
_SOURCE_COLUMNS = (
    "r_organisation", "r_cycle", "r_member", "r_status", "r_requirements", "r_due_on",
    "r_completed_at", "r_member_no", "r_name", "r_prefecture", "r_occupation", "r_category",
    "r_age_band", "r_now",
)  # fmt: skip


def cycle_results_refresh(*, cycle, members=None, now=None) -> int:
    """Bring an open cycle's person rows in line with its assignments: one INSERT … SELECT …
    GROUP BY … ON CONFLICT (rows that did not change are not rewritten), then remove the rows
    of people who no longer have an assignment. A closed cycle is never touched."""
    if cycle.is_closed:
        return 0
    now = now or timezone.now()
    source = _person_status_columns(
        cycle=cycle, organisation_id=cycle.campaign.organisation_id, now=now
    )
    if members is not None:
        source = source.filter(member__in=members)
    select_sql, params = source.query.sql_with_params()
    qn = connection.ops.quote_name
    table = qn(CycleResult._meta.db_table)
    columns = ", ".join(qn(c) for c in RESULT_COLUMNS)
    picked = ", ".join(f"s.{qn(c)}" for c in _SOURCE_COLUMNS)
    changed = [c for c in RESULT_COLUMNS if c not in ("organisation_id", "cycle_id", "member_id")]
    distinct = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    sql = (
        f"INSERT INTO {table} ({columns}) SELECT {picked} FROM ({select_sql}) s WHERE true "
        f"ON CONFLICT (cycle_id, member_id) DO UPDATE SET "
        + ", ".join(f"{qn(c)} = excluded.{qn(c)}" for c in changed)
        + " WHERE "
        + " OR ".join(
            f"{table}.{qn(c)} {distinct} excluded.{qn(c)}" for c in changed if c != "updated_at"
        )
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        written = max(cursor.rowcount, 0)
    gone = CycleResult.objects.filter(cycle=cycle).exclude(
        Exists(Assignment.objects.filter(cycle=cycle, member=OuterRef("member_id")))
    )
    if members is not None:
        gone = gone.filter(member__in=members)
    gone.delete()
    return written


# --- closing a cycle (確定) ----------------------------------------------------------------------


def _log_cycle(*, cycle, user, action, reason=""):
    from wagtail.log_actions import log

    from members.audit import AuditEvent, audit_log

    audit_log(
        user=user,
        action=getattr(AuditEvent.Action, action.upper()),
        organisation=cycle.campaign.organisation_id,
        obj=cycle,
        detail=reason,
    )
    log(instance=cycle, action=f"lms.{action}", user=user, data={"reason": reason})


def cycle_close(*, cycle, user=None, now=None, today=None) -> Cycle:
    """確定: freeze each person's status and every requirement's completion evidence as they
    are now; from then on the cycle's figures read only these rows. Idempotent."""
    with transaction.atomic():
        cycle = Cycle.objects.select_for_update().select_related("campaign").get(pk=cycle.pk)
        if cycle.is_closed:
            return cycle
        now = now or timezone.now()
        organisation_id = cycle.campaign.organisation_id
        # statuses as of today first (overdue included), then the person rows from them
        requirements = cycle.campaign.requirements.filter(is_active=True)
        for requirement in requirements.prefetch_related("courses"):
            _update_statuses(
                requirement=requirement, cycle=cycle, today=today or timezone.localdate(),
                now=now, result=RefreshResult(),
            )  # fmt: skip
        cycle_results_refresh(cycle=cycle, now=now)
        _freeze_requirements(cycle=cycle, organisation_id=organisation_id)
        cycle.closed_at = now
        cycle.closed_by = user
        cycle.save(update_fields=["closed_at", "closed_by"])
        _log_cycle(cycle=cycle, user=user, action="cycle_close")
    return cycle


def _freeze_requirements(*, cycle, organisation_id) -> None:
    """One INSERT … SELECT copying the cycle's assignments (status and evidence)."""
    qn = connection.ops.quote_name
    target = qn(RequirementResult._meta.db_table)
    source = qn(Assignment._meta.db_table)
    columns = (
        "member_id", "requirement_id", "status", "starts_on", "due_on", "completed_at",
        "enrolment_id",
    )  # fmt: skip
    names = ", ".join(qn(c) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {target} WHERE cycle_id = %s", [cycle.pk])
        cursor.execute(
            f"INSERT INTO {target} (organisation_id, cycle_id, {names}) "
            f"SELECT %s, cycle_id, {names} FROM {source} WHERE cycle_id = %s",
            [organisation_id, cycle.pk],
        )


def cycle_reopen(*, cycle, user, reason: str) -> Cycle:
    """Unfreeze a closed cycle (staff with ``lms.close_cycle``, with a reason): its figures are
    live again and the nightly task leaves it open until staff close it."""
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("a reason is required to reopen a cycle")
    with transaction.atomic():
        cycle = Cycle.objects.select_for_update().select_related("campaign").get(pk=cycle.pk)
        if not cycle.is_closed:
            return cycle
        cycle.closed_at = None
        cycle.closed_by = None
        cycle.reopened_at = timezone.now()
        cycle.save(update_fields=["closed_at", "closed_by", "reopened_at"])
        RequirementResult.objects.filter(cycle=cycle).delete()
        cycle_results_refresh(cycle=cycle)
        _log_cycle(cycle=cycle, user=user, action="cycle_reopen", reason=reason)
    return cycle


def cycles_close_due(*, today=None) -> list[Cycle]:
    """The nightly closing: every cycle whose due date plus the grace period
    (``LMS_CLOSE_GRACE_DAYS``) has passed, not closed yet and never reopened by staff."""
    from . import conf

    today = today or timezone.localdate()
    last_due = today - datetime.timedelta(days=conf.close_grace_days() + 1)
    due = Cycle.objects.filter(
        closed_at__isnull=True, reopened_at__isnull=True, due_on__lte=last_due
    ).select_related("campaign")
    return [cycle_close(cycle=cycle, today=today) for cycle in due]


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
            requirements = list(requirements.prefetch_related("rules__occupations", "courses"))
            for group in _same_audience(requirements):
                result.upserted += _upsert(requirements=group, cycle=cycle, now=now)
            for req in requirements:
                result.removed += _prune(requirement=req, cycle=cycle)
                _update_statuses(requirement=req, cycle=cycle, today=today, now=now, result=result)
            cycle_results_refresh(cycle=cycle, now=now)
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
    cycles = Cycle.objects.select_related("campaign").in_bulk({c for _r, c in pairs})
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
        for cycle in cycles.values():
            cycle_results_refresh(cycle=cycle, members=[member.pk], now=now)
    return result


def assignment_record_completion(*, enrolment) -> RefreshResult:
    """A course was completed (e-learning, seminar or paper): update the member's assignments."""
    return assignments_sync_member(member=enrolment.member, course_id=enrolment.course_id)


# --- exemptions -------------------------------------------------------------------------------


def exemption_grant(
    *, member, requirement, reason: str, user, cycle=None, evidence=None, evidence_name=""
) -> Exemption:
    """``evidence``: an uploaded file, stored privately (see Exemption.evidence)."""
    exemption = Exemption(
        member=member, requirement=requirement, cycle=cycle, reason=reason, granted_by=user
    )
    if evidence:
        exemption.evidence = evidence
        exemption.evidence_name = evidence_name or getattr(evidence, "name", "")
    exemption.save()
    assignments_sync_member(member=member)
    return exemption


EXEMPTION_COLUMNS = {
    "member_no": ("加入者番号", "member number", "member_no", "会員番号"),
    "requirement": ("要件", "requirement"),
    "cycle": ("年度", "期", "cycle", "year"),
    "reason": ("理由", "免除理由", "reason"),
}
EXEMPTION_REQUIRED_COLUMNS = ("member_no", "requirement", "reason")


def _exemption_messages():
    from django.utils.translation import gettext_lazy

    return {
        "missing_column": (
            gettext_lazy("The header has no column %(column_name)s."),
            gettext_lazy(
                "A first line naming the columns 加入者番号, 要件, 年度 (optional), 理由."
            ),
        ),
        "unknown_member": (
            gettext_lazy("No member with the number %(value)s in %(organisation)s."),
            gettext_lazy("A member number of the organisation's roster."),
        ),
        "unknown_requirement": (
            gettext_lazy("The campaign has no requirement %(value)s."),
            gettext_lazy("One of the campaign's requirements: %(choices)s."),
        ),
        "unknown_cycle": (
            gettext_lazy("The campaign has no year %(value)s."),
            gettext_lazy("Blank (every year) or one of the campaign's years: %(choices)s."),
        ),
        "no_reason": (
            gettext_lazy("The reason is blank."),
            gettext_lazy("Why the member need not complete the requirement."),
        ),
    }


@dataclass
class ExemptionImportResult:
    added: int = 0
    already: int = 0
    errors: list = field(default_factory=list)


def exemptions_import(*, campaign, data: bytes, file_name: str, user) -> ExemptionImportResult:
    """Exemptions from a CSV/XLSX list (加入者番号, 要件, 年度, 理由) for one campaign.

    Every line is checked first; with any error nothing is written, and every error names
    the file, line and column in Japanese and English (members.uploads.UploadError). Member
    numbers are read as staff type them (NFKC, zero-padded: ２ is 000002). A line whose
    exemption is already in force adds nothing, so uploading the same file again changes
    nothing. The years are those of the campaign."""
    from members.uploads import UploadError, read_table

    result = ExemptionImportResult()
    try:
        table = read_table(data, file_name=file_name)
    except UploadError as error:
        result.errors.append(error)
        return result
    if not table.rows:
        result.errors.append(UploadError("empty", file_name=file_name))
        return result
    columns = table.find_columns(EXEMPTION_COLUMNS)
    result.errors += _exemption_missing_columns(columns, table=table, file_name=file_name)
    if not result.errors:
        wanted = _exemptions_wanted(
            campaign, table=table, columns=columns, file_name=file_name, errors=result.errors
        )
    if not result.errors:
        _exemptions_write(campaign, wanted=wanted, user=user, result=result)
    return result


def _exemption_missing_columns(columns, *, table, file_name) -> list:
    from members.uploads import UploadError

    header_line = table.rows[0][0]
    return [
        UploadError(
            "missing_column",
            file_name=file_name,
            line=header_line,
            params={"column_name": EXEMPTION_COLUMNS[field_name][0]},
            messages=_exemption_messages(),
        )
        for field_name in EXEMPTION_REQUIRED_COLUMNS
        if field_name not in columns
    ]


def _exemption_cycles_by_name(campaign) -> dict:
    """A campaign's cycles as staff name them: 「2026年度」, 「2026」 or the cycle's name."""
    from members.uploads import match_key

    by_name = {}
    for cycle in campaign.cycles.all():
        by_name[match_key(cycle.name)] = cycle
        by_name.setdefault(str(cycle.fiscal_year), cycle)
        by_name.setdefault(f"{cycle.fiscal_year}年度", cycle)
    return by_name


def _exemptions_wanted(campaign, *, table, columns, file_name, errors) -> dict:
    """{(member id, requirement id, cycle id or None): (member, reason)} of the file's lines;
    each line's problems are added to ``errors``."""
    from members.selectors import member_by_number
    from members.uploads import UploadError, match_key

    messages = _exemption_messages()
    organisation = campaign.organisation
    requirements = {match_key(r.name): r for r in campaign.requirements.all()}
    cycles = _exemption_cycles_by_name(campaign)
    requirement_choices = "、".join(r.name for r in requirements.values()) or "-"
    cycle_choices = "、".join(c.name for c in campaign.cycles.all()) or "-"

    wanted = {}
    for line, row in table.rows[1:]:
        if not any(str(c).strip() for c in row if c is not None):
            continue

        def error(code, field_name, value, line=line, **params):
            errors.append(
                UploadError(
                    code,
                    file_name=file_name,
                    line=line,
                    column=table.column_ref(columns[field_name]),
                    value=value,
                    params=params,
                    messages=messages,
                )
            )

        number = table.cell(row, columns.get("member_no"))
        member = member_by_number(organisation=organisation, number=number)
        if member is None:
            error("unknown_member", "member_no", number, organisation=organisation.name)
        name = table.cell(row, columns.get("requirement"))
        requirement = requirements.get(match_key(name))
        if requirement is None:
            error("unknown_requirement", "requirement", name, choices=requirement_choices)
        year = table.cell(row, columns.get("cycle"))
        cycle = cycles.get(match_key(year)) if year else None
        if year and cycle is None:
            error("unknown_cycle", "cycle", year, choices=cycle_choices)
        reason = table.cell(row, columns.get("reason"))
        if not reason:
            error("no_reason", "reason", "")
        if member and requirement and (cycle or not year) and reason:
            wanted.setdefault((member.pk, requirement.pk, cycle and cycle.pk), (member, reason))
    return wanted


@transaction.atomic
def _exemptions_write(campaign, *, wanted: dict, user, result: ExemptionImportResult) -> None:
    """The exemptions not yet in force, and the assignments of the members they change."""
    in_force = set(
        Exemption.objects.filter(
            requirement__campaign=campaign,
            member_id__in={member_id for member_id, _r, _c in wanted},
            revoked_at__isnull=True,
        ).values_list("member_id", "requirement_id", "cycle_id")
    )
    changed = {}
    for key, (member, reason) in wanted.items():
        if key in in_force:
            result.already += 1
            continue
        member_id, requirement_id, cycle_id = key
        Exemption.objects.create(
            member=member,
            requirement_id=requirement_id,
            cycle_id=cycle_id,
            reason=reason,
            granted_by=user,
        )
        changed[member_id] = member
        result.added += 1
    for member in changed.values():
        assignments_sync_member(member=member)


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


# --- the 労働局 evidence pack ------------------------------------------------------------------


def evidence_pack_create(
    *, cycle, user=None, generated_by: str = "", with_certificates: bool = False, as_of=None
):
    """Make the evidence pack of ``cycle`` (lms.evidence): an XLSX, or with
    ``with_certificates`` a ZIP of it and the certificates (PDF) of the completions that count.
    Stored in private storage and written to the audit log. ``user`` None: the command line,
    ``generated_by`` naming who ran it."""
    import tempfile
    import zipfile

    from django.core.files import File

    from courses.certificates import certificates_add_to_zip
    from courses.models import Certificate
    from members.audit import AuditEvent, audit_log

    from .evidence import evidence_workbook
    from .models import EvidencePack

    as_of = as_of or timezone.now()
    if user is not None:
        generated_by = user.get_full_name() or user.get_username()
    campaign = cycle.campaign
    stem = (
        f"evidence-{campaign.organisation.slug}-{campaign.slug}-{cycle.fiscal_year}-"
        f"{timezone.localtime(as_of):%Y%m%d-%H%M}"
    )
    with tempfile.TemporaryFile() as workbook:
        summary = evidence_workbook(
            cycle=cycle, output=workbook, generated_by=generated_by, as_of=as_of
        )
        workbook.seek(0)
        if with_certificates:
            content, file_name = tempfile.TemporaryFile(), f"{stem}.zip"
            with zipfile.ZipFile(content, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                archive.writestr(f"{stem}.xlsx", workbook.read())
                certificates = Certificate.objects.filter(
                    enrolment__assignments__cycle=cycle
                ).select_related("enrolment__member")
                certificates_add_to_zip(
                    archive, certificates.distinct().order_by("number"), folder="certificates/"
                )
        else:
            content, file_name = workbook, f"{stem}.xlsx"
        content.seek(0)
        pack = EvidencePack(
            organisation=campaign.organisation,
            cycle=cycle,
            file_name=file_name,
            with_certificates=with_certificates,
            figures=summary.as_dict(),
            as_of=as_of,
            created_by=user,
            created_by_label=generated_by[:150],
        )
        pack.file.save(file_name, File(content), save=False)
        if content is not workbook:
            content.close()
    pack.save()
    audit_log(
        user=user,
        action=AuditEvent.Action.EVIDENCE_PACK,
        organisation=campaign.organisation,
        obj=pack,
        detail=_("Made %(file)s (%(by)s)") % {"file": file_name, "by": generated_by},
    )
    return pack
