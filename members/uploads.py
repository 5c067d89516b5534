"""Reading an uploaded table (CSV or XLSX): the one toolkit every import uses.

Roster, attendance and bounce-list imports hand the uploaded bytes to :func:`read_table` and
get rows of cells with the line number of each row, or one :class:`UploadError`. The checks
come before any cell is read:

- size: at most ``MEMBERS_UPLOAD_MAX_MB``;
- NUL bytes: refused (binary or UTF-16; PostgreSQL cannot store them);
- CSV encoding: a BOM means UTF-8 with BOM, else strict UTF-8, else CP932 (never Python's
  ``shift_jis``, which fails on ①, ～, ㈱, 髙 and 﨑), or the one given; comma or tab delimiter;
- XLSX: the uncompressed size of the workbook's parts, and the sheet's declared dimensions
  (``<dimension ref="A1:XFD8000">``) against ``MEMBERS_UPLOAD_MAX_ROWS`` and
  ``MEMBERS_UPLOAD_MAX_COLUMNS``, then openpyxl in read-only mode reading only as many
  columns as the first rows (the header) use. Dates arrive as dates and numbers as numbers.

Problems, in a file or in a row, are :class:`UploadError`: the line, the column as a person
finds it (a letter in Excel, a number in CSV), the value, and the message in Japanese and
English (``messages()``, ``as_dict()``).
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import datetime
import io
import unicodedata
import zipfile
from collections.abc import Iterable
from typing import Any

from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from . import conf

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls
HEADER_SCAN_ROWS = 10  # the header is among the first rows (a title line may come first)
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
ENCODINGS = ("auto", "utf-8", "utf-8-sig", "cp932")

# code -> (what is wrong, what was expected); parameters come from UploadError.params
MESSAGES = {
    "too_large": (
        _("The file is %(size)s, larger than the %(limit)s accepted."),
        _("A file of at most %(limit)s (split the list into several files)."),
    ),
    "too_many_rows": (
        _("The sheet has %(rows)s rows; at most %(max_rows)s are read."),
        _("At most %(max_rows)s rows (split the list into several files)."),
    ),
    "too_many_columns": (
        _("The sheet declares %(columns)s columns; at most %(max_columns)s are read."),
        _("A sheet of at most %(max_columns)s columns (delete the unused columns)."),
    ),
    "unreadable": (
        _("The file could not be opened as a CSV or XLSX file (%(detail)s)."),
        _("A CSV file (UTF-8, UTF-8 with BOM or CP932) or an Excel .xlsx workbook."),
    ),
    "xls": (
        _("This is an Excel 97-2003 .xls workbook."),
        _("The workbook saved as .xlsx, or a CSV file."),
    ),
    "decode": (
        _("The bytes on this line cannot be decoded as %(encoding)s."),
        _("A file in UTF-8, UTF-8 with BOM or CP932 (Shift_JIS as Excel saves it)."),
    ),
    "sheet": (
        _("There is no sheet named %(sheet)s."),
        _("One of the workbook's sheets: %(sheets)s."),
    ),
    "empty": (_("The file is empty."), _("A list with at least one row.")),
}


class UploadError(Exception):
    """One problem with an uploaded table, where a person finds it, in Japanese and English.

    ``code`` picks the message from :data:`MESSAGES` (or from ``messages``, a table of the
    same shape an import adds for its own rows); ``ja``/``en`` give the text directly instead.
    """

    def __init__(
        self,
        code: str,
        *,
        file_name: str = "",
        line: int | None = None,
        column: str | int = "",
        value: Any = "",
        params: dict | None = None,
        messages: dict | None = None,
        ja: str = "",
        en: str = "",
    ):
        super().__init__(code)
        self.code, self.file_name, self.line = code, file_name, line
        self.column, self.value = column, value
        self.params = params or {}
        self._table = messages or MESSAGES
        self._text = {"ja": ja, "en": en} if ja or en else None

    def __repr__(self):
        return f"UploadError({self.code!r}, line={self.line!r}, column={self.column!r})"

    def problem(self) -> str:
        if self._text:
            return self._text[translation.get_language() == "en" and "en" or "ja"]
        params = {"value": self.value, **self.params}
        problem, expected = self._table[self.code]
        return f"{str(problem) % params} " + str(_("Expected: %(expected)s")) % {
            "expected": str(expected) % params
        }

    def where(self) -> str:
        """「seminar.csv 3行目 1列」/ "seminar.csv line 3, column 1" (the active language)."""
        parts = [self.file_name] if self.file_name else []
        if translation.get_language() == "en":
            if self.line:
                parts.append(f"line {self.line}")
            text = " ".join(parts)
            return f"{text}, column {self.column}" if self.column != "" else text
        if self.line:
            parts.append(f"{self.line}行目")
        if self.column != "":
            parts.append(f"{self.column}列")
        return " ".join(parts)

    def message(self) -> str:
        where = self.where()
        return f"{where}: {self.problem()}" if where else self.problem()

    def messages(self) -> dict[str, str]:
        out = {}
        for language in ("ja", "en"):
            with translation.override(language):
                out[language] = self.message()
        return out

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "line": self.line,
            "column": self.column,
            "value": self.value,
            **self.messages(),
        }


@dataclasses.dataclass
class Table:
    rows: list[tuple[int, list]]  # (line number in the file, cells); blank rows left out
    encoding: str = ""  # "utf-8", "utf-8-sig", "cp932" or "xlsx"
    sheet: str = ""
    is_xlsx: bool = False

    def column_ref(self, index: int) -> str | int:
        """How a person finds the column: a letter in Excel, a number in a CSV file."""
        if self.is_xlsx:
            from openpyxl.utils import get_column_letter

            return get_column_letter(index + 1)
        return index + 1

    def find_columns(self, aliases: dict[str, Iterable[str]]) -> dict[str, int]:
        """Which column of the header row (the first row) holds each field, by the header
        names staff type for it: ``{"member_no": ("加入者番号", "member number")}`` ->
        ``{"member_no": 0}``. Headers compare as :func:`match_key` sees them (全角/半角,
        case and spaces do not matter); fields without a column are left out."""
        if not self.rows:
            return {}
        keys = [match_key(cell) for cell in self.rows[0][1]]
        columns = {}
        for field_name, names in aliases.items():
            wanted = {match_key(name) for name in names}
            index = next((i for i, key in enumerate(keys) if key in wanted), None)
            if index is not None:
                columns[field_name] = index
        return columns

    @staticmethod
    def cell(row: list, index: int | None) -> str:
        """A cell's text, stripped; "" for a missing column or a short row."""
        if index is None or index >= len(row) or row[index] is None:
            return ""
        return str(row[index]).strip()


def match_key(value) -> str:
    """A header, or a name staff type (a requirement, a year), as compared with the names it
    may match: NFKC, no spaces, case-folded (「加入者番号 」, 「Member No」 and 「ｍｅｍｂｅｒｎｏ」
    are one)."""
    text = "" if value is None else str(value)
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


@dataclasses.dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_rows: int
    max_columns: int

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            max_bytes=conf.upload_max_mb() * 1024 * 1024,
            max_rows=conf.upload_max_rows(),
            max_columns=conf.upload_max_columns(),
        )


def normalise_encoding_name(name: str | None) -> str:
    key = (name or "auto").strip().lower()
    if key not in ENCODING_ALIASES:
        raise ValueError(name)
    return ENCODING_ALIASES[key]


def read_table(
    data: bytes,
    *,
    file_name: str = "",
    encoding: str = "auto",
    sheet: str | None = None,
    limits: Limits | None = None,
) -> Table:
    """The rows of an uploaded CSV or XLSX file, or :class:`UploadError` (see the module)."""
    limits = limits or Limits.from_settings()
    if len(data) > limits.max_bytes:
        raise UploadError(
            "too_large",
            file_name=file_name,
            params={
                "size": filesizeformat(len(data)),
                "limit": filesizeformat(limits.max_bytes),
            },
        )
    if data.startswith(XLSX_MAGIC):
        return _read_xlsx(data, file_name=file_name, sheet=sheet, limits=limits)
    if data.startswith(OLE_MAGIC):
        raise UploadError("xls", file_name=file_name)
    text, used = decode(data, file_name=file_name, encoding=normalise_encoding_name(encoding))
    return _read_csv(text, file_name=file_name, encoding=used, limits=limits)


def decode(data: bytes, *, file_name: str = "", encoding: str = "auto") -> tuple[str, str]:
    """The text and the encoding it was read with (see the module for the detection)."""
    nul = data.find(b"\x00")
    if nul >= 0:  # binary (or UTF-16): no list we read has NUL, and PostgreSQL cannot store it
        raise UploadError(
            "decode",
            file_name=file_name,
            line=data.count(b"\n", 0, nul) + 1,
            value="00",
            params={"encoding": "UTF-8 / CP932" if encoding == "auto" else encoding.upper()},
        )
    if encoding == "auto":
        if data.startswith(codecs.BOM_UTF8):
            return _decode(data, "utf-8-sig", file_name), "utf-8-sig"
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
        return _decode(data, "cp932", file_name, shown="UTF-8 / CP932"), "cp932"
    return _decode(data, encoding, file_name), encoding


def _decode(data: bytes, encoding: str, file_name: str, shown: str = "") -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise UploadError(
            "decode",
            file_name=file_name,
            line=data.count(b"\n", 0, exc.start) + 1,
            value=data[exc.start : exc.end + 1].hex(" "),
            params={"encoding": shown or encoding.upper()},
        )


def _read_csv(text: str, *, file_name: str, encoding: str, limits: Limits) -> Table:
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    previous_end = 0
    try:
        for cells in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if cells and any(cells):
                if len(rows) >= limits.max_rows:
                    raise _too_many_rows(file_name, start, limits)
                rows.append((start, cells))
    except csv.Error as exc:
        raise UploadError(
            "unreadable",
            file_name=file_name,
            line=reader.line_num,
            params={"detail": str(exc)},
        )
    return Table(rows=rows, encoding=encoding)


def _too_many_rows(file_name: str, rows, limits: Limits) -> UploadError:
    return UploadError(
        "too_many_rows",
        file_name=file_name,
        params={"rows": rows, "max_rows": limits.max_rows},
    )


def _check_zip(data: bytes, *, file_name: str, limits: Limits) -> None:
    """Refuse a workbook whose parts unpack to more than a few times the size limit (a zip
    bomb) before openpyxl inflates any of them."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UploadError(
            "unreadable", file_name=file_name, params={"detail": f"{type(exc).__name__}: {exc}"}
        )
    ceiling = 4 * limits.max_bytes
    if unpacked > ceiling:
        raise UploadError(
            "too_large",
            file_name=file_name,
            params={"size": filesizeformat(unpacked), "limit": filesizeformat(ceiling)},
        )


def _read_xlsx(data: bytes, *, file_name: str, sheet: str | None, limits: Limits) -> Table:
    from openpyxl import load_workbook

    _check_zip(data, file_name=file_name, limits=limits)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise UploadError(
            "unreadable", file_name=file_name, params={"detail": f"{type(exc).__name__}: {exc}"}
        )
    try:
        if sheet:
            if sheet not in workbook.sheetnames:
                raise UploadError(
                    "sheet",
                    file_name=file_name,
                    value=sheet,
                    params={"sheet": sheet, "sheets": ", ".join(workbook.sheetnames)},
                )
            worksheet = workbook[sheet]
        else:
            worksheet = workbook.worksheets[0]
        rows = list(_xlsx_rows(worksheet, file_name=file_name, limits=limits))
        return Table(rows=rows, encoding="xlsx", sheet=worksheet.title, is_xlsx=True)
    finally:
        workbook.close()


def _xlsx_rows(worksheet, *, file_name: str, limits: Limits):
    """Rows of non-blank cells, checked against the declared dimensions first, reading only
    the columns the first rows (the header) use: read-only openpyxl pads every row to the
    declared width, and A1:XFD8000 would be 131 million empty cells."""
    declared_rows, declared_columns = worksheet.max_row, worksheet.max_column  # <dimension>
    if declared_columns and declared_columns > limits.max_columns:
        raise UploadError(
            "too_many_columns",
            file_name=file_name,
            params={"columns": declared_columns, "max_columns": limits.max_columns},
        )
    if declared_rows and declared_rows > limits.max_rows:
        raise _too_many_rows(file_name, declared_rows, limits)
    head = [
        (line, [_cell(v) for v in values])
        for line, values in enumerate(
            worksheet.iter_rows(
                min_row=1, max_row=HEADER_SCAN_ROWS, max_col=limits.max_columns, values_only=True
            ),
            start=1,
        )
    ]
    width = max((_used_width(cells) for _, cells in head), default=0) or 1
    for line, cells in head:
        if any(c != "" for c in cells):
            yield line, cells[:width]
    rest = worksheet.iter_rows(min_row=HEADER_SCAN_ROWS + 1, max_col=width, values_only=True)
    for line, values in enumerate(rest, start=HEADER_SCAN_ROWS + 1):
        if line > limits.max_rows:
            raise _too_many_rows(file_name, f"{limits.max_rows}+", limits)
        cells = [_cell(v) for v in values]
        if any(c != "" for c in cells):
            yield line, cells


def _used_width(cells: list) -> int:
    for index in range(len(cells) - 1, -1, -1):
        if cells[index] != "":
            return index + 1
    return 0


def _cell(value):
    """Keep dates and numbers typed (Excel serials, leading zeros dropped); the rest as text."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, (datetime.date, int, float)) and not isinstance(value, bool):
        return value
    return str(value)
