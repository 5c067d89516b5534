"""python manage.py roster_report --organisation SLUG --month 2026-06 [--to 2026-08] [--format csv]

Who joined and who withdrew in a month (or a range), with totals per month: the same numbers
as the admin report "Joins and withdrawals" (members.selectors).
"""

import csv
import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from members.exports import safe_csv_row
from members.models import Organisation
from members.selectors import add_months, membership_movements, monthly_movement_totals

from .import_roster import command_language


def parse_month(value: str) -> datetime.date:
    try:
        year, month = value.split("-")
        return datetime.date(int(year), int(month), 1)
    except ValueError:
        raise CommandError(
            _("A month looks like 2026-06, not %(value)s.") % {"value": value}, returncode=2
        )


class Command(BaseCommand):
    help = "Monthly joins and withdrawals of one organisation."

    def add_arguments(self, parser):
        parser.add_argument("--organisation", required=True)
        parser.add_argument("--month", required=True, help="YYYY-MM (the first month)")
        parser.add_argument("--to", help="YYYY-MM: the last month of a range")
        parser.add_argument("--format", default="text", choices=["text", "csv"])

    def handle(self, *args, organisation, month, to, format, **options):
        with translation.override(command_language()):
            try:
                org = Organisation.objects.get(slug=organisation)
            except Organisation.DoesNotExist:
                raise CommandError(
                    _("No organisation with slug %(slug)s.") % {"slug": organisation},
                    returncode=2,
                )
            first = parse_month(month)
            last = parse_month(to) if to else first
            if last < first:
                raise CommandError(_("--to is before --month."), returncode=2)
            movements = membership_movements(organisation=org, start=first, end=add_months(last, 1))
            totals = monthly_movement_totals(organisation=org, first_month=first, last_month=last)
            if format == "csv":
                self._csv(movements, totals)
            else:
                self._text(org, movements, totals)

    def _csv(self, movements, totals):
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(
            [
                _("Month"),
                _("Date"),
                _("Movement"),
                _("Member number"),
                _("Name"),
                _("Category"),
                _("Withdrawal reason"),
            ]
        )
        for m in movements:
            writer.writerow(
                safe_csv_row(
                    [
                        f"{m.on:%Y-%m}",
                        m.on.isoformat(),
                        m.kind_label,
                        m.member_no,
                        m.name,
                        m.category_label,
                        m.reason,
                    ]
                )
            )
        writer.writerow([])
        writer.writerow([_("Month"), _("Joined"), _("Withdrew"), _("Net")])
        for t in totals:
            writer.writerow([f"{t.month:%Y-%m}", t.joined, t.withdrawn, t.net])

    def _text(self, org, movements, totals):
        write = self.stdout.write
        write(str(org))
        for t in totals:
            write(
                _("%(month)s: joined %(joined)s, withdrew %(withdrawn)s, net %(net)s")
                % {
                    "month": f"{t.month:%Y-%m}",
                    "joined": t.joined,
                    "withdrawn": t.withdrawn,
                    "net": t.net,
                }
            )
        for m in movements:
            line = (
                f"  {m.on.isoformat()}  {m.kind_label}  {m.member_no}  {m.name}  {m.category_label}"
            )
            write(line + (f"  {m.reason}" if m.reason else ""))
