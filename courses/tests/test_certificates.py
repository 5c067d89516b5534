import datetime
import io
import zipfile
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from courses import conf, services
from courses.certificates import certificate_pdf, font_name, wareki
from members.pdf import FONT_CANDIDATES
from tests.factories import make_member, make_staff

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_wareki():
    assert wareki(datetime.date(2026, 6, 10)) == "令和8年6月10日"
    assert wareki(datetime.date(2019, 5, 1)) == "令和元年5月1日"
    assert wareki(datetime.date(2019, 4, 30)) == "平成31年4月30日"


def test_certificate_pdf_has_the_facts_in_japanese_and_embeds_a_japanese_font(member, course):
    enrolment, _ = services.enrolment_record_external(
        member=member, course=course, source="seminar", completed_on=datetime.date(2026, 6, 12)
    )
    certificate = enrolment.certificate
    data = certificate_pdf(certificate)
    text = pdf_text(data)
    for expected in (
        "修了証",
        "山田",
        "災害防止等に関する研修",
        "令和8年6月12日",
        member.organisation.name,
        certificate.number,
        f"/learn/verify/{certificate.number}/",
    ):
        assert expected in text.replace(" ", ""), expected
    fonts = str(PdfReader(io.BytesIO(data)).pages[0]["/Resources"]["/Font"])
    if conf.certificate_font_path():
        assert font_name() == "CertJP", "the installed Japanese TrueType font is embedded"
    else:
        assert font_name() == "HeiseiKakuGo-W5" and "HeiseiKakuGo-W5" in fonts
    assert fonts and len(data) > 5000


def test_the_certificate_font_is_a_setting_found_on_debian_without_a_python_package(settings):
    settings.COURSES_CERTIFICATE_FONT = "/srv/fonts/our-font.ttf"
    assert conf.certificate_font_path() == "/srv/fonts/our-font.ttf"
    settings.COURSES_CERTIFICATE_FONT = None
    installed = [p for p in FONT_CANDIDATES if Path(p).is_file()]
    assert conf.certificate_font_path() == (installed[0] if installed else None)


def test_member_downloads_own_certificate(client, member, course):
    from courses.tests.conftest import login_member

    enrolment, _ = services.enrolment_record_external(
        member=member, course=course, source="paper", completed_on=datetime.date(2026, 6, 12)
    )
    login_member(client, member)
    listing = client.get(reverse("lms:my_training")).content.decode()
    assert enrolment.certificate.number in listing
    response = client.get(reverse("courses:certificate_pdf", args=[enrolment.certificate.number]))
    assert response["Content-Type"] == "application/pdf"
    assert "修了証" in pdf_text(response.content).replace(" ", "")


def test_staff_download_a_courses_certificates_as_zip_for_their_organisations_only(
    organisation, other_organisation, course
):
    mine = [make_member(organisation=organisation, name=f"加入者{i}") for i in range(2)]
    theirs = make_member(organisation=other_organisation, name="他団体の人")
    for m in [*mine, theirs]:
        services.enrolment_record_external(
            member=m, course=course, source="seminar", completed_on=datetime.date(2026, 6, 1)
        )
    staff = make_staff(organisations=[organisation])
    staff.user_permissions.add(Permission.objects.get(codename="view_certificate"))
    client = Client()
    client.force_login(staff)
    response = client.get(reverse("courses_admin:certificates_zip"), {"course": course.pk})
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = archive.namelist()
    assert len(names) == 2 and all(n.endswith(".pdf") for n in names)
    texts = [pdf_text(archive.read(n)) for n in names]
    assert not any("他団体の人" in t for t in texts)
    other_cert = theirs.enrolments.get().certificate
    assert (
        client.get(reverse("courses_admin:certificate_pdf", args=[other_cert.number])).status_code
        == 404
    )
    listing = client.get("/admin/courses/certificates/").content.decode()
    assert (
        other_cert.number not in listing and mine[0].enrolments.get().certificate.number in listing
    )
