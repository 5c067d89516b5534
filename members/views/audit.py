"""監査ログ: the audit log of personal data as a Wagtail report, with CSV/XLSX export.

Staff see the events of their organisations (members.selectors.organisations_for_staff);
superusers see every event, including those of no organisation (the periodic tasks').
"""

import django_filters
from django.db.models import F
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.views.reports import ReportView
from wagtail.permissions import policy_registry

from ..exports import SafeSpreadsheetExportMixin
from ..models import AuditEvent
from ..selectors import audit_events_for_staff, organisations_for_staff


class AuditEventFilterSet(WagtailFilterSet):
    created_at = django_filters.DateFromToRangeFilter(label=_("Date"), widget=DateRangePickerWidget)
    action = django_filters.ChoiceFilter(label=_("Action"), choices=AuditEvent.Action.choices)
    organisation = django_filters.ModelChoiceFilter(
        label=_("Organisation"), queryset=lambda request: organisations_for_staff(user=request.user)
    )
    user_label = django_filters.CharFilter(label=_("User name"), lookup_expr="icontains")
    object_label = django_filters.CharFilter(label=_("Record"), lookup_expr="icontains")

    class Meta:
        model = AuditEvent
        fields = ["created_at", "action", "organisation", "user_label", "object_label"]


class AuditLogReportView(SafeSpreadsheetExportMixin, ReportView):
    page_title = _("Audit log")
    header_icon = "history"
    template_name = "wagtailadmin/reports/base_report.html"
    results_template_name = "members/admin/audit_log_results.html"
    filterset_class = AuditEventFilterSet
    index_url_name = "members_audit_log"
    index_results_url_name = "members_audit_log_results"
    any_permission_required = ["view"]
    paginate_by = 50
    export_filename = "audit-log"
    list_export = [
        "created_at",
        "user_label",
        "organisation_name",
        "get_action_display",
        "object_type",
        "object_id",
        "object_label",
        "detail",
    ]
    export_headings = {
        "created_at": _("When"),
        "user_label": _("User name"),
        "organisation_name": _("Organisation"),
        "get_action_display": _("Action"),
        "object_type": _("Record type"),
        "object_id": _("Record id"),
        "object_label": _("Record"),
        "detail": _("Detail"),
    }

    @cached_property
    def permission_policy(self):
        return policy_registry.get_by_type(AuditEvent)

    def get_queryset(self):
        return (
            audit_events_for_staff(user=self.request.user)
            .select_related("organisation")
            .annotate(organisation_name=F("organisation__name"))
        )
