"""Reads on people: staff scoping, membership statistics, joins and withdrawals.

The statistics and movement queries are shared with the compliance reports of other apps.
"""

import dataclasses
import datetime

from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .constants import AGE_BANDS, PREFECTURE_CHOICES, Category, Gender
from .models import Member, Membership, Organisation, RosterImport


def members_of_user(*, user, day=None):
    """The member records (possibly in several organisations) of a signed-in user, active today."""
    if not user.is_authenticated:
        return Member.objects.none()
    return Member.objects.active_on(day or timezone.localdate()).filter(user=user)


def organisations_for_staff(*, user):
    """Organisations whose data this staff user may see: the one place that scopes staff."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    if user.is_superuser:
        return Organisation.objects.all()
    return Organisation.objects.filter(staff=user)


# --- staff scoping ------------------------------------------------------------------


def members_for_staff(*, user):
    """Members of the organisations this staff user may see."""
    return Member.objects.filter(organisation__in=organisations_for_staff(user=user))


def roster_imports_for_staff(*, user):
    return RosterImport.objects.filter(organisation__in=organisations_for_staff(user=user))


# --- statistics on a date -------------------------------------------------------------


def years_before(day: datetime.date, years: int) -> datetime.date:
    """The same calendar day ``years`` earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


@dataclasses.dataclass
class StatisticsRow:
    dimension: str  # "gender", "age", "occupation", "prefecture", "category"
    dimension_label: str
    key: str
    label: str
    count: int
    share: float  # percent of the total, 0–100

    @property
    def share_display(self) -> str:
        return f"{self.share:.1f}%"


@dataclasses.dataclass
class MembershipStatistics:
    organisation: Organisation
    day: datetime.date
    total: int
    gender: list[StatisticsRow]
    age: list[StatisticsRow]
    occupation: list[StatisticsRow]  # all, most frequent first
    occupation_top: list[StatisticsRow]
    prefecture: list[StatisticsRow]  # all 47 in JIS order (+ unknown)
    category: list[StatisticsRow]

    @property
    def sections(self):
        return [
            (DIMENSIONS["gender"], self.gender),
            (DIMENSIONS["age"], self.age),
            (DIMENSIONS["occupation_top"], self.occupation_top),
            (DIMENSIONS["prefecture"], self.prefecture),
            (DIMENSIONS["category"], self.category),
            (DIMENSIONS["occupation"], self.occupation),
        ]

    def rows(self) -> list[StatisticsRow]:
        """Every row of every table, for export."""
        return self.gender + self.age + self.occupation + self.prefecture + self.category


DIMENSIONS = {
    "gender": _("Gender"),
    "age": _("Age band"),
    "occupation_top": _("Top occupations"),
    "occupation": _("All occupations"),
    "prefecture": _("Prefecture"),
    "category": _("Category"),
}


def membership_statistics(
    *, organisation, day: datetime.date | None = None, top_n: int | None = None
) -> MembershipStatistics:
    """Members active on ``day`` counted by gender, age band, occupation, prefecture and
    category, as in the group's own report (five queries, whatever the roster size)."""
    from . import conf

    day = day or timezone.localdate()
    top_n = top_n or conf.statistics_top_occupations()
    active = Member.objects.filter(organisation=organisation).active_on(day)

    def grouped(field):
        return dict(active.order_by().values_list(field).annotate(n=Count("id")))

    genders = grouped("gender")
    total = sum(genders.values())

    def row(dimension, key, label, count):
        share = 100.0 * count / total if total else 0.0
        return StatisticsRow(
            dimension, str(DIMENSIONS[dimension]), str(key), str(label), count, share
        )

    gender_rows = [
        row("gender", value, label, genders.get(value, 0))
        for value, label in [
            (Gender.MALE, _("Male")),
            (Gender.FEMALE, _("Female")),
            (Gender.OTHER, _("Other")),
            (Gender.UNKNOWN, _("Unknown")),
        ]
    ]
    gender_rows = [r for r in gender_rows if r.key or r.count]

    bands = {}
    for band, _label in AGE_BANDS:
        newest = years_before(day, band)  # born on or before: at least ``band`` years old
        q = Q(birth_date__lte=newest)
        if band != AGE_BANDS[-1][0]:
            q &= Q(birth_date__gt=years_before(day, band + 10))
        if band == AGE_BANDS[0][0]:
            q = Q(birth_date__gt=years_before(day, band + 10))  # teens and younger
        bands[f"age{band}"] = Count("id", filter=q)
    bands["unknown"] = Count("id", filter=Q(birth_date__isnull=True))
    ages = active.order_by().aggregate(**bands)
    age_rows = [row("age", band, label, ages[f"age{band}"]) for band, label in AGE_BANDS]
    if ages["unknown"]:
        age_rows.append(row("age", "", _("Unknown"), ages["unknown"]))

    occupations = grouped("occupation")
    occupation_rows = [
        row("occupation", name, name or _("Unknown"), n)
        for name, n in sorted(occupations.items(), key=lambda item: (-item[1], item[0]))
    ]
    top = [
        dataclasses.replace(
            r, dimension="occupation_top", dimension_label=str(DIMENSIONS["occupation_top"])
        )
        for r in occupation_rows
        if r.key
    ][:top_n]

    prefectures = grouped("prefecture")
    prefecture_rows = [
        row("prefecture", code, name, prefectures.get(code, 0)) for code, name in PREFECTURE_CHOICES
    ]
    if prefectures.get(""):
        prefecture_rows.append(row("prefecture", "", _("Unknown"), prefectures[""]))

    categories = grouped("category")
    category_rows = [
        row("category", value, label, categories[value])
        for value, label in Category.choices
        if categories.get(value)
    ]
    return MembershipStatistics(
        organisation=organisation,
        day=day,
        total=total,
        gender=gender_rows,
        age=age_rows,
        occupation=occupation_rows,
        occupation_top=top,
        prefecture=prefecture_rows,
        category=category_rows,
    )


# --- joins and withdrawals ---------------------------------------------------------------


def month_start(value: datetime.date) -> datetime.date:
    return value.replace(day=1)


def add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def _joins(organisation, start, end):
    """Periods starting in [start, end) that are real joins, not a category change (a period
    of the same member ending on the same day)."""
    continuation = Membership.objects.filter(
        member=OuterRef("member"), withdrawn_on=OuterRef("joined_on")
    )
    return Membership.objects.filter(
        member__organisation=organisation, joined_on__gte=start, joined_on__lt=end
    ).exclude(Exists(continuation))


def _withdrawals(organisation, start, end):
    continuation = Membership.objects.filter(
        member=OuterRef("member"), joined_on=OuterRef("withdrawn_on")
    )
    return Membership.objects.filter(
        member__organisation=organisation, withdrawn_on__gte=start, withdrawn_on__lt=end
    ).exclude(Exists(continuation))


@dataclasses.dataclass
class Movement:
    kind: str  # "joined" or "withdrawn"
    kind_label: str
    on: datetime.date
    member_id: int
    member_no: str
    name: str
    category: str
    category_label: str
    reason: str


def membership_movements(*, organisation, start: datetime.date, end: datetime.date):
    """Who joined and who withdrew between ``start`` (inclusive) and ``end`` (exclusive),
    ordered by date: two queries."""
    labels = dict(Category.choices)
    movements = []
    for kind, label, queryset, field in (
        ("joined", _("Joined"), _joins(organisation, start, end), "joined_on"),
        ("withdrawn", _("Withdrew"), _withdrawals(organisation, start, end), "withdrawn_on"),
    ):
        for p in queryset.values(
            field,
            "member_id",
            "member__member_no",
            "member__name",
            "category",
            "member__withdrawal_reason",
        ):
            movements.append(
                Movement(
                    kind,
                    str(label),
                    p[field],
                    p["member_id"],
                    p["member__member_no"],
                    p["member__name"],
                    p["category"],
                    str(labels.get(p["category"], "")),
                    p["member__withdrawal_reason"] if kind == "withdrawn" else "",
                )
            )
    movements.sort(key=lambda m: (m.on, m.kind != "joined", m.member_no))
    return movements


@dataclasses.dataclass
class MonthTotals:
    month: datetime.date
    joined: int
    withdrawn: int

    @property
    def net(self) -> int:
        return self.joined - self.withdrawn


def monthly_movement_totals(*, organisation, first_month: datetime.date, last_month: datetime.date):
    """Joins and withdrawals per month, every month from first to last (zeros included)."""
    start, end = month_start(first_month), add_months(month_start(last_month), 1)
    joined = dict(
        _joins(organisation, start, end)
        .annotate(month=TruncMonth("joined_on"))
        .order_by()
        .values_list("month")
        .annotate(n=Count("id"))
    )
    withdrawn = dict(
        _withdrawals(organisation, start, end)
        .annotate(month=TruncMonth("withdrawn_on"))
        .order_by()
        .values_list("month")
        .annotate(n=Count("id"))
    )

    def as_date(value):
        return value.date() if isinstance(value, datetime.datetime) else value

    joined = {as_date(k): v for k, v in joined.items()}
    withdrawn = {as_date(k): v for k, v in withdrawn.items()}
    totals, month = [], start
    while month < end:
        totals.append(MonthTotals(month, joined.get(month, 0), withdrawn.get(month, 0)))
        month = add_months(month, 1)
    return totals
