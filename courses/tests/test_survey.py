"""The post-course survey: answered once per attempt after completing, required before the
certificate when the editor says so, and read by staff per course and cycle."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from courses.models import SurveyResponse
from courses.tests.conftest import login_member
from tests.factories import complete_course, make_campaign, make_member, make_requirement
from tests.factories.courses import survey_blocks
from tests.factories.quality import make_office_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def surveyed(course):
    course.survey_mode = "required"
    course.survey = survey_blocks()
    course.issues_certificate = True
    course.save_revision().publish()
    course.refresh_from_db()
    return course


def questions(course):
    return {block.block_type + str(i): block.id for i, block in enumerate(course.survey)}


def answers(course, *, meaningful="5", choice=("1",), text="足場の事例が役に立った"):
    ids = [block.id for block in course.survey]
    return {f"q_{ids[0]}": meaningful, f"q_{ids[1]}": list(choice), f"q_{ids[2]}": text}


def test_a_required_survey_comes_before_the_certificate(client, member, surveyed):
    login_member(client, member)
    survey_url = reverse("courses:survey", args=[surveyed.pk])
    # not yet complete: the survey is not open
    response = client.get(survey_url)
    assert response.status_code == 302 and response.url == surveyed.url

    enrolment = complete_course(member=member, course=surveyed, on=datetime.date(2026, 6, 10))
    certificate = enrolment.certificate
    page = client.get(surveyed.url).content.decode()
    assert "アンケートに回答する" in page and certificate.number not in page
    pdf_url = reverse("courses:certificate_pdf", args=[certificate.number])
    assert client.get(pdf_url).url == survey_url  # the certificate waits

    form = client.get(survey_url).content.decode()
    assert "この研修は有意義でしたか。" in form and "とても有意義だった" in form
    # a required question left blank: nothing is saved, the error is named
    blank = client.post(survey_url, {**answers(surveyed), f"q_{surveyed.survey[0].id}": ""})
    body = blank.content.decode()
    assert blank.status_code == 400 and "この項目は必須です" in body
    assert not SurveyResponse.objects.exists()

    done = client.post(survey_url, answers(surveyed))
    assert done.status_code == 302
    saved = SurveyResponse.objects.get()
    assert (saved.member, saved.enrolment, saved.meaningful) == (member, enrolment, 5)
    assert saved.answers[surveyed.survey[2].id] == "足場の事例が役に立った"
    assert [q["question"] for q in saved.questions][0] == "この研修は有意義でしたか。"

    page = client.get(surveyed.url).content.decode()
    assert certificate.number in page and "アンケートに回答済みです" in page
    pdf = client.get(pdf_url)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    # a second submission (another tab) changes nothing
    client.post(survey_url, answers(surveyed, meaningful="1"))
    assert SurveyResponse.objects.get().meaningful == 5


def test_an_optional_survey_leaves_the_certificate_alone(client, member, surveyed):
    surveyed.survey_mode = "optional"
    surveyed.save_revision().publish()
    login_member(client, member)
    enrolment = complete_course(member=member, course=surveyed, on=datetime.date(2026, 6, 10))
    page = client.get(surveyed.url).content.decode()
    assert "アンケートに回答する（任意）" in page
    pdf_url = reverse("courses:certificate_pdf", args=[enrolment.certificate.number])
    assert client.get(pdf_url).status_code == 200


def test_only_the_members_of_the_course_answer(client, organisation, other_organisation, surveyed):
    surveyed.organisation = organisation
    surveyed.save_revision().publish()
    outsider = make_member(organisation=other_organisation, member_no="B1", email="b@example.jp")
    login_member(client, outsider)
    assert client.get(reverse("courses:survey", args=[surveyed.pk])).status_code == 404


def test_staff_read_results_per_course_and_cycle(
    client, organisation, other_organisation, surveyed
):
    campaign = make_campaign(organisation=organisation, today=datetime.date(2026, 6, 1))
    make_requirement(campaign=campaign, courses=[surveyed])
    members = [
        make_member(organisation=organisation, member_no=f"00{i}", email=f"m{i}@example.jp")
        for i in range(1, 6)
    ]
    from lms.services import assignments_refresh

    assignments_refresh(organisation=organisation)
    for m in members[:4]:
        complete_course(member=m, course=surveyed, on=datetime.date(2026, 6, 10))
    assignments_refresh(organisation=organisation)
    from courses.survey import survey_questions, survey_submit

    qs = survey_questions(surveyed)
    for m, score, text in zip(
        members[:3], (5, 4, 2), ('=HYPERLINK("x")', "", "短くしてほしい"), strict=True
    ):
        enrolment = m.enrolments.get()
        given = {qs[0]["id"]: score, qs[1]["id"]: [1, 2]}
        if text:
            given[qs[2]["id"]] = text
        survey_submit(enrolment=enrolment, answers=given, questions=qs)

    staff = make_office_staff(username="office", organisations=[organisation])
    client.force_login(staff)
    index = client.get(reverse("lms_reports:surveys")).content.decode()
    assert surveyed.title in index and "4 人" in index and "3 人" in index and "75.0%" in index
    cycle = campaign.cycles.get()
    url = reverse("lms_reports:survey_results", args=[cycle.pk, surveyed.pk])
    detail = client.get(url).content.decode()
    assert "75.0%" in detail  # 3 of 4 completers answered
    assert "66.7%" in detail and "（3人中2人）" in detail  # 5 and 4 of 5, 4, 2
    assert "短くしてほしい" in detail and "<svg" in detail

    rows = list(
        csv.reader(io.StringIO(client.get(url + "?export=csv").getvalue().decode("utf-8-sig")))
    )
    assert (
        rows[0][:3] == ["加入者番号", "氏名", "回答日時"]
        and "この研修は有意義でしたか。" in rows[0]
    )
    assert len(rows) == 4
    assert '\'=HYPERLINK("x")' in rows[1]  # formula-safe
    assert "とても有意義だった" in rows[1]
    book = load_workbook(io.BytesIO(client.get(url + "?export=xlsx").getvalue()))
    assert book.active.max_row == 4

    other_staff = make_office_staff(username="other", organisations=[other_organisation])
    client.force_login(other_staff)
    assert surveyed.title not in client.get(reverse("lms_reports:surveys")).content.decode()
    assert client.get(url).status_code == 404
