"""Anonymise former members whose organisation's retention period (Organisation →
anonymise_after_days after withdrawal) is over; the nightly task runs the same service.
Keeps the member number, completion dates and certificate numbers (members.privacy)."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from members.privacy import withdrawn_members_anonymise, withdrawn_members_due


class Command(BaseCommand):
    help = "Anonymise members withdrawn longer than their organisation's retention period."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="List who would be anonymised; change nothing."
        )
        parser.add_argument("--today", help="Count the retention from this day (YYYY-MM-DD).")

    def handle(self, *args, dry_run=False, today=None, **options):
        if today:
            try:
                today = datetime.date.fromisoformat(today)
            except ValueError as exc:
                raise CommandError(
                    _(
                        "--today must be a date such as 2026-07-31. 日付は 2026-07-31 の形で指定してください。"
                    )
                ) from exc
        if dry_run:
            due = list(withdrawn_members_due(today=today).select_related("organisation"))
            for member in due:
                self.stdout.write(
                    f"{member.organisation.slug}\t{member.pk}\t{member.member_no}\t"
                    f"{member.withdrawn_on.isoformat()}"
                )
            self.stdout.write(
                _("Dry run: %(count)d members would be anonymised.") % {"count": len(due)}
            )
            return
        count = withdrawn_members_anonymise(today=today)
        self.stdout.write(_("%(count)d members anonymised.") % {"count": count})
