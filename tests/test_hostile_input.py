"""Hostile files for the roster import, and hostile request rates for sign-in codes.

Every input ends in a clear error (a rejected report with issues that have a message) or a
correct import (the report's counts match the rows that changed); never an unhandled exception,
never a partial write. The roster tables are dumped before and after each attempt.

Attendance imports (courses), question and heartbeat rate limits are checked when those
features exist; otherwise the tests skip naming the missing piece.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.factories import make_member, make_organisation

HEADER = "加入者番号,氏名,加入区分,加入日"
GOOD_ROW = "900001,安全　花子,特定フリーランス事業,2024-11-01"
FORMULA = "=cmd|' /C calc'!A0"
HYPOTHESIS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def roster_tables() -> dict:
    """Every row of every members model except the import log itself (which records each try)."""
    dump = {}
    for model in apps.get_app_config("members").get_models():
        if model._meta.model_name == "rosterimport":
            continue
        dump[model._meta.label] = sorted(map(repr, model.objects.order_by("pk").values_list()))
    return dump


@pytest.fixture
def org(db):
    organisation = make_organisation(slug="hostile")
    make_member(organisation=organisation, member_no="000001", email="keep@example.jp")
    return organisation


def attempt(org, data: bytes, file_name="roster.csv"):
    """Import; check the outcome is a clear error with nothing written, or a consistent import."""
    from members.models import Member
    from members.services import roster_import_file

    before, members_before = roster_tables(), Member.objects.count()
    report, _import = roster_import_file(organisation=org, data=data, file_name=file_name)
    if report.rejected:
        assert report.errors, "a rejected file must say why"
        for issue in report.errors:
            text = issue.message(file_name)
            assert text and "Traceback" not in text
        assert roster_tables() == before, "a rejected file changed the roster"
    else:
        added = Member.objects.count() - members_before
        assert added == report.counts["added"]
    return report


# --- properties ---------------------------------------------------------------------------------------


@HYPOTHESIS
@given(data=st.binary(max_size=4000))
def test_random_bytes(org, data):
    attempt(org, data)


ENCODINGS = ["utf-8", "utf-8-sig", "cp932", "euc-jp", "utf-16", "utf-32", "latin-1", "iso2022_jp"]


@HYPOTHESIS
@example(text="0", encoding="utf-8", with_header=True)  # a row shorter than the header
@given(
    text=st.text(max_size=400),
    encoding=st.sampled_from(ENCODINGS),
    with_header=st.booleans(),
)
def test_random_text_in_random_encodings(org, text, encoding, with_header):
    body = (HEADER + "\n" + text) if with_header else text
    attempt(org, body.encode(encoding, errors="replace"))


cell = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [FORMULA, "=1+2", "+SUM(A1)", "-2+3", "@SUM(A1)", "\t=1", "\r=1", '"', ",", "\x00"]
    ),
)


@HYPOTHESIS
@given(rows=st.lists(st.lists(cell, min_size=0, max_size=6), max_size=8))
@example(rows=[["000002", "山田\x00太郎", "第1種", "2024-04-01"]])  # NUL: PostgreSQL refuses it
def test_valid_header_with_hostile_cells(org, rows):
    import csv

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER.split(","))
    writer.writerows(rows)
    attempt(org, out.getvalue().encode("utf-8"))


def _xlsx(rows) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@HYPOTHESIS
@given(fraction=st.floats(min_value=0.0, max_value=0.999))
def test_truncated_xlsx(org, fraction):
    data = _xlsx([HEADER.split(","), GOOD_ROW.split(",")])
    attempt(org, data[: int(len(data) * fraction)], file_name="roster.xlsx")


# --- the named cases -------------------------------------------------------------------------------------


def test_formula_cells_are_kept_as_text_not_evaluated(org):
    from members.models import Member

    report = attempt(org, f"{HEADER}\n900002,{FORMULA},特定フリーランス事業,2024-11-01\n".encode())
    assert not report.rejected, [i.message("roster.csv") for i in report.errors]
    # kept as the text it is (names are normalised: NFKC, full-width space between parts)
    assert Member.objects.get(member_no="900002").name.startswith("=cmd|")


def test_formula_cells_in_xlsx(org):
    data = _xlsx([HEADER.split(","), ["900003", FORMULA, "特定フリーランス事業", "2024-11-01"]])
    attempt(org, data, file_name="roster.xlsx")


def test_one_megabyte_cell_is_a_clear_error(org):
    report = attempt(
        org, f"{HEADER}\n900004,{'山' * 1_000_000},特定フリーランス事業,2024-11-01\n".encode()
    )
    assert report.rejected, "a 1 MB name cannot be a member's name"


def test_two_hundred_columns(org):
    extra = [f"列{i}" for i in range(196)]
    header = HEADER.split(",") + extra
    row = GOOD_ROW.split(",") + ["x"] * 196
    report = attempt(org, (",".join(header) + "\n" + ",".join(row) + "\n").encode())
    assert not report.rejected
    assert report.counts["added"] == 1


def test_a_million_blank_lines(org):
    data = (HEADER + "\n" + GOOD_ROW + "\n").encode() + b"\n" * 1_000_000
    report = attempt(org, data)
    assert not report.rejected
    assert report.counts["added"] == 1


def test_a_million_blank_rows_in_xlsx_style_commas(org):
    data = (HEADER + "\n" + GOOD_ROW + "\n").encode() + b",,,\n" * 200_000
    report = attempt(org, data)
    assert not report.rejected


def test_zip_bomb_shaped_xlsx_is_rejected_or_read(org):
    """An .xlsx whose sheet XML is not a workbook at all."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<" * 100_000)
    attempt(org, out.getvalue(), file_name="roster.xlsx")


def test_the_command_exits_1_on_a_hostile_file_and_changes_nothing(org, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"\x00\xff\xfe garbage \x81\x82")
    before = roster_tables()
    with pytest.raises(CommandError) as exc:
        call_command(
            "import_roster",
            str(path),
            "--organisation",
            org.slug,
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    assert exc.value.returncode == 1
    assert roster_tables() == before


# --- attendance import (courses) ---------------------------------------------------------------------------


@pytest.fixture
def attendance_setup(org):
    from tests.factories.courses import make_course_page
    from tests.factories.members import make_staff

    return {"course": make_course_page(organisation=org), "staff": make_staff(organisations=[org])}


ATTENDANCE_SAMPLES = [
    b"\xe5\x8a\xa0\xe5\x85\xa5\xe8\x80\x85\xe7\x95\xaa\xe5\x8f\xb7\n0000\x0001\n",  # NUL
    b"\xef\xbb\xbf\xe5\x8a\xa0\xe5\x85\xa5\xe8\x80\x85\xe7\x95\xaa\xe5\x8f\xb7\n000001\n",
]


@HYPOTHESIS
@given(data=st.binary(max_size=3000) | st.sampled_from(ATTENDANCE_SAMPLES))
def test_attendance_import_random_bytes(org, attendance_setup, data):
    """Preview then apply: a clear refusal with nothing recorded, or exactly the listed members."""
    import datetime

    from django.core.files.uploadedfile import SimpleUploadedFile

    from courses.models import Enrolment
    from courses.services import ImportRefused, attendance_import_apply, attendance_import_preview

    before = Enrolment.objects.count()
    preview = attendance_import_preview(
        organisation=org,
        course=attendance_setup["course"],
        source="seminar",
        completed_on=datetime.date(2026, 6, 20),
        uploaded_file=SimpleUploadedFile("attendance.csv", data),
        user=attendance_setup["staff"],
    )
    if preview.errors:
        assert all(
            error.get("line") is not None or error.get("message") for error in preview.errors
        )
        with pytest.raises(ImportRefused):
            attendance_import_apply(import_=preview, user=attendance_setup["staff"])
        assert Enrolment.objects.count() == before
    else:
        attendance_import_apply(import_=preview, user=attendance_setup["staff"])
        listed = set(preview.counts["member_ids"])
        recorded = Enrolment.objects.filter(member_id__in=listed, completed_at__isnull=False)
        assert Enrolment.objects.count() - before <= len(listed)
        assert set(recorded.values_list("member_id", flat=True)) == listed


# --- rate limits -----------------------------------------------------------------------------------------


def test_sign_in_code_limit_cannot_be_dodged_by_spelling_the_address_differently(client, org):
    """5 codes per address per 10 minutes, however the address is capitalised or padded."""
    from django.core import mail

    url = reverse("account_request_login_code")
    spellings = ["keep@example.jp", "KEEP@example.jp", " keep@example.jp", "Keep@Example.JP"] * 2
    answers = []
    for email in spellings:
        client.cookies.clear()
        answers.append(client.post(url, {"email": email}).status_code)
    assert all(code in (200, 302, 429) for code in answers), answers
    assert len(mail.outbox) == 5, f"{len(mail.outbox)} codes mailed for one address: {answers}"


def test_sign_in_code_requests_are_limited_per_client_ip(client, org):
    """20 requests per IP per 10 minutes, even for 25 different addresses."""
    url = reverse("account_request_login_code")
    answers = []
    for n in range(25):
        client.cookies.clear()
        answers.append(client.post(url, {"email": f"probe{n}@example.jp"}).status_code)
    assert all(code != 500 for code in answers)
    # the neutral answer (a redirect to the code form) stops after 20
    assert answers[:20] == [302] * 20, answers
    assert all(code in (200, 429) for code in answers[20:]), answers


def test_wrong_codes_are_limited(client, org):
    from django.core import mail

    client.post(reverse("account_request_login_code"), {"email": "keep@example.jp"})
    assert len(mail.outbox) == 1
    url = reverse("account_confirm_login_code")
    answers = [client.post(url, {"code": "000000"}).status_code for _ in range(12)]
    assert all(code != 500 for code in answers)
    # after five wrong codes the code is void: the member is sent back to ask for a new one
    assert answers[-1] in (302, 429), answers


# Questions and heartbeats: courses/tests (test_a_member_cannot_flood_the_office_with_questions,
# test_heartbeats_beyond_the_rate_are_refused), where the course fixtures live.


# --- upload limits -----------------------------------------------------------------------------------------


def test_request_bodies_over_the_limit_are_refused(client, db, settings):
    """Django's DATA_UPLOAD_MAX_MEMORY_SIZE guards every form POST (no 500, no memory blow-up)."""
    url = reverse("account_request_login_code")
    body = "email=" + "a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)
    response = client.post(url, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400


# --- upload size and type on every upload screen ---------------------------------------------------


def _upload_forms(org, staff):
    from courses.forms import AttendanceUploadForm
    from mailings.forms import SuppressionImportForm
    from members.forms import RosterUploadForm
    from members.models import Organisation

    organisations = Organisation.objects.filter(pk=org.pk)
    return {
        "roster": lambda data, files: RosterUploadForm(
            {"organisation": org.pk, "encoding": "auto", **data}, files, organisations=organisations
        ),
        "attendance": lambda data, files: AttendanceUploadForm(
            data, files, organisations=organisations
        ),
        "bounce list": lambda data, files: SuppressionImportForm(
            {"organisation": org.pk, "reason": "bounce", **data}, files, user=staff
        ),
    }


@pytest.mark.parametrize("screen", ["roster", "attendance", "bounce list"])
def test_uploads_over_the_size_limit_or_of_another_type_are_refused(org, settings, screen):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories.members import make_staff

    settings.MEMBERS_UPLOAD_MAX_MB = 1
    settings.LANGUAGE_CODE = "en"
    build = _upload_forms(org, make_staff(organisations=[org]))[screen]
    too_big = SimpleUploadedFile("list.csv", b"a" * (1024 * 1024 + 1), "text/csv")
    form = build({}, {"file": too_big})
    assert not form.is_valid()
    assert form.has_error("file", code="file_too_large"), form.errors
    assert "1.0\xa0MB" in str(form.errors["file"])
    executable = SimpleUploadedFile("list.exe", b"MZ\x90\x00", "application/octet-stream")
    form = build({}, {"file": executable})
    assert form.has_error("file", code="invalid_extension"), form.errors
