"""Wiring only: the compliance menu (campaigns, requirements, …) and the report menu items."""

from django import forms
from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.permission_policies import ModelPermissionPolicy

from members.admin_scoping import OrganisationScopedViewSet

from . import views_admin as views
from .forms import CampaignForm, CycleForm, ElectiveForm, ExemptionForm, RequirementForm
from .models import Assignment, Campaign, Cycle, Elective, Exemption, Requirement


class ScopedViewSet(OrganisationScopedViewSet):
    add_to_admin_menu = False


class CampaignViewSet(ScopedViewSet):
    model = Campaign
    name = "lms_campaign"
    url_prefix = "lms/campaigns"
    icon = "date"
    menu_label = _("Campaigns")
    add_view_class = views.CampaignCreateView
    edit_view_class = views.CampaignEditView
    list_display = ["name", "organisation", "kind", "first_opens_on", "first_due_on", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "slug"]
    ordering = ["organisation", "first_opens_on"]
    edit_handler = ObjectList(
        [
            FieldPanel("organisation"),
            FieldPanel("name"),
            FieldPanel("slug"),
            FieldPanel("description"),
            FieldPanel("kind"),
            FieldPanel("recurrence"),
            FieldPanel("first_opens_on"),
            FieldPanel("first_due_on"),
            FieldPanel("days_after_joining"),
            FieldPanel("is_active"),
        ],
        base_form_class=CampaignForm,
    )


class CycleViewSet(ScopedViewSet):
    organisation_path = "campaign__organisation"
    model = Cycle
    name = "lms_cycle"
    url_prefix = "lms/cycles"
    icon = "calendar-alt"
    menu_label = _("Cycles")
    list_display = ["name", "campaign", "opens_on", "due_on", "closes_on"]
    list_filter = ["fiscal_year"]
    ordering = ["-opens_on"]
    edit_handler = ObjectList(
        [
            FieldPanel(name)
            for name in ("campaign", "name", "fiscal_year", "opens_on", "due_on", "closes_on")
        ],
        base_form_class=CycleForm,
    )


class RequirementViewSet(ScopedViewSet):
    organisation_path = "campaign__organisation"
    model = Requirement
    name = "lms_requirement"
    url_prefix = "lms/requirements"
    icon = "tasks"
    menu_label = _("Requirements")
    add_view_class = views.RequirementCreateView
    edit_view_class = views.RequirementEditView
    edit_handler = ObjectList(Requirement.panels, base_form_class=RequirementForm)
    list_display = ["name", "campaign", "completion_rule", "is_active"]
    list_filter = ["completion_rule", "is_active"]
    search_fields = ["name"]
    ordering = ["campaign", "sort_order"]


class ElectiveViewSet(ScopedViewSet):
    model = Elective
    name = "lms_elective"
    url_prefix = "lms/electives"
    icon = "list-ul"
    menu_label = _("Electives")
    list_display = ["course", "organisation", "note", "sort_order"]
    ordering = ["organisation", "sort_order"]
    edit_handler = ObjectList(
        [
            FieldPanel("organisation"),
            FieldPanel("course"),
            FieldPanel("occupations", widget=forms.CheckboxSelectMultiple),
            FieldPanel("note"),
            FieldPanel("sort_order"),
        ],
        base_form_class=ElectiveForm,
    )


class ExemptionViewSet(ScopedViewSet):
    organisation_path = "member__organisation"
    model = Exemption
    name = "lms_exemption"
    url_prefix = "lms/exemptions"
    icon = "pick"
    menu_label = _("Exemptions")
    add_view_class = views.ExemptionCreateView
    edit_view_class = views.ExemptionEditView
    list_display = ["member", "requirement", "cycle", "granted_at", "granted_by", "revoked_at"]
    list_filter = ["requirement"]
    search_fields = ["member__member_no", "member__name", "reason"]
    ordering = ["-granted_at"]
    edit_handler = ObjectList(
        [
            FieldPanel("member_no"),
            FieldPanel("requirement"),
            FieldPanel("cycle"),
            FieldPanel("reason"),
            FieldPanel("revoke"),
        ],
        base_form_class=ExemptionForm,
    )


class ComplianceGroup(ViewSetGroup):
    menu_label = _("Training compliance")
    menu_icon = "tasks"
    menu_order = 250
    items = (CampaignViewSet, RequirementViewSet, CycleViewSet, ElectiveViewSet, ExemptionViewSet)


@hooks.register("register_admin_viewset")
def register_viewsets():
    return ComplianceGroup()


# --- reports ------------------------------------------------------------------------------------

report_urls = [
    path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
    path("assignments/", views.AssignmentReportView.as_view(), name="assignments"),
    path(
        "assignments/results/",
        views.AssignmentReportView.as_view(results_only=True),
        name="assignments_results",
    ),
    path("overdue/", views.OverdueReportView.as_view(), name="overdue"),
    path(
        "overdue/results/",
        views.OverdueReportView.as_view(results_only=True),
        name="overdue_results",
    ),
    path("not-started/", views.NotStartedReportView.as_view(), name="not_started"),
    path(
        "not-started/results/",
        views.NotStartedReportView.as_view(results_only=True),
        name="not_started_results",
    ),
    path("completed/", views.CompletedReportView.as_view(), name="completed"),
    path(
        "completed/results/",
        views.CompletedReportView.as_view(results_only=True),
        name="completed_results",
    ),
    path("learners/", views.LearnersReportView.as_view(), name="learners"),
    path(
        "learners/results/",
        views.LearnersReportView.as_view(results_only=True),
        name="learners_results",
    ),
    path("transcripts/", views.TranscriptIndexView.as_view(), name="transcripts"),
    path(
        "transcripts/results/",
        views.TranscriptIndexView.as_view(results_only=True),
        name="transcripts_results",
    ),
    path("transcripts/<int:member_id>/", views.TranscriptView.as_view(), name="transcript"),
]


@hooks.register("register_admin_urls")
def register_report_urls():
    return [path("lms/reports/", include((report_urls, "lms_reports"), namespace="lms_reports"))]


class ReportMenuItem(MenuItem):
    permission_policy = ModelPermissionPolicy(Assignment)

    def is_shown(self, request):
        return self.permission_policy.user_has_any_permission(request.user, ["view", "change"])


REPORTS = [
    ("dashboard", _("Campaign dashboard"), "table", 1),
    ("overdue", _("Overdue"), "warning", 2),
    ("not_started", _("Not started"), "time", 3),
    ("completed", _("Completed"), "success", 4),
    ("assignments", _("Assignments"), "list-ul", 5),
    ("learners", _("Learners list"), "group", 6),
    ("transcripts", _("Transcripts"), "doc-full", 7),
]


def _report_item(name, label, icon, order):
    def register():
        return ReportMenuItem(
            label,
            reverse(f"lms_reports:{name}"),
            name=f"lms-{name.replace('_', '-')}",
            icon_name=icon,
            order=order,
        )

    register.__name__ = f"register_lms_{name}_report"
    return register


for _args in REPORTS:
    hooks.register("register_reports_menu_item", _report_item(*_args))
