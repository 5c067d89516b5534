"""Excel workbooks as the office reads them: one named sheet per table, a title row (the
organisation, the report and its as-of date), a frozen header row with an autofilter, column
widths that fit Japanese text, and real dates and numbers (a percent is a number with a %
format, never text). Formula-like text is neutralised as in every export (exports.py).

    book = Workbook(write_only=True)
    add_table_sheet(book, title="人数", heading=("組織", "報告", as_of), columns=[...], rows=[...])
    sheet = TableSheet(book, title=..., heading=..., columns=[...])  # long lists: row by row
    for row in rows: sheet.append(row)
    sheet.close()
"""

from __future__ import annotations

import datetime
import unicodedata
from dataclasses import dataclass

from django.utils import timezone
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .exports import is_formula_like

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT = "yyyy/mm/dd"
DATETIME_FORMAT = "yyyy/mm/dd hh:mm"
PERCENT_FORMAT = "0.0%"
MAX_WIDTH = 60
SHEET_TITLE_LIMIT = 31  # Excel's limit on a sheet name
_FORBIDDEN = str.maketrans({c: "_" for c in "[]:*?/\\"})


@dataclass
class Col:
    heading: str
    kind: str = "text"  # text | int | percent | date | datetime


def sheet_title(title: str) -> str:
    return str(title).translate(_FORBIDDEN)[:SHEET_TITLE_LIMIT] or "Sheet"


def display_width(value) -> int:
    """Width in Excel's character units: full-width characters count twice."""
    text = value if isinstance(value, str) else str(value)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _cell(sheet, value, kind: str):
    if kind == "datetime" and isinstance(value, datetime.datetime):
        value = (
            timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
        )
    if kind == "percent" and value is not None:
        value = float(value) / 100.0  # shown as 45.7% from 45.7
    cell = WriteOnlyCell(sheet, value=value)
    if kind == "date":
        cell.number_format = DATE_FORMAT
    elif kind == "datetime":
        cell.number_format = DATETIME_FORMAT
    elif kind == "percent":
        cell.number_format = PERCENT_FORMAT
    if is_formula_like(value):
        cell.data_type = "s"
        cell.quotePrefix = True
    elif cell.data_type == "f":
        cell.data_type = "s"
    return cell


def _kind_of(value) -> str:
    if isinstance(value, datetime.datetime):
        return "datetime"
    if isinstance(value, datetime.date):
        return "date"
    return "text"


class TableSheet:
    """A sheet written row by row (write-only: 100,000 rows never sit in memory): the title
    row and the frozen, filtered header first, then ``append`` each row. Widths come from the
    headings and ``sample_widths`` (each column's expected text width)."""

    def __init__(self, book, *, title, heading, columns: list[Col], sample_widths=None):
        self.sheet = book.create_sheet(sheet_title(title))
        self.columns = columns
        self.rows = 0
        sample_widths = sample_widths or {}
        for j, col in enumerate(columns):
            width = max(
                display_width(col.heading),
                {"date": 12, "datetime": 17, "percent": 8, "int": 8}.get(col.kind, 10),
                sample_widths.get(j, 0),
            )
            self.sheet.column_dimensions[get_column_letter(j + 1)].width = min(width + 2, MAX_WIDTH)
        self.sheet.freeze_panes = "A3"
        organisation, report, as_of = heading
        title_cells = [
            WriteOnlyCell(self.sheet, value=str(organisation)),
            WriteOnlyCell(self.sheet, value=str(report)),
            _cell(self.sheet, as_of, _kind_of(as_of)),
        ]
        title_cells[0].font = title_cells[1].font = Font(bold=True)
        self.sheet.append(title_cells)
        header = []
        for col in columns:
            cell = WriteOnlyCell(self.sheet, value=str(col.heading))
            cell.font = Font(bold=True)
            header.append(cell)
        self.sheet.append(header)

    def append(self, values) -> None:
        cells = []
        for value, col in zip(values, self.columns, strict=False):
            kind = col.kind if col.kind != "text" else _kind_of(value)
            cells.append(_cell(self.sheet, value, kind))
        self.sheet.append(cells)
        self.rows += 1

    def close(self) -> None:
        if self.columns:
            last = get_column_letter(len(self.columns))
            self.sheet.auto_filter.ref = f"A2:{last}{self.rows + 2}"


def add_table_sheet(book, *, title, heading, columns: list[Col], rows) -> None:
    """A whole small table on one sheet (see TableSheet); widths fit its rows."""
    rows = [list(row) for row in rows]
    widths = {}
    for row in rows:
        for j, value in enumerate(row):
            if value is not None and not isinstance(value, datetime.date):
                widths[j] = max(widths.get(j, 0), display_width(value))
    sheet = TableSheet(book, title=title, heading=heading, columns=columns, sample_widths=widths)
    for row in rows:
        sheet.append(row)
    sheet.close()


def xlsx_response(workbook, *, file_name: str):
    """A download of ``workbook`` (the bytes of one, or an openpyxl Workbook, streamed from a
    temporary file) as ``file_name``, kept out of every cache: exports hold personal data."""
    import tempfile

    from django.http import FileResponse, HttpResponse
    from django.utils.http import content_disposition_header

    if isinstance(workbook, bytes):
        response = HttpResponse(workbook, content_type=XLSX_TYPE)
        response["Content-Disposition"] = content_disposition_header(True, file_name)
    else:
        output = tempfile.TemporaryFile()
        workbook.save(output)
        output.seek(0)
        response = FileResponse(
            output, as_attachment=True, content_type=XLSX_TYPE, filename=file_name
        )
    response["Cache-Control"] = "private, no-store"
    return response
