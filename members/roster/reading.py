"""Read a roster file into rows of cells, with the line number of each row.

CSV: the encoding is detected (a BOM means UTF-8 with BOM; else strict UTF-8; else CP932,
never Python's ``shift_jis``, which fails on ①, ～, ㈱, 髙 and 﨑) or given; the delimiter is a
comma, or a tab when the header line has tabs and no commas. XLSX: openpyxl in read-only mode,
the first sheet or the one named; date cells arrive as dates and numbers as numbers, so the
normaliser can tell an Excel date serial from text.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import datetime
import io

from .report import Issue

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls
ENCODINGS = ("auto", "utf-8", "utf-8-sig", "cp932")
ENCODING_ALIASES = {
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "utf_8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "utf8-sig": "utf-8-sig",
    "utf_8_sig": "utf-8-sig",
    "cp932": "cp932",
    "ms932": "cp932",
    "windows-31j": "cp932",
    # Shift_JIS as Excel writes it is CP932: decoding as shift_jis would fail on ①, 髙 ...
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "auto": "auto",
}


class ReadError(Exception):
    """The file cannot be read at all: one file-level issue."""

    def __init__(self, issue: Issue):
        super().__init__(issue.code)
        self.issue = issue


@dataclasses.dataclass
class RawTable:
    rows: list[tuple[int, list]]  # (line number in the file, cells)
    encoding: str = ""  # "utf-8", "utf-8-sig", "cp932" or "xlsx"
    sheet: str = ""
    is_xlsx: bool = False

    def column_ref(self, index: int) -> str:
        """How a person finds the column: a letter in Excel, a number in a CSV file."""
        if self.is_xlsx:
            from openpyxl.utils import get_column_letter

            return get_column_letter(index + 1)
        return str(index + 1)


def normalise_encoding_name(name: str | None) -> str:
    key = (name or "auto").strip().lower()
    if key not in ENCODING_ALIASES:
        raise ValueError(name)
    return ENCODING_ALIASES[key]


def read_table(data: bytes, *, encoding: str = "auto", sheet: str | None = None) -> RawTable:
    if data.startswith(XLSX_MAGIC):
        return _read_xlsx(data, sheet=sheet)
    if data.startswith(OLE_MAGIC):
        raise ReadError(
            Issue("unreadable", params={"detail": "Excel 97-2003 .xls; save it as .xlsx"})
        )
    text, used = decode(data, encoding=normalise_encoding_name(encoding))
    return _read_csv(text, encoding=used)


def decode(data: bytes, *, encoding: str = "auto") -> tuple[str, str]:
    nul = data.find(b"\x00")
    if nul >= 0:  # binary (or UTF-16): no roster text has NUL, and PostgreSQL cannot store it
        raise ReadError(
            Issue(
                "decode",
                line=data.count(b"\n", 0, nul) + 1,
                value="00",
                params={"encoding": "UTF-8 / CP932" if encoding == "auto" else encoding.upper()},
            )
        )
    if encoding == "auto":
        if data.startswith(codecs.BOM_UTF8):
            return _decode(data, "utf-8-sig"), "utf-8-sig"
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
        try:
            return data.decode("cp932"), "cp932"
        except UnicodeDecodeError as exc:
            raise ReadError(
                Issue(
                    "decode",
                    line=data.count(b"\n", 0, exc.start) + 1,
                    value=data[exc.start : exc.end + 1].hex(" "),
                    params={"encoding": "UTF-8 / CP932"},
                )
            )
    return _decode(data, encoding), encoding


def _decode(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ReadError(
            Issue(
                "decode",
                line=data.count(b"\n", 0, exc.start) + 1,
                value=data[exc.start : exc.end + 1].hex(" "),
                params={"encoding": encoding.upper()},
            )
        )


def _read_csv(text: str, *, encoding: str) -> RawTable:
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    previous_end = 0
    try:
        for cells in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if cells and any(cells):
                rows.append((start, cells))
    except csv.Error as exc:
        raise ReadError(Issue("unreadable", line=reader.line_num, params={"detail": str(exc)}))
    return RawTable(rows=rows, encoding=encoding)


def _read_xlsx(data: bytes, *, sheet: str | None) -> RawTable:
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ReadError(Issue("unreadable", params={"detail": f"{type(exc).__name__}: {exc}"}))
    try:
        if sheet:
            if sheet not in workbook.sheetnames:
                raise ReadError(
                    Issue(
                        "sheet",
                        value=sheet,
                        params={"sheet": sheet, "sheets": ", ".join(workbook.sheetnames)},
                    )
                )
            worksheet = workbook[sheet]
        else:
            worksheet = workbook.worksheets[0]
        rows = []
        for line, values in enumerate(worksheet.iter_rows(min_row=1, values_only=True), start=1):
            cells = [_cell(v) for v in values]
            if any(c != "" for c in cells):
                rows.append((line, cells))
        return RawTable(rows=rows, encoding="xlsx", sheet=worksheet.title, is_xlsx=True)
    finally:
        workbook.close()


def _cell(value):
    """Keep dates and numbers typed (Excel serials, leading zeros dropped); the rest as text."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, (datetime.date, int, float)) and not isinstance(value, bool):
        return value
    return str(value)
