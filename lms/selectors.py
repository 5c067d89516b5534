"""Reads of the compliance domain: who matches a requirement, dashboards, My training.

The matching rules live here only; the refresh (services.py), the admin preview, the reports
and the ``completion_report`` command all read through these functions.
"""

import datetime
from collections import OrderedDict
from dataclasses import dataclass, field

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    Exists,
    F,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, TruncDate
from django.db.models.lookups import IsNull
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.constants import AGE_BANDS, PREFECTURE_BY_CODE, Category
from members.models import Member, Membership
from members.querysets import period_covers

from .models import (
    PERSON_REQUIRED,
    Assignment,
    Campaign,
    Cycle,
    CycleResult,
    Elective,
    Requirement,
    RequirementResult,
    fiscal_year_of,
)

Status = Assignment.Status


# COUNT(*), not COUNT(id): the counts then come from an index's entries alone (index-only
# scans of lms_result_org_cycle_status and the assignments' requirement index), without
# visiting the table's rows: 23 ms instead of 63 ms for 100,000 people on PostgreSQL
COUNT = Count("*")


class AddDays(Func):
    """``date + n days`` for SQLite and PostgreSQL (``n`` is an int literal, never user text)."""

    output_field = DateField()

    def __init__(self, expression, days: int, **extra):
        self.days = int(days)
        super().__init__(expression, **extra)

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        if connection.vendor == "sqlite":
            return f"date({sql}, '{self.days:+d} days')", params
        if connection.vendor == "postgresql":
            return f"({sql} + {self.days})", params
        return f"DATE_ADD({sql}, INTERVAL {self.days} DAY)", params


# --- who a requirement applies to -------------------------------------------------------------


def _category_values(categories) -> list[str]:
    """A class ("2") also matches its sub-kinds ("2F", "2H", "2T")."""
    values = set()
    for value in categories or []:
        values.add(value)
        if len(value) == 1:
            values.update(c for c in Category.values if Category.kind_of(c) == value)
    return sorted(values)


def _rules_of(requirement) -> list:
    # Works on saved requirements and on unsaved ones built by the admin preview (modelcluster
    # keeps the rules and their occupations in memory).
    return list(requirement.rules.all())


def _rule_parts(rule) -> tuple[Q, list[str]]:
    """(conditions on Member, categories to match on the membership period)."""
    q = Q()
    work_types = rule.work_type_list()
    if work_types:
        q &= Q(work_type__in=work_types)
    occupations = [o.name for o in rule.occupations.all()]
    if occupations:
        q &= Q(occupation__in=occupations)
    if rule.prefectures:
        q &= Q(prefecture__in=list(rule.prefectures))
    return q, _category_values(rule.categories)


def _period_q(cycle, *, rolling: bool) -> Q:
    """A membership period that brings its member into the cycle: enrolled on the opening day
    or joining during the window (rolling campaigns: joining during the cycle only)."""
    joined = Q(joined_on__gte=cycle.opens_on, joined_on__lte=cycle.due_on)
    return joined if rolling else (period_covers(cycle.opens_on) | joined)


def requirement_members(*, requirement, cycle, organisation=None):
    """Members of the campaign's organisation that ``requirement`` applies to in ``cycle``,
    annotated with ``lms_starts_on`` (completions count from) and ``lms_due_on``.

    Conditions within one audience rule are ANDed, rules are ORed; categories are matched on
    the membership period that brings the member in, so a class change mid-window does not
    undo an obligation that existed on the opening day.
    """
    campaign = requirement.campaign
    rolling = campaign.kind == Campaign.Kind.ROLLING
    days = campaign.days_after_joining
    organisation = organisation or campaign.organisation
    periods = Membership.objects.filter(member=OuterRef("pk")).filter(
        _period_q(cycle, rolling=rolling)
    )

    rules = _rules_of(requirement)
    audience = Q()
    all_categories: set[str] | None = set()
    for rule in rules:
        member_q, categories = _rule_parts(rule)
        rule_periods = periods.filter(category__in=categories) if categories else periods
        audience |= member_q & Exists(rule_periods)
        if categories and all_categories is not None:
            all_categories.update(categories)
        else:
            all_categories = None
    if not rules:
        audience = Exists(periods)
    relevant = Membership.objects.filter(member=OuterRef("pk"))
    if all_categories:
        relevant = relevant.filter(category__in=sorted(all_categories))

    first_join = Subquery(
        relevant.filter(joined_on__gte=cycle.opens_on, joined_on__lte=cycle.due_on)
        .order_by("joined_on")
        .values("joined_on")[:1],
        output_field=DateField(),
    )
    # the latest (re)join after the opening day gives a fair extension of the due date
    last_join = Subquery(
        relevant.filter(joined_on__gt=cycle.opens_on)
        .order_by("-joined_on")
        .values("joined_on")[:1],
        output_field=DateField(),
    )
    if rolling:
        starts_on = first_join
        due_on = AddDays(
            Subquery(
                relevant.filter(joined_on__gte=cycle.opens_on, joined_on__lte=cycle.due_on)
                .order_by("-joined_on")
                .values("joined_on")[:1],
                output_field=DateField(),
            ),
            days,
        )
    else:
        # scalar subqueries, not EXISTS: PostgreSQL may turn an EXISTS in a CASE into one hash
        # of every organisation's membership periods, built again for each organisation and
        # cycle (154 ms each among 100 organisations of 2,000 members, growing with their
        # number); a scalar subquery is read per member through the member's index
        covering_period = Subquery(
            relevant.filter(period_covers(cycle.opens_on)).order_by().values("joined_on")[:1],
            output_field=DateField(),
        )
        starts_on = Case(
            When(IsNull(covering_period, False), then=Value(cycle.opens_on)),
            default=first_join,
            output_field=DateField(),
        )
        # a (re)join after the opening day moves the due date, never before the cycle's
        due_on = Greatest(
            Value(cycle.due_on),
            Coalesce(AddDays(last_join, days), Value(cycle.due_on)),
            output_field=DateField(),
        )
    return (
        Member.objects.filter(organisation=organisation)
        .filter(audience)
        .annotate(lms_starts_on=starts_on, lms_due_on=due_on)
        .order_by()
    )


def requirement_preview(*, requirement, cycle=None, limit: int = 50) -> dict:
    """For staff before saving: how many members match, and the first of them."""
    cycle = cycle or preview_cycle(requirement.campaign)
    if cycle is None:
        return {"cycle": None, "count": 0, "members": []}
    members = requirement_members(requirement=requirement, cycle=cycle)
    return {
        "cycle": cycle,
        "count": members.count(),
        "members": list(members.order_by("member_no")[:limit]),
    }


def preview_cycle(campaign) -> Cycle | None:
    """The cycle a preview counts against: the current one, else the next, else a sketch of
    the first cycle (unsaved) so a brand-new campaign can be previewed too."""
    if campaign is None or campaign.pk is None:
        return None
    today = timezone.localdate()
    cycle = (
        Cycle.objects.filter(campaign=campaign).current(today).order_by("-opens_on").first()
        or Cycle.objects.filter(campaign=campaign, opens_on__gt=today).order_by("opens_on").first()
        or Cycle.objects.filter(campaign=campaign).order_by("-opens_on").first()
    )
    if cycle is None:
        cycle = Cycle(
            campaign=campaign,
            name="",
            fiscal_year=fiscal_year_of(campaign.first_opens_on),
            opens_on=campaign.first_opens_on,
            due_on=campaign.first_due_on,
        )
    return cycle


# --- courses policy -----------------------------------------------------------------------------


def attempt_starts_after(*, member, course):
    """The moment after which a member's attempt at ``course`` counts for the current cycle.

    The start (opening day, or joining day for later joiners) of the member's current cycle of
    a requirement that includes the course; courses/ starts a fresh attempt when the latest one
    began before it. ``None``: no current requirement, any earlier attempt still counts.
    """
    starts_on = (
        Assignment.objects.filter(
            member=member,
            requirement__courses=course,
            cycle__in=Cycle.objects.current(),
        )
        .exclude(status=Status.WITHDRAWN)
        .aggregate(latest=Max("starts_on"))["latest"]
    )
    if starts_on is None:
        return None
    return timezone.make_aware(datetime.datetime.combine(starts_on, datetime.time()))


# --- staff scope ----------------------------------------------------------------------------------


def staff_organisations(*, user):
    from members.selectors import organisations_for_staff

    return organisations_for_staff(user=user)


def staff_cycles(*, user):
    return (
        Cycle.objects.filter(campaign__organisation__in=staff_organisations(user=user))
        .select_related("campaign", "campaign__organisation")
        .order_by("-opens_on", "campaign__name")
    )


def staff_assignments(*, user):
    return Assignment.objects.filter(
        cycle__campaign__organisation__in=staff_organisations(user=user)
    )


def staff_members(*, user):
    return Member.objects.filter(organisation__in=staff_organisations(user=user))


def default_cycle(*, user) -> Cycle | None:
    today = timezone.localdate()
    cycles = staff_cycles(user=user)
    return cycles.current(today).first() or cycles.first()


# --- dashboard numbers ----------------------------------------------------------------------------

BREAKDOWNS = OrderedDict(
    [
        ("prefecture", _("Prefecture")),
        ("occupation", _("Occupation")),
        ("category", _("Category")),
        ("age", _("Age band")),
    ]
)


@dataclass
class Summary:
    """Counts by status of one cycle's people (or one group of them), or of one requirement."""

    label: str = ""
    counts: dict = field(default_factory=dict)
    key: object = None  # the group's value (breakdowns) or the requirement's id

    def n(self, status) -> int:
        return self.counts.get(status, 0)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def required(self) -> int:
        """Still required: everyone but the withdrawn and the exempt."""
        return sum(self.n(status) for status in PERSON_REQUIRED)

    @property
    def completed(self) -> int:
        return self.n(Status.COMPLETED) + self.n(Status.COMPLETED_LATE)

    @property
    def rate(self) -> float:
        """Completion rate in percent of members required."""
        return round(100.0 * self.completed / self.required, 1) if self.required else 0.0

    def as_dict(self) -> dict:
        data = {"label": self.label, "required": self.required, "total": self.total}
        data.update({status: self.n(status) for status in Status.values})
        data["completed_total"] = self.completed
        data["rate"] = self.rate
        return data


# the person's row holds the roster facts of the breakdowns (frozen with it once closed)
BREAKDOWN_FIELDS = {
    "prefecture": "prefecture",
    "occupation": "occupation",
    "category": "category",
    "age": "age_band",
}


def _group_label(by: str, value) -> str:
    if value in (None, ""):
        return str(_("Unknown"))
    if by == "prefecture":
        return PREFECTURE_BY_CODE.get(value, value)
    if by == "category":
        return str(Category(value).label) if value in Category.values else value
    if by == "age":
        return str(dict(AGE_BANDS).get(value, value))
    return str(value)


# --- people: one status per person (the precedence is PERSON_PRECEDENCE) ---------------------


def person_statuses(*, cycle):
    """One row per person of ``cycle`` (``CycleResult``: ``member_id``, ``status`` by the
    documented precedence, ``due_on`` of their open requirements, ``completed_at`` of their
    last completion, and the roster facts of the breakdowns). A closed cycle's rows are the
    frozen ones; an open cycle's are kept current by the refresh."""
    return CycleResult.objects.filter(organisation_id=cycle.campaign.organisation_id, cycle=cycle)


def person_status_filter(status) -> Q:
    """The rows a person-status figure counts: one status, or the pseudo-statuses
    ``required`` (everyone but the withdrawn and exempt) and ``done`` (completed on time or
    late). The dashboard's figures and the lists they link to both filter with this."""
    if status == "required":
        return Q(status__in=PERSON_REQUIRED)
    if status == "done":
        return Q(status__in=Assignment.DONE)
    return Q(status=status)


def members_with_status(*, cycle, status):
    """The members of ``cycle`` whose person status is ``status`` (see person_status_filter)."""
    people = person_statuses(cycle=cycle).filter(person_status_filter(status))
    return Member.objects.filter(pk__in=people.values("member_id"))


def cycle_summary(*, cycle) -> Summary:
    """People of a cycle by person status: one GROUP BY over its result rows."""
    counts = dict(person_statuses(cycle=cycle).order_by().values_list("status").annotate(n=COUNT))
    return Summary(label=str(cycle), counts=counts)


def cycle_breakdown(*, cycle, by: str) -> list[Summary]:
    """People by status per prefecture, occupation, category or age band: one GROUP BY."""
    return cycle_breakdowns(cycle=cycle, by=[by])[by]


def cycle_breakdowns(*, cycle, by=None) -> dict[str, list[Summary]]:
    """Several breakdowns (default: all of BREAKDOWNS) from one scan of the cycle's person
    rows: one GROUP BY over their roster facts together, summed per breakdown here (a few
    thousand groups; at 100,000 people one scan instead of one per breakdown)."""
    by = list(by or BREAKDOWNS)
    for key in by:
        if key not in BREAKDOWNS:
            raise ValueError(f"unknown breakdown {key!r}; choose from {', '.join(BREAKDOWNS)}")
    fields = [BREAKDOWN_FIELDS[key] for key in by]
    rows = person_statuses(cycle=cycle).order_by().values_list(*fields, "status").annotate(n=COUNT)
    groups: dict = {key: {} for key in by}
    for *values, status, n in rows:
        for key, value in zip(by, values, strict=True):
            counts = groups[key].setdefault(value, {})
            counts[status] = counts.get(status, 0) + n
    return {key: _breakdown_rows(key, groups[key]) for key in by}


def _breakdown_rows(by: str, groups: dict) -> list[Summary]:
    def sort_key(item):
        value, counts = item
        if by == "occupation":
            return (value in (None, ""), -sum(counts.values()), str(value))
        return (value in (None, ""), str(value if value is not None else ""))

    return [
        Summary(label=_group_label(by, value), counts=counts, key=value)
        for value, counts in sorted(groups.items(), key=sort_key)
    ]


def requirement_summaries(*, cycle) -> list[Summary]:
    """Requirements (not people) of a cycle by status, one row per requirement: from the frozen
    rows once the cycle is closed, else from the assignments. One GROUP BY."""
    if cycle.is_closed:
        rows = RequirementResult.objects.filter(
            organisation_id=cycle.campaign.organisation_id, cycle=cycle
        )
    else:  # requirement first: counted from the (requirement, cycle, status) index alone
        requirement_ids = list(cycle.campaign.requirements.values_list("pk", flat=True))
        rows = Assignment.objects.filter(requirement_id__in=requirement_ids, cycle=cycle)
    counts: dict = {}
    for requirement_id, status, n in (
        rows.order_by().values_list("requirement_id", "status").annotate(n=COUNT)
    ):
        counts.setdefault(requirement_id, {})[status] = n
    requirements = Requirement.objects.filter(pk__in=counts).order_by("sort_order", "pk")
    return [Summary(label=r.name, counts=counts[r.pk], key=r.pk) for r in requirements]


def cycle_daily_completions(*, cycle, until=None) -> list[tuple]:
    """[(day, people who completed that day, cumulative)] from the opening day to the due date
    (or today, when later): a person completes with the last of their requirements."""
    per_day = dict(
        person_statuses(cycle=cycle)
        .filter(person_status_filter("done"), completed_at__isnull=False)
        .order_by()
        .annotate(day=TruncDate("completed_at"))
        .values_list("day")
        .annotate(n=COUNT)
    )
    today = timezone.localdate()
    end = until or max(cycle.due_on, min(today, cycle.closes_on or today))
    if cycle.is_closed:
        end = min(end, timezone.localdate(cycle.closed_at))
    start = min([cycle.opens_on, *per_day.keys()])
    days, total, day = [], 0, start
    while day <= end:
        total += per_day.get(day, 0)
        days.append((day, per_day.get(day, 0), total))
        day += datetime.timedelta(days=1)
    return days


@dataclass
class ChangesAfterClosing:
    """確定後の変動: what happened to a closed cycle's people since, shown beside the frozen
    figures and never merged into them."""

    withdrawn: int = 0  # 期限後に脱退: not withdrawn when closed, withdrawn now
    completed: int = 0  # 期限後に修了: not done when closed, every requirement done now


def changes_after_closing(*, cycle) -> ChangesAfterClosing | None:
    if not cycle.is_closed:
        return None
    frozen = person_statuses(cycle=cycle)
    live = Assignment.objects.filter(cycle=cycle, member=OuterRef("member_id"))
    counts = frozen.aggregate(
        withdrawn=Count(
            "pk",
            filter=~Q(status=Status.WITHDRAWN) & Q(Exists(live.filter(status=Status.WITHDRAWN))),
        ),
        completed=Count(
            "pk",
            filter=Q(status__in=Assignment.OPEN)
            & Q(Exists(live.filter(status__in=Assignment.DONE)))
            & ~Q(Exists(live.exclude(status__in=Assignment.DONE))),
        ),
    )
    return ChangesAfterClosing(**counts)


def completion_chart(*, daily, required: int, width=640, height=200, pad=32) -> dict:
    """Points of an inline SVG line chart of cumulative completions."""
    if not daily:
        return {"points": "", "width": width, "height": height}
    top = max(required, daily[-1][2], 1)
    n = max(len(daily) - 1, 1)
    inner_w, inner_h = width - 2 * pad, height - 2 * pad
    points = " ".join(
        f"{pad + inner_w * i / n:.1f},{pad + inner_h * (1 - cum / top):.1f}"
        for i, (_d, _n, cum) in enumerate(daily)
    )
    return {
        "points": points,
        "width": width,
        "height": height,
        "pad": pad,
        "top": top,
        "first": daily[0][0],
        "last": daily[-1][0],
        "final": daily[-1][2],
        "baseline_y": pad + inner_h,
        "right_x": pad + inner_w,
    }


def campaign_cycle(*, organisation_slug: str, campaign_slug: str, year: int) -> Cycle:
    """The cycle of a campaign for a fiscal year (for the command line)."""
    return Cycle.objects.select_related("campaign__organisation").get(
        campaign__organisation__slug=organisation_slug,
        campaign__slug=campaign_slug,
        fiscal_year=year,
    )


# --- My training (マイ研修) ---------------------------------------------------------------------


@dataclass
class MyTraining:
    member: Member
    required: list = field(default_factory=list)  # current assignments
    electives: list = field(default_factory=list)  # CoursePages
    questions: list = field(default_factory=list)
    progress: dict = field(default_factory=dict)  # course_id -> CourseProgress


def my_training(*, member, today=None) -> MyTraining:
    """Everything マイ研修 shows for one member, in a fixed number of queries."""
    from courses.models import Question
    from courses.selectors import course_progress

    today = today or timezone.localdate()
    current = Cycle.objects.current(today)
    assignments = list(
        Assignment.objects.filter(member=member, cycle__in=current)
        .exclude(status=Status.WITHDRAWN)
        .select_related("requirement", "cycle__campaign")
        .prefetch_related("requirement__courses")
        .order_by("due_on", "requirement__sort_order", "pk")
    )
    electives = [
        e.course
        for e in Elective.objects.filter(organisation_id=member.organisation_id)
        .filter(Q(occupations__isnull=True) | Q(occupations__name=member.occupation))
        .select_related("course")
        .distinct()
        .order_by("sort_order", "pk")
        if e.course.live
    ]
    courses = {c.pk: c for a in assignments for c in a.requirement.courses.all()}
    courses.update({c.pk: c for c in electives})
    progress = course_progress(member=member, courses=list(courses.values())) if courses else {}
    questions = list(
        Question.objects.filter(member=member).select_related("course").order_by("-created_at")[:20]
    )
    return MyTraining(
        member=member,
        required=assignments,
        electives=electives,
        questions=questions,
        progress=progress,
    )


def member_transcript(*, member) -> dict:
    """Every assignment and every attempt of one member, all years."""
    from courses.models import Enrolment

    assignments = list(
        Assignment.objects.filter(member=member)
        .select_related("requirement", "cycle__campaign", "enrolment__certificate")
        .order_by("-cycle__opens_on", "requirement__sort_order")
    )
    enrolments = list(
        with_evidence(Enrolment.objects.filter(member=member))
        .select_related("course", "certificate")
        .order_by("-started_at")
    )
    return {"member": member, "assignments": assignments, "enrolments": enrolments}


def with_evidence(enrolments):
    """Annotate attempts with ``total_active_seconds``, ``best_score`` (final quiz, else any
    quiz) and ``best_passed`` (whether that attempt passed), each a correlated subquery so they
    never multiply each other's rows."""
    from courses.models import LessonProgress, QuizAttempt

    seconds = (
        LessonProgress.objects.filter(enrolment=OuterRef("pk"))
        .order_by()
        .values("enrolment")
        .annotate(total=Sum("active_seconds"))
        .values("total")
    )
    best = QuizAttempt.objects.filter(enrolment=OuterRef("pk")).order_by(
        F("lesson_id").asc(nulls_first=True),
        "-score",
        "-passed",  # the final quiz first
    )
    return enrolments.annotate(
        total_active_seconds=Coalesce(Subquery(seconds, output_field=IntegerField()), 0),
        best_score=Subquery(best.values("score")[:1], output_field=IntegerField()),
        best_passed=Subquery(best.values("passed")[:1], output_field=BooleanField()),
    )


# --- the office home and the member page ----------------------------------------------------


@dataclass
class OpenCycle:
    cycle: Cycle
    summary: Summary
    days_left: int  # negative once the due date has passed


def open_cycles_progress(*, user, today=None) -> list[OpenCycle]:
    """The staff user's cycles that are open (opened, not closed), each with its people."""
    today = today or timezone.localdate()
    cycles = staff_cycles(user=user).current(today).filter(closed_at__isnull=True)
    return [
        OpenCycle(cycle, cycle_summary(cycle=cycle), (cycle.due_on - today).days)
        for cycle in cycles.order_by("due_on", "pk")
    ]


def member_training_record(*, member) -> list[dict]:
    """Each cycle of one member, newest first: the person's status in it and each
    requirement with its status, due date and the completion that satisfied it (source,
    certificate). Three queries."""
    results = {
        r.cycle_id: r for r in CycleResult.objects.filter(member=member).only("cycle_id", "status")
    }
    cycles: dict[int, dict] = {}
    for assignment in (
        Assignment.objects.filter(member=member)
        .select_related("requirement", "cycle__campaign", "enrolment__course")
        .select_related("enrolment__certificate")
        .order_by("-cycle__opens_on", "requirement__sort_order", "pk")
    ):
        entry = cycles.setdefault(
            assignment.cycle_id,
            {"cycle": assignment.cycle, "result": results.get(assignment.cycle_id), "rows": []},
        )
        entry["rows"].append(assignment)
    return list(cycles.values())
