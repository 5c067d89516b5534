"""python manage.py evidence_pack --organisation SLUG --campaign SLUG --year 2026 [--output F]

The 労働局 evidence pack of one campaign cycle (lms.evidence), the same file as the admin's
「証跡パック」: stored in private storage (listed there for download) and written to the audit
log; with ``--output`` also written to that path. ``--with-certificates`` makes a ZIP of the
workbook and the certificates (PDF). Exit status: 0 done, 2 usage (no such cycle, a path that
cannot be written). Messages in Japanese, or English with LANGUAGE=en.
"""

import getpass
import shutil
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lms import selectors, services
from lms.models import Cycle
from members.management.commands.import_roster import command_language


class Command(BaseCommand):
    help = "Make the evidence pack (XLSX, or ZIP with certificates) of one campaign cycle."

    def add_arguments(self, parser):
        parser.add_argument("--organisation", required=True, help="organisation slug")
        parser.add_argument("--campaign", required=True, help="campaign slug")
        parser.add_argument("--year", required=True, type=int, help="fiscal year, e.g. 2026")
        parser.add_argument("--output", help="also write the pack to this path")
        parser.add_argument(
            "--with-certificates",
            action="store_true",
            help="a ZIP with the workbook and the certificates (PDF)",
        )

    def handle(self, *args, organisation, campaign, year, output=None, **options):
        with translation.override(command_language()):
            return self._run(organisation, campaign, year, output, options["with_certificates"])

    def _run(self, organisation, campaign, year, output, with_certificates):
        try:
            cycle = selectors.campaign_cycle(
                organisation_slug=organisation, campaign_slug=campaign, year=year
            )
        except Cycle.DoesNotExist:
            raise CommandError(
                _("No cycle of campaign %(campaign)s of %(organisation)s in fiscal year %(year)s.")
                % {"campaign": campaign, "organisation": organisation, "year": year},
                returncode=2,
            )
        target = Path(output) if output else None
        if target is not None and not target.parent.is_dir():
            raise CommandError(
                _("Cannot write %(path)s: the folder does not exist.") % {"path": target},
                returncode=2,
            )
        pack = services.evidence_pack_create(
            cycle=cycle,
            generated_by=f"manage.py evidence_pack ({getpass.getuser()})",
            with_certificates=with_certificates,
        )
        if target is not None:
            with pack.file.open("rb") as source, target.open("wb") as copy:
                shutil.copyfileobj(source, copy)
        figures = pack.figures
        self.stdout.write(
            _(
                "%(campaign)s %(cycle)s: %(required)s people required, %(completed)s completed "
                "on time, %(late)s late, rate %(rate)s%% (as of %(as_of)s)."
            )
            % {
                "campaign": cycle.campaign.name,
                "cycle": cycle.name,
                "required": figures["required"],
                "completed": figures["completed"],
                "late": figures["completed_late"],
                "rate": figures["rate"],
                "as_of": timezone.localtime(pack.as_of).strftime("%Y-%m-%d %H:%M"),
            }
        )
        self.stdout.write(
            _("Stored as %(name)s (evidence pack %(id)s).")
            % {"name": pack.file_name, "id": pack.pk}
        )
        if target is not None:
            self.stdout.write(_("Written to %(path)s.") % {"path": target})
