"""Wiring only: the admin menu group and admin URLs (staff permissions: CoursesConfig)."""

from django.shortcuts import redirect
from django.urls import include, path, reverse
from django.utils.translation import gettext as _
from wagtail import hooks
from wagtail.admin.widgets import Button

from . import media
from .models import CoursePage, ScormLessonPage
from .scorm import admin_views as scorm_views
from .views import admin as views


@hooks.register("before_serve_document")
def captions_only_through_the_player(document, request):
    return media.refuse_captions_outside_the_player(document, request)


@hooks.register("register_admin_viewset")
def register_viewsets():
    return views.CoursesViewSetGroup()


@hooks.register("register_admin_urls")
def register_admin_urls():
    urls = [
        path("record-completion/", views.RecordCompletionView.as_view(), name="record_completion"),
        path("attendance/", views.AttendanceUploadView.as_view(), name="attendance_upload"),
        path(
            "attendance/<int:pk>/", views.AttendancePreviewView.as_view(), name="attendance_preview"
        ),
        path("certificates/zip/", views.CertificatesZipView.as_view(), name="certificates_zip"),
        path("certificates/<str:number>.pdf", views.certificate_download, name="certificate_pdf"),
        path("scorm/upload/", scorm_views.ScormUploadView.as_view(), name="scorm_upload"),
        path("scorm/<int:pk>/", scorm_views.ScormImportView.as_view(), name="scorm_import"),
        path(
            "scorm/<int:pk>/status/",
            scorm_views.ScormImportStatusView.as_view(),
            name="scorm_import_status",
        ),
    ]
    return [path("courses-admin/", include((urls, "courses_admin"), namespace="courses_admin"))]


@hooks.register("before_create_page")
def scorm_lessons_are_uploaded(request, parent_page, page_class):
    """A SCORM lesson is made from its package: "Add child page" leads to the upload."""
    if page_class is ScormLessonPage:
        return redirect(reverse("courses_admin:scorm_upload") + f"?course={parent_page.pk}")
    return None


def _scorm_button(page, user, priority):
    if not issubclass(page.specific_class or type(page), CoursePage):
        return []
    if not page.permissions_for_user(user).can_add_subpage():
        return []
    return [
        Button(
            _("Add a SCORM lesson"),
            url=reverse("courses_admin:scorm_upload") + f"?course={page.pk}",
            icon_name="upload",
            priority=priority,
        )
    ]


@hooks.register("register_page_header_buttons")
def scorm_header_button(page, user, view_name, next_url=None):
    return _scorm_button(page, user, priority=16)


@hooks.register("register_page_listing_buttons")
def scorm_listing_button(page, user, next_url=None):
    return _scorm_button(page, user, priority=16)


@hooks.register("construct_homepage_panels")
def office_home_questions(request, panels):
    """Members' questions still waiting for an answer, linking to exactly that list."""
    from django.utils.translation import ngettext

    from members.panels import Figure, OfficePanel

    from .models import Question
    from .selectors import questions_for_staff

    if not request.user.has_perm("courses.change_question"):
        return
    waiting = questions_for_staff(user=request.user).filter(answered_at__isnull=True).count()
    panels.append(
        OfficePanel(
            name="questions",
            heading=_("Questions from members"),
            figures=[
                Figure(
                    label=_("Unanswered questions"),
                    value=ngettext("%(n)s question", "%(n)s questions", waiting) % {"n": waiting},
                    url=reverse(f"{Question._meta.model_name}:index") + "?answered=false",
                    warning=bool(waiting),
                    testid="unanswered-questions",
                    count=waiting,
                )
            ],
            order=30,
        )
    )


@hooks.register("member_disclosure_sheets")
def member_training_disclosure(member):
    from .privacy import disclosure_sheets

    return disclosure_sheets(member)


@hooks.register("member_anonymise")
def member_training_anonymise(member):
    from .privacy import anonymise

    anonymise(member)
