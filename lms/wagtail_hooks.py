"""Wiring only: the compliance menu (campaigns, requirements, …) and the report menu items."""

from django import forms
from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.permission_policies import ModelPermissionPolicy

from courses.models import SurveyResponse
from members.admin_scoping import OrganisationScopedViewSet

from .forms import (
    CampaignForm,
    CycleForm,
    ElectiveForm,
    EvidencePackForm,
    ExemptionForm,
    RequirementForm,
)
from .models import Assignment, Campaign, Cycle, Elective, EvidencePack, Exemption, Requirement
from .views import admin as views
from .views import survey_admin as survey_views


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
    index_view_class = views.ExemptionIndexView
    list_display = [
        "member",
        "requirement",
        "cycle",
        "granted_at",
        "granted_by",
        "revoked_at",
        views.ExemptionEvidenceColumn("evidence", label=_("Evidence document")),
    ]
    list_filter = ["requirement"]
    search_fields = ["member__member_no", "member__name", "reason"]
    ordering = ["-granted_at"]
    edit_handler = ObjectList(
        [
            FieldPanel("member_no"),
            FieldPanel("requirement"),
            FieldPanel("cycle"),
            FieldPanel("reason"),
            FieldPanel("evidence"),
            FieldPanel("revoke"),
        ],
        base_form_class=ExemptionForm,
    )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("import/", views.ExemptionImportView.as_view(), name="import"),
        ]


class EvidencePackViewSet(ScopedViewSet):
    """労働局 evidence packs: made from a cycle, downloaded through the private-file view."""

    model = EvidencePack
    name = "lms_evidence_pack"
    url_prefix = "lms/evidence-packs"
    icon = "download"
    menu_label = _("Evidence packs")
    add_view_class = views.EvidencePackCreateView
    index_view_class = views.EvidencePackIndexView
    inspect_view_enabled = False
    list_display = [
        "file_name",
        "cycle",
        "as_of",
        "created_by_label",
        views.EvidencePackDownloadColumn("download", label=_("File")),
    ]
    list_filter = ["cycle__fiscal_year"]
    ordering = ["-as_of", "-pk"]
    edit_handler = ObjectList(
        [FieldPanel("cycle"), FieldPanel("with_certificates")],
        base_form_class=EvidencePackForm,
    )


class ComplianceGroup(ViewSetGroup):
    menu_label = _("Training compliance")
    menu_icon = "tasks"
    menu_order = 250
    items = (
        CampaignViewSet,
        RequirementViewSet,
        CycleViewSet,
        ElectiveViewSet,
        ExemptionViewSet,
        EvidencePackViewSet,
    )


@hooks.register("register_admin_viewset")
def register_viewsets():
    return ComplianceGroup()


# --- reports ------------------------------------------------------------------------------------

report_urls = [
    path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
    path("dashboard/export/", views.DashboardExportView.as_view(), name="dashboard_export"),
    path(
        "cycles/<int:cycle_id>/close/",
        views.CycleStateView.as_view(action="close"),
        name="cycle_close",
    ),
    path(
        "cycles/<int:cycle_id>/reopen/",
        views.CycleStateView.as_view(action="reopen"),
        name="cycle_reopen",
    ),
    path("people/", views.PeopleReportView.as_view(), name="people"),
    path(
        "people/results/", views.PeopleReportView.as_view(results_only=True), name="people_results"
    ),
    path("in-progress/", views.InProgressReportView.as_view(), name="in_progress"),
    path(
        "in-progress/results/",
        views.InProgressReportView.as_view(results_only=True),
        name="in_progress_results",
    ),
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
    path("surveys/", survey_views.SurveyReportView.as_view(), name="surveys"),
    path(
        "surveys/<int:cycle_id>/<int:course_id>/",
        survey_views.SurveyResultsView.as_view(),
        name="survey_results",
    ),
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
    ("in_progress", _("In progress"), "resubmit", 4),
    ("completed", _("Completed"), "success", 5),
    ("people", _("People"), "group", 6),
    ("assignments", _("Assignments (per requirement)"), "list-ul", 7),
    ("learners", _("Learners list"), "group", 8),
    ("transcripts", _("Transcripts"), "doc-full", 9),
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


@hooks.register("register_log_actions")
def register_cycle_log_actions(actions):
    actions.register_action("lms.cycle_close", _("Close a cycle (確定)"), _("Cycle closed (確定)"))
    actions.register_action("lms.cycle_reopen", _("Reopen a cycle"), _("Cycle reopened"))


# --- the office home and the member page ------------------------------------------------------


@hooks.register("construct_homepage_panels")
def office_home_campaigns(request, panels):
    panel = views.office_campaign_panel(request)
    if panel is not None:
        panels.append(panel)


@hooks.register("member_page_sections")
def member_training_record(request, member):
    return views.training_record_html(request=request, member=member)


class SurveyReportMenuItem(ReportMenuItem):
    permission_policy = ModelPermissionPolicy(SurveyResponse)

    def is_shown(self, request):
        return self.permission_policy.user_has_permission(request.user, "view")


@hooks.register("register_reports_menu_item")
def register_survey_report():
    return SurveyReportMenuItem(
        _("Post-course surveys"),
        reverse("lms_reports:surveys"),
        name="lms-surveys",
        icon_name="pick",
        order=8,
    )


@hooks.register("member_disclosure_sheets")
def member_assignments_disclosure(member):
    from .privacy import disclosure_sheets

    return disclosure_sheets(member)
