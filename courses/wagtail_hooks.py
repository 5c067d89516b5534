"""Wiring only: the admin menu group, admin URLs, and the staff's permissions in the group UI."""

from django.urls import include, path
from wagtail import hooks

from .views import admin as views


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
    ]
    return [path("courses-admin/", include((urls, "courses_admin"), namespace="courses_admin"))]


@hooks.register("register_permissions")
def register_permissions():
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(
        content_type__app_label="courses",
        codename__in=[
            "view_question", "change_question", "delete_question",
            "view_enrolment", "add_enrolment",
            "view_certificate",
        ],
    )  # fmt: skip
