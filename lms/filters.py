"""Filters of the staff reports. Every choice list is scoped to the staff user's organisations."""

import datetime

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet

from courses.models import CoursePage, Enrolment
from members.constants import AGE_BANDS, PREFECTURE_CHOICES, Category
from members.models import Member

from . import selectors
from .models import Assignment, Cycle, CycleResult, Requirement, fiscal_year_of


def _cycles(request):
    if request is None:
        return Cycle.objects.none()
    return selectors.staff_cycles(user=request.user)


def _requirements(request):
    if request is None:
        return Requirement.objects.none()
    return Requirement.objects.filter(
        campaign__organisation__in=selectors.staff_organisations(user=request.user)
    ).select_related("campaign")


def _courses(request):
    if request is None:
        return CoursePage.objects.none()
    orgs = selectors.staff_organisations(user=request.user)
    return CoursePage.objects.filter(
        Q(organisation__isnull=True) | Q(organisation__in=orgs)
    ).order_by("path")


class AssignmentFilterSet(WagtailFilterSet):
    cycle = django_filters.ModelChoiceFilter(label=_("Cycle"), queryset=_cycles)
    requirement = django_filters.ModelChoiceFilter(label=_("Requirement"), queryset=_requirements)
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"), choices=Assignment.Status.choices
    )
    prefecture = django_filters.ChoiceFilter(
        label=_("Prefecture"), field_name="member__prefecture", choices=PREFECTURE_CHOICES
    )
    category = django_filters.ChoiceFilter(
        label=_("Category"), field_name="member__category", choices=Category.choices
    )
    occupation = django_filters.CharFilter(
        label=_("Occupation"), field_name="member__occupation", lookup_expr="icontains"
    )
    due_on = django_filters.DateFromToRangeFilter(label=_("Due on"), widget=DateRangePickerWidget)

    class Meta:
        model = Assignment
        fields = ["cycle", "requirement", "status", "prefecture", "category", "occupation"]


PERSON_STATUS_CHOICES = [
    ("required", _("Required (everyone but the withdrawn and exempt)")),
    ("done", _("Completed (on time or late)")),
    *Assignment.Status.choices,
]


class PeopleFilterSet(WagtailFilterSet):
    """People of one cycle. The status filter is the dashboard's own (person_status_filter),
    so a figure and the list it links to count the same rows."""

    cycle = django_filters.ModelChoiceFilter(
        label=_("Cycle"), queryset=_cycles, method="filter_nothing"
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=PERSON_STATUS_CHOICES, method="filter_status"
    )
    prefecture = django_filters.ChoiceFilter(label=_("Prefecture"), choices=PREFECTURE_CHOICES)
    occupation = django_filters.CharFilter(label=_("Occupation"))
    category = django_filters.ChoiceFilter(label=_("Category"), choices=Category.choices)
    age_band = django_filters.TypedChoiceFilter(label=_("Age band"), choices=AGE_BANDS, coerce=int)

    class Meta:
        model = CycleResult
        fields = ["cycle", "status", "prefecture", "occupation", "category", "age_band"]

    def filter_nothing(self, queryset, name, value):
        return queryset  # the view picks the cycle (the default one when none is chosen)

    def filter_status(self, queryset, name, value):
        return queryset.filter(selectors.person_status_filter(value)) if value else queryset


def _fiscal_years():
    this = fiscal_year_of(timezone.localdate())
    return [(y, _("FY%(year)s") % {"year": y}) for y in range(this + 1, this - 10, -1)]


class LearnerFilterSet(WagtailFilterSet):
    """受講者一覧: attempts per fiscal year and course."""

    fiscal_year = django_filters.TypedChoiceFilter(
        label=_("Fiscal year"), choices=_fiscal_years, coerce=int, method="filter_fiscal_year"
    )
    course = django_filters.ModelChoiceFilter(label=_("Course"), queryset=_courses)
    completed = django_filters.BooleanFilter(
        label=_("Completed"), field_name="completed_at", lookup_expr="isnull", exclude=True
    )
    source = django_filters.ChoiceFilter(
        label=_("Completion source"), choices=Enrolment.Source.choices
    )

    class Meta:
        model = Enrolment
        fields = ["fiscal_year", "course", "completed", "source"]

    @staticmethod
    def fiscal_year_range(year: int):
        from . import conf

        tz = timezone.get_current_timezone()
        start = datetime.datetime(year, conf.fiscal_year_start_month(), 1, tzinfo=tz)
        end = datetime.datetime(year + 1, conf.fiscal_year_start_month(), 1, tzinfo=tz)
        return start, end

    def filter_fiscal_year(self, queryset, name, value):
        if not value:
            return queryset
        start, end = self.fiscal_year_range(value)
        # an attempt belongs to the year it was completed in, or started in when not completed
        return queryset.filter(
            Q(completed_at__gte=start, completed_at__lt=end)
            | Q(completed_at__isnull=True, started_at__gte=start, started_at__lt=end)
        )


class MemberFilterSet(WagtailFilterSet):
    q = django_filters.CharFilter(label=_("Member number or name"), method="filter_q")
    prefecture = django_filters.ChoiceFilter(label=_("Prefecture"), choices=PREFECTURE_CHOICES)

    class Meta:
        model = Member
        fields = ["q", "prefecture"]

    def filter_q(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(member_no__icontains=value) | Q(name__icontains=value) | Q(name_kana__icontains=value)
        )
