from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "courses"
    label = "courses"
    verbose_name = _("Courses")
    default_auto_field = "django.db.models.BigAutoField"
    staff_permissions = (
        "view_question",
        "change_question",
        "view_enrolment",
        "add_enrolment",
        "view_certificate",
        "view_scormstate",
        "view_surveyresponse",
        "view_questionsettings",
        "add_questionsettings",
        "change_questionsettings",
        "delete_questionsettings",
    )

    def ready(self):
        from . import checks, study_context  # noqa: F401  (checks register themselves)
        from .scorm import checks as scorm_checks  # noqa: F401  (the SCORM system checks)

        study_context.connect_signals()
        from .scorm import services as scorm_services

        scorm_services.connect_signals()
        _register_private_files()


def _register_private_files():
    from django.db.models import F
    from django.db.models.functions import Coalesce

    from members.storage import register_private_file

    from .models import AttendanceImport

    register_private_file(
        AttendanceImport,
        permission="courses.add_enrolment",  # who may import attendance lists may re-read them
        file_name_field="original_filename",
        retention_from=Coalesce(F("applied_at"), F("created_at")),
    )
