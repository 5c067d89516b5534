"""Filters of the staff screens. Choices are limited to the user's organisations."""

import datetime

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet

from .constants import PREFECTURE_CHOICES, Category
from .forms import WarekiDateField
from .models import Member, PersonalDataRequest, RosterImport
from .selectors import organisations_for_staff


class WarekiDateFilter(django_filters.Filter):
    field_class = WarekiDateField


def _month(value: str) -> datetime.date | None:
    try:
        year, month = (int(part) for part in value.split("-")[:2])
        return datetime.date(year, month, 1)
    except (TypeError, ValueError):
        return None


class MemberFilterSet(WagtailFilterSet):
    organisation = django_filters.ModelChoiceFilter(
        label=_("Organisation"), queryset=lambda request: organisations_for_staff(user=request.user)
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[("active", _("Enrolled")), ("inactive", _("Not enrolled"))],
        method="filter_status",
        empty_label=_("All"),
    )
    status_on = WarekiDateFilter(
        label=_("Status on"),
        method="filter_noop",
        help_text=_("The date the status refers to (blank: today)."),
    )
    category = django_filters.ChoiceFilter(label=_("Category"), choices=Category.choices)
    work_type = django_filters.ChoiceFilter(label=_("Business / work type"), choices=[])
    occupation = django_filters.ChoiceFilter(label=_("Occupation"), choices=[])
    prefecture = django_filters.ChoiceFilter(label=_("Prefecture"), choices=PREFECTURE_CHOICES)
    email = django_filters.ChoiceFilter(
        label=_("E-mail address"),
        choices=[("yes", _("Registered")), ("no", _("None (signs in with a letter)"))],
        method="filter_email",
        empty_label=_("All"),
    )
    joined_month = django_filters.CharFilter(
        label=_("Joined in month"),
        method="filter_joined_month",
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-06"}),
    )

    class Meta:
        model = Member
        fields = [
            "organisation",
            "status",
            "status_on",
            "category",
            "work_type",
            "occupation",
            "prefecture",
            "joined_month",
            "email",
        ]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        members = Member.objects.filter(
            organisation__in=organisations_for_staff(user=request.user)
        ).order_by()
        for field in ("work_type", "occupation"):
            values = members.exclude(**{field: ""}).values_list(field, flat=True).distinct()
            self.filters[field].extra["choices"] = [(v, v) for v in sorted(values)]

    def filter_noop(self, queryset, name, value):
        return queryset

    def filter_status(self, queryset, name, value):
        day = self.form.cleaned_data.get("status_on") or timezone.localdate()
        if value == "active":
            return queryset.active_on(day)
        if value == "inactive":
            return queryset.inactive_on(day)
        return queryset

    def filter_email(self, queryset, name, value):
        if value == "no":
            return queryset.filter(email="")
        if value == "yes":
            return queryset.exclude(email="")
        return queryset

    def filter_joined_month(self, queryset, name, value):
        start = _month(value)
        if start is None:
            return queryset.none()
        return queryset.filter(joined_on__year=start.year, joined_on__month=start.month)


class RosterImportFilterSet(WagtailFilterSet):
    organisation = django_filters.ModelChoiceFilter(
        label=_("Organisation"), queryset=lambda request: organisations_for_staff(user=request.user)
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=RosterImport.Status.choices)

    class Meta:
        model = RosterImport
        fields = ["organisation", "status"]


class StatisticsFilterSet(WagtailFilterSet):
    organisation = django_filters.ModelChoiceFilter(
        label=_("Organisation"),
        queryset=lambda request: organisations_for_staff(user=request.user),
        method="filter_noop",
    )
    on = WarekiDateFilter(
        label=_("Date"),
        method="filter_noop",
        help_text=_("Members enrolled on this date (blank: today)."),
    )

    class Meta:
        model = Member
        fields = ["organisation", "on"]

    def filter_noop(self, queryset, name, value):
        return queryset


class MovementsFilterSet(WagtailFilterSet):
    organisation = django_filters.ModelChoiceFilter(
        label=_("Organisation"),
        queryset=lambda request: organisations_for_staff(user=request.user),
        method="filter_noop",
    )
    month_from = django_filters.CharFilter(
        label=_("From month"),
        method="filter_noop",
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-06"}),
    )
    month_to = django_filters.CharFilter(
        label=_("To month"),
        method="filter_noop",
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-06"}),
    )

    class Meta:
        model = Member
        fields = ["organisation", "month_from", "month_to"]

    def filter_noop(self, queryset, name, value):
        return queryset


class PersonalDataRequestFilterSet(WagtailFilterSet):
    organisation = django_filters.ModelChoiceFilter(
        label=_("Organisation"), queryset=lambda request: organisations_for_staff(user=request.user)
    )
    kind = django_filters.ChoiceFilter(
        label=_("request"), choices=PersonalDataRequest.Kind.choices, empty_label=_("All")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=PersonalDataRequest.Status.choices, empty_label=_("All")
    )

    class Meta:
        model = PersonalDataRequest
        fields = ["organisation", "kind", "status"]
