"""What an import found: issues (errors and warnings) and the summary, in Japanese and English.

Issues are stored as plain data (code + parameters) and rendered in any language on display,
so the admin can show both languages and the command prints the active one.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from members.uploads import MESSAGES as UPLOAD_MESSAGES

ERROR = "error"
WARNING = "warning"

# code -> (what is wrong, what was expected). Parameters come from Issue.params.
MESSAGES = {
    # file level: the uploads toolkit's (too_large, decode, sheet, too_many_columns ...)
    **UPLOAD_MESSAGES,
    "no_header": (
        _("No header row was found."),
        _("A first row with column names such as 加入者番号, 氏名, 加入区分, 加入日."),
    ),
    "missing_column": (
        _("The required column %(label)s is missing."),
        _("A column headed %(headers)s."),
    ),
    # row level
    "required": (_("The value is empty."), _("A value (this field is required).")),
    "date": (
        _("This is not a date."),
        _("A date such as 1975-04-01, 1975/4/1, 19750401, S50.4.1 or 昭和50年4月1日."),
    ),
    "date_impossible": (
        _("There is no day %(day)s in month %(month)s of %(year)s."),
        _("A date that exists in the calendar."),
    ),
    "date_era_start": (
        _("%(era)s began on %(start)s; this date is before it."),
        _("A date within its era, or a Western-calendar date such as 2019-05-01."),
    ),
    "date_era": (
        _("%(era)s runs from %(start)s to %(end)s; this date is outside it."),
        _("A date within its era, or a Western-calendar date such as 2019-05-01."),
    ),
    "date_range": (
        _("The date is outside the plausible range."),
        _("A date between %(low)s and %(high)s."),
    ),
    "withdrawn_before_joined": (
        _("The withdrawal date is before the joining date %(joined_on)s."),
        _("A withdrawal date on or after the joining date."),
    ),
    "category": (
        _("Unknown category."),
        _("第1種, 第2種, 第3種, 特定フリーランス事業, 一人親方等 or 特定作業従事者."),
    ),
    "gender": (_("Unknown gender."), _("男 / 女 / その他, M / F, 1 / 2 / 3, or blank.")),
    "prefecture": (
        _("Unknown prefecture."),
        _("A prefecture name (東京 or 東京都) or its JIS code 1–47."),
    ),
    "postcode": (_("This is not a postcode."), _("7 digits, e.g. 100-0001.")),
    "daily_base": (
        _("This is not a daily benefit base."),
        _("One of the legal steps in yen: %(steps)s."),
    ),
    "email": (_("This is not an e-mail address."), _("An address such as name@example.jp.")),
    "too_long": (_("The value is too long."), _("At most %(max_length)s characters.")),
    "duplicate_member_no": (
        _("Member number %(value)s appears more than once in the file (lines %(lines)s)."),
        _("Each member number once per file."),
    ),
    "period_overlap": (
        _("The joining date falls inside the previous membership period (%(period)s)."),
        _("A joining date on or after %(withdrawn_on)s, the previous withdrawal date."),
    ),
    # the whole file, before applying
    "large_addition": (
        _(
            "This file adds %(added)s new members, more than half of the %(active)s members "
            "enrolled now."
        ),
        _(
            "A file of this organisation. If it is right, tick “I have checked this file” and "
            "apply it."
        ),
    ),
    "large_missing": (
        _(
            "%(missing)s of the %(active)s members enrolled now (%(percent)s%%) are missing "
            "from this file."
        ),
        _(
            "The whole roster (a full export). If it is right, tick “I have checked this file” "
            "and apply it."
        ),
    ),
    # warnings
    "member_no_padded": (
        _(
            "%(count)s member numbers were stored as numbers (Excel drops leading zeros); they "
            "were padded to %(width)s digits (%(value)s → %(padded)s)."
        ),
        _("Member numbers formatted as text in Excel, e.g. 000001."),
    ),
    "unknown_occupation": (
        _("The occupation is not on the organisation's list; it is kept as given."),
        _("One of the organisation's occupations (add it or an alias to the list)."),
    ),
    "duplicate_email": (
        _("The same e-mail address is used by several members (lines %(lines)s)."),
        _("Usually one address per member; allowed, only reported."),
    ),
}


@dataclasses.dataclass
class Issue:
    code: str
    line: int | None = None
    column: str = ""  # as the file names it: "C: 生年月日"
    field: str = ""
    value: str = ""
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    severity: str = ERROR

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Issue:
        return cls(
            **{
                f.name: data.get(f.name, f.default)
                for f in dataclasses.fields(cls)
                if f.name in data
            }
        )

    def problem(self) -> str:
        text = MESSAGES[self.code][0]
        return str(text) % self._params()

    def expected(self) -> str:
        return str(MESSAGES[self.code][1]) % self._params()

    def _params(self) -> dict:
        return {"value": self.value, "field": self.field, **self.params}

    def message(self, file_name: str = "") -> str:
        """One line naming file, line, column, value, problem and expectation (active language)."""
        parts = []
        where = []
        if file_name:
            where.append(file_name)
        if self.line:
            where.append(str(_("line %(line)s") % {"line": self.line}))
        if self.column:
            where.append(str(_("column %(column)s") % {"column": self.column}))
        if where:
            parts.append(", ".join(where) + ":")
        if self.value != "" and self.value is not None:
            parts.append(str(_("value “%(value)s”:") % {"value": self.value}))
        parts.append(self.problem())
        parts.append(str(_("Expected: %(expected)s") % {"expected": self.expected()}))
        return " ".join(parts)

    def messages(self, file_name: str = "") -> dict[str, str]:
        """The message in every language of the admin: {"ja": ..., "en": ...}."""
        out = {}
        for language in ("ja", "en"):
            with translation.override(language):
                out[language] = self.message(file_name)
        return out


COUNT_FIELDS = ["added", "changed", "withdrawn", "rejoined", "unchanged", "missing", "rejected"]
COUNT_LABELS = {
    "added": _("added"),
    "changed": _("changed"),
    "withdrawn": _("withdrawn"),
    "rejoined": _("rejoined"),
    "unchanged": _("unchanged"),
    "missing": _("missing"),
    "rejected": _("rejected"),
}


@dataclasses.dataclass
class Report:
    """The outcome of one run of the pipeline, whether previewed, applied or rejected."""

    file_name: str
    checksum: str = ""
    encoding: str = ""
    sheet: str = ""
    rows_total: int = 0
    counts: dict[str, int] = dataclasses.field(
        default_factory=lambda: dict.fromkeys(COUNT_FIELDS, 0)
    )
    errors: list[Issue] = dataclasses.field(default_factory=list)
    warnings: list[Issue] = dataclasses.field(default_factory=list)
    columns: dict[str, str] = dataclasses.field(default_factory=dict)  # field -> header
    unmatched_columns: list[str] = dataclasses.field(default_factory=list)
    changes: list[dict] = dataclasses.field(default_factory=list)  # the first changes
    missing_members: list[dict] = dataclasses.field(default_factory=list)
    guards: list[Issue] = dataclasses.field(default_factory=list)  # needs confirmation
    padded_member_nos: int = 0
    rejected_file: bool = False  # a file-level error: no row was read
    rejected: bool = False  # nothing was applied because of errors
    applied: bool = False
    dry_run: bool = False

    @property
    def has_changes(self) -> bool:
        c = self.counts
        return bool(c["added"] or c["changed"] or c["withdrawn"] or c["rejoined"])

    def as_dict(self, *, max_errors: int | None = None) -> dict:
        errors = self.errors if max_errors is None else self.errors[:max_errors]
        return {
            "file_name": self.file_name,
            "checksum": self.checksum,
            "encoding": self.encoding,
            "sheet": self.sheet,
            "rows_total": self.rows_total,
            "counts": dict(self.counts),
            "errors": [e.as_dict() for e in errors],
            "errors_total": len(self.errors),
            "warnings": [w.as_dict() for w in self.warnings[: max_errors or None]],
            "warnings_total": len(self.warnings),
            "columns": self.columns,
            "unmatched_columns": self.unmatched_columns,
            "changes": self.changes,
            "missing_members": self.missing_members,
            "guards": [g.as_dict() for g in self.guards],
            "padded_member_nos": self.padded_member_nos,
            "rejected_file": self.rejected_file,
            "rejected": self.rejected,
            "applied": self.applied,
            "dry_run": self.dry_run,
            "has_changes": self.has_changes,
        }
