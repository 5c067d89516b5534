"""Read a roster file into rows of cells, with the line number of each row.

The reading itself (size and dimension limits, encodings, NUL bytes, XLSX read-only) is the
uploads toolkit's (members/uploads.py); this module turns its error into the roster report's
:class:`~members.roster.report.Issue`, rendered with the same messages.
"""

from __future__ import annotations

from members import uploads

from .report import Issue

RawTable = uploads.Table
ENCODINGS = uploads.ENCODINGS
normalise_encoding_name = uploads.normalise_encoding_name


class ReadError(Exception):
    """The file cannot be read at all: one file-level issue."""

    def __init__(self, issue: Issue):
        super().__init__(issue.code)
        self.issue = issue


def read_table(
    data: bytes, *, encoding: str = "auto", sheet: str | None = None, file_name: str = ""
) -> RawTable:
    try:
        return uploads.read_table(data, file_name=file_name, encoding=encoding, sheet=sheet)
    except uploads.UploadError as error:
        raise ReadError(Issue(error.code, line=error.line, value=error.value, params=error.params))
