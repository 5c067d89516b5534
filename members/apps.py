from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    label = "members"
    verbose_name = _("Members")
    default_auto_field = "django.db.models.BigAutoField"
    # What the office staff group (研修事務局) may do with this app's models; see
    # members.services.staff_group_setup. Rows are still scoped to the staff's organisations.
    staff_permissions = (
        "view_member",
        "view_rosterimport",
        "add_rosterimport",
        "view_auditevent",
        "add_signinletter",
        "view_personaldatarequest",
        "add_personaldatarequest",
        "change_personaldatarequest",
    )

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import checks, conf  # noqa: F401  (checks register themselves)
        from .exports import protect_wagtail_exports
        from .forms import register_wareki_date_fields
        from .permissions import register_policies

        register_policies()
        _register_private_files()
        register_wareki_date_fields()
        if conf.safe_wagtail_exports():
            protect_wagtail_exports()  # Wagtail's own CSV/XLSX exports: no formula cells either
        if conf.sync_staff_group():
            post_migrate.connect(_sync_staff_group, dispatch_uid="members.sync_staff_group")
        _connect_log_label_scrubbing()
        _connect_site_url_cache()
        from .signin_alerts import connect as connect_signin_alerts

        connect_signin_alerts()


def _sync_staff_group(sender, app_config=None, **kwargs):
    """Give the staff group what the apps declare, once per migrate: on the last app's
    post_migrate, when every earlier app's permissions exist (ours come first)."""
    from django.apps import apps

    with_models = [c for c in apps.get_app_configs() if c.models_module is not None]
    if app_config is not with_models[-1]:
        return
    from .services import staff_group_setup

    staff_group_setup()


def _register_private_files():
    from django.db.models import F
    from django.db.models.functions import Coalesce

    from .models import RosterImport
    from .storage import register_private_file

    register_private_file(
        RosterImport,
        permission="members.view_rosterimport",
        file_name_field="file_name",
        # applied, cancelled or rejected: from then; never finished: from the upload
        retention_from=Coalesce(F("finished_at"), F("created_at")),
    )


def _connect_log_label_scrubbing():
    """Wagtail labels log entries with str(object): e-mail addresses and members' names
    would then be shown to everyone who reads the site history. See members.audit."""
    from django.db.models.signals import pre_save
    from wagtail.models import ModelLogEntry

    from .audit import scrub_log_entry_label

    pre_save.connect(
        scrub_log_entry_label, sender=ModelLogEntry, dispatch_uid="members.scrub_log_label"
    )


def _connect_site_url_cache():
    from django.db.models.signals import post_delete, post_save
    from wagtail.models import Site

    from .conf import forget_site_url

    post_save.connect(forget_site_url, sender=Site, dispatch_uid="members.site_url_saved")
    post_delete.connect(forget_site_url, sender=Site, dispatch_uid="members.site_url_deleted")
