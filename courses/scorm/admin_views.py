"""Admin screens for SCORM: the upload (with progress), its check and import, and the members'
SCORM attempts.

Who may upload to a course is Wagtail's own page permission: adding pages under it. The
attempts are scoped to the staff user's organisations like every other record.
"""

from __future__ import annotations

from django import forms
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.validators import FileExtensionValidator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.permission_policies.pages import PagePermissionPolicy

from members.admin_scoping import OrganisationScopedViewSet, ScopedInspectView
from members.exports import SafeSpreadsheetExportMixin

from .. import conf
from ..models import CoursePage
from . import problems as p
from . import services
from .models import ScormImport, ScormState
from .selectors import scorm_states_for_staff


def courses_for_uploader(user):
    """The courses ``user`` may add lessons to (Wagtail's "add" page permission)."""
    pages = PagePermissionPolicy().instances_user_has_permission_for(user, "add")
    return CoursePage.objects.filter(pk__in=pages.values("pk")).order_by("path")


def _wants_json(request) -> bool:
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


class ScormUploadForm(forms.Form):
    course = forms.ModelChoiceField(
        queryset=CoursePage.objects.none(), label=gettext_lazy("Course")
    )
    title = forms.CharField(
        label=gettext_lazy("Lesson title"),
        required=False,
        max_length=255,
        help_text=gettext_lazy("Blank: the title written in the package."),
    )
    package = forms.FileField(
        label=gettext_lazy("SCORM 1.2 package (.zip)"),
        validators=[FileExtensionValidator(["zip"])],
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )

    def __init__(self, *args, courses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = courses
        limit = conf.scorm_max_upload_bytes()
        self.fields["package"].widget.attrs["data-max-bytes"] = str(limit)
        self.fields["package"].help_text = _(
            "A zip with imsmanifest.xml at its top level, up to %(size)s."
        ) % {"size": p.file_size(limit)}

    def clean_package(self):
        package = self.cleaned_data["package"]
        limit = conf.scorm_max_upload_bytes()
        if package.size > limit:
            raise forms.ValidationError(
                _("The file is %(size)s; at most %(limit)s can be uploaded.")
                % {"size": p.file_size(package.size), "limit": p.file_size(limit)}
            )
        return package


class _Breadcrumbs:
    """Home › the course's pages › this screen (Wagtail shows the last crumb as the title)."""

    def course_for_breadcrumbs(self):
        return None

    def get_breadcrumbs_items(self):
        items = list(super().get_breadcrumbs_items())
        course = self.course_for_breadcrumbs()
        if course is not None:
            items.append(
                {"url": reverse("wagtailadmin_explore", args=[course.pk]), "label": course.title}
            )
        return [*items, {"url": "", "label": self.get_page_title()}]


class ScormUploadView(_Breadcrumbs, WagtailAdminTemplateMixin, FormView):
    template_name = "courses/scorm/admin/upload.html"
    page_title = gettext_lazy("Add a SCORM lesson")
    header_icon = "upload"
    form_class = ScormUploadForm

    def dispatch(self, request, *args, **kwargs):
        self.courses = courses_for_uploader(request.user)
        if not self.courses.exists():
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "courses": self.courses}

    def get_initial(self):
        course = self.request.GET.get("course", "")
        return {"course": self.courses.filter(pk=course).first()} if course.isdigit() else {}

    def course_for_breadcrumbs(self):
        return self.get_initial().get("course")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["imports"] = ScormImport.objects.filter(course__in=self.courses).select_related(
            "course", "created_by", "lesson"
        )[:20]
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        import_ = services.scorm_upload_check(
            course=data["course"],
            uploaded_file=data["package"],
            title=data["title"],
            user=self.request.user,
        )
        url = reverse("courses_admin:scorm_import", args=[import_.pk])
        if _wants_json(self.request):
            return JsonResponse({"redirect": url})
        return redirect(url)

    def form_invalid(self, form):
        if _wants_json(self.request):
            errors = [str(error) for errors in form.errors.values() for error in errors]
            return JsonResponse({"errors": errors}, status=400)
        return super().form_invalid(form)


class _ImportMixin:
    def get_import(self) -> ScormImport:
        courses = courses_for_uploader(self.request.user)
        return get_object_or_404(
            ScormImport.objects.filter(course__in=courses).select_related("course", "lesson"),
            pk=self.kwargs["pk"],
        )


def _problems(import_: ScormImport) -> list[dict]:
    rows = []
    for data in import_.problems:
        problem = p.Problem.from_dict(data)
        rows.append({"error": problem.is_error, **problem.messages(import_.original_filename)})
    return rows


def _progress(import_: ScormImport) -> dict:
    if import_.status == ScormImport.Status.DONE:
        files = import_.summary.get("files", 0)
        return {"done": files, "total": files}
    return cache.get(services.import_progress_key(import_.pk)) or {
        "done": 0,
        "total": import_.summary.get("files", 0),
    }


class ScormImportView(_ImportMixin, _Breadcrumbs, WagtailAdminTemplateMixin, TemplateView):
    template_name = "courses/scorm/admin/import.html"
    page_title = gettext_lazy("SCORM package")
    header_icon = "upload"

    def course_for_breadcrumbs(self):
        return self.get_import().course

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        import_ = self.get_import()
        problems = _problems(import_)
        context.update(
            {
                "import": import_,
                "errors": [row for row in problems if row["error"]],
                "warnings": [row for row in problems if not row["error"]],
                "progress": _progress(import_),
                "status_url": reverse("courses_admin:scorm_import_status", args=[import_.pk]),
            }
        )
        return context

    def post(self, request, *args, **kwargs):
        import_ = self.get_import()
        services.scorm_upload_confirm(import_=import_)
        return redirect("courses_admin:scorm_import", pk=import_.pk)


class ScormImportStatusView(_ImportMixin, WagtailAdminTemplateMixin, TemplateView):
    """JSON for the import page's progress bar."""

    def get(self, request, *args, **kwargs):
        import_ = self.get_import()
        lesson = import_.lesson
        return JsonResponse(
            {
                "status": import_.status,
                "label": import_.get_status_display(),
                **_progress(import_),
                "lesson_edit_url": reverse("wagtailadmin_pages:edit", args=[lesson.pk])
                if lesson
                else "",
            }
        )


# --- members' SCORM attempts ------------------------------------------------------------------


class ScormStateIndexView(SafeSpreadsheetExportMixin, generic.IndexView):
    add_url_name = None

    def get_base_queryset(self):
        return scorm_states_for_staff(user=self.request.user).select_related(
            "progress__enrolment__member", "progress__enrolment__course", "progress__lesson"
        )


class ScormStateInspectView(ScopedInspectView):
    template_name = "courses/scorm/admin/state_inspect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["interactions"] = self.object.data.get("interactions", [])
        context["objectives"] = self.object.data.get("objectives", [])
        return context


class _NoChange(generic.EditView):
    """Runtime data is evidence: never edited or deleted from the admin."""

    def dispatch(self, request, *args, **kwargs):
        raise PermissionDenied


class _NoDelete(generic.DeleteView):
    def dispatch(self, request, *args, **kwargs):
        raise PermissionDenied


class _NoCreate(generic.CreateView):
    def dispatch(self, request, *args, **kwargs):
        raise PermissionDenied


class ScormStateViewSet(OrganisationScopedViewSet):
    model = ScormState
    organisation_path = "progress__enrolment__member__organisation"
    icon = "media"
    menu_label = gettext_lazy("SCORM attempts")
    url_prefix = "courses/scorm-attempts"
    index_view_class = ScormStateIndexView
    inspect_view_class = ScormStateInspectView
    inspect_view_enabled = True
    add_view_class = _NoCreate
    edit_view_class = _NoChange
    delete_view_class = _NoDelete
    form_fields = []
    list_display = [
        Column("member", label=gettext_lazy("Member"), accessor="member_display"),
        Column("course", label=gettext_lazy("Course"), accessor="progress.enrolment.course"),
        Column("lesson", label=gettext_lazy("Lesson"), accessor="progress.lesson"),
        "title",
        Column("attempt", label=gettext_lazy("Attempt"), accessor="attempt_display"),
        "lesson_status",
        Column("score", label=gettext_lazy("Score"), accessor="score_display"),
        Column(
            "reported",
            label=gettext_lazy("Time reported by the content"),
            accessor="reported_display",
        ),
        Column("credited", label=gettext_lazy("Study time credited"), accessor="credited_display"),
        "last_commit_at",
    ]
    list_filter = ["lesson_status"]
    search_fields = [
        "title",
        "progress__enrolment__member__name",
        "progress__enrolment__member__member_no",
    ]
    ordering = ["-last_launched_at"]
    list_export = [
        "member_no",
        "member_name",
        "course_title",
        "lesson_title",
        "title",
        "item_identifier",
        "attempt_display",
        "lesson_status",
        "score_raw",
        "score_min",
        "score_max",
        "reported_seconds",
        "credited_seconds",
        "first_launched_at",
        "last_commit_at",
        "completed_at",
    ]
    export_headings = {
        "member_no": gettext_lazy("Member number"),
        "member_name": gettext_lazy("Name"),
        "course_title": gettext_lazy("Course"),
        "lesson_title": gettext_lazy("Lesson"),
        "title": gettext_lazy("SCO"),
        "item_identifier": gettext_lazy("SCO identifier"),
        "attempt_display": gettext_lazy("Attempt"),
        "lesson_status": gettext_lazy("Status"),
        "score_raw": gettext_lazy("Score"),
        "score_min": gettext_lazy("Lowest score"),
        "score_max": gettext_lazy("Highest score"),
        "reported_seconds": gettext_lazy("Time reported by the content (seconds)"),
        "credited_seconds": gettext_lazy("Study time credited (seconds)"),
        "first_launched_at": gettext_lazy("First launched"),
        "last_commit_at": gettext_lazy("Last commit"),
        "completed_at": gettext_lazy("Completed at"),
    }
    export_filename = "scorm-attempts"
    inspect_view_fields = [
        "title",
        "item_identifier",
        "lesson_status",
        "score_raw",
        "score_min",
        "score_max",
        "lesson_location",
        "exit",
        "launch_count",
        "commit_count",
        "first_launched_at",
        "last_launched_at",
        "last_commit_at",
        "completed_at",
    ]
