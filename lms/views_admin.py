"""Staff screens in the Wagtail admin: scoped model views, the requirement preview, and the
completion reports. Every queryset goes through selectors.staff_* (the staff user's
organisations); an object of another organisation is a 404."""

import tempfile

from django.db.models import Exists, OuterRef, Subquery
from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic import PermissionCheckedMixin, WagtailAdminTemplateMixin
from wagtail.admin.views.reports import ReportView
from wagtail.coreutils import multigetattr
from wagtail.permission_policies import ModelPermissionPolicy

from courses.models import Certificate, Enrolment
from members.admin_scoping import ScopedEditView
from members.constants import PREFECTURE_BY_CODE, Category
from members.exports import SafeSpreadsheetExportMixin

from . import conf, selectors, services
from .filters import AssignmentFilterSet, LearnerFilterSet, MemberFilterSet
from .forms import CompletionReportForm
from .models import Assignment

Status = Assignment.Status

# --- requirements: preview the audience before saving; refresh after -------------------------


class RequirementPreviewMixin:
    """A "Preview matching members" button posts the unsaved form: the view shows how many
    members the rules match and the first of them, and saves nothing."""

    template_name = "lms/admin/requirement_form.html"
    preview_field = "preview_audience"

    def form_valid(self, form):
        if self.preview_field in self.request.POST:
            requirement = form.save(commit=False)
            preview = selectors.requirement_preview(
                requirement=requirement, limit=conf.preview_limit()
            )
            context = self.get_context_data(form=form, audience_preview=preview)
            return self.render_to_response(context)
        return super().form_valid(form)

    def save_instance(self):
        instance = super().save_instance()
        services.refresh_enqueue(
            organisation_id=instance.campaign.organisation_id, requirement_id=instance.pk
        )
        return instance

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if "audience_preview" not in context and getattr(self, "object", None) and self.object.pk:
            context["audience_preview"] = selectors.requirement_preview(
                requirement=self.object, limit=conf.preview_limit()
            )
        context["preview_field"] = self.preview_field
        return context


class RequirementCreateView(RequirementPreviewMixin, generic.CreateView):
    pass


class RequirementEditView(RequirementPreviewMixin, ScopedEditView):
    pass


class CampaignCreateView(generic.CreateView):
    def save_instance(self):
        instance = super().save_instance()
        services.cycles_ensure(campaign=instance)
        return instance


class CampaignEditView(ScopedEditView):
    def save_instance(self):
        instance = super().save_instance()
        services.cycles_ensure(campaign=instance)
        services.refresh_enqueue(organisation_id=instance.organisation_id)
        return instance


class ExemptionCreateView(generic.CreateView):
    def save_instance(self):
        data = self.form.cleaned_data
        return services.exemption_grant(
            member=self.form.instance.member,
            requirement=data["requirement"],
            cycle=data.get("cycle"),
            reason=data["reason"],
            user=self.request.user,
        )


class ExemptionEditView(ScopedEditView):
    def save_instance(self):
        instance = super().save_instance()
        if self.form.cleaned_data.get("revoke"):
            services.exemption_revoke(exemption=instance, user=self.request.user)
        else:
            services.assignments_sync_member(member=instance.member)
        return instance


# --- streamed exports ---------------------------------------------------------------------


class StreamedExportMixin(SafeSpreadsheetExportMixin):
    """CSV streamed row by row (UTF-8 with BOM for Excel) and XLSX written row by row to a
    temporary file: neither holds 100k model instances in memory. Formula-like cells are
    neutralised by SafeSpreadsheetExportMixin."""

    chunk_size = 2000

    def _rows(self, queryset):
        if hasattr(queryset, "iterator"):
            return queryset.iterator(chunk_size=self.chunk_size)
        return queryset

    def stream_csv(self, queryset):
        yield from super().stream_csv(_Iterated(queryset, self._rows(queryset)))

    def write_csv_response(self, queryset):
        response = StreamingHttpResponse(
            self.stream_csv(queryset), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{self.get_filename()}.csv"'
        return response

    def write_xlsx_response(self, queryset):
        output = tempfile.TemporaryFile()
        self.write_xlsx(_Iterated(queryset, self._rows(queryset)), output)
        output.seek(0)
        return FileResponse(
            output,
            as_attachment=True,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            filename=f"{self.get_filename()}.xlsx",
        )

    def get_filename(self):
        return f"{self.export_filename}-{timezone.localdate():%Y%m%d}"

    def to_row_dict(self, item):
        """Like Wagtail's, but a missing relation (no completion yet) is an empty cell."""
        row = {}
        for name in self.list_export:
            try:
                row[name] = multigetattr(item, name)
            except AttributeError:
                row[name] = None
        return row


class _Iterated:
    """A queryset's model (for column headings) with its rows iterated in chunks."""

    def __init__(self, queryset, rows):
        self.model = queryset.model
        self._rows = rows

    def __iter__(self):
        return iter(self._rows)


# --- assignment lists: all / overdue / not started / completed ------------------------------


def _status_label(value):
    return str(Status(value).label) if value in Status.values else value


class AssignmentReportView(StreamedExportMixin, ReportView):
    page_title = _("Assignments")
    header_icon = "list-ul"
    index_url_name = "lms_reports:assignments"
    index_results_url_name = "lms_reports:assignments_results"
    filterset_class = AssignmentFilterSet
    permission_policy = ModelPermissionPolicy(Assignment)
    any_permission_required = ["view", "change"]
    export_filename = "assignments"
    preset_status: tuple = ()
    list_export = [
        "member.member_no",
        "member.name",
        "member.prefecture",
        "member.occupation",
        "member.category",
        "cycle.campaign.name",
        "cycle.name",
        "requirement.name",
        "starts_on",
        "due_on",
        "status",
        "completed_at",
        "enrolment.source",
    ]
    export_headings = {
        "member.member_no": _("Member number"),
        "member.name": _("Name"),
        "member.prefecture": _("Prefecture"),
        "member.occupation": _("Occupation"),
        "member.category": _("Category"),
        "cycle.campaign.name": _("Campaign"),
        "cycle.name": _("Cycle"),
        "requirement.name": _("Requirement"),
        "starts_on": _("Counts from"),
        "due_on": _("Due on"),
        "status": _("Status"),
        "completed_at": _("Completed at"),
        "enrolment.source": _("Completion source"),
    }

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        sources = dict(Enrolment.Source.choices)
        categories = dict(Category.choices)
        both = (self.FORMAT_CSV, self.FORMAT_XLSX)
        self.custom_field_preprocess = {
            "status": dict.fromkeys(both, _status_label),
            "member.prefecture": dict.fromkeys(both, lambda v: PREFECTURE_BY_CODE.get(v, v)),
            "member.category": dict.fromkeys(both, lambda v: str(categories.get(v, v))),
            "enrolment.source": dict.fromkeys(both, lambda v: str(sources.get(v, v or ""))),
            "completed_at": dict.fromkeys(
                both, lambda v: timezone.localtime(v).strftime("%Y-%m-%d %H:%M") if v else ""
            ),
        }

    @cached_property
    def columns(self):
        return [
            Column("member_no", label=_("Member number"), accessor="member.member_no"),
            TitleColumn(
                "member",
                label=_("Name"),
                accessor="member.name",
                get_url=lambda a: _transcript_url(a.member_id),
            ),
            Column("requirement", label=_("Requirement"), accessor="requirement.name"),
            Column("cycle", label=_("Cycle"), accessor="cycle"),
            DateColumn("due_on", label=_("Due on")),
            Column("status", label=_("Status"), accessor="get_status_display"),
            DateColumn("completed_at", label=_("Completed at")),
        ]

    def get_queryset(self):
        qs = (
            selectors.staff_assignments(user=self.request.user)
            .select_related("member", "requirement", "cycle__campaign", "enrolment")
            .order_by("due_on", "member__member_no", "pk")
        )
        if self.preset_status:
            qs = qs.filter(status__in=self.preset_status)
        return qs


def _transcript_url(member_id):
    return reverse("lms_reports:transcript", args=[member_id])


class OverdueReportView(AssignmentReportView):
    page_title = _("Overdue")
    header_icon = "warning"
    index_url_name = "lms_reports:overdue"
    index_results_url_name = "lms_reports:overdue_results"
    preset_status = (Status.OVERDUE,)
    export_filename = "overdue"


class NotStartedReportView(AssignmentReportView):
    page_title = _("Not started")
    header_icon = "time"
    index_url_name = "lms_reports:not_started"
    index_results_url_name = "lms_reports:not_started_results"
    preset_status = (Status.ASSIGNED, Status.OVERDUE)
    export_filename = "not-started"

    def get_queryset(self):
        # nothing started in this cycle: not started, or overdue without an attempt
        started = Enrolment.objects.filter(
            member=OuterRef("member_id"),
            course__requirements=OuterRef("requirement_id"),
            started_at__date__gte=OuterRef("starts_on"),
        )
        return super().get_queryset().filter(~Exists(started))


class CompletedReportView(AssignmentReportView):
    page_title = _("Completed")
    header_icon = "success"
    index_url_name = "lms_reports:completed"
    index_results_url_name = "lms_reports:completed_results"
    preset_status = Assignment.DONE
    export_filename = "completed"


# --- 受講者一覧: the evidence list --------------------------------------------------------------


class LearnersReportView(StreamedExportMixin, ReportView):
    page_title = _("Learners list")
    header_icon = "group"
    index_url_name = "lms_reports:learners"
    index_results_url_name = "lms_reports:learners_results"
    filterset_class = LearnerFilterSet
    permission_policy = ModelPermissionPolicy(Assignment)
    any_permission_required = ["view", "change"]
    export_filename = "learners"
    list_export = [
        "member.member_no",
        "member.name",
        "course.title",
        "attempt",
        "started_at",
        "completed_at",
        "active_minutes",
        "best_score",
        "certificate_number",
        "source",
    ]
    export_headings = {
        "member.member_no": _("Member number"),
        "member.name": _("Name"),
        "course.title": _("Course"),
        "attempt": _("Attempt"),
        "started_at": _("Started"),
        "completed_at": _("Completed"),
        "active_minutes": _("Active minutes"),
        "best_score": _("Quiz score"),
        "certificate_number": _("Certificate number"),
        "source": _("Completion source"),
    }

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        sources = dict(Enrolment.Source.choices)
        both = (self.FORMAT_CSV, self.FORMAT_XLSX)

        def when(v):
            return timezone.localtime(v).strftime("%Y-%m-%d %H:%M") if v else ""

        self.custom_field_preprocess = {
            "source": dict.fromkeys(both, lambda v: str(sources.get(v, v))),
            "started_at": dict.fromkeys(both, when),
            "completed_at": dict.fromkeys(both, when),
            "best_score": dict.fromkeys(both, lambda v: "" if v is None else v),
        }

    @cached_property
    def columns(self):
        return [
            Column("member_no", label=_("Member number"), accessor="member.member_no"),
            TitleColumn(
                "member",
                label=_("Name"),
                accessor="member.name",
                get_url=lambda e: _transcript_url(e.member_id),
            ),
            Column("course", label=_("Course"), accessor="course.title"),
            DateColumn("started_at", label=_("Started")),
            DateColumn("completed_at", label=_("Completed")),
            Column("active_minutes", label=_("Active minutes")),
            Column("best_score", label=_("Quiz score")),
            Column("certificate_number", label=_("Certificate number")),
            Column("source", label=_("Completion source"), accessor="get_source_display"),
        ]

    def get_queryset(self):
        orgs = selectors.staff_organisations(user=self.request.user)
        number = Certificate.objects.filter(enrolment=OuterRef("pk")).values("number")[:1]
        return (
            selectors.with_evidence(Enrolment.objects.filter(member__organisation__in=orgs))
            .annotate(certificate_number=Subquery(number))
            .select_related("member", "course")
            .order_by("course__path", "member__member_no", "attempt")
        )

    def decorate_paginated_queryset(self, object_list):
        for enrolment in object_list:
            _add_minutes(enrolment)
        return object_list

    def to_row_dict(self, item):
        _add_minutes(item)
        return super().to_row_dict(item)


def _add_minutes(enrolment):
    enrolment.active_minutes = round((enrolment.total_active_seconds or 0) / 60)


# --- transcripts ------------------------------------------------------------------------------


class TranscriptIndexView(SafeSpreadsheetExportMixin, ReportView):
    page_title = _("Transcripts")
    header_icon = "doc-full"
    index_url_name = "lms_reports:transcripts"
    index_results_url_name = "lms_reports:transcripts_results"
    filterset_class = MemberFilterSet
    permission_policy = ModelPermissionPolicy(Assignment)
    any_permission_required = ["view", "change"]

    @cached_property
    def columns(self):
        return [
            Column("member_no", label=_("Member number")),
            TitleColumn("name", label=_("Name"), get_url=lambda m: _transcript_url(m.pk)),
            Column("name_kana", label=_("Name (kana)")),
            Column("organisation", label=_("Organisation")),
        ]

    def get_queryset(self):
        return (
            selectors.staff_members(user=self.request.user)
            .select_related("organisation")
            .order_by("organisation__name", "member_no")
        )


class TranscriptView(PermissionCheckedMixin, TemplateView):
    """All years of one member, printable."""

    template_name = "lms/admin/transcript.html"
    permission_policy = ModelPermissionPolicy(Assignment)
    any_permission_required = ["view", "change"]

    def get_context_data(self, **kwargs):
        member = get_object_or_404(
            selectors.staff_members(user=self.request.user).select_related("organisation"),
            pk=kwargs["member_id"],
        )
        context = super().get_context_data(**kwargs)
        context.update(selectors.member_transcript(member=member))
        for enrolment in context["enrolments"]:
            _add_minutes(enrolment)
        context["printed_on"] = timezone.localdate()
        return context


# --- the campaign dashboard -------------------------------------------------------------------


class DashboardView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "lms/admin/dashboard.html"
    page_title = _("Campaign dashboard")
    header_icon = "table"
    permission_policy = ModelPermissionPolicy(Assignment)
    any_permission_required = ["view", "change"]

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = CompletionReportForm(self.request.GET or None, user=self.request.user)
        cycle = requirement = None
        if form.is_valid():
            cycle = form.cleaned_data["cycle"]
            requirement = form.cleaned_data["requirement"]
        cycle = cycle or selectors.default_cycle(user=self.request.user)
        if (
            requirement is not None
            and cycle is not None
            and requirement.campaign_id != cycle.campaign_id
        ):
            requirement = None
        if cycle is not None and not form.is_bound:
            form = CompletionReportForm(initial={"cycle": cycle.pk}, user=self.request.user)
        context.update(form=form, cycle=cycle, requirement=requirement)
        if cycle is None:
            return context
        summary = selectors.cycle_summary(cycle=cycle, requirement=requirement)
        daily = selectors.cycle_daily_completions(cycle=cycle, requirement=requirement)
        context.update(
            summary=summary,
            statuses=[(s, summary.n(s)) for s in Status],
            breakdowns=[
                (
                    key,
                    label,
                    selectors.cycle_breakdown(cycle=cycle, by=key, requirement=requirement),
                )
                for key, label in selectors.BREAKDOWNS.items()
            ],
            chart=selectors.completion_chart(daily=daily, required=summary.required),
            daily=daily,
            today=timezone.localdate(),
            query=f"cycle={cycle.pk}" + (f"&requirement={requirement.pk}" if requirement else ""),
        )
        return context
