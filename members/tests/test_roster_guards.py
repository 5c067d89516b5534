"""Roster import guards met with realistic files: member numbers Excel turned into numbers,
files that would add or drop a large part of the organisation, a file applied before, what
the preview shows for new members, the errors as CSV, and a rejected file's page."""

import csv
import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from openpyxl import Workbook

from members.models import Member, RosterImport
from members.roster.pipeline import Options, run
from tests.factories import make_member, make_staff
from tests.factories.members import roster_fixture

D = datetime.date
pytestmark = pytest.mark.django_db
HEADER = ["加入者番号", "氏名", "加入区分", "加入日", "生年月日"]


def xlsx(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_bytes(rows) -> bytes:
    lines = [",".join(HEADER)] + [",".join(str(c) for c in row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def roster(organisation, numbers):
    for number in numbers:
        make_member(organisation=organisation, member_no=number, name=f"既存　{number}")


def run_file(organisation, data, *, apply=True, **options):
    return run(
        organisation=organisation,
        data=data,
        file_name="roster.xlsx",
        options=Options(as_of=D(2026, 6, 10), **options),
        apply=apply,
    )


def test_numbers_excel_stored_as_numbers_are_padded_to_the_organisations_width(organisation):
    roster(organisation, ["000001", "000002", "000010"])
    data = xlsx(
        [
            [1, "既存　000001", "第2種", D(2025, 4, 1)],
            [2, "既存　000002", "第2種", D(2025, 4, 1)],
            [10, "既存　000010", "第2種", D(2025, 4, 1)],
            [11, "新規　花子", "第2種", D(2026, 6, 1)],
        ]
    )
    report = run_file(organisation, data)
    assert not report.errors
    assert report.counts["added"] == 1 and report.counts["missing"] == 0
    assert report.padded_member_nos == 4
    (warning,) = [w for w in report.warnings if w.code == "member_no_padded"]
    assert "4 件の加入者番号" in warning.messages()["ja"]
    assert "6 桁" in warning.messages()["ja"] and "1 → 000001" in warning.messages()["ja"]
    assert Member.objects.filter(member_no="000011").exists()
    assert not Member.objects.filter(member_no="11").exists()


def test_numbers_are_not_padded_without_a_known_zero_padded_width(organisation):
    roster(organisation, ["1", "2", "10"])
    report = run_file(organisation, xlsx([[11, "新規　花子", "第2種", D(2026, 6, 1)]]))
    assert report.padded_member_nos == 0
    assert Member.objects.filter(member_no="11").exists()


def _ten_members(organisation):
    roster(organisation, [f"A{i:03d}" for i in range(10)])


def _existing_rows(count):
    return [[f"A{i:03d}", f"既存　A{i:03d}", "第2種", "2025-04-01", ""] for i in range(count)]


def _new_rows(count):
    return [[f"B{i:03d}", f"新規　{i}", "第2種", "2026-06-01", ""] for i in range(count)]


def test_a_file_adding_more_than_half_needs_explicit_confirmation(organisation):
    _ten_members(organisation)
    data = csv_bytes(_existing_rows(10) + _new_rows(6))
    preview = run_file(organisation, data, apply=False)
    assert not preview.rejected and [g.code for g in preview.guards] == ["large_addition"]
    assert (
        preview.guards[0]
        .messages()["ja"]
        .startswith(
            "このファイルは 6 人を新規加入者として追加します。現在の加入者 10 人の半分を超えています。"
        )
    )
    refused = run_file(organisation, data)
    assert refused.rejected and not refused.applied
    assert refused.errors[0].code == "large_addition"
    assert Member.objects.count() == 10
    confirmed = run_file(organisation, data, confirm_large_change=True)
    assert confirmed.applied and Member.objects.count() == 16


def test_a_file_missing_more_than_a_fifth_needs_explicit_confirmation(organisation):
    _ten_members(organisation)
    data = csv_bytes(_existing_rows(4))
    preview = run_file(organisation, data, apply=False)
    assert [g.code for g in preview.guards] == ["large_missing"]
    assert "10 人のうち 6 人（60%）" in preview.guards[0].messages()["ja"]
    assert run_file(organisation, data).rejected
    # a usual month (a few new, a few missing) applies without any question
    usual = run_file(organisation, csv_bytes(_existing_rows(8) + _new_rows(3)))
    assert usual.applied and not usual.guards


def test_command_refuses_a_large_change_unless_confirmed(organisation, tmp_path):
    _ten_members(organisation)
    path = tmp_path / "roster.csv"
    path.write_bytes(csv_bytes(_existing_rows(10) + _new_rows(6)))
    with pytest.raises(CommandError) as refused:
        call_command("import_roster", str(path), organisation=organisation.slug, stdout=io.StringIO(), stderr=io.StringIO())  # fmt: skip
    assert refused.value.returncode == 1 and Member.objects.count() == 10
    call_command(
        "import_roster",
        str(path),
        organisation=organisation.slug,
        confirm_large_change=True,
        stdout=io.StringIO(),
    )
    assert Member.objects.count() == 16


def _upload(client, organisation, name, data, on_commit):
    with on_commit(execute=True):
        client.post(
            reverse("rosterimport:add"),
            {
                "organisation": organisation.pk,
                "file": SimpleUploadedFile(name, data),
                "encoding": "auto",
                "as_of": "R8.6.10",
            },
        )
    return RosterImport.objects.order_by("-pk").first()


def test_admin_asks_for_confirmation_of_a_large_change(
    client, organisation, django_capture_on_commit_callbacks
):
    _ten_members(organisation)
    client.force_login(make_staff(organisations=[organisation]))
    data = csv_bytes(_existing_rows(10) + _new_rows(6))
    import_ = _upload(client, organisation, "large.csv", data, django_capture_on_commit_callbacks)
    page = client.get(reverse("rosterimport:inspect", args=[import_.pk])).content.decode()
    assert "このファイルは 6 人を新規加入者として追加します" in page
    assert 'name="confirm_large_change"' in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("rosterimport:apply", args=[import_.pk]))
    import_.refresh_from_db()
    assert import_.status == RosterImport.Status.PREVIEWED and Member.objects.count() == 10
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("rosterimport:apply", args=[import_.pk]), {"confirm_large_change": "1"})
    import_.refresh_from_db()
    assert import_.status == RosterImport.Status.APPLIED and Member.objects.count() == 16


def test_preview_flags_a_file_applied_before_and_shows_new_members_values(
    client, organisation, django_capture_on_commit_callbacks
):
    client.force_login(make_staff(organisations=[organisation]))
    data = roster_fixture("utf8_basic.csv").read_bytes()
    first = _upload(client, organisation, "basic.csv", data, django_capture_on_commit_callbacks)
    page = client.get(reverse("rosterimport:inspect", args=[first.pk])).content.decode()
    assert "同じファイル" not in page
    # 佐藤 花子's birth date is written S50.4.1 in the file: the preview shows how it was read
    assert "生年月日: 1975年4月1日" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("rosterimport:apply", args=[first.pk]))
    again = _upload(
        client, organisation, "basic-again.csv", data, django_capture_on_commit_callbacks
    )
    page = client.get(reverse("rosterimport:inspect", args=[again.pk])).content.decode()
    assert "同じファイル（SHA-256 が同一）は" in page and f"（取込 #{first.pk}）" in page


def test_a_rejected_file_shows_no_changes_and_its_errors_download_as_csv(
    client, organisation, django_capture_on_commit_callbacks
):
    client.force_login(make_staff(organisations=[organisation]))
    data = roster_fixture("errors.csv").read_bytes()
    import_ = _upload(client, organisation, "errors.csv", data, django_capture_on_commit_callbacks)
    assert import_.status == RosterImport.Status.REJECTED
    page = client.get(reverse("rosterimport:inspect", args=[import_.pk])).content.decode()
    assert "反映する変更" not in page and 'data-testid="import-changes"' not in page
    assert "何も変更されません" in page
    response = client.get(reverse("rosterimport:errors_csv", args=[import_.pk]))
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:4] == ["種別", "行", "列", "値"]
    errors = [row for row in rows[1:] if row[0] == "エラー"]
    assert len(errors) == 14
    assert any("1970年2月30日は存在しない日付です。" in row[4] for row in errors)


def test_another_organisations_staff_cannot_download_the_errors(
    client, organisation, other_organisation, django_capture_on_commit_callbacks
):
    client.force_login(make_staff(organisations=[organisation]))
    data = roster_fixture("errors.csv").read_bytes()
    import_ = _upload(client, organisation, "errors.csv", data, django_capture_on_commit_callbacks)
    client.force_login(make_staff(username="other", organisations=[other_organisation]))
    assert client.get(reverse("rosterimport:errors_csv", args=[import_.pk])).status_code == 404
