"""Reports in the Wagtail admin: membership statistics on a date, and monthly joins and
withdrawals. Both are ReportViews (filters, CSV/XLSX export) over members.selectors."""

import datetime

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe
from wagtail.admin.views.reports import ReportView
from wagtail.permissions import policy_registry

from ..exports import SafeSpreadsheetExportMixin
from ..filters import MovementsFilterSet, StatisticsFilterSet, _month
from ..models import Member
from ..selectors import (
    add_months,
    membership_movements,
    membership_statistics,
    month_start,
    monthly_movement_totals,
    organisations_for_staff,
)


class OrganisationReportView(SafeSpreadsheetExportMixin, ReportView):
    any_permission_required = ["view"]
    paginate_by = None
    header_icon = "table"

    @cached_property
    def permission_policy(self):
        return policy_registry.get_by_type(Member)

    def filter_queryset(self, queryset):
        # the filters choose what to compute (organisation, date, months); see get_queryset
        return queryset

    def cleaned(self, name):
        filters = self.filters
        if filters is not None and filters.is_valid():
            return filters.form.cleaned_data.get(name)
        return None

    @cached_property
    def organisation(self):
        """The chosen organisation if the user may see it, else the first one they may."""
        allowed = organisations_for_staff(user=self.request.user)
        return self.cleaned("organisation") or allowed.first()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["organisation"] = self.organisation
        return context


class MembershipStatisticsView(OrganisationReportView):
    page_title = _("Membership statistics")
    template_name = "members/admin/statistics.html"
    results_template_name = "members/admin/statistics_results.html"
    filterset_class = StatisticsFilterSet
    index_url_name = "members_statistics"
    index_results_url_name = "members_statistics_results"
    list_export = ["dimension_label", "label", "count", "share_display"]
    export_headings = {
        "dimension_label": _("Table"),
        "label": _("Item"),
        "count": _("Members"),
        "share_display": _("Share"),
    }

    @cached_property
    def day(self):
        return self.cleaned("on") or timezone.localdate()

    def get_filename(self):
        slug = self.organisation.slug if self.organisation else "none"
        return f"membership-statistics-{slug}-{self.day:%Y%m%d}"

    @cached_property
    def statistics(self):
        if self.organisation is None:
            return None
        return membership_statistics(organisation=self.organisation, day=self.day)

    def get_queryset(self):
        return self.statistics.rows() if self.statistics else []

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["statistics"] = self.statistics
        context["day"] = self.day
        return context


class MovementsReportView(OrganisationReportView):
    page_title = _("Joins and withdrawals")
    template_name = "members/admin/movements.html"
    results_template_name = "members/admin/movements_results.html"
    filterset_class = MovementsFilterSet
    index_url_name = "members_movements"
    index_results_url_name = "members_movements_results"
    list_export = ["on", "kind_label", "member_no", "name", "category_label", "reason"]
    export_headings = {
        "on": _("Date"),
        "kind_label": _("Movement"),
        "member_no": _("Member number"),
        "name": _("Name"),
        "category_label": _("Category"),
        "reason": _("Withdrawal reason"),
    }

    @cached_property
    def months(self) -> tuple[datetime.date, datetime.date]:
        first = _month(self.cleaned("month_from") or "")
        last = _month(self.cleaned("month_to") or "")
        this_month = month_start(timezone.localdate())
        first = first or last or this_month
        last = last or first
        if last < first:
            first, last = last, first
        return first, last

    def get_filename(self):
        first, last = self.months
        slug = self.organisation.slug if self.organisation else "none"
        return f"joins-withdrawals-{slug}-{first:%Y%m}-{last:%Y%m}"

    def get_queryset(self):
        if self.organisation is None:
            return []
        first, last = self.months
        return membership_movements(
            organisation=self.organisation, start=first, end=add_months(last, 1)
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        first, last = self.months
        context["first_month"], context["last_month"] = first, last
        if self.organisation is not None:
            totals = monthly_movement_totals(
                organisation=self.organisation,
                first_month=min(first, add_months(last, -11)),
                last_month=last,
            )
            context["totals"] = totals
            context["totals_max"] = max([1] + [max(t.joined, t.withdrawn) for t in totals])
            context["sum_joined"] = sum(t.joined for t in totals)
            context["sum_withdrawn"] = sum(t.withdrawn for t in totals)
        return context


@require_safe
def monthly_report_download(request):
    """The monthly report workbook the staff are mailed (list, 12-month totals, statistics) for
    one organisation the user may see and one month (default: last month). Audit-logged: the
    list names people."""
    from django.http import Http404

    from ..audit import AuditEvent, audit_log
    from ..monthly_report import monthly_report, monthly_report_workbook, previous_month
    from ..xlsx import xlsx_response

    if not policy_registry.get_by_type(Member).user_has_permission(request.user, "view"):
        raise PermissionDenied
    allowed = organisations_for_staff(user=request.user)
    pk = request.GET.get("organisation", "")
    if pk:  # one the user may not see is a 404, as if it did not exist
        organisation = get_object_or_404(allowed, pk=int(pk) if pk.isdigit() else 0)
    else:  # as the report pages: the first organisation the user may see
        organisation = allowed.first()
        if organisation is None:
            raise Http404
    month = _month(request.GET.get("month", "")) or previous_month(timezone.localdate())
    report = monthly_report(organisation=organisation, month=month)
    content = monthly_report_workbook(report=report)
    audit_log(
        user=request.user,
        action=AuditEvent.Action.EXPORT,
        organisation=organisation,
        detail=report.file_name,
    )
    return xlsx_response(content, file_name=report.file_name)
