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
        "add_evidencepack",
        "view_evidencepack",
    )

    def ready(self):
        from courses.signals import course_completed
        from members.signals import roster_imported

        from . import receivers

        course_completed.connect(
            receivers.on_course_completed, dispatch_uid="lms.on_course_completed"
        )
        roster_imported.connect(receivers.on_roster_imported, dispatch_uid="lms.on_roster_imported")
        _register_private_files()


def _register_private_files():
    from django.db.models import F

    from members.storage import register_private_file

    from .models import EvidencePack, Exemption

    register_private_file(
        EvidencePack,
        permission="lms.view_evidencepack",
        file_name_field="file_name",
        retention_from=F("as_of"),
        audit_action="evidence_pack",
    )
    # an exemption's evidence: kept while the exemption is in force, purged after revocation
    register_private_file(
        Exemption,
        permission="lms.view_exemption",
        field="evidence",
        organisation_path="member__organisation",
        file_name_field="evidence_name",
        retention_from=F("revoked_at"),
    )
