"""Give the staff group (研修事務局) what its roster screens need: admin access, viewing
members, and viewing and running roster imports. Staff see only their organisations' data
(members.selectors.organisations_for_staff); the permissions say which screens they get."""

from django.conf import settings
from django.db import migrations

STAFF_PERMISSIONS = [
    ("wagtailadmin", "access_admin"),
    ("members", "view_member"),
    ("members", "view_rosterimport"),
    ("members", "add_rosterimport"),
]


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        if app_config.label in {"members", "wagtailadmin"}:
            app_config.models_module = True
            create_permissions(app_config, apps=apps, verbosity=0)
            app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(
        name=getattr(settings, "MEMBERS_STAFF_GROUP", "研修事務局")
    )
    for app_label, codename in STAFF_PERMISSIONS:
        permission = Permission.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).first()
        if permission:
            group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0002_member_roster_fingerprint_rosterimport_memberchange"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
