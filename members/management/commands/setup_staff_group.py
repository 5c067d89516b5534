"""Give the staff group (研修事務局) the permissions the apps declare. Run it after installing
or upgrading the apps unless MEMBERS_SYNC_STAFF_GROUP does it on every migrate."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from members.services import staff_group_setup


class Command(BaseCommand):
    help = "Give the staff group the permissions the apps declare (idempotent)."

    def handle(self, *args, **options):
        group = staff_group_setup()
        self.stdout.write(
            _("Staff group %(name)s: %(count)d permissions.")
            % {"name": group.name, "count": group.permissions.count()}
        )
