"""Staff screens in the Wagtail admin: scoping to the staff user's organisations, the two-step
import, exports and the two reports."""

import csv
import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from members.models import Member, RosterImport
from tests.factories import make_staff
from tests.factories.members import import_roster_fixture, roster_fixture

D = datetime.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def two_orgs(organisation, other_organisation):
    """Organisation A (with staff A) and B (with staff B), each with members and an import."""
    import_roster_fixture(organisation=organisation, name="month_05.csv", as_of=D(2026, 5, 10))
    import_roster_fixture(organisation=other_organisation, name="split_names.csv")
    staff_a = make_staff(username="staff-a", organisations=[organisation])
    staff_b = make_staff(username="staff-b", organisations=[other_organisation])
    return organisation, other_organisation, staff_a, staff_b


def body(response):
    return response.content.decode()


def test_staff_see_only_their_organisations_members(client, two_orgs):
    a, b, staff_a, _ = two_orgs
    client.force_login(staff_a)
    response = client.get(reverse("member:index"))
    assert response.status_code == 200
    assert "M001" in body(response) and "S01" not in body(response)
    theirs = Member.objects.get(member_no="S01")
    assert client.get(reverse("member:inspect", args=[theirs.pk])).status_code == 404
    ours = Member.objects.get(member_no="M001")
    response = client.get(reverse("member:inspect", args=[ours.pk]))
    assert response.status_code == 200 and "青木" in body(response)
    # no editing outside the roster import
    assert client.get(reverse("member:edit", args=[ours.pk])).status_code in (302, 403)
    # a filter naming the other organisation shows nothing of it
    response = client.get(reverse("member:index"), {"organisation": b.pk})
    assert "S01" not in body(response)


def test_staff_see_only_their_imports_and_report_rows(client, two_orgs):
    a, b, staff_a, staff_b = two_orgs
    client.force_login(staff_a)
    response = client.get(reverse("rosterimport:index"))
    assert "month_05.csv" in body(response) and "split_names.csv" not in body(response)
    theirs = RosterImport.objects.get(organisation=b)
    assert client.get(reverse("rosterimport:inspect", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("rosterimport:apply", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("rosterimport:progress", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("rosterimport:history", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("rosterimport:cancel", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("rosterimport:delete", args=[theirs.pk])).status_code in (
        302,
        403,
        404,
    )
    theirs_member = Member.objects.get(member_no="S01")
    for view in ("member:history", "member:usage", "member:delete"):
        assert client.get(reverse(view, args=[theirs_member.pk])).status_code in (302, 403, 404)
    for url in (reverse("members_statistics"), reverse("members_movements")):
        response = client.get(url, {"organisation": b.pk, "month_from": "2025-04"})
        assert response.status_code == 200
        assert b.name not in body(response) and "中村" not in body(response)
    response = client.get(reverse("members_movements"), {"month_from": "2025-04"})
    assert "青木" in body(response)


def test_people_outside_the_staff_group_get_nothing(client, two_orgs, django_user_model):
    a, *_ = two_orgs
    outsider = django_user_model.objects.create_user("outsider", password="x")
    client.force_login(outsider)
    response = client.get(reverse("member:index"))
    assert response.status_code in (302, 403)
    # staff group without an organisation: admin access, but no rows
    lonely = make_staff(username="lonely")
    client.force_login(lonely)
    response = client.get(reverse("member:index"))
    assert response.status_code == 200 and "M001" not in body(response)


def test_member_detail_shows_periods_and_history(client, organisation):
    import_roster_fixture(organisation=organisation, name="month_05.csv", as_of=D(2026, 5, 10))
    import_roster_fixture(organisation=organisation, name="month_06.csv", as_of=D(2026, 6, 10))
    client.force_login(make_staff(organisations=[organisation]))
    m002 = Member.objects.get(member_no="M002")
    page = body(client.get(reverse("member:inspect", args=[m002.pk])))
    assert page.count("<td>2026年6月10日</td>") >= 1 or "2026-06-10" in page
    assert "第2種（一人親方等）" in page and "第2種（特定フリーランス事業）" in page
    assert "month_06.csv" in page and "month_05.csv" in page


def test_members_list_search_filters_and_bom_csv_export(client, organisation):
    import_roster_fixture(organisation=organisation, name="utf8_basic.csv")
    client.force_login(make_staff(organisations=[organisation]))
    url = reverse("member:index")
    assert "佐藤" in body(client.get(url, {"q": "さとう"}))  # hiragana finds フリガナ
    assert "鈴木" not in body(client.get(url, {"q": "さとう"}))
    assert "鈴木" in body(client.get(url, {"q": "鈴木 一郎"}))  # half-width space
    filtered = body(client.get(url, {"prefecture": "13"}))
    assert "山田" in filtered and "鈴木" not in filtered
    withdrawn = body(client.get(url, {"status": "inactive", "status_on": "R7.4.1"}))
    assert "高田" in withdrawn and "山田" not in withdrawn
    joined = body(client.get(url, {"joined_month": "2024-12"}))
    assert "高田" in joined and "山田" not in joined

    response = client.get(url, {"export": "csv", "prefecture": "13"})
    content = b"".join(response.streaming_content)
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["団体", "加入者番号", "氏名"]
    assert sorted(r[1] for r in rows[1:]) == ["000101", "000102"]
    response = client.get(url, {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet.max_row == 6


def test_two_step_import_upload_preview_apply(
    client, organisation, django_capture_on_commit_callbacks
):
    staff = make_staff(organisations=[organisation])
    client.force_login(staff)
    upload = SimpleUploadedFile(
        "month_05.csv", roster_fixture("month_05.csv").read_bytes(), content_type="text/csv"
    )
    with django_capture_on_commit_callbacks(execute=True):  # the task runs eagerly on commit
        response = client.post(
            reverse("rosterimport:add"),
            {
                "organisation": organisation.pk,
                "file": upload,
                "encoding": "auto",
                "as_of": "R8.5.10",
            },
        )
    import_ = RosterImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("rosterimport:inspect", args=[import_.pk])
    import_.refresh_from_db()
    assert import_.status == RosterImport.Status.PREVIEWED and import_.added == 5
    assert import_.options["as_of"] == "2026-05-10"
    assert Member.objects.count() == 0  # the preview changes nothing
    page = body(client.get(response["Location"]))
    assert "この変更を反映する" in page and "青木" in page

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("rosterimport:apply", args=[import_.pk]))
    import_.refresh_from_db()
    assert import_.status == RosterImport.Status.APPLIED and import_.applied_by == staff
    assert Member.objects.filter(organisation=organisation).count() == 5
    # applying twice does nothing more
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("rosterimport:apply", args=[import_.pk]))
    assert RosterImport.objects.get().status == RosterImport.Status.APPLIED
    progress = client.get(reverse("rosterimport:progress", args=[import_.pk])).json()
    assert progress == {
        "status": "applied",
        "status_label": "反映済み",
        "percent": 100,
        "done": progress["done"],
        "total": progress["total"],
        "finished": True,
    }


def test_rejected_upload_shows_every_error_in_both_languages(
    client, organisation, django_capture_on_commit_callbacks
):
    client.force_login(make_staff(organisations=[organisation]))
    upload = SimpleUploadedFile("errors.csv", roster_fixture("errors.csv").read_bytes())
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("rosterimport:add"),
            {"organisation": organisation.pk, "file": upload, "encoding": "auto"},
        )
    import_ = RosterImport.objects.get()
    assert import_.status == RosterImport.Status.REJECTED
    page = body(client.get(reverse("rosterimport:inspect", args=[import_.pk])))
    assert "14 件のエラー" in page
    assert "1970年2月30日は存在しない日付です。" in page
    assert "There is no day 30 in month 2 of 1970." in page
    assert "この変更を反映する" not in page
    assert client.post(reverse("rosterimport:apply", args=[import_.pk])).status_code == 302
    assert Member.objects.count() == 0


def test_cancel(client, organisation):
    client.force_login(make_staff(organisations=[organisation]))
    upload = SimpleUploadedFile("month_05.csv", roster_fixture("month_05.csv").read_bytes())
    client.post(
        reverse("rosterimport:add"),
        {"organisation": organisation.pk, "file": upload, "encoding": "auto"},
    )
    import_ = RosterImport.objects.get()
    client.post(reverse("rosterimport:cancel", args=[import_.pk]))
    import_.refresh_from_db()
    assert import_.status == RosterImport.Status.CANCELLED
    client.post(reverse("rosterimport:apply", args=[import_.pk]))
    assert Member.objects.count() == 0


def test_cannot_upload_for_another_organisation(client, organisation, other_organisation):
    client.force_login(make_staff(organisations=[organisation]))
    upload = SimpleUploadedFile("month_05.csv", roster_fixture("month_05.csv").read_bytes())
    response = client.post(
        reverse("rosterimport:add"), {"organisation": other_organisation.pk, "file": upload}
    )
    assert response.status_code == 200  # the form says the choice is not valid
    assert RosterImport.objects.count() == 0


def test_statistics_report_and_export(client, organisation):
    import_roster_fixture(organisation=organisation, name="utf8_basic.csv")
    client.force_login(make_staff(organisations=[organisation]))
    url = reverse("members_statistics")
    page = body(client.get(url, {"on": "2025-01-01"}))
    assert "2025-01-01 時点の加入者 5 人" in page
    assert "北海道" in page and "沖縄県" in page  # all 47, zeros included
    response = client.get(url, {"on": "2025-04-01", "export": "csv"})
    content = b"".join(response.streaming_content)
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == ["表", "項目", "加入者", "割合"]
    gender = {r[1]: r[2] for r in rows if r[0] == "性別"}
    assert gender == {"男性": "2", "女性": "1", "その他": "1"}  # 000105 withdrew 2025-03-31
    prefectures = [r[1] for r in rows if r[0] == "都道府県"]
    assert len(prefectures) == 47 and prefectures[0] == "北海道" and prefectures[-1] == "沖縄県"


def test_movements_report(client, organisation):
    import_roster_fixture(organisation=organisation, name="month_05.csv", as_of=D(2026, 5, 10))
    import_roster_fixture(organisation=organisation, name="month_06.csv", as_of=D(2026, 6, 10))
    client.force_login(make_staff(organisations=[organisation]))
    url = reverse("members_movements")
    response = client.get(url, {"month_from": "2026-06", "export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [(r[1], r[2]) for r in rows[1:]] == [
        ("加入", "M004"),
        ("加入", "M006"),
        ("脱退", "M003"),
    ]
    page = body(client.get(url, {"month_from": "2026-06"}))
    assert "2025-07" in page and "2026-06" in page  # a year of monthly totals


def test_admin_menu_lists_the_roster_and_reports(client, organisation):
    client.force_login(make_staff(organisations=[organisation]))
    page = body(client.get(reverse("wagtailadmin_home")))
    for url in (
        reverse("member:index"),
        reverse("rosterimport:index"),
        reverse("members_statistics"),
        reverse("members_movements"),
    ):
        assert url in page
