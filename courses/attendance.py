"""Attendance lists (seminar or paper test): read, validate, and report every problem with the
file name, line and column, in Japanese and English. Nothing is written here."""

from dataclasses import dataclass, field

from members.models import Member
from members.roster import normalise
from members.uploads import UploadError, read_table

HEADERS = {
    "member_no": ("加入者番号", "会員番号", "member number", "member no", "member_no", "番号"),
    "name": ("氏名", "名前", "name"),
}


@dataclass
class Row:
    line: int
    member_no: str
    member_id: int | None = None
    name: str = ""


@dataclass
class Parsed:
    rows: list[Row] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)


def _error(file_name, line, column, ja, en, value="") -> UploadError:
    return UploadError(
        "row", file_name=file_name, line=line, column=column, value=value, ja=ja, en=en
    )


def parse(data: bytes, *, file_name: str, organisation) -> Parsed:
    """Rows of member numbers, matched to the organisation's members.

    Accepted: a CSV (or XLSX) with a header row with a 加入者番号 column (other columns are
    ignored; 氏名 is checked against the roster when present), or one member number per line
    without header.
    """
    result = Parsed()
    try:
        table = read_table(data, file_name=file_name)
    except UploadError as error:
        result.errors.append(error.as_dict())
        return result
    lines = [(line, cells) for line, cells in table.rows if any(str(c).strip() for c in cells)]
    if not lines:
        result.errors.append(
            _error(file_name, 1, "", "ファイルが空です。", "the file is empty.").as_dict()
        )
        return result
    first_line, header = lines[0]
    columns = table.find_columns(HEADERS)
    no_col, name_col = columns.get("member_no"), columns.get("name")
    body = lines[1:]
    if no_col is None:
        if len(header) == 1 and normalise.member_no(header[0]).isalnum():
            no_col, body = 0, lines  # no header: one member number per line
        else:
            result.errors.append(
                _error(
                    file_name,
                    first_line,
                    "",
                    "「加入者番号」の列が見つかりません。",
                    "no 加入者番号 (member number) column in the header row.",
                ).as_dict()
            )
            return result
    columns = (no_col, name_col)
    result.rows, errors = _read_rows(body, table=table, columns=columns, file_name=file_name)
    errors += _match_roster(
        result.rows,
        table=table,
        columns=columns,
        file_name=file_name,
        organisation=organisation,
    )
    result.errors = [error.as_dict() for error in errors]
    result.errors.sort(key=lambda e: (e["line"], str(e["column"])))
    return result


def _read_rows(body, *, table, columns, file_name) -> tuple[list[Row], list[UploadError]]:
    """The lines' member numbers (and names, when the file has them); empty and repeated
    numbers are errors."""
    no_col, name_col = columns
    rows, errors, seen = [], [], {}
    for line, cells in body:
        column = table.column_ref(no_col)
        number = normalise.member_no(
            cells[no_col] if no_col < len(cells) else ""
        )  # a number as XLSX keeps it
        if not number:
            errors.append(
                _error(file_name, line, column, "加入者番号が空です。", "member number is empty.")
            )
            continue
        if number in seen:
            errors.append(
                _error(
                    file_name,
                    line,
                    column,
                    f"加入者番号 {number} が {seen[number]}行目と重複しています。",
                    f"member number {number} repeats line {seen[number]}.",
                    number,
                )
            )
            continue
        seen[number] = line
        name = normalise.person_name(table.cell(cells, name_col)) if name_col is not None else ""
        rows.append(Row(line=line, member_no=number, name=name))
    return rows, errors


def _match_roster(rows: list[Row], *, table, columns, file_name, organisation) -> list[UploadError]:
    """Each row's member (``member_id`` set); numbers not in the roster and names that do not
    match it are errors."""
    no_col, name_col = columns
    members = {
        m.member_no: m
        for m in Member.objects.filter(
            organisation=organisation, member_no__in=[r.member_no for r in rows]
        )
    }
    errors = []
    for row in rows:
        member = members.get(row.member_no)
        if member is None:
            errors.append(
                _error(
                    file_name,
                    row.line,
                    table.column_ref(no_col),
                    f"加入者番号 {row.member_no} の加入者は名簿にいません。",
                    f"no member with number {row.member_no} in the roster.",
                    row.member_no,
                )
            )
        elif row.name and _name_key(row.name) != _name_key(member.name):
            errors.append(
                _error(
                    file_name,
                    row.line,
                    table.column_ref(name_col),
                    f"氏名「{row.name}」が名簿の「{member.name}」と一致しません。",
                    f"name {row.name!r} does not match the roster's {member.name!r}.",
                    row.name,
                )
            )
        else:
            row.member_id = member.pk
    return errors


def _name_key(name: str) -> str:
    return normalise.nfkc(name).replace(" ", "").replace("\u3000", "")
