"""Staff screens in the Wagtail admin: scoped model views, the requirement preview, and the
completion reports. Every queryset goes through selectors.staff_* (the staff user's
organisations); an object of another organisation is a 404."""

import datetime
import tempfile

from django.db.models import OuterRef, Subquery
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.generic import FormView, TemplateView, View
from wagtail.admin import messages
from wagtail.admin.paginator import WagtailPaginator
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic import PermissionCheckedMixin, WagtailAdminTemplateMixin
from wagtail.admin.views.reports import ReportView
from wagtail.coreutils import multigetattr
from wagtail.permission_policies import ModelPermissionPolicy

from courses.models import Certificate, Enrolment
from courses.selectors import lesson_study_rows, with_study_time
from members.admin_scoping import ScopedEditView, ScopedIndexView
from members.constants import PREFECTURE_BY_CODE, Category
from members.exports import SafeSpreadsheetExportMixin
from members.storage import private_file_url
from members.xlsx import XLSX_TYPE

from .. import conf, selectors, services
from ..filters import AssignmentFilterSet, LearnerFilterSet, MemberFilterSet, PeopleFilterSet
from ..forms import CompletionReportForm
from ..models import PERSON_PRECEDENCE, Assignment, Cycle, CycleResult
from ..people_actions import PeopleActionsMixin

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
            evidence=data.get("evidence"),
            evidence_name=self.form.instance.evidence_name,
        )


class ExemptionEditView(ScopedEditView):
    def save_instance(self):
        instance = super().save_instance()
        if self.form.cleaned_data.get("revoke"):
            services.exemption_revoke(exemption=instance, user=self.request.user)
        else:
            services.assignments_sync_member(member=instance.member)
        return instance


class ExemptionIndexView(ScopedIndexView):
    @cached_property
    def header_buttons(self):
        from wagtail.admin.widgets import HeaderButton

        buttons = super().header_buttons
        if self.user_has_permission("add"):
            buttons.append(
                HeaderButton(
                    _("Import exemptions"), url=reverse("lms_exemption:import"), icon_name="upload"
                )
            )
        return buttons


class ExemptionEvidenceColumn(Column):
    cell_template_name = "lms/admin/exemption_evidence_cell.html"

    def get_value(self, instance):
        return private_file_url(instance) if instance.evidence else ""


class ExemptionImportView(PermissionCheckedMixin, WagtailAdminTemplateMixin, FormView):
    """Bulk exemptions from a CSV/XLSX list: all lines or none (services.exemptions_import)."""

    template_name = "lms/admin/exemption_import.html"
    page_title = _("Import exemptions")
    header_icon = "upload"
    permission_required = "add"

    @cached_property
    def permission_policy(self):
        from ..models import Exemption

        return ModelPermissionPolicy(Exemption)

    def get_form_class(self):
        from ..forms import ExemptionImportForm

        return ExemptionImportForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        result = services.exemptions_import(
            campaign=form.cleaned_data["campaign"],
            data=upload.read(),
            file_name=upload.name,
            user=self.request.user,
        )
        if result.errors:
            return self.render_to_response(self.get_context_data(form=form, result=result))
        messages.success(
            self.request,
            _("%(added)s exemptions added; %(already)s were already in force.")
            % {"added": result.added, "already": result.already},
        )
        return redirect("lms_exemption:index")


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

    def write_xlsx(self, queryset, output):
        """A named sheet with a title row (organisation, report, as-of time in JST), a frozen
        header with an autofilter, widths, and real dates (members/xlsx.py)."""
        from openpyxl import Workbook

        from members.xlsx import Col, TableSheet

        book = Workbook(write_only=True)
        columns = [Col(str(self.get_heading(queryset, field))) for field in self.list_export]
        sheet = TableSheet(
            book,
            title=self.page_title,
            heading=(self.export_organisation_label(), self.page_title, timezone.localtime()),
            columns=columns,
            sample_widths=self.xlsx_widths,
        )
        for item in queryset:
            row = self.to_row_dict(item)
            sheet.append(
                self.preprocess_field_value(field, value, self.FORMAT_XLSX)
                for field, value in row.items()
            )
        sheet.close()
        book.save(output)

    xlsx_widths = {1: 16}  # the name column

    def export_organisation_label(self) -> str:
        cycle = getattr(self, "cycle", None)
        if cycle is not None:
            return cycle.campaign.organisation.name
        return "、".join(o.name for o in selectors.staff_organisations(user=self.request.user))

    def write_xlsx_response(self, queryset):
        output = tempfile.TemporaryFile()
        self.write_xlsx(_Iterated(queryset, self._rows(queryset)), output)
        output.seek(0)
        return FileResponse(
            output,
            as_attachment=True,
            content_type=XLSX_TYPE,
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


class AbsoluteDateColumn(Column):
    """A date (or a moment, in JST) as staff write it: 2026年7月31日, never 「4ヶ月前」."""

    def get_value(self, instance):
        value = super().get_value(instance)
        if value is None or value == "":
            return ""
        if isinstance(value, datetime.datetime):
            local = timezone.localtime(value)
            return f"{date_format(local, 'DATE_FORMAT')} {local:%H:%M}"
        return date_format(value, "DATE_FORMAT")


def _csv_when(value):
    """A moment in a CSV cell: JST, minutes (XLSX cells hold the real date and time)."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


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
            "completed_at": {
                self.FORMAT_CSV: _csv_when,
            },
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
            AbsoluteDateColumn("due_on", label=_("Due on")),
            Column("status", label=_("Status"), accessor="get_status_display"),
            AbsoluteDateColumn("completed_at", label=_("Completed at")),
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


# --- people of a cycle: one row per person, the dashboard's figures ---------------------------


class PeoplePaginator(WagtailPaginator):
    """The count under a list of people says how many people (「3 人」), not how many rows of
    the model behind it."""

    @cached_property
    def items_count_label(self):
        return ngettext("%(n)s person", "%(n)s people", self.count) % {"n": self.count}


class PeopleReportView(PeopleActionsMixin, StreamedExportMixin, ReportView):
    """The people of one cycle (the chosen one, else the current one), one row each, by the
    person status of the dashboard. A closed cycle lists its frozen rows."""

    page_title = _("People")
    header_icon = "group"
    index_url_name = "lms_reports:people"
    index_results_url_name = "lms_reports:people_results"
    filterset_class = PeopleFilterSet
    permission_policy = ModelPermissionPolicy(Assignment)
    any_permission_required = ["view", "change"]
    export_filename = "people"
    paginator_class = PeoplePaginator
    preset_status: str | None = None
    report_title = _("People of the cycle")
    list_export = [
        "member_no",
        "name",
        "status",
        "requirements",
        "due_on",
        "completed_at",
        "prefecture",
        "occupation",
        "category",
    ]
    export_headings = {
        "member_no": _("Member number"),
        "name": _("Name"),
        "status": _("Status"),
        "requirements": _("Requirements (count)"),
        "due_on": _("Due on"),
        "completed_at": _("Completed at"),
        "prefecture": _("Prefecture"),
        "occupation": _("Occupation"),
        "category": _("Category"),
    }

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        categories = dict(Category.choices)
        both = (self.FORMAT_CSV, self.FORMAT_XLSX)
        self.custom_field_preprocess = {
            "status": dict.fromkeys(both, _status_label),
            "prefecture": dict.fromkeys(both, lambda v: PREFECTURE_BY_CODE.get(v, v)),
            "category": dict.fromkeys(both, lambda v: str(categories.get(v, v))),
            "completed_at": {
                self.FORMAT_CSV: lambda v: (
                    timezone.localtime(v).strftime("%Y-%m-%d %H:%M") if v else ""
                ),
                self.FORMAT_XLSX: lambda v: (
                    timezone.localtime(v).replace(tzinfo=None) if v else None
                ),
            },
        }

    @cached_property
    def cycle(self):
        cycles = selectors.staff_cycles(user=self.request.user)
        chosen = self.request.GET.get("cycle")
        if chosen and chosen.isdigit():
            cycle = cycles.filter(pk=chosen).first()
            if cycle is not None:
                return cycle
        return selectors.default_cycle(user=self.request.user)

    def get_page_subtitle(self):
        return str(self.cycle) if self.cycle else ""

    @cached_property
    def columns(self):
        return self.with_selection(
            [
                Column("member_no", label=_("Member number")),
                TitleColumn(
                    "name", label=_("Name"), get_url=lambda r: _transcript_url(r.member_id)
                ),
                Column("status", label=_("Status"), accessor="get_status_display"),
                Column("requirements", label=_("Requirements (count)")),
                AbsoluteDateColumn("due_on", label=_("Due on")),
                AbsoluteDateColumn("completed_at", label=_("Completed at")),
            ]
        )

    def get_queryset(self):
        if self.cycle is None:
            return CycleResult.objects.none()
        qs = selectors.person_statuses(cycle=self.cycle).order_by("member_no", "pk")
        if self.preset_status:
            qs = qs.filter(selectors.person_status_filter(self.preset_status))
        return qs


class OverdueReportView(PeopleReportView):
    list_name = "overdue"
    page_title = _("Overdue")
    header_icon = "warning"
    index_url_name = "lms_reports:overdue"
    index_results_url_name = "lms_reports:overdue_results"
    preset_status = Status.OVERDUE
    export_filename = "overdue"


class NotStartedReportView(PeopleReportView):
    list_name = "not_started"
    page_title = _("Not started")
    header_icon = "time"
    index_url_name = "lms_reports:not_started"
    index_results_url_name = "lms_reports:not_started_results"
    preset_status = Status.ASSIGNED
    export_filename = "not-started"


class InProgressReportView(PeopleReportView):
    list_name = "in_progress"
    page_title = _("In progress")
    header_icon = "resubmit"
    index_url_name = "lms_reports:in_progress"
    index_results_url_name = "lms_reports:in_progress_results"
    preset_status = Status.IN_PROGRESS
    export_filename = "in-progress"


class CompletedReportView(PeopleReportView):
    page_title = _("Completed")
    header_icon = "success"
    index_url_name = "lms_reports:completed"
    index_results_url_name = "lms_reports:completed_results"
    preset_status = "done"
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
        "fast",
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
        "active_minutes": _("Credited study minutes"),
        "fast": _("Completed in less than the course's time"),
        "best_score": _("Quiz score"),
        "certificate_number": _("Certificate number"),
        "source": _("Completion source"),
    }

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        sources = dict(Enrolment.Source.choices)
        both = (self.FORMAT_CSV, self.FORMAT_XLSX)

        self.custom_field_preprocess = {
            "source": dict.fromkeys(both, lambda v: str(sources.get(v, v))),
            "started_at": {self.FORMAT_CSV: _csv_when},
            "completed_at": {self.FORMAT_CSV: _csv_when},
            "best_score": dict.fromkeys(both, lambda v: "" if v is None else v),
            "fast": dict.fromkeys(both, lambda v: str(_("Yes")) if v else ""),
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
            AbsoluteDateColumn("started_at", label=_("Started")),
            AbsoluteDateColumn("completed_at", label=_("Completed")),
            Column("active_minutes", label=_("Credited study minutes")),
            Column(
                "fast",
                label=_("Completed in less than the course's time"),
                accessor="fast_label",
            ),
            Column("best_score", label=_("Quiz score")),
            Column("certificate_number", label=_("Certificate number")),
            Column("source", label=_("Completion source"), accessor="get_source_display"),
        ]

    def get_queryset(self):
        orgs = selectors.staff_organisations(user=self.request.user)
        number = Certificate.objects.filter(enrolment=OuterRef("pk")).values("number")[:1]
        return (
            with_study_time(
                selectors.with_evidence(Enrolment.objects.filter(member__organisation__in=orgs))
            )
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
    enrolment.fast_label = _("Yes") if getattr(enrolment, "fast", False) else ""


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
        enrolments = context["enrolments"]
        fast = set(
            with_study_time(Enrolment.objects.filter(pk__in=[e.pk for e in enrolments]))
            .filter(fast=True)
            .values_list("pk", flat=True)
        )
        lessons = lesson_study_rows(enrolment_ids=[e.pk for e in enrolments])
        for enrolment in enrolments:
            enrolment.fast = enrolment.pk in fast
            _add_minutes(enrolment)
            enrolment.lesson_rows = lessons.get(enrolment.pk, [])
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
        cycle = form.cleaned_data["cycle"] if form.is_valid() else None
        cycle = cycle or selectors.default_cycle(user=self.request.user)
        if cycle is not None and not form.is_bound:
            form = CompletionReportForm(initial={"cycle": cycle.pk}, user=self.request.user)
        context.update(form=form, cycle=cycle)
        if cycle is None:
            return context
        context.update(dashboard_context(cycle=cycle))
        context["can_close"] = self.request.user.has_perm("lms.close_cycle")
        context["can_make_evidence_pack"] = self.request.user.has_perm("lms.add_evidencepack")
        return context


# --- the 労働局 evidence pack ------------------------------------------------------------------


class EvidencePackIndexView(ScopedIndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("cycle__campaign")


class EvidencePackCreateView(generic.CreateView):
    """Make a pack of the chosen cycle (``?cycle=`` from the dashboard): stored in private
    storage, audit-logged; the message links to the permission-checked download."""

    submit_button_label = _("Make the evidence pack")
    submit_button_active_label = _("Making the evidence pack…")

    def get_initial(self):
        initial = super().get_initial()
        cycle = self.request.GET.get("cycle", "")
        if cycle.isdigit():
            initial["cycle"] = int(cycle)
        return initial

    def save_instance(self):
        data = self.form.cleaned_data
        return services.evidence_pack_create(
            cycle=data["cycle"], user=self.request.user, with_certificates=data["with_certificates"]
        )

    def get_success_message(self, instance):
        return _("Evidence pack %(name)s made.") % {"name": instance.file_name}

    def get_success_buttons(self):
        return [messages.button(private_file_url(self.object), _("Download"))]


class EvidencePackDownloadColumn(Column):
    cell_template_name = "lms/admin/evidence_pack_download_cell.html"

    def get_value(self, instance):
        return private_file_url(instance) if instance.file else ""


def dashboard_context(*, cycle) -> dict:
    """Everything the campaign dashboard shows of one cycle (and its export writes)."""
    summary = selectors.cycle_summary(cycle=cycle)
    daily = selectors.cycle_daily_completions(cycle=cycle)
    query = f"cycle={cycle.pk}"
    people = reverse("lms_reports:people")

    def link(status, **group):
        extra = "".join(f"&{k}={v}" for k, v in group.items())
        return f"{people}?{query}&status={status}{extra}"

    tiles = [
        ("required", _("People required"), summary.required, "required"),
        ("completed", _("Completed (on time)"), summary.n(Status.COMPLETED), Status.COMPLETED),
        (
            "completed-late",
            _("Completed late"),
            summary.n(Status.COMPLETED_LATE),
            Status.COMPLETED_LATE,
        ),
        ("in-progress", _("In progress"), summary.n(Status.IN_PROGRESS), Status.IN_PROGRESS),
        ("not-started", _("Not started"), summary.n(Status.ASSIGNED), Status.ASSIGNED),
        ("overdue", _("Overdue"), summary.n(Status.OVERDUE), Status.OVERDUE),
        ("exempt", _("Exempt"), summary.n(Status.EXEMPT), Status.EXEMPT),
        ("withdrawn", _("Withdrawn"), summary.n(Status.WITHDRAWN), Status.WITHDRAWN),
    ]
    breakdowns = []
    groups = selectors.cycle_breakdowns(cycle=cycle)
    for key, label in selectors.BREAKDOWNS.items():
        field = "age_band" if key == "age" else key
        rows = []
        for row in groups[key]:
            linkable = row.key not in (None, "")
            cells = [
                (row.required, "required"),
                (row.completed, "done"),
                (row.n(Status.IN_PROGRESS), Status.IN_PROGRESS),
                (row.n(Status.ASSIGNED), Status.ASSIGNED),
                (row.n(Status.OVERDUE), Status.OVERDUE),
            ]
            rows.append(
                {
                    "label": row.label,
                    "rate": row.rate,
                    "cells": [
                        (n, link(status, **{field: row.key}) if linkable else "")
                        for n, status in cells
                    ],
                }
            )
        breakdowns.append((key, label, rows))
    return {
        "summary": summary,
        "tiles": [(testid, label, n, link(status)) for testid, label, n, status in tiles],
        "statuses": [(s, summary.n(s)) for s in Status],
        "precedence": [Status(s).label for s in PERSON_PRECEDENCE],
        "breakdowns": breakdowns,
        "requirements": selectors.requirement_summaries(cycle=cycle),
        "changes": selectors.changes_after_closing(cycle=cycle),
        "chart": selectors.completion_chart(daily=daily, required=summary.required),
        "daily": daily,
        "today": timezone.localdate(),
        "query": query,
    }


# --- closing and reopening a cycle ----------------------------------------------------------


class CycleStateView(PermissionCheckedMixin, View):
    """POST only: close (確定) or reopen a cycle; staff with ``lms.close_cycle``."""

    permission_policy = ModelPermissionPolicy(Cycle)
    permission_required = "close"
    http_method_names = ["post"]
    action = "close"

    def post(self, request, cycle_id):
        cycle = get_object_or_404(selectors.staff_cycles(user=request.user), pk=cycle_id)
        dashboard = f"{reverse('lms_reports:dashboard')}?cycle={cycle.pk}"
        if self.action == "close":
            services.cycle_close(cycle=cycle, user=request.user)
            messages.success(request, _("The cycle is closed: its figures are frozen."))
            return redirect(dashboard)
        reason = request.POST.get("reason", "").strip()
        if not reason:
            messages.error(request, _("Give a reason for reopening the cycle."))
            return redirect(dashboard)
        services.cycle_reopen(cycle=cycle, user=request.user, reason=reason)
        messages.success(request, _("The cycle is open again: its figures follow the records."))
        return redirect(dashboard)


class DashboardExportView(DashboardView):
    """The dashboard as an Excel workbook: people, requirements and each breakdown on named
    sheets, the same figures as the page (dashboard_context)."""

    def get(self, request, *args, **kwargs):
        from members.audit import AuditEvent, audit_log
        from members.xlsx import xlsx_response

        from ..dashboard_export import dashboard_workbook

        context = self.get_context_data(**kwargs)
        cycle = context.get("cycle")
        if cycle is None:
            raise Http404
        book = dashboard_workbook(context)
        audit_log(
            user=request.user,
            action=AuditEvent.Action.EXPORT,
            organisation=cycle.campaign.organisation_id,
            obj=cycle,
            detail=f"dashboard.xlsx cycle={cycle.pk}",
        )
        return xlsx_response(
            book,
            file_name=f"dashboard-{cycle.campaign.slug}-{cycle.fiscal_year}-"
            f"{timezone.localdate():%Y%m%d}.xlsx",
        )


# --- the office home and the member page ------------------------------------------------------


def office_campaign_panel(request):
    """Open campaigns on the admin home: people, completion, days left, and the overdue and
    not-started people, each linking to the list it counts."""
    from members.panels import Figure, OfficePanel

    if not ModelPermissionPolicy(Assignment).user_has_any_permission(
        request.user, ["view", "change"]
    ):
        return None
    figures = []
    for open_cycle in selectors.open_cycles_progress(user=request.user):
        cycle, summary, days_left = open_cycle.cycle, open_cycle.summary, open_cycle.days_left
        name = f"{cycle.campaign.name} {cycle.name}"
        query = f"?cycle={cycle.pk}"
        due = date_format(cycle.due_on, "DATE_FORMAT")
        if days_left >= 0:
            when = ngettext(
                "%(n)s day left (due %(due)s)", "%(n)s days left (due %(due)s)", days_left
            )
        else:
            when = _("due date %(due)s passed")
        people = ngettext("%(n)s person", "%(n)s people", summary.required)
        figures += [
            Figure(
                label=name,
                value=_("%(people)s required, %(rate)s%% completed, %(when)s")
                % {
                    "people": people % {"n": summary.required},
                    "rate": summary.rate,
                    "when": when % {"n": days_left, "due": due},
                },
                url=f"{reverse('lms_reports:dashboard')}{query}",
                testid=f"campaign-{cycle.pk}",
            ),
            _people_figure(
                cycle, _("Overdue"), summary.n(Status.OVERDUE), "lms_reports:overdue", "overdue"
            ),
            _people_figure(
                cycle,
                _("Not started"),
                summary.n(Status.ASSIGNED),
                "lms_reports:not_started",
                "not-started",
            ),
        ]
    if not figures:
        return None
    return OfficePanel(name="campaigns", heading=_("Open campaigns"), figures=figures, order=20)


def _people_figure(cycle, label, n, url_name, testid):
    from members.panels import Figure

    return Figure(
        label=f"{cycle.campaign.name} {cycle.name}: {label}",
        value=ngettext("%(n)s person", "%(n)s people", n) % {"n": n},
        url=f"{reverse(url_name)}?cycle={cycle.pk}",
        warning=bool(n) and testid == "overdue",
        testid=f"{testid}-{cycle.pk}",
        count=n,
    )


def training_record_html(*, request, member):
    from django.template.loader import render_to_string

    from courses.models import Question

    if not ModelPermissionPolicy(Assignment).user_has_any_permission(
        request.user, ["view", "change"]
    ):
        return ""
    return render_to_string(
        "lms/admin/includes/training_record.html",
        {
            "member": member,
            "record": selectors.member_training_record(member=member),
            "questions": Question.objects.filter(member=member)
            .select_related("course")
            .order_by("-created_at")[:50],
        },
        request=request,
    )
