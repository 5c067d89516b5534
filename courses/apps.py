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
    )

    def ready(self):
        from . import study_context

        study_context.connect_signals()
