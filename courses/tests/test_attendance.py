import datetime

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from courses import services
from courses.models import AttendanceImport, Enrolment
from tests.factories import make_member, make_staff
from tests.factories.courses import csv_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def roster(organisation):
    return [
        make_member(organisation=organisation, member_no=f"00010{i}", name=f"佐藤　{n}")
        for i, n in enumerate(["一郎", "二郎", "三郎"])
    ]


@pytest.fixture
def staff(organisation):
    user = make_staff(organisations=[organisation])
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_enrolment", "view_enrolment"])
    )
    return user


def preview(organisation, course, staff, data, name="seminar.csv"):
    return services.attendance_import_preview(
        organisation=organisation,
        course=course,
        source=Enrolment.Source.SEMINAR,
        completed_on=datetime.date(2026, 6, 12),
        uploaded_file=SimpleUploadedFile(name, data),
        user=staff,
        evidence_note="6/12 オンラインセミナー",
    )


def test_errors_name_the_file_line_and_column_in_japanese_and_english(
    organisation, course, staff, roster
):
    data = csv_bytes(
        [
            ["加入者番号", "氏名"],
            ["000100", "佐藤　一郎"],
            ["999999", "誰か"],
            ["", "空欄"],
            ["000100", "佐藤　一郎"],
            ["000101", "鈴木　花子"],
        ]
    )
    import_ = preview(organisation, course, staff, data)
    errors = {(e["line"], e["column"]): e for e in import_.errors}
    assert set(errors) == {(3, 1), (4, 1), (5, 1), (6, 2)}
    assert (
        errors[(3, 1)]["ja"]
        == "seminar.csv 3行目 1列: 加入者番号 999999 の加入者は名簿にいません。"
    )
    assert (
        errors[(3, 1)]["en"]
        == "seminar.csv line 3, column 1: no member with number 999999 in the roster."
    )
    assert "2行目と重複" in errors[(5, 1)]["ja"]
    assert "does not match" in errors[(6, 2)]["en"]
    with pytest.raises(services.ImportRefused):
        services.attendance_import_apply(import_=import_, user=staff)
    assert not Enrolment.objects.exists(), "nothing is written when a row fails"


def test_shift_jis_file_without_header_is_read(organisation, course, staff, roster):
    data = "000100\r\n０００１０２\r\n".encode("cp932")
    import_ = preview(organisation, course, staff, data)
    assert import_.errors == [] and import_.counts["to_record"] == 2


def test_two_step_import_is_atomic_and_idempotent(organisation, course, staff, roster):
    data = csv_bytes([["加入者番号"], ["000100"], ["000101"]])
    import_ = preview(organisation, course, staff, data)
    assert import_.counts["to_record"] == 2 and not Enrolment.objects.exists()
    import_ = services.attendance_import_apply(import_=import_, user=staff)
    assert import_.counts["recorded"] == 2
    assert services.attendance_import_apply(import_=import_, user=staff).counts["recorded"] == 2
    again = preview(organisation, course, staff, data)
    assert again.counts == {**again.counts, "to_record": 0, "unchanged": 2}
    again = services.attendance_import_apply(import_=again, user=staff)
    assert again.counts["recorded"] == 0 and again.counts["unchanged"] == 2
    enrolments = Enrolment.objects.all()
    assert enrolments.count() == 2
    assert all(e.source == "seminar" and e.recorded_by == staff for e in enrolments)
    assert all(e.evidence_note == "6/12 オンラインセミナー" for e in enrolments)


def test_admin_upload_preview_apply(organisation, course, staff, roster):
    client = Client()
    client.force_login(staff)
    response = client.post(
        reverse("courses_admin:attendance_upload"),
        {
            "organisation": organisation.pk,
            "course": course.pk,
            "source": "paper",
            "completed_on": "令和8年6月12日",
            "evidence_note": "紙のテスト",
            "file": SimpleUploadedFile("paper.csv", csv_bytes([["加入者番号"], ["000102"]])),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    page = client.get(response.url).content.decode()
    assert "paper.csv" in page and "1件の修了を記録する" in page
    client.post(response.url)
    enrolment = Enrolment.objects.get()
    assert enrolment.member == roster[2] and enrolment.source == "paper"
    assert enrolment.completed_at.date().isoformat() in ("2026-06-12", "2026-06-11")
    assert AttendanceImport.objects.get().status == "applied"


def test_record_one_completion_in_the_admin(organisation, course, staff, roster):
    client = Client()
    client.force_login(staff)
    form = {
        "organisation": organisation.pk,
        "member_no": "000101",
        "course": course.pk,
        "source": "seminar",
        "completed_on": "R8.6.12",
        "evidence_note": "出席確認済み",
    }
    response = client.post(reverse("courses_admin:record_completion"), form)
    assert response.status_code == 302
    assert Enrolment.objects.get().member == roster[1]
    client.post(reverse("courses_admin:record_completion"), form)
    assert Enrolment.objects.count() == 1
    bad = client.post(reverse("courses_admin:record_completion"), {**form, "member_no": "nope"})
    assert "この団体にこの加入者番号の加入者はいません" in bad.content.decode()


def test_staff_of_another_organisation_cannot_use_this_organisation(
    organisation, other_organisation, course, roster
):
    other_staff = make_staff(username="x", organisations=[other_organisation])
    other_staff.user_permissions.add(Permission.objects.get(codename="add_enrolment"))
    client = Client()
    client.force_login(other_staff)
    response = client.post(
        reverse("courses_admin:record_completion"),
        {
            "organisation": organisation.pk,
            "member_no": "000101",
            "course": course.pk,
            "source": "seminar",
            "completed_on": "2026-06-12",
        },
    )
    assert response.status_code == 200 and not Enrolment.objects.exists()
