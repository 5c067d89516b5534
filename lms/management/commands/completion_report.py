"""The dashboard's numbers on the command line (same selectors as the admin).

Rows count people, each once with one status (the dashboard's precedence: withdrawn > exempt >
overdue > not started > in progress > completed late > completed); the first row is the total
(``required`` = people of the cycle but the withdrawn and exempt). JSON adds ``requirements``:
per-requirement counts, which are requirements, not people. A closed cycle reads its frozen
rows, so the figures do not move after closing."""

import csv
import json
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from lms import selectors
from lms.models import Assignment, Cycle
from members.exports import safe_csv_dict

Status = Assignment.Status
COLUMNS = [
    "label",
    "required",
    "completed",
    "completed_late",
    "in_progress",
    "assigned",
    "overdue",
    "exempt",
    "withdrawn",
    "rate",
]


class Command(BaseCommand):
    help = "Completion numbers of one campaign cycle, optionally by prefecture, occupation, category or age band."

    def add_arguments(self, parser):
        parser.add_argument("--organisation", required=True, help="organisation slug")
        parser.add_argument("--campaign", required=True, help="campaign slug")
        parser.add_argument("--year", required=True, type=int, help="fiscal year, e.g. 2026")
        parser.add_argument("--by", choices=list(selectors.BREAKDOWNS), help="breakdown")
        parser.add_argument("--format", choices=["table", "csv", "json"], default="table")

    def handle(self, *args, organisation, campaign, year, by=None, format="table", **options):
        try:
            cycle = selectors.campaign_cycle(
                organisation_slug=organisation, campaign_slug=campaign, year=year
            )
        except Cycle.DoesNotExist:
            raise CommandError(
                f"No cycle of campaign {campaign!r} of organisation {organisation!r} in fiscal "
                f"year {year}. / 該当する研修の年度がありません。"
            )
        total = selectors.cycle_summary(cycle=cycle)
        total.label = _("Total")
        rows = [total]
        if by:
            rows = [total, *selectors.cycle_breakdown(cycle=cycle, by=by)]
        data = [{key: row.as_dict()[key] for key in COLUMNS} for row in rows]
        requirements = [
            {key: row.as_dict()[key] for key in COLUMNS}
            for row in selectors.requirement_summaries(cycle=cycle)
        ]
        changes = selectors.changes_after_closing(cycle=cycle)
        if format == "json":
            self.stdout.write(
                json.dumps(
                    {
                        "organisation": organisation,
                        "campaign": campaign,
                        "cycle": cycle.name,
                        "fiscal_year": cycle.fiscal_year,
                        "opens_on": cycle.opens_on.isoformat(),
                        "due_on": cycle.due_on.isoformat(),
                        "closed_at": cycle.closed_at.isoformat() if cycle.closed_at else None,
                        "counts": "people",
                        "by": by,
                        "rows": data,
                        "requirements": requirements,
                        "changes_after_closing": (
                            {"withdrawn": changes.withdrawn, "completed": changes.completed}
                            if changes
                            else None
                        ),
                    },
                    ensure_ascii=False,
                    indent=2,
                )
            )
        elif format == "csv":
            writer = csv.DictWriter(self.stdout, fieldnames=COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(safe_csv_dict(row) for row in data)
        else:
            self.stdout.write(
                f"{cycle.campaign.name} {cycle.name} ({cycle.opens_on} – {cycle.due_on})"
            )
            widths = {c: max(len(c), *(len(str(d[c])) for d in data)) for c in COLUMNS}
            self.stdout.write("  ".join(c.ljust(widths[c]) for c in COLUMNS))
            for d in data:
                self.stdout.write("  ".join(str(d[c]).ljust(widths[c]) for c in COLUMNS))
        sys.stdout.flush()
