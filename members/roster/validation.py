"""Validate every row of a roster file and collect every problem (not only the first).

File level: the required columns must be present (checked before any row is read).
Row level: the value problems found while normalising, empty required values, withdrawal
before joining, implausible dates, over-long values, and member numbers that appear twice
(both lines are named). Warnings: occupations not on the organisation's list (kept as given)
and e-mail addresses shared by several members.

A row whose raw cells hash to the fingerprint stored when the same member was last imported
(same normaliser version, same occupation list) is known to be unchanged and is not
normalised again: that is what makes a re-import of the same file cheap.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import operator
from collections import defaultdict
from collections.abc import Callable

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
# raw cells hashed into the fingerprint, in this order
RAW_FIELDS = N.FIELDS + ["name_last", "name_first", "kana_last", "kana_first"]


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


def validate(
    table: RawTable,
    columns: N.ColumnMap,
    *,
    occupations: N.OccupationList,
    known: dict[str, Known],
    as_of: datetime.date,
    today: datetime.date,
    progress: Callable[[int, int], None] | None = None,
) -> Validated:
    data_rows = table.rows[columns.header_row_index + 1 :]
    total = len(data_rows)
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

    labels = {field: label(field) for field in N.FIELDS}
    salt = f"{N.NORMALISER_VERSION}\x1e{occupations.version}\x1e"
    # every row is padded to the same width plus one empty cell, where absent columns point
    width = max([len(cells) for _line, cells in data_rows] + [i + 1 for i in indexes.values()])
    blank = width
    padding = [""] * (width + 1)
    position_of = {f: indexes.get(f, blank) for f in RAW_FIELDS}
    raw_cells = operator.itemgetter(*(position_of[f] for f in RAW_FIELDS))
    plain = [
        (f, position_of[f], N.VALUE_FUNCTIONS[f])
        for f in N.FIELDS
        if f in indexes and f not in ("member_no", "name", "name_kana")
    ]
    name_cols = (indexes.get("name"), indexes.get("name_last"), indexes.get("name_first"))
    kana_cols = (indexes.get("name_kana"), indexes.get("kana_last"), indexes.get("kana_first"))
    member_no_col = position_of["member_no"]
    lengths = [(f, limit) for f, limit in MAX_LENGTHS.items() if columns.present(f)]
    latest_join = as_of + datetime.timedelta(days=366)
    all_text = not table.is_xlsx
    member_no, blake2b, Problem = N.member_no, hashlib.blake2b, N.Problem
    empty_values = dict.fromkeys(N.FIELDS, "")
    empty_values.update(birth_date=None, joined_on=None, withdrawn_on=None, daily_base=None)

    rows: list[Row] = []
    unchanged: list[tuple[int, str]] = []
    errors: list[Issue] = []
    warnings: list[Issue] = []
    invalid: set[int] = set()
    lines_by_no: dict[str, list[int]] = defaultdict(list)
    lines_by_email: dict[str, list[int]] = defaultdict(list)
    unknown_occupations: list[tuple[int, str]] = []

    for position, (line, cells) in enumerate(data_rows):
        if progress and position % 5000 == 0:
            progress(position, total)
        if len(cells) <= width:
            cells = cells + padding[len(cells) :]
        raw = raw_cells(cells)
        number = member_no(cells[member_no_col])
        joined_raw = "\x1f".join(raw) if all_text else "\x1f".join(map(str, raw))
        fingerprint = blake2b((salt + joined_raw).encode(), digest_size=16).hexdigest()
        if number:
            lines_by_no[number].append(line)
            stored = known.get(number)
            if stored is not None and stored.fingerprint == fingerprint:
                unchanged.append((line, number))
                if stored.email:
                    lines_by_email[stored.email].append(line)
                if stored.occupation and not occupations.resolve(stored.occupation)[1]:
                    unknown_occupations.append((line, stored.occupation))
                continue

        values = empty_values.copy()
        values["member_no"] = number
        row_issues = []
        for field, index, function in plain:
            try:
                values[field] = function(cells[index])
            except Problem as problem:
                row_issues.append(_issue(problem, line, labels[field], field, cells[index]))
        values["name"] = _joined(cells, name_cols, N.person_name)
        values["name_kana"] = _joined(cells, kana_cols, N.kana)

        for field in N.REQUIRED:
            if values[field] in ("", None) and not any(i.field == field for i in row_issues):
                row_issues.append(Issue("required", line=line, column=labels[field], field=field))
        for field, limit in lengths:
            if len(values[field]) > limit:
                row_issues.append(
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
        if birth and not (EARLIEST_BIRTH <= birth <= today):
            row_issues.append(_range(line, labels, "birth_date", birth, EARLIEST_BIRTH, today))
        if joined and not (EARLIEST_JOIN <= joined <= latest_join):
            row_issues.append(_range(line, labels, "joined_on", joined, EARLIEST_JOIN, latest_join))
        if joined and withdrawn and withdrawn < joined:
            row_issues.append(
                Issue(
                    "withdrawn_before_joined",
                    line=line,
                    column=labels["withdrawn_on"],
                    field="withdrawn_on",
                    value=withdrawn.isoformat(),
                    params={"joined_on": joined.isoformat()},
                )
            )
        if not values["prefecture"] and values["address"]:
            values["prefecture"] = N.prefecture_in_address(values["address"])
        if values["occupation"]:
            values["occupation"], listed = occupations.resolve(values["occupation"])
            if not listed:
                unknown_occupations.append((line, values["occupation"]))

        if row_issues:
            errors.extend(row_issues)
            invalid.add(line)
            continue
        if values["email"]:
            lines_by_email[values["email"]].append(line)
        rows.append(Row(line, values, fingerprint))

    if progress:
        progress(total, total)

    # member numbers that appear more than once: every such line is named and rejected
    duplicated = {no: lines for no, lines in lines_by_no.items() if len(lines) > 1}
    if duplicated:
        for number, lines in duplicated.items():
            listed = ", ".join(map(str, lines))
            for line in lines:
                errors.append(
                    Issue(
                        "duplicate_member_no",
                        line=line,
                        column=labels["member_no"],
                        field="member_no",
                        value=number,
                        params={"lines": listed},
                    )
                )
                invalid.add(line)
        rows = [r for r in rows if r.line not in invalid]
        unchanged = [(line, no) for line, no in unchanged if line not in invalid]

    for line, occupation in unknown_occupations:
        if line not in invalid:
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
    for address, lines in lines_by_email.items():
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
    errors.sort(key=lambda i: i.line or 0)
    warnings.sort(key=lambda i: i.line or 0)
    return Validated(
        rows=rows,
        unchanged=unchanged,
        errors=errors,
        warnings=warnings,
        invalid_lines=invalid,
        member_nos=set(lines_by_no),
        rows_total=total,
    )


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
