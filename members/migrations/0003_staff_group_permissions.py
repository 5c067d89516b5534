"""Once gave the staff group its first permissions. The apps now declare what staff may do in
one place each (AppConfig.staff_permissions) and members.services.staff_group_setup grants
it (after every migrate with MEMBERS_SYNC_STAFF_GROUP, or ``manage.py setup_staff_group``):
this migration does nothing, so that the declaration is not kept twice."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0002_member_roster_fingerprint_rosterimport_memberchange"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = []
