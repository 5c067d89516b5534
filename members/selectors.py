"""Reads on people: staff scoping, membership statistics, joins and withdrawals.

The statistics and movement queries are shared with the compliance reports of other apps.
"""

import dataclasses
import datetime

from django.db.models import Case, Count, Exists, IntegerField, Max, OuterRef, Q, Value, When
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .constants import AGE_BANDS, PREFECTURE_CHOICES, Category, Gender
from .models import AuditEvent, Member, Membership, Organisation, RosterImport


def members_of_user(*, user, day=None):
    """The member records (possibly in several organisations) of a signed-in user, active today."""
    if not user.is_authenticated:
        return Member.objects.none()
    return Member.objects.active_on(day or timezone.localdate()).filter(user=user)


def recently_withdrawn_members_of_user(*, user, day=None):
    """The user's member records not active on ``day`` whose last period ended at most
    MEMBERS_WITHDRAWN_SIGNIN_DAYS before it: they may still read their own records."""
    if not user.is_authenticated:
        return Member.objects.none()
    return recently_withdrawn_among(Member.objects.filter(user=user), day or timezone.localdate())


def recently_withdrawn_among(members, day):
    from . import conf

    since = day - datetime.timedelta(days=conf.withdrawn_signin_days())
    ended = Membership.objects.filter(
        member=OuterRef("pk"), withdrawn_on__gt=since, withdrawn_on__lte=day
    )
    return members.inactive_on(day).filter(Exists(ended))


def withdrawn_signin_until(members) -> datetime.date | None:
    """The last day former members can still sign in: MEMBERS_WITHDRAWN_SIGNIN_DAYS after the
    latest of their periods' ends."""
    from . import conf

    ended = Membership.objects.filter(member__in=members, withdrawn_on__isnull=False).aggregate(
        latest=Max("withdrawn_on")
    )["latest"]
    if ended is None:
        return None
    return ended + datetime.timedelta(days=conf.withdrawn_signin_days() - 1)


def records_of_user(*, user, day=None):
    """Member records whose history the user may read: active today, or recently withdrawn."""
    if not user.is_authenticated:
        return Member.objects.none()
    day = day or timezone.localdate()
    mine = Member.objects.filter(user=user)
    return mine.filter(
        Q(pk__in=mine.active_on(day).values("pk"))
        | Q(pk__in=recently_withdrawn_among(mine, day).values("pk"))
    )


def is_withdrawn_only(*, user) -> bool:
    """True for a signed-in former member: no active record, a recently withdrawn one. They see
    only their transcript and certificates. Remembered on the user object for the request."""
    if not user.is_authenticated:
        return False
    cached = getattr(user, "_members_withdrawn_only", None)
    if cached is None:
        cached = (
            not members_of_user(user=user).exists()
            and recently_withdrawn_members_of_user(user=user).exists()
        )
        user._members_withdrawn_only = cached
    return cached


def members_without_email(*, members, day=None):
    """Those of ``members`` active on ``day`` (today) who have no e-mail address: they sign in
    with a printed letter."""
    return members.active_on(day or timezone.localdate()).filter(email="")


def office_contacts():
    """The offices members can ask when a code does not arrive: every organisation with a
    phone or an e-mail address (shown to anyone, whatever address was typed)."""
    return Organisation.objects.exclude(contact_phone="", contact_email="").order_by("name")


def organisations_for_staff(*, user):
    """Organisations whose data this staff user may see: the one place that scopes staff."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    if user.is_superuser:
        return Organisation.objects.all()
    return Organisation.objects.filter(staff=user)


def member_only_users():
    """Accounts without any privilege: not staff or superuser, in no group, with no permission
    of their own, staff of no organisation. The only accounts a member's sign-in code opens."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(
        is_staff=False,
        is_superuser=False,
        groups__isnull=True,
        user_permissions__isnull=True,
        staff_organisations__isnull=True,
    )


# --- staff scoping ------------------------------------------------------------------


def members_for_staff(*, user):
    """Members of the organisations this staff user may see."""
    return Member.objects.filter(organisation__in=organisations_for_staff(user=user))


def roster_imports_for_staff(*, user):
    return RosterImport.objects.filter(organisation__in=organisations_for_staff(user=user))


def member_by_number(*, organisation, number: str):
    """The organisation's member with this number as staff type it: NFKC (０００００３ is
    000003) and, for digits, padded to the organisation's zero-padded width (２ is 000002).
    None when there is no such member."""
    from .roster.normalise import member_no

    number = member_no(number or "")
    if not number:
        return None
    members = Member.objects.filter(organisation=organisation)
    member = members.filter(member_no=number).first()
    if member is None and number.isdigit():
        padded_example = (
            members.filter(member_no__startswith="0")
            .exclude(member_no__regex=r"[^0-9]")
            .values_list("member_no", flat=True)
            .first()
        )
        if padded_example and len(number) < len(padded_example):
            member = members.filter(member_no=number.zfill(len(padded_example))).first()
    return member


def roster_import_same_file_applied(*, import_):
    """An earlier import of the same file (same SHA-256) that was applied, or None."""
    return (
        RosterImport.objects.filter(
            organisation_id=import_.organisation_id,
            checksum=import_.checksum,
            status__in=[RosterImport.Status.APPLIED, RosterImport.Status.NO_CHANGES],
        )
        .exclude(pk=import_.pk)
        .order_by("-applied_at", "-pk")
        .first()
    )


def audit_events_for_staff(*, user):
    """Audit events of the user's organisations; a superuser's: all, the system's included."""
    if user.is_authenticated and user.is_superuser:
        return AuditEvent.objects.all()
    return AuditEvent.objects.filter(organisation__in=organisations_for_staff(user=user))


# --- statistics on a date -------------------------------------------------------------


def years_before(day: datetime.date, years: int) -> datetime.date:
    """The same calendar day ``years`` earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def age_band_conditions(day: datetime.date, *, field: str = "birth_date") -> list[tuple]:
    """[(band, Q)] for AGE_BANDS on ``day``: the one definition of an age band (10 = teens and
    younger, 70 = seventy and over), used by the membership statistics and the compliance
    reports. ``field`` is the birth date's path from the queried model."""
    bands = [band for band, _label in AGE_BANDS]
    conditions = []
    for i, band in enumerate(bands):
        # at least ``band`` years old: born on or before that day ``band`` years earlier
        q = Q(**{f"{field}__lte": years_before(day, band)}) if i else Q()
        if i + 1 < len(bands):
            q &= Q(**{f"{field}__gt": years_before(day, bands[i + 1])})
        conditions.append((band, q))
    return conditions


def age_band_expression(day: datetime.date, *, field: str = "birth_date"):
    """The age band on ``day`` as an SQL expression (NULL when the birth date is unknown)."""
    return Case(
        *(When(q, then=Value(band)) for band, q in age_band_conditions(day, field=field)),
        default=None,
        output_field=IntegerField(),
    )


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

    bands = {f"age{band}": Count("id", filter=q) for band, q in age_band_conditions(day)}
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


def staff_permissions():
    """What the staff group (研修事務局) may do, declared in one place per app: the
    ``staff_permissions`` codenames of its AppConfig, plus access to the Wagtail admin."""
    from django.apps import apps
    from django.contrib.auth.models import Permission
    from django.db.models import Q

    wanted = Q(content_type__app_label="wagtailadmin", codename="access_admin")
    for app_config in apps.get_app_configs():
        codenames = getattr(app_config, "staff_permissions", None)
        if codenames:
            wanted |= Q(content_type__app_label=app_config.label, codename__in=codenames)
    return Permission.objects.filter(wanted)


# --- the office home ---------------------------------------------------------------------

ROSTER_DUE_DAY = 10  # the monthly roster is due by the 10th; a warning shows from the 11th


@dataclasses.dataclass
class RosterDue:
    organisation: Organisation
    last_applied_at: datetime.datetime | None
    done_this_month: bool
    overdue: bool  # none this month and the due day has passed


def roster_imports_due(*, user, today=None) -> list[RosterDue]:
    """For each organisation of the staff user: the last applied roster import, and whether
    this month's is still missing after the 10th. One query."""
    from django.db.models import Max

    today = today or timezone.localdate()
    month_start = today.replace(day=1)
    organisations = organisations_for_staff(user=user).annotate(
        last_applied_at=Max(
            "roster_imports__applied_at",
            filter=Q(roster_imports__status=RosterImport.Status.APPLIED),
        )
    )
    rows = []
    for organisation in organisations.order_by("name"):
        last = organisation.last_applied_at
        done = last is not None and timezone.localdate(last) >= month_start
        rows.append(
            RosterDue(organisation, last, done, overdue=not done and today.day > ROSTER_DUE_DAY)
        )
    return rows
