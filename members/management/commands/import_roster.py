"""python manage.py import_roster PATH --organisation SLUG [options]

Exit status: 0 when the file was applied (or checked, with --dry-run, and found acceptable),
1 when the file was rejected, 2 on usage errors. Messages are in Japanese, or English when
the LANGUAGE environment variable says so (LANGUAGE=en).
"""

import datetime
import json
import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from members.models import Organisation
from members.roster.pipeline import Options
from members.roster.reading import ENCODINGS
from members.roster.report import COUNT_FIELDS, COUNT_LABELS, Issue
from members.services import roster_import_file


def command_language() -> str:
    """The language of the terminal: LANGUAGE (then LC_ALL, LANG) if supported, else ja."""
    supported = {code for code, _name in settings.LANGUAGES}
    for variable in ("LANGUAGE", "LC_ALL", "LANG"):
        for part in os.environ.get(variable, "").split(":"):
            code = part.split(".")[0].split("_")[0].lower()
            if code in supported:
                return code
    return settings.LANGUAGE_CODE


def usage_error(message: str) -> CommandError:
    return CommandError(message, returncode=2)


class Command(BaseCommand):
    help = "Import a roster file (CSV in UTF-8/UTF-8 BOM/CP932, or XLSX) for one organisation."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the roster file (.csv or .xlsx)")
        parser.add_argument("--organisation", required=True, help="organisation slug")
        parser.add_argument("--dry-run", action="store_true", help="check and report only")
        parser.add_argument("--encoding", default="auto", choices=ENCODINGS)
        parser.add_argument("--sheet", help="XLSX sheet name (default: the first sheet)")
        parser.add_argument(
            "--as-of", help="the date the roster describes (YYYY-MM-DD, default today)"
        )
        parser.add_argument(
            "--withdraw-missing",
            action="store_true",
            help="withdraw members missing from the file on the --as-of date",
        )
        parser.add_argument(
            "--skip-invalid", action="store_true", help="apply the valid rows, skip the rest"
        )
        parser.add_argument(
            "--confirm-large-change",
            action="store_true",
            help="apply a file that adds more than half of the roster as new members or misses "
            "more than 20%% of it (refused otherwise)",
        )
        parser.add_argument("--format", default="text", choices=["text", "json"])

    def handle(self, *args, **options):
        with translation.override(command_language()):
            return self._handle(**options)

    def _handle(self, *, path, organisation, format, **options):
        file = Path(path)
        if not file.is_file():
            raise usage_error(_("No such file: %(path)s") % {"path": path})
        try:
            org = Organisation.objects.get(slug=organisation)
        except Organisation.DoesNotExist:
            raise usage_error(_("No organisation with slug %(slug)s.") % {"slug": organisation})
        as_of = None
        if options["as_of"]:
            try:
                as_of = datetime.date.fromisoformat(options["as_of"])
            except ValueError:
                raise usage_error(_("--as-of must be a date such as 2026-06-10."))
        import_options = Options(
            encoding=options["encoding"],
            sheet=options["sheet"],
            as_of=as_of,
            withdraw_missing=options["withdraw_missing"],
            skip_invalid=options["skip_invalid"],
            confirm_large_change=options["confirm_large_change"],
        )
        report, import_ = roster_import_file(
            organisation=org,
            data=file.read_bytes(),
            file_name=file.name,
            options=import_options,
            dry_run=options["dry_run"],
        )
        if format == "json":
            data = report.as_dict()
            data["import_id"] = import_.pk if import_ else None
            for issue in data["errors"] + data["warnings"] + data["guards"]:
                issue["message"] = Issue.from_dict(issue).message(file.name)
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            self._print_text(report, import_)
        if report.rejected:
            raise CommandError(
                _("The file was rejected: nothing was changed.")
                if format == "text"
                else "rejected",
                returncode=1,
            )

    def _print_text(self, report, import_):
        write = self.stdout.write
        details = [report.encoding.upper()] + ([report.sheet] if report.sheet else [])
        write(
            _("%(file)s (%(details)s): %(rows)s rows")
            % {"file": report.file_name, "details": ", ".join(details), "rows": report.rows_total}
        )
        write(" / ".join(f"{COUNT_LABELS[k]} {report.counts[k]}" for k in COUNT_FIELDS))
        if report.unmatched_columns:
            write(
                _("Columns not used: %(columns)s")
                % {"columns": ", ".join(report.unmatched_columns)}
            )
        for issue in report.errors:
            self.stderr.write(_("ERROR") + " " + issue.message(report.file_name))
        for issue in report.warnings:
            write(_("WARNING") + " " + issue.message(report.file_name))
        if report.dry_run:
            for issue in report.guards:
                write(_("CHECK") + " " + issue.message(report.file_name))
        for member in report.missing_members:
            write(
                _("Missing from the file: %(no)s %(name)s")
                % {"no": member["member_no"], "name": member["name"]}
            )
        if report.dry_run:
            write(_("Dry run: nothing was changed."))
        elif report.rejected:
            pass
        elif report.applied:
            write(self.style.SUCCESS(_("Applied (import #%(id)s).") % {"id": import_.pk}))
        else:
            write(_("No changes: the roster already matches this file."))
