from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    label = "members"
    verbose_name = _("Members")
    default_auto_field = "django.db.models.BigAutoField"
    # What the office staff group (研修事務局) may do with this app's models; see
    # members.services.staff_group_setup. Rows are still scoped to the staff's organisations.
    staff_permissions = ("view_member", "view_rosterimport", "add_rosterimport")

    def ready(self):
        from django.db.models.signals import post_migrate

        from .exports import protect_wagtail_exports
        from .forms import register_wareki_date_fields
        from .permissions import register_policies

        register_policies()
        register_wareki_date_fields()
        protect_wagtail_exports()  # Wagtail's own CSV/XLSX exports: no formula cells either
        post_migrate.connect(_sync_staff_group, dispatch_uid="members.sync_staff_group")


def _sync_staff_group(sender, app_config=None, **kwargs):
    """Give the staff group what the apps declare, once per migrate: on the last app's
    post_migrate, when every earlier app's permissions exist (ours come first)."""
    from django.apps import apps

    with_models = [c for c in apps.get_app_configs() if c.models_module is not None]
    if app_config is not with_models[-1]:
        return
    from .services import staff_group_setup

    staff_group_setup()
