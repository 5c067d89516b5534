"""Exemptions as the office grants them: a list uploaded in the admin (all lines or none, the
same file twice adds nothing, errors with file, line and column in Japanese and English), an
evidence file in private storage downloaded only by the organisation's staff (logged), and the
year list of the exemption's own campaign."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from lms.models import Exemption
from members.models import AuditEvent
from members.storage import PrivateFileSystemStorage
from tests.factories import make_member, make_staff
from tests.factories.lms import make_campaign, make_requirement

D = datetime.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def office(organisation, other_organisation):
    for no in ("000001", "000002", "000003"):
        make_member(organisation=organisation, member_no=no, joined_on=D(2024, 4, 1))
    make_member(organisation=other_organisation, member_no="000009", joined_on=D(2024, 4, 1))
    campaign = make_campaign(organisation=organisation, slug="saigai", today=D(2027, 6, 1))
    requirement = make_requirement(campaign=campaign, name="災害防止等に関する研修")
    other_campaign = make_campaign(
        organisation=other_organisation, slug="other", name="他団体の研修", today=D(2027, 6, 1)
    )
    make_requirement(campaign=other_campaign, name="他団体の要件")
    staff = make_staff(username="staff-a", organisations=[organisation])
    staff.groups.first().permissions.add(*Permission.objects.filter(content_type__app_label="lms"))
    staff_b = make_staff(username="staff-b", organisations=[other_organisation])
    return {
        "campaign": campaign,
        "requirement": requirement,
        "other_campaign": other_campaign,
        "staff": staff,
        "staff_b": staff_b,
    }


def upload(client, campaign, text, *, name="exemptions.csv", encoding="utf-8-sig"):
    return client.post(
        reverse("lms_exemption:import"),
        {
            "campaign": campaign.pk,
            "file": SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv"),
        },
    )


GOOD = (
    "加入者番号,要件,年度,理由\n"
    "000001,災害防止等に関する研修,2026年度,入院中のため\n"
    "２,災害防止等に関する研修,,海外赴任中\n"
    "０００００３,災害防止等に関する研修,2027,休業中\n"
)


def test_a_list_grants_every_line_and_the_same_file_again_changes_nothing(client, office):
    client.force_login(office["staff"])
    index = client.get(reverse("lms_exemption:index")).content.decode()
    assert reverse("lms_exemption:import") in index
    response = upload(client, office["campaign"], GOOD, encoding="cp932")
    assert response.status_code == 302, response.content.decode()[-3000:]
    rows = sorted(
        Exemption.objects.values_list("member__member_no", "cycle__fiscal_year", "reason")
    )
    assert rows == [
        ("000001", 2026, "入院中のため"),
        ("000002", None, "海外赴任中"),
        ("000003", 2027, "休業中"),
    ]
    assert all(e.granted_by == office["staff"] for e in Exemption.objects.all())
    page = client.get(reverse("lms_exemption:index")).content.decode()
    assert "受講免除を 3 件登録しました。0 件は登録済みでした。" in page

    response = upload(client, office["campaign"], GOOD)
    assert response.status_code == 302
    assert Exemption.objects.count() == 3
    page = client.get(reverse("lms_exemption:index")).content.decode()
    assert "受講免除を 0 件登録しました。3 件は登録済みでした。" in page


def test_any_bad_line_imports_nothing_and_names_file_line_and_column_in_both_languages(
    client, office
):
    client.force_login(office["staff"])
    text = (
        "加入者番号,要件,年度,理由\n"
        "000001,災害防止等に関する研修,2026年度,入院中のため\n"
        "000009,災害防止等に関する研修,,他団体の加入者\n"
        "000002,他団体の要件,,\n"
        "000003,災害防止等に関する研修,2019年度,古い年度\n"
    )
    response = upload(client, office["campaign"], text, name="免除.csv")
    assert response.status_code == 200
    assert Exemption.objects.count() == 0
    page = response.content.decode()
    assert "免除.csv 3行目 1列" in page and "免除.csv line 3, column 1" in page
    assert "000009" in page
    assert "免除.csv 4行目 2列" in page and "他団体の要件" in page
    assert "免除.csv 4行目 4列" in page  # the blank reason
    assert "免除.csv 5行目 3列" in page and "2019年度" in page
    assert "2026年度" in page  # the campaign's years are named as the expected values


def test_a_file_without_the_columns_says_which_one_is_missing(client, office):
    client.force_login(office["staff"])
    response = upload(client, office["campaign"], "番号,理由\n000001,入院中\n")
    page = response.content.decode()
    assert "1行目" in page and "加入者番号" in page and "要件" in page
    assert Exemption.objects.count() == 0


def test_another_organisations_campaign_cannot_be_chosen(client, office):
    client.force_login(office["staff"])
    form = client.get(reverse("lms_exemption:import")).content.decode()
    assert "他団体の研修" not in form
    response = upload(
        client, office["other_campaign"], "加入者番号,要件,理由\n000009,他団体の要件,x\n"
    )
    assert response.status_code == 200 and Exemption.objects.count() == 0


def test_evidence_is_private_downloaded_by_the_organisations_staff_only_and_logged(
    client, office, settings
):
    client.force_login(office["staff"])
    requirement = office["requirement"]
    response = client.post(
        reverse("lms_exemption:add"),
        {
            "member_no": "1",
            "requirement": requirement.pk,
            "cycle": "",
            "reason": "診断書あり",
            "evidence": SimpleUploadedFile(
                "診断書.pdf", b"%PDF-1.4 certificate", content_type="application/pdf"
            ),
        },
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    exemption = Exemption.objects.get()
    assert exemption.evidence_name == "診断書.pdf"
    assert exemption.evidence.name.startswith(f"exemptions/{exemption.member.organisation_id}/")
    assert "診断書" not in exemption.evidence.name
    stored_name = exemption.evidence.name
    stored = exemption.evidence.storage.path(stored_name)
    assert isinstance(exemption.evidence.storage, PrivateFileSystemStorage)
    assert open(stored, "rb").read() == b"%PDF-1.4 certificate"
    assert not stored.startswith(str(settings.MEDIA_ROOT))

    index = client.get(reverse("lms_exemption:index")).content.decode()
    link = reverse("members_private_file", args=["lms.exemption", exemption.pk])
    assert link in index
    download = client.get(link)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 certificate"
    logged = AuditEvent.objects.get(action=AuditEvent.Action.DOWNLOAD)
    assert logged.user == office["staff"] and logged.detail == "診断書.pdf"
    assert logged.organisation_id == exemption.member.organisation_id

    client.force_login(office["staff_b"])
    assert client.get(link).status_code == 404
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DOWNLOAD).count() == 1

    client.force_login(office["staff"])  # editing the reason keeps the stored file
    edit = reverse("lms_exemption:edit", args=[exemption.pk])
    assert "登録済み: 診断書.pdf" in client.get(edit).content.decode()
    response = client.post(edit, {"reason": "診断書あり（再提出）"})
    assert response.status_code == 302, response.content.decode()[-3000:]
    exemption.refresh_from_db()
    assert exemption.reason == "診断書あり（再提出）"
    assert exemption.evidence_name == "診断書.pdf" and exemption.evidence.name == stored_name
    exemption.evidence.delete(save=False)


def test_evidence_must_be_a_pdf_or_an_image(client, office):
    client.force_login(office["staff"])
    response = client.post(
        reverse("lms_exemption:add"),
        {
            "member_no": "000001",
            "requirement": office["requirement"].pk,
            "reason": "x",
            "evidence": SimpleUploadedFile("run.exe", b"MZ", content_type="application/x"),
        },
    )
    assert response.status_code == 200
    assert Exemption.objects.count() == 0
    assert ".pdf" in response.content.decode()


def test_the_year_list_is_grouped_by_campaign_and_an_exemption_lists_its_campaigns_years(
    client, office, organisation
):
    second = make_campaign(
        organisation=organisation, slug="kikai", name="業務別の研修", today=D(2027, 6, 1)
    )
    client.force_login(office["staff"])
    add = client.get(reverse("lms_exemption:add")).content.decode()
    assert '<optgroup label="災害防止等に関する研修">' in add
    assert '<optgroup label="業務別の研修">' in add
    assert "他団体の研修" not in add
    exemption = Exemption.objects.create(
        member=make_member(organisation=organisation, member_no="000010"),
        requirement=office["requirement"],
        reason="x",
    )
    edit = client.get(reverse("lms_exemption:edit", args=[exemption.pk])).content.decode()
    assert '<optgroup label="災害防止等に関する研修">' in edit
    assert "業務別の研修" not in edit
    assert second.cycles.exists()
