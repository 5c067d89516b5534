from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LmsConfig(AppConfig):
    name = "lms"
    label = "lms"
    verbose_name = _("Training compliance")
    default_auto_field = "django.db.models.BigAutoField"
    # campaigns and their rules, exemptions; assignments are materialised, staff only read them
    staff_permissions = (
        *(
            f"{action}_{model}"
            for model in (
                "campaign",
                "cycle",
                "requirement",
                "audiencerule",
                "elective",
                "exemption",
            )
            for action in ("add", "change", "delete", "view")
        ),
        "view_assignment",
    )

    def ready(self):
        from courses.signals import course_completed
        from members.signals import roster_imported

        from . import page_routing, receivers

        course_completed.connect(
            receivers.on_course_completed, dispatch_uid="lms.on_course_completed"
        )
        roster_imported.connect(receivers.on_roster_imported, dispatch_uid="lms.on_roster_imported")
        page_routing.connect_signals()
