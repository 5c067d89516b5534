"""Staff screens of the post-course survey: results per course and cycle (レポート menu),
scoped to the staff user's organisations; CSV/XLSX export of the answers."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.views.generic import PermissionCheckedMixin, WagtailAdminTemplateMixin
from wagtail.permission_policies import ModelPermissionPolicy

from courses.models import CoursePage, SurveyResponse
from courses.survey import TEXT, survey_questions, survey_results
from members.admin_scoping import OrganisationScopedMixin
from members.exports import SafeSpreadsheetExportMixin

from ..models import Cycle
from ..survey_report import cycle_course_responses, survey_rows


class _SurveyAdminView(
    OrganisationScopedMixin, PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView
):
    permission_policy = ModelPermissionPolicy(SurveyResponse)
    any_permission_required = ["view"]
    organisation_path = "campaign__organisation"
    header_icon = "pick"

    def cycles(self):
        return self.scoped_queryset(Cycle)


class SurveyReportView(_SurveyAdminView):
    template_name = "lms/admin/survey_report.html"
    page_title = _("Post-course surveys")

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["rows"] = survey_rows(cycles=self.cycles())
        return context


class SurveyResultsView(SafeSpreadsheetExportMixin, _SurveyAdminView):
    template_name = "lms/admin/survey_results.html"
    page_title = _("Survey results")
    base_export = ["member.member_no", "member.name", "submitted_at"]

    def _load(self, kwargs):
        """After the permission check (dispatch): the cycle, course and their responses."""
        self.cycle = get_object_or_404(
            self.cycles().select_related("campaign__organisation"), pk=kwargs["cycle_id"]
        )
        self.course = get_object_or_404(CoursePage.objects.all(), pk=kwargs["course_id"])
        self.organisation = self.cycle.campaign.organisation  # the export's audit scope
        if self.course.organisation_id not in (None, self.organisation.pk):
            raise Http404
        self.responses, self.completed = cycle_course_responses(
            cycle=self.cycle, course=self.course
        )
        self.results = survey_results(
            course=self.course, responses=self.responses, completed=self.completed
        )
        self.questions = [r.question for r in self.results.questions]

    def get(self, request, *args, **kwargs):
        self._load(kwargs)
        if self.is_export:
            return self.as_spreadsheet(self.responses, request.GET["export"])
        return super().get(request, *args, **kwargs)

    def get_page_subtitle(self):
        return f"{self.course.title} — {self.cycle}"

    def get_breadcrumbs_items(self):
        from django.urls import reverse

        return self.breadcrumbs_items + [
            {"url": reverse("lms_reports:surveys"), "label": SurveyReportView.page_title},
            {"url": "", "label": self.get_page_subtitle()},
        ]

    # --- export: one row per response, one column per question ---------------------------

    def get_filename(self):
        return f"survey-{self.course.slug}-{self.cycle.fiscal_year}-{timezone.localdate():%Y%m%d}"

    @property
    def export_headings(self):
        headings = {
            "member.member_no": str(_("Member number")),
            "member.name": str(_("Name")),
            "submitted_at": str(_("Submitted at")),
        }
        headings.update({f"q_{q['id']}": q["question"] for q in self.questions})
        return headings

    @property
    def list_export(self):
        return self.base_export + [f"q_{q['id']}" for q in self.questions]

    def to_row_dict(self, item):
        row = {
            "member.member_no": item.member.member_no,
            "member.name": item.member.name,
            "submitted_at": timezone.localtime(item.submitted_at).strftime("%Y-%m-%d %H:%M"),
        }
        for q in self.questions:
            answer = item.answers.get(q["id"], "")
            if q["kind"] != TEXT and answer != "":
                labels = dict((v, label) for v, label in q["choices"])
                values = answer if isinstance(answer, list) else [answer]
                answer = "、".join(str(labels.get(v, v)) for v in values)
            row[f"q_{q['id']}"] = answer
        return row

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            cycle=self.cycle,
            course=self.course,
            results=self.results,
            current_questions=len(survey_questions(self.course)),
            export_csv=self.get_export_url("csv"),
            export_xlsx=self.get_export_url("xlsx"),
        )
        return context
