"""The one pipeline: read -> normalise -> validate -> diff -> apply, returning a Report.

Nothing is written unless every row is valid or ``skip_invalid`` is set; the diff and the
writes happen in one transaction holding a lock on the organisation row, so two imports for
the same organisation cannot interleave.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import gc
import hashlib
from collections.abc import Callable

from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from .. import conf
from ..models import Member, Organisation
from . import normalise as N
from .apply import apply_plan
from .diff import load_known, plan_changes
from .reading import ReadError, read_table
from .report import Issue, Report
from .validation import check_columns, validate


@dataclasses.dataclass
class Options:
    encoding: str = "auto"
    sheet: str | None = None
    as_of: datetime.date | None = None
    withdraw_missing: bool = False
    skip_invalid: bool = False

    def as_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["as_of"] = self.as_of.isoformat() if self.as_of else None
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Options:
        data = dict(data or {})
        if data.get("as_of"):
            data["as_of"] = datetime.date.fromisoformat(data["as_of"])
        return cls(**{f.name: data[f.name] for f in dataclasses.fields(cls) if f.name in data})


def checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _roster_version(organisation) -> tuple:
    return tuple(
        Member.objects.filter(organisation=organisation)
        .aggregate(n=Count("id"), last=Max("updated_at"))
        .values()
    )


@contextlib.contextmanager
def _no_cyclic_gc():
    """Building 100,000 rows of cells allocates millions of containers: the cyclic garbage
    collector would rescan them all, again and again. None of them form cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def run(**kwargs) -> Report:
    """Check a roster file and, when ``apply`` is set and it is acceptable, apply it.

    Keyword arguments: organisation, data (bytes), file_name, options (Options), apply (bool),
    roster_import, progress(done, total), on_commit(report) — called inside the transaction
    after the writes (to record the import atomically with the changes).
    """
    with _no_cyclic_gc():
        return _run(**kwargs)


def _run(
    *,
    organisation,
    data: bytes,
    file_name: str,
    options: Options,
    apply: bool,
    roster_import=None,
    progress: Callable[[int, int], None] | None = None,
    on_commit: Callable[[Report], None] | None = None,
) -> Report:
    report = Report(file_name=file_name, checksum=checksum(data), dry_run=not apply)
    as_of = options.as_of or timezone.localdate()
    today = timezone.localdate()
    batch_size = conf.import_batch_size()

    def reject_file(issue: Issue) -> Report:
        report.errors = [issue]
        report.rejected_file = report.rejected = True
        return report

    try:
        table = read_table(data, encoding=options.encoding, sheet=options.sheet)
    except ReadError as error:
        return reject_file(error.issue)
    report.encoding, report.sheet = table.encoding, table.sheet
    columns = N.map_columns(table.rows)
    if columns is None:
        return reject_file(Issue("no_header", line=table.rows[0][0] if table.rows else None))
    report.columns = {f: columns.headers[i] for f, i in columns.indexes.items()}
    report.unmatched_columns = columns.unmatched
    missing_columns = check_columns(columns)
    if missing_columns:
        report.errors = missing_columns
        report.rejected_file = report.rejected = True
        return report

    occupations = N.OccupationList(list(organisation.occupations.values_list("name", "aliases")))

    def check(known):
        return validate(
            table,
            columns,
            occupations=occupations,
            known=known,
            as_of=as_of,
            today=today,
            progress=progress,
        )

    version = _roster_version(organisation)
    known = load_known(organisation)
    validated = check(known)
    report.rows_total = validated.rows_total

    def plan_and_report(validated, known):
        plan = plan_changes(
            organisation,
            validated,
            as_of=as_of,
            withdraw_missing=options.withdraw_missing,
            batch_size=batch_size,
            known=known,
        )
        report.errors = sorted(validated.errors + plan.errors, key=lambda i: i.line or 0)
        report.warnings = validated.warnings
        rejected_lines = validated.invalid_lines | {i.line for i in plan.errors}
        report.counts = {k: plan.counts.get(k, 0) for k in report.counts}
        report.counts["rejected"] = len(rejected_lines)
        limit = conf.import_preview_changes()
        report.changes = [
            {
                "kind": c.kind,
                "line": c.line,
                "member_no": c.member_no,
                "name": c.name,
                "changes": c.changes,
            }
            for c in sorted(plan.changes.values(), key=lambda c: (c.line is None, c.line or 0))[
                :limit
            ]
        ]
        report.missing_members = plan.missing[:limit]
        report.rejected = bool(report.errors) and not options.skip_invalid
        return plan

    if not apply:
        plan_and_report(validated, known)
        return report

    with transaction.atomic():
        Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
        if _roster_version(organisation) != version:  # another import ran meanwhile
            known = load_known(organisation)
            validated = check(known)
        plan = plan_and_report(validated, known)
        if report.rejected:
            return report
        if report.has_changes or plan.fingerprints:
            apply_plan(
                plan, organisation=organisation, roster_import=roster_import, batch_size=batch_size
            )
        report.applied = report.has_changes
        if on_commit:
            on_commit(report)
    return report
