"""python manage.py monthly_report --organisation SLUG [--month 2026-11] [--email] [--output FILE]

The monthly report the staff are mailed on MEMBERS_MONTHLY_REPORT_DAY (members.monthly_report):
without options, its figures; ``--output`` writes the workbook; ``--email`` mails it to the
organisation's staff unless that month's report was mailed already. The month defaults to
last month.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from members.audit import AuditEvent, audit_log
from members.models import Organisation
from members.monthly_report import (
    monthly_report,
    monthly_report_send,
    monthly_report_workbook,
    previous_month,
)

from .import_roster import command_language
from .roster_report import parse_month


class Command(BaseCommand):
    help = "The monthly membership report of one organisation (figures, XLSX file, e-mail)."

    def add_arguments(self, parser):
        parser.add_argument("--organisation", required=True, help="the organisation's slug")
        parser.add_argument("--month", help="YYYY-MM (default: last month)")
        parser.add_argument("--output", help="write the XLSX workbook to this file")
        parser.add_argument(
            "--email", action="store_true", help="mail it to the staff (once per month)"
        )

    def handle(self, *args, organisation, month, output, email, **options):
        with translation.override(command_language()):
            org = Organisation.objects.filter(slug=organisation).first()
            if org is None:
                raise CommandError(
                    _("No organisation with slug %(slug)s.") % {"slug": organisation},
                    returncode=2,
                )
            first = parse_month(month) if month else previous_month(timezone.localdate())
            report = monthly_report(organisation=org, month=first)
            self.stdout.write(
                _(
                    "%(organisation)s %(month)s: joined %(joined)s, withdrew %(withdrawn)s, members %(total)s"
                )
                % {
                    "organisation": org.name,
                    "month": f"{first:%Y-%m}",
                    "joined": report.joined,
                    "withdrawn": report.withdrawn,
                    "total": report.statistics.total,
                }
            )
            if output:
                with translation.override("ja"):
                    content = monthly_report_workbook(report=report)
                Path(output).write_bytes(content)
                audit_log(
                    user=None,
                    action=AuditEvent.Action.EXPORT,
                    organisation=org,
                    detail=f"{report.file_name} written by the command to {output}",
                )
                self.stdout.write(_("Written to %(file)s.") % {"file": output})
            if email:
                delivery = monthly_report_send(organisation=org, month=first)
                if delivery is None:
                    self.stdout.write(
                        _(
                            "Not sent: it was mailed before, or the organisation has no staff with an e-mail address."
                        )
                    )
                else:
                    self.stdout.write(
                        _("Mailed to %(count)s staff.") % {"count": delivery.recipients}
                    )
