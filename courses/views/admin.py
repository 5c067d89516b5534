"""Admin views for staff: questions, completions recorded outside e-learning, attendance lists,
certificates. Every queryset is scoped to the staff user's organisations."""

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView
from wagtail.admin import messages
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.model import ModelViewSetGroup
from wagtail.admin.widgets.button import HeaderButton

from members.admin_scoping import (
    OrganisationScopedViewSet,
    ScopedEditView,
    ScopedOrganisationForm,
)
from members.exports import SafeSpreadsheetExportMixin
from members.selectors import organisations_for_staff
from members.storage import private_file_url

from .. import services
from ..certificates import certificate_filename, certificate_pdf, certificates_zip
from ..filters import CertificateFilterSet, EnrolmentFilterSet, QuestionFilterSet
from ..forms import AttendanceUploadForm, ExternalCompletionForm
from ..models import (
    AttendanceImport,
    Certificate,
    CoursePage,
    Enrolment,
    Question,
    QuestionSettings,
)
from ..scorm.admin_views import ScormStateViewSet
from ..selectors import certificates_for_staff, enrolments_for_staff, questions_for_staff


class _NoCreateView(generic.CreateView):
    def dispatch(self, request, *args, **kwargs):
        raise PermissionDenied


class _NoEditView(generic.EditView):
    """Evidence (attempts, certificates) is never edited from the admin."""

    def dispatch(self, request, *args, **kwargs):
        raise PermissionDenied


class _NoDeleteView(generic.DeleteView):
    """Evidence (attempts, certificates) is never deleted from the admin."""

    def dispatch(self, request, *args, **kwargs):
        raise PermissionDenied


# --- questions ----------------------------------------------------------------------------


class QuestionIndexView(SafeSpreadsheetExportMixin, generic.IndexView):
    add_url_name = None

    def get_base_queryset(self):
        return (
            questions_for_staff(user=self.request.user)
            .select_related("member", "course", "lesson")
            .order_by("answered_at", "-created_at")
        )


class QuestionEditView(ScopedEditView):
    def save_instance(self):
        form = self.form
        question = self.object
        question.faq_question = form.cleaned_data.get("faq_question", "")
        question.faq_answer = form.cleaned_data.get("faq_answer", "")
        return services.question_answer(
            question=question,
            answer=form.cleaned_data.get("answer", ""),
            user=self.request.user,
            faq_published=form.cleaned_data.get("faq_published", False),
        )


class QuestionViewSet(OrganisationScopedViewSet):
    model = Question
    organisation_path = "member__organisation"
    icon = "help"
    menu_label = gettext_lazy("Questions")
    url_prefix = "courses/questions"
    index_view_class = QuestionIndexView
    add_view_class = _NoCreateView
    edit_view_class = QuestionEditView
    inspect_view_enabled = True
    form_fields = ["answer", "faq_published", "faq_question", "faq_answer"]
    list_display = ["body", "member", "course", "created_at", "answered_at", "faq_published"]
    filterset_class = QuestionFilterSet
    search_fields = ["body", "answer"]
    list_export = ["created_at", "member", "course", "lesson", "body", "answered_at", "answer"]
    export_filename = "questions"
    inspect_view_fields = [
        "member",
        "course",
        "lesson",
        "created_at",
        "body",
        "answer",
        "answered_at",
        "answered_by",
        "answer_notified_at",
        "faq_published",
    ]


# --- enrolments (attempts and completions) ------------------------------------------------


class EnrolmentIndexView(SafeSpreadsheetExportMixin, generic.IndexView):
    add_url_name = None

    def get_base_queryset(self):
        return enrolments_for_staff(user=self.request.user).select_related(
            "member", "course", "recorded_by"
        )

    @property
    def header_buttons(self):
        buttons = list(super().header_buttons)
        buttons.append(
            HeaderButton(
                _("Record a seminar or paper completion"),
                url=reverse("courses_admin:record_completion"),
                icon_name="plus",
            )
        )
        buttons.append(
            HeaderButton(
                _("Import an attendance list"),
                url=reverse("courses_admin:attendance_upload"),
                icon_name="upload",
            )
        )
        return buttons


class EnrolmentViewSet(OrganisationScopedViewSet):
    model = Enrolment
    organisation_path = "member__organisation"
    icon = "tasks"
    menu_label = gettext_lazy("Attempts and completions")
    url_prefix = "courses/enrolments"
    index_view_class = EnrolmentIndexView
    add_view_class = _NoCreateView
    inspect_view_enabled = True
    form_fields = ["evidence_note"]  # unused: the edit view is closed
    list_display = ["member", "course", "attempt", "started_at", "completed_at", "source"]
    filterset_class = EnrolmentFilterSet
    search_fields = ["evidence_note"]
    ordering = ["-started_at"]
    list_export = [
        "member",
        "course",
        "attempt",
        "started_at",
        "completed_at",
        "source",
        "recorded_by",
        "evidence_note",
    ]
    export_filename = "completions"

    edit_view_class = _NoEditView
    delete_view_class = _NoDeleteView


# --- certificates -------------------------------------------------------------------------


class CertificateDownloadColumn(Column):
    cell_template_name = "courses/admin/certificate_download_cell.html"


class CertificateIndexView(SafeSpreadsheetExportMixin, generic.IndexView):
    add_url_name = None

    def get_base_queryset(self):
        return certificates_for_staff(user=self.request.user).select_related("enrolment__member")

    @property
    def header_buttons(self):
        return [
            HeaderButton(
                _("Download a course's certificates (zip)"),
                url=reverse("courses_admin:certificates_zip"),
                icon_name="download",
            )
        ]


class CertificateViewSet(OrganisationScopedViewSet):
    model = Certificate
    organisation_path = "enrolment__member__organisation"
    icon = "doc-full"
    menu_label = gettext_lazy("Certificates")
    url_prefix = "courses/certificates"
    index_view_class = CertificateIndexView
    add_view_class = _NoCreateView
    form_fields = []
    list_display = [
        "number",
        "member_name",
        "course_title",
        "completed_on",
        "organisation_name",
        CertificateDownloadColumn("pdf", label=gettext_lazy("PDF")),
    ]
    filterset_class = CertificateFilterSet
    search_fields = ["number", "member_name"]
    list_export = [
        "number",
        "member_name",
        "course_title",
        "completed_on",
        "organisation_name",
        "issued_at",
    ]
    export_filename = "certificates"

    edit_view_class = _NoEditView
    delete_view_class = _NoDeleteView


class QuestionSettingsViewSet(OrganisationScopedViewSet):
    """How each organisation's office hears of new questions: at once or a daily digest."""

    model = QuestionSettings
    icon = "mail"
    menu_label = gettext_lazy("Question notifications")
    name = "question_settings"
    url_prefix = "courses/question-settings"
    list_display = ["organisation", "notify", "notify_email"]
    edit_handler = ObjectList(
        [FieldPanel("organisation"), FieldPanel("notify"), FieldPanel("notify_email")],
        base_form_class=ScopedOrganisationForm,
    )


class CoursesViewSetGroup(ModelViewSetGroup):
    menu_label = gettext_lazy("Training records")
    menu_icon = "clipboard-list"
    menu_order = 250
    items = (
        QuestionViewSet,
        QuestionSettingsViewSet,
        EnrolmentViewSet,
        CertificateViewSet,
        ScormStateViewSet,
    )


# --- plain admin views --------------------------------------------------------------------


class _StaffMixin(PermissionRequiredMixin, WagtailAdminTemplateMixin):
    def organisations(self):
        return organisations_for_staff(user=self.request.user)


class RecordCompletionView(_StaffMixin, FormView):
    permission_required = "courses.add_enrolment"
    template_name = "courses/admin/form.html"
    page_title = gettext_lazy("Record a seminar or paper completion")
    header_icon = "tasks"
    form_class = ExternalCompletionForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "organisations": self.organisations()}

    def form_valid(self, form):
        data = form.cleaned_data
        enrolment, created = services.enrolment_record_external(
            member=data["member"],
            course=data["course"],
            source=data["source"],
            completed_on=data["completed_on"],
            evidence_note=data["evidence_note"],
            user=self.request.user,
        )
        if created:
            messages.success(
                self.request, _("Completion recorded for %(member)s.") % {"member": data["member"]}
            )
        else:
            messages.warning(
                self.request,
                _("%(member)s had already completed this course; nothing was changed.")
                % {"member": data["member"]},
            )
        return redirect("courses_admin:record_completion")


class AttendanceUploadView(_StaffMixin, FormView):
    permission_required = "courses.add_enrolment"
    template_name = "courses/admin/attendance_upload.html"
    page_title = gettext_lazy("Import an attendance list")
    header_icon = "upload"
    form_class = AttendanceUploadForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "organisations": self.organisations()}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["imports"] = AttendanceImport.objects.filter(
            organisation__in=self.organisations()
        ).select_related("course", "created_by")[:20]
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        import_ = services.attendance_import_preview(
            organisation=data["organisation"],
            course=data["course"],
            source=data["source"],
            completed_on=data["completed_on"],
            evidence_note=data["evidence_note"],
            uploaded_file=data["file"],
            user=self.request.user,
        )
        return redirect("courses_admin:attendance_preview", pk=import_.pk)


class AttendancePreviewView(_StaffMixin, TemplateView):
    permission_required = "courses.add_enrolment"
    template_name = "courses/admin/attendance_preview.html"
    page_title = gettext_lazy("Attendance list")
    header_icon = "upload"

    def get_import(self):
        return get_object_or_404(
            AttendanceImport.objects.filter(organisation__in=self.organisations()),
            pk=self.kwargs["pk"],
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["import"] = import_ = self.get_import()
        context["file_url"] = private_file_url(import_) if import_.file else ""
        return context

    def post(self, request, *args, **kwargs):
        import_ = self.get_import()
        try:
            import_ = services.attendance_import_apply(import_=import_, user=request.user)
        except services.ImportRefused:
            messages.error(
                request,
                _("The list has errors; nothing was recorded. Fix the file and upload it again."),
            )
            return redirect("courses_admin:attendance_preview", pk=import_.pk)
        messages.success(
            request,
            _("%(recorded)s completions recorded, %(unchanged)s already recorded.")
            % {
                "recorded": import_.counts.get("recorded", 0),
                "unchanged": import_.counts.get("unchanged", 0),
            },
        )
        return redirect("courses_admin:attendance_preview", pk=import_.pk)


class CertificatesZipView(_StaffMixin, TemplateView):
    permission_required = "courses.view_certificate"
    template_name = "courses/admin/certificates_zip.html"
    page_title = gettext_lazy("Download a course's certificates")
    header_icon = "download"

    def get(self, request, *args, **kwargs):
        course_id = request.GET.get("course")
        if course_id and course_id.isdigit():
            course = get_object_or_404(CoursePage, pk=course_id)
            certificates = (
                certificates_for_staff(user=request.user)
                .filter(enrolment__course=course)
                .select_related("enrolment__member")
                .order_by("number")
            )
            response = HttpResponse(certificates_zip(certificates), content_type="application/zip")
            response["Content-Disposition"] = (
                f'attachment; filename="certificates-{course.slug}.zip"'
            )
            return response
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["courses"] = CoursePage.objects.filter(issues_certificate=True).order_by("path")
        return context


def certificate_download(request, number):
    if not request.user.has_perm("courses.view_certificate"):
        raise PermissionDenied
    certificate = get_object_or_404(certificates_for_staff(user=request.user), number=number)
    response = HttpResponse(certificate_pdf(certificate), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{certificate_filename(certificate)}"'
    return response
