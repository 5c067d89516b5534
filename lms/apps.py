from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LmsConfig(AppConfig):
    name = "lms"
    label = "lms"
    verbose_name = _("Training compliance")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from courses.signals import course_completed
        from members.signals import roster_imported

        from . import receivers

        course_completed.connect(
            receivers.on_course_completed, dispatch_uid="lms.on_course_completed"
        )
        roster_imported.connect(receivers.on_roster_imported, dispatch_uid="lms.on_roster_imported")
