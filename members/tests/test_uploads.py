"""The uploads toolkit: every import reads its table through members/uploads.py."""

import io
import re
import zipfile

import pytest
from openpyxl import Workbook

from members import uploads
from members.uploads import Limits, UploadError, read_table

LIMITS = Limits(max_bytes=1024 * 1024, max_rows=1000, max_columns=50)


def xlsx(rows, *, dimension=None) -> bytes:
    """A workbook with these rows; ``dimension`` rewrites the sheet's declared range."""
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    if dimension is None:
        return buffer.getvalue()
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(
                    rb'<dimension ref="[^"]*"', f'<dimension ref="{dimension}"'.encode(), data
                )
            target.writestr(info, data)
    return out.getvalue()


def test_a_tiny_workbook_declaring_a_huge_sheet_is_refused_before_any_cell_is_read():
    data = xlsx([["加入者番号", "氏名"], ["000001", "山田"]], dimension="A1:XFD8000")
    assert len(data) < 10_000
    with pytest.raises(UploadError) as caught:
        read_table(data, file_name="roster.xlsx", limits=LIMITS)
    error = caught.value
    assert error.code == "too_many_columns"
    assert error.params == {"columns": 16384, "max_columns": 50}
    messages = error.messages()
    assert messages["en"].startswith("roster.xlsx: The sheet declares 16384 columns")
    assert messages["ja"].startswith("roster.xlsx: ") and "16384" in messages["ja"]
    assert messages["ja"] != messages["en"]


def test_the_default_limits_refuse_the_xfd_sheet_too():
    data = xlsx([["加入者番号"]], dimension="A1:XFD8000")
    with pytest.raises(UploadError) as caught:
        read_table(data, file_name="x.xlsx")
    assert caught.value.code == "too_many_columns"


def test_a_sheet_declaring_more_rows_than_allowed_is_refused():
    data = xlsx([["加入者番号"], ["1"]], dimension="A1:B5000")
    with pytest.raises(UploadError) as caught:
        read_table(data, limits=LIMITS)
    assert caught.value.code == "too_many_rows"
    assert caught.value.params["rows"] == 5000


def test_only_the_header_columns_are_read_from_a_wide_sheet():
    rows = [["加入者番号", "氏名"], ["000001", "山田", None, None, None]]
    data = xlsx(rows, dimension="A1:AX2")  # 50 columns declared, 2 used
    table = read_table(data, limits=LIMITS)
    assert table.is_xlsx and table.encoding == "xlsx"
    assert table.rows == [(1, ["加入者番号", "氏名"]), (2, ["000001", "山田"])]
    assert table.column_ref(1) == "B"


def test_xlsx_cells_keep_numbers_and_dates_and_blank_rows_keep_their_line_numbers():
    import datetime

    data = xlsx([["番号", "加入日"], [], [1, datetime.datetime(2026, 4, 1)]])
    table = read_table(data, limits=LIMITS)
    assert table.rows == [(1, ["番号", "加入日"]), (3, [1, datetime.date(2026, 4, 1)])]


@pytest.mark.parametrize(
    "data, encoding",
    [
        ("加入者番号,氏名\n1,髙橋①\n".encode("utf-8-sig"), "utf-8-sig"),
        ("加入者番号,氏名\n1,髙橋①\n".encode(), "utf-8"),
        ("加入者番号,氏名\n1,髙橋①\n".encode("cp932"), "cp932"),
    ],
)
def test_csv_encodings_are_detected(data, encoding):
    table = read_table(data, limits=LIMITS)
    assert table.encoding == encoding
    assert table.rows == [(1, ["加入者番号", "氏名"]), (2, ["1", "髙橋①"])]
    assert table.column_ref(0) == 1  # a number in CSV


def test_tab_separated_lines_and_quoted_newlines_keep_file_line_numbers():
    data = '番号\t氏名\n1\t"山田\n太郎"\n\n2\t鈴木\n'.encode()
    table = read_table(data, limits=LIMITS)
    assert table.rows == [(1, ["番号", "氏名"]), (2, ["1", "山田\n太郎"]), (5, ["2", "鈴木"])]


def test_nul_bytes_are_refused_with_their_line():
    with pytest.raises(UploadError) as caught:
        read_table(b"a,b\n1,2\nx\x00y\n", file_name="list.csv", limits=LIMITS)
    assert (caught.value.code, caught.value.line, caught.value.value) == ("decode", 3, "00")
    assert caught.value.messages()["ja"].startswith("list.csv 3行目: ")
    assert caught.value.messages()["en"].startswith("list.csv line 3: ")


def test_undecodable_bytes_name_the_line():
    with pytest.raises(UploadError) as caught:
        read_table(b"ok\nok\n\x81\x7f\n", encoding="utf-8", limits=LIMITS)
    assert (caught.value.code, caught.value.line) == ("decode", 3)


def test_size_and_row_limits_are_checked_before_reading():
    with pytest.raises(UploadError) as caught:
        read_table(b"a\n" * 600_000, limits=LIMITS)
    assert caught.value.code == "too_large"
    with pytest.raises(UploadError) as caught:
        read_table(b"a\n" * 1001, limits=LIMITS)
    assert caught.value.code == "too_many_rows"


def test_old_excel_and_broken_zip_files_are_refused_in_both_languages():
    with pytest.raises(UploadError) as caught:
        read_table(uploads.OLE_MAGIC + b"\x00" * 100, file_name="a.xls", limits=LIMITS)
    assert caught.value.code == "xls"
    with pytest.raises(UploadError) as caught:
        read_table(uploads.XLSX_MAGIC + b"not a zip", limits=LIMITS)
    assert caught.value.code == "unreadable"


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (5 * 1024 * 1024))
    with pytest.raises(UploadError) as caught:
        read_table(out.getvalue(), limits=LIMITS)
    assert caught.value.code == "too_large"


def test_a_missing_sheet_lists_the_sheets():
    with pytest.raises(UploadError) as caught:
        read_table(xlsx([["a"]]), sheet="名簿", limits=LIMITS)
    assert caught.value.code == "sheet" and caught.value.params["sheets"] == "Sheet"


def test_row_errors_render_file_line_column_and_value_in_japanese_and_english():
    error = UploadError("row", file_name="s.csv", line=3, column=1, value="9", ja="無効", en="bad")
    assert error.as_dict() == {
        "code": "row",
        "line": 3,
        "column": 1,
        "value": "9",
        "ja": "s.csv 3行目 1列: 無効",
        "en": "s.csv line 3, column 1: bad",
    }


@pytest.mark.django_db
def test_the_roster_import_refuses_the_huge_sheet_with_the_toolkits_message(organisation):
    from members.roster.pipeline import Options, run

    data = xlsx([["加入者番号", "氏名"]], dimension="A1:XFD8000")
    report = run(
        organisation=organisation,
        data=data,
        file_name="roster.xlsx",
        options=Options(),
        apply=False,
    )
    assert report.rejected_file and [e.code for e in report.errors] == ["too_many_columns"]
    assert "16384" in report.errors[0].messages("roster.xlsx")["en"]


@pytest.mark.parametrize(
    "header",
    ["加入者番号,氏名", "ＭＥＭＢＥＲ　ＮＯ,名前", " Member No ,Name", "会員番号,氏名"],
)
def test_headers_are_found_however_staff_typed_them(header):
    """全角, case and spaces in a header do not hide its column (every import matches its
    headers this way)."""
    data = f"{header}\n000123,山田 太郎\n".encode("cp932")
    table = read_table(data, file_name="list.csv", limits=LIMITS)
    aliases = {
        "member_no": ("加入者番号", "会員番号", "member no"),
        "name": ("氏名", "名前", "name"),
    }
    columns = table.find_columns(aliases)
    assert columns == {"member_no": 0, "name": 1}
    line, row = table.rows[1]
    assert (table.cell(row, columns["member_no"]), table.cell(row, columns["name"])) == (
        "000123",
        "山田 太郎",
    )
    assert table.cell(row, 5) == ""  # a column the row does not reach
