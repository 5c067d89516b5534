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
from .diff import Plan, load_known, plan_changes
from .reading import ReadError, read_table
from .report import Issue, Report
from .validation import Known, Validated, check_columns, member_no_width, validate


@dataclasses.dataclass
class Options:
    encoding: str = "auto"
    sheet: str | None = None
    as_of: datetime.date | None = None
    withdraw_missing: bool = False
    skip_invalid: bool = False
    confirm_large_change: bool = False  # staff confirmed a file that adds or misses many

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
    parsed = _read_and_map_columns(data, options, report)
    if parsed is None:  # rejected as a whole file: no row was read
        return report
    run = _Run(
        organisation=organisation,
        table=parsed[0],
        columns=parsed[1],
        options=options,
        report=report,
        progress=progress,
    )
    version = _roster_version(organisation)
    validated, known = run.validate()
    if not apply:
        run.plan_and_report(validated, known)
        return report
    with transaction.atomic():
        Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
        if _roster_version(organisation) != version:  # another import ran meanwhile
            validated, known = run.validate()
        plan = run.plan_and_report(validated, known)
        run.refuse_unconfirmed_large_change()
        if report.rejected:
            return report
        if report.has_changes or plan.fingerprints:
            apply_plan(
                plan,
                organisation=organisation,
                roster_import=roster_import,
                batch_size=conf.import_batch_size(),
            )
        report.applied = report.has_changes
        if on_commit:
            on_commit(report)
    return report


def _read_and_map_columns(data: bytes, options: Options, report: Report):
    """The file's table and its column map, or None when the file is rejected as a whole
    (unreadable, no header, required columns missing): ``report`` then says why."""

    def reject_file(issues: list[Issue]) -> None:
        report.errors = issues
        report.rejected_file = report.rejected = True

    try:
        table = read_table(data, encoding=options.encoding, sheet=options.sheet)
    except ReadError as error:
        return reject_file([error.issue])
    report.encoding, report.sheet = table.encoding, table.sheet
    columns = N.map_columns(table.rows)
    if columns is None:
        return reject_file([Issue("no_header", line=table.rows[0][0] if table.rows else None)])
    report.columns = {f: columns.headers[i] for f, i in columns.indexes.items()}
    report.unmatched_columns = columns.unmatched
    missing_columns = check_columns(columns)
    if missing_columns:
        return reject_file(missing_columns)
    return table, columns


class _Run:
    """The steps of one run after the file was read: validate, plan, report, guard."""

    def __init__(self, *, organisation, table, columns, options: Options, report, progress):
        self.organisation, self.table, self.columns = organisation, table, columns
        self.options, self.report, self.progress = options, report, progress
        self.today = timezone.localdate()
        self.as_of = options.as_of or self.today
        self.occupations = N.OccupationList(
            list(organisation.occupations.values_list("name", "aliases"))
        )

    def validate(self) -> tuple[Validated, dict[str, Known]]:
        known = load_known(self.organisation)
        validated = validate(
            self.table,
            self.columns,
            occupations=self.occupations,
            known=known,
            as_of=self.as_of,
            today=self.today,
            progress=self.progress,
            number_width=member_no_width(known),
        )
        self.report.rows_total = validated.rows_total
        self.report.padded_member_nos = validated.padded_member_nos
        return validated, known

    def plan_and_report(self, validated: Validated, known: dict[str, Known]) -> Plan:
        report, options = self.report, self.options
        plan = plan_changes(
            self.organisation,
            validated,
            as_of=self.as_of,
            withdraw_missing=options.withdraw_missing,
            batch_size=conf.import_batch_size(),
            known=known,
        )
        report.errors = sorted(validated.errors + plan.errors, key=lambda i: i.line or 0)
        report.warnings = validated.warnings
        rejected_lines = validated.invalid_lines | {i.line for i in plan.errors}
        report.counts = {k: plan.counts.get(k, 0) for k in report.counts}
        report.counts["rejected"] = len(rejected_lines)
        limit = conf.import_preview_changes()
        first_changes = sorted(plan.changes.values(), key=lambda c: (c.line is None, c.line or 0))
        report.changes = [_change_for_report(change) for change in first_changes[:limit]]
        report.missing_members = plan.missing[:limit]
        report.rejected = bool(report.errors) and not options.skip_invalid
        report.guards = large_change_guards(
            counts=report.counts, active=self._active_members(known)
        )
        return plan

    def _active_members(self, known) -> int:
        if not known:
            return 0
        return Member.objects.filter(organisation=self.organisation).active_on(self.as_of).count()

    def refuse_unconfirmed_large_change(self) -> None:
        """An unusually large change is applied only when staff confirmed it explicitly."""
        report = self.report
        if report.guards and not report.rejected and not self.options.confirm_large_change:
            report.errors = report.guards + report.errors
            report.rejected = True


# shown for an added member in the preview: what was read, dates as the importer parsed them
PREVIEW_FIELDS = ["name_kana", "birth_date", "category", "occupation", "email", "joined_on"]


def _change_for_report(change) -> dict:
    fields = change.changes
    if change.kind == "added" and change.values:
        fields = {
            field: [None, _json(change.values[field])]
            for field in PREVIEW_FIELDS
            if change.values[field] not in ("", None)
        }
    return {
        "kind": change.kind,
        "line": change.line,
        "member_no": change.member_no,
        "name": change.name,
        "changes": fields,
    }


def _json(value):
    return value.isoformat() if isinstance(value, datetime.date) else value


def large_change_guards(*, counts: dict, active: int) -> list[Issue]:
    """Why a file needs explicit confirmation: it adds more than half of the organisation's
    members as new, or reports more than a fifth of them missing (a file of another
    organisation, or a partial export, looks like this). A first import (no members yet) is
    not guarded, nor a change of a few people (``IMPORT_GUARD_MIN_PEOPLE``) in a small one."""
    if not active:
        return []
    guards = []
    least = conf.import_guard_min_people()
    if counts["added"] > max(least, active * conf.import_guard_added_share()):
        guards.append(
            Issue(
                "large_addition",
                params={"added": counts["added"], "active": active},
            )
        )
    if counts["missing"] > max(least, active * conf.import_guard_missing_share()):
        guards.append(
            Issue(
                "large_missing",
                params={
                    "missing": counts["missing"],
                    "active": active,
                    "percent": round(100 * counts["missing"] / active),
                },
            )
        )
    return guards
