"""Validate every row of a roster file and collect every problem (not only the first).

File level: the required columns must be present (checked before any row is read).
Row level: the value problems found while normalising, empty required values, withdrawal
before joining, implausible dates, over-long values, and member numbers that appear twice
(both lines are named). Warnings: occupations not on the organisation's list (kept as given),
e-mail addresses shared by several members, and member numbers Excel stored as numbers
(000001 became 1) that were padded back to the organisation's width.

A row whose raw cells hash to the fingerprint stored when the same member was last imported
(same normaliser version, same occupation list) is known to be unchanged and is not
normalised again: that is what makes a re-import of the same file cheap.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import operator
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable

from . import normalise as N
from .reading import RawTable
from .report import WARNING, Issue

MAX_LENGTHS = {
    "member_no": 32, "name": 120, "name_kana": 160, "email": 254, "phone": 40,
    "work_type": 120, "occupation": 120, "address": 255, "business_name": 160,
    "withdrawal_reason": 255,
}  # fmt: skip
EARLIEST_JOIN = datetime.date(1965, 1, 1)  # special enrollment began in 1965
EARLIEST_BIRTH = datetime.date(1900, 1, 1)
# a roster may describe members joining up to a year after its date (applications ahead)
JOIN_AHEAD = datetime.timedelta(days=366)
# raw cells hashed into the fingerprint, in this order
RAW_FIELDS = N.FIELDS + ["name_last", "name_first", "kana_last", "kana_first"]
PARSED_FIELDS = ["member_no", "name", "name_kana"]  # read from several cells or specially


@dataclasses.dataclass
class Row:
    line: int
    values: dict
    fingerprint: str


@dataclasses.dataclass
class Known:
    """What the database holds for a member number, as far as validation needs it."""

    fingerprint: str
    email: str
    occupation: str


@dataclasses.dataclass
class Validated:
    rows: list[Row]  # valid rows that need a full diff
    unchanged: list[tuple[int, str]]  # (line, member_no) of rows whose fingerprint matched
    errors: list[Issue]
    warnings: list[Issue]
    invalid_lines: set[int]
    member_nos: set[str]  # every member number in the file, valid or not
    rows_total: int
    padded_member_nos: int = 0  # numeric member numbers padded with leading zeros


def check_columns(columns: N.ColumnMap) -> list[Issue]:
    issues = []
    for field in N.REQUIRED:
        if not columns.present(field):
            headers = N.HEADERS[field] + (
                ["姓 + 名", "last_name + first_name"] if field == "name" else []
            )
            issues.append(
                Issue(
                    "missing_column",
                    line=columns.header_line,
                    field=field,
                    params={
                        "headers": " / ".join(headers),
                        "label": f"{N.HEADERS[field][0]} ({field})",
                    },
                )
            )
    return issues


def member_no_width(numbers: Iterable[str]) -> int | None:
    """The organisation's member-number width, when its numbers are zero-padded digits.

    Only when every all-digit number has the same length and at least one starts with 0 is
    the width known to be significant (000001 … 000331); otherwise (1 … 331) none is assumed.
    """
    lengths = Counter()
    zero_padded = False
    for number in numbers:
        if number.isdigit():
            lengths[len(number)] += 1
            zero_padded = zero_padded or number.startswith("0")
    if len(lengths) == 1 and zero_padded:
        return next(iter(lengths))
    return None


@dataclasses.dataclass
class _Layout:
    """Where each field sits in a row of this file, and how to read it."""

    labels: dict[str, str]  # field -> "C (生年月日)": how a person finds the column
    width: int  # every row is padded to this width plus one empty cell (absent columns)
    raw_cells: Callable  # cells -> the raw values hashed into the fingerprint
    plain: list[tuple[str, int, Callable]]  # (field, index, value function)
    name_cols: tuple
    kana_cols: tuple
    member_no_col: int
    lengths: list[tuple[str, int]]  # (field, maximum length) of the present columns
    salt: str
    all_text: bool  # a CSV: every cell is already text

    def padded(self, cells: list) -> list:
        if len(cells) <= self.width:
            return cells + [""] * (self.width + 1 - len(cells))
        return cells

    def fingerprint(self, cells: list) -> str:
        raw = self.raw_cells(cells)
        joined = "\x1f".join(raw) if self.all_text else "\x1f".join(map(str, raw))
        return hashlib.blake2b((self.salt + joined).encode(), digest_size=16).hexdigest()


def _layout(table: RawTable, columns: N.ColumnMap, occupations: N.OccupationList) -> _Layout:
    indexes = columns.indexes

    def label(field: str) -> str:
        index = indexes.get(field)
        if index is None and field == "name":
            index = indexes.get("name_last")
        if index is None and field == "name_kana":
            index = indexes.get("kana_last")
        if index is None:
            return ""
        return f"{table.column_ref(index)} ({columns.headers[index]})"

    data_rows = table.rows[columns.header_row_index + 1 :]
    width = max([len(cells) for _line, cells in data_rows] + [i + 1 for i in indexes.values()])
    position_of = {f: indexes.get(f, width) for f in RAW_FIELDS}
    return _Layout(
        labels={field: label(field) for field in N.FIELDS},
        width=width,
        raw_cells=operator.itemgetter(*(position_of[f] for f in RAW_FIELDS)),
        plain=[
            (f, position_of[f], N.VALUE_FUNCTIONS[f])
            for f in N.FIELDS
            if f in indexes and f not in PARSED_FIELDS
        ],
        name_cols=(indexes.get("name"), indexes.get("name_last"), indexes.get("name_first")),
        kana_cols=(indexes.get("name_kana"), indexes.get("kana_last"), indexes.get("kana_first")),
        member_no_col=position_of["member_no"],
        lengths=[(f, limit) for f, limit in MAX_LENGTHS.items() if columns.present(f)],
        salt=f"{N.NORMALISER_VERSION}\x1e{occupations.version}\x1e",
        all_text=not table.is_xlsx,
    )


def _empty_values() -> dict:
    values = dict.fromkeys(N.FIELDS, "")
    values.update(birth_date=None, joined_on=None, withdrawn_on=None, daily_base=None)
    return values


class _Collector:
    """What the rows of one file add up to, gathered while they are read."""

    def __init__(self):
        self.rows: list[Row] = []
        self.unchanged: list[tuple[int, str]] = []
        self.errors: list[Issue] = []
        self.invalid: set[int] = set()
        self.lines_by_no: dict[str, list[int]] = defaultdict(list)
        self.lines_by_email: dict[str, list[int]] = defaultdict(list)
        self.unknown_occupations: list[tuple[int, str]] = []
        self.padded: list[tuple[int, str, str]] = []  # (line, as read, padded)


def validate(
    table: RawTable,
    columns: N.ColumnMap,
    *,
    occupations: N.OccupationList,
    known: dict[str, Known],
    as_of: datetime.date,
    today: datetime.date,
    progress: Callable[[int, int], None] | None = None,
    number_width: int | None = None,
) -> Validated:
    """Check every data row. ``number_width``: pad numeric member numbers to this width."""
    data_rows = table.rows[columns.header_row_index + 1 :]
    total = len(data_rows)
    layout = _layout(table, columns, occupations)
    bounds = _DateBounds(today=today, latest_join=as_of + JOIN_AHEAD)
    empty_values = _empty_values()
    found = _Collector()

    for position, (line, cells) in enumerate(data_rows):
        if progress and position % 5000 == 0:
            progress(position, total)
        cells = layout.padded(cells)
        fingerprint = layout.fingerprint(cells)
        number = _member_no(cells[layout.member_no_col], number_width, line, found)
        if number:
            found.lines_by_no[number].append(line)
            stored = known.get(number)
            if stored is not None and stored.fingerprint == fingerprint:
                _note_unchanged(found, line, number, stored, occupations)
                continue
        values = empty_values.copy()
        values["member_no"] = number
        row_issues = _read_values(values, cells, line, layout)
        row_issues += _check_values(values, line, layout, bounds, row_issues)
        _resolve_place_and_occupation(values, line, occupations, found)
        if row_issues:
            found.errors.extend(row_issues)
            found.invalid.add(line)
            continue
        if values["email"]:
            found.lines_by_email[values["email"]].append(line)
        found.rows.append(Row(line, values, fingerprint))

    if progress:
        progress(total, total)
    _reject_duplicate_numbers(found, layout.labels)
    warnings = _warnings(found, layout.labels, number_width)
    found.errors.sort(key=lambda i: i.line or 0)
    return Validated(
        rows=found.rows,
        unchanged=found.unchanged,
        errors=found.errors,
        warnings=warnings,
        invalid_lines=found.invalid,
        member_nos=set(found.lines_by_no),
        rows_total=total,
        padded_member_nos=len(found.padded),
    )


@dataclasses.dataclass
class _DateBounds:
    today: datetime.date
    latest_join: datetime.date


def _member_no(cell, width: int | None, line: int, found: _Collector) -> str:
    number = N.member_no(cell)
    if width and isinstance(cell, (int, float)) and number.isdigit() and len(number) < width:
        padded = number.zfill(width)
        found.padded.append((line, number, padded))
        return padded
    return number


def _note_unchanged(found: _Collector, line, number, stored: Known, occupations) -> None:
    found.unchanged.append((line, number))
    if stored.email:
        found.lines_by_email[stored.email].append(line)
    if stored.occupation and not occupations.resolve(stored.occupation)[1]:
        found.unknown_occupations.append((line, stored.occupation))


def _read_values(values: dict, cells: list, line: int, layout: _Layout) -> list[Issue]:
    """Normalise the row's cells into ``values``; the problems found, one per cell."""
    issues = []
    for field, index, function in layout.plain:
        try:
            values[field] = function(cells[index])
        except N.Problem as problem:
            issues.append(_issue(problem, line, layout.labels[field], field, cells[index]))
    values["name"] = _joined(cells, layout.name_cols, N.person_name)
    values["name_kana"] = _joined(cells, layout.kana_cols, N.kana)
    return issues


def _check_values(values, line, layout: _Layout, bounds: _DateBounds, read_issues) -> list[Issue]:
    """Required values, lengths and plausible dates of one row."""
    labels = layout.labels
    issues = []
    for field in N.REQUIRED:
        if values[field] in ("", None) and not any(i.field == field for i in read_issues):
            issues.append(Issue("required", line=line, column=labels[field], field=field))
    for field, limit in layout.lengths:
        if len(values[field]) > limit:
            issues.append(
                Issue(
                    "too_long",
                    line=line,
                    column=labels[field],
                    field=field,
                    value=values[field],
                    params={"max_length": limit},
                )
            )
    birth, joined, withdrawn = values["birth_date"], values["joined_on"], values["withdrawn_on"]
    if birth and not (EARLIEST_BIRTH <= birth <= bounds.today):
        issues.append(_range(line, labels, "birth_date", birth, EARLIEST_BIRTH, bounds.today))
    if joined and not (EARLIEST_JOIN <= joined <= bounds.latest_join):
        issues.append(_range(line, labels, "joined_on", joined, EARLIEST_JOIN, bounds.latest_join))
    if joined and withdrawn and withdrawn < joined:
        issues.append(
            Issue(
                "withdrawn_before_joined",
                line=line,
                column=labels["withdrawn_on"],
                field="withdrawn_on",
                value=withdrawn.isoformat(),
                params={"joined_on": joined.isoformat()},
            )
        )
    return issues


def _resolve_place_and_occupation(values, line, occupations, found: _Collector) -> None:
    if not values["prefecture"] and values["address"]:
        values["prefecture"] = N.prefecture_in_address(values["address"])
    if values["occupation"]:
        values["occupation"], listed = occupations.resolve(values["occupation"])
        if not listed:
            found.unknown_occupations.append((line, values["occupation"]))


def _reject_duplicate_numbers(found: _Collector, labels) -> None:
    """Member numbers that appear more than once: every such line is named and rejected."""
    duplicated = {no: lines for no, lines in found.lines_by_no.items() if len(lines) > 1}
    if not duplicated:
        return
    for number, lines in duplicated.items():
        listed = ", ".join(map(str, lines))
        for line in lines:
            found.errors.append(
                Issue(
                    "duplicate_member_no",
                    line=line,
                    column=labels["member_no"],
                    field="member_no",
                    value=number,
                    params={"lines": listed},
                )
            )
            found.invalid.add(line)
    found.rows = [r for r in found.rows if r.line not in found.invalid]
    found.unchanged = [(line, no) for line, no in found.unchanged if line not in found.invalid]


def _warnings(found: _Collector, labels, number_width) -> list[Issue]:
    warnings = []
    if found.padded:
        line, as_read, padded = found.padded[0]
        warnings.append(
            Issue(
                "member_no_padded",
                line=line,
                column=labels["member_no"],
                field="member_no",
                value=as_read,
                params={"count": len(found.padded), "width": number_width, "padded": padded},
                severity=WARNING,
            )
        )
    for line, occupation in found.unknown_occupations:
        if line not in found.invalid:
            warnings.append(
                Issue(
                    "unknown_occupation",
                    line=line,
                    column=labels["occupation"],
                    field="occupation",
                    value=occupation,
                    severity=WARNING,
                )
            )
    for address, lines in found.lines_by_email.items():
        if len(lines) > 1:
            warnings.append(
                Issue(
                    "duplicate_email",
                    line=lines[0],
                    column=labels["email"],
                    field="email",
                    value=address,
                    params={"lines": ", ".join(map(str, lines))},
                    severity=WARNING,
                )
            )
    warnings.sort(key=lambda i: i.line or 0)
    return warnings


def _joined(cells, columns, function) -> str:
    whole, last, first = columns
    if whole is not None:
        return function(cells[whole])
    parts = [N.nfkc(cells[i]) for i in (last, first) if i is not None and cells[i] != ""]
    return function(" ".join(p for p in parts if p))


def _issue(problem: N.Problem, line, column, field, cell) -> Issue:
    value = cell.isoformat() if isinstance(cell, datetime.date) else str(cell)
    return Issue(
        problem.code, line=line, column=column, field=field, value=value, params=problem.params
    )


def _range(line, labels, field, value, low, high) -> Issue:
    return Issue(
        "date_range",
        line=line,
        column=labels[field],
        field=field,
        value=value.isoformat(),
        params={"low": low.isoformat(), "high": high.isoformat()},
    )
