import json

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses import services
from courses.models import Enrolment, LessonProgress, Question, QuizAttempt
from courses.tests.conftest import login_member
from tests.factories import make_member, make_staff
from tests.factories.courses import (
    correct_answers,
    make_captions,
    make_course_page,
    make_lesson,
    make_video_media,
    quiz_block,
    video_block,
)

pytestmark = pytest.mark.django_db


def test_quiz_answers_and_correct_flags_never_reach_the_page(member_client, lessons):
    lesson = lessons[1]
    html = member_client.get(lesson.url).content.decode()
    choice_texts = ["すぐに119番通報する", "膝を曲げて腰を落とす", "腰をひねって持ち上げる"]
    assert all(text in html for text in choice_texts)
    assert "correct" not in html.lower()  # no flag, attribute or JSON key
    assert "自力で飲めないのは重症のサインです" not in html, "explanations only after submitting"
    for choice_ids in correct_answers(lesson).values():
        for choice_id in choice_ids:
            assert html.count(choice_id) == 1  # only as an opaque option value


def test_submitting_the_quiz_without_javascript_shows_the_result_and_explanations(
    member_client, member, lessons
):
    lesson = lessons[1]
    html = member_client.get(lesson.url).content.decode()
    token = html.split('name="token" value="')[1].split('"')[0]
    data = {"token": token}
    for qid, choices in correct_answers(lesson).items():
        data[f"q-{qid}"] = choices
    response = member_client.post(reverse("courses:lesson_quiz", args=[lesson.pk]), data)
    assert response.status_code == 302
    again = member_client.post(reverse("courses:lesson_quiz", args=[lesson.pk]), data)
    assert again.url == response.url, "a double submit lands on the same attempt"
    assert QuizAttempt.objects.count() == 1
    page = member_client.get(response.url).content.decode()
    assert "合格" in page and "自力で飲めないのは重症のサインです" in page
    progress = LessonProgress.objects.get(lesson=lesson)
    assert progress.completed_at is not None


def test_text_lesson_completes_with_the_button_and_goes_to_the_next_lesson(member_client, lessons):
    html = member_client.get(lessons[0].url).content.decode()
    assert "学習を完了する" in html
    response = member_client.post(reverse("courses:lesson_complete", args=[lessons[0].pk]))
    assert response.status_code == 302 and response.url == lessons[1].url
    course_html = member_client.get(lessons[0].get_parent().url).content.decode()
    assert "2件中1件" in course_html or "1 of 2" in course_html


def test_lesson_with_unmet_requirements_explains_what_is_missing(member_client, course):
    lesson = make_lesson(course=course, slug="slow", min_study_seconds=120)
    member_client.get(lesson.url)
    response = member_client.post(reverse("courses:lesson_complete", args=[lesson.pk]), follow=True)
    assert LessonProgress.objects.get(lesson=lesson).completed_at is None
    assert "120" in response.content.decode()


def test_heartbeat_endpoint_is_bounded_and_needs_csrf(client, member, lessons):
    from django.test import Client

    login_member(client, member)
    lesson = lessons[0]
    client.get(lesson.url)
    url = reverse("courses:heartbeat", args=[lesson.pk])
    response = client.post(url, json.dumps({"seconds": 99999}), content_type="application/json")
    assert response.status_code == 200 and response.json()["active_seconds"] <= 1
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(member.user)
    assert strict.post(url, "{}", content_type="application/json").status_code == 403


def test_heartbeats_beyond_the_rate_are_refused(member_client, lessons, settings):
    settings.COURSES_HEARTBEAT_RATE = "3/m"
    lesson = lessons[0]
    member_client.get(lesson.url)
    url = reverse("courses:heartbeat", args=[lesson.pk])
    answers = [
        member_client.post(url, json.dumps({"seconds": 1}), content_type="application/json")
        for _ in range(5)
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    other = make_lesson(course=lesson.get_parent().specific, slug="other-lesson")
    member_client.get(other.url)
    other_url = reverse("courses:heartbeat", args=[other.pk])
    assert member_client.post(other_url, "{}", content_type="application/json").status_code == 200


def test_video_endpoint_reports_coverage(member_client, course):
    media = make_video_media(duration=10.0)
    lesson = make_lesson(
        course=course,
        slug="vid",
        body=[video_block(media=media, captions=make_captions(), allow_seeking=True)],
    )
    html = member_client.get(lesson.url).content.decode()
    assert '<track kind="captions"' in html and "autoplay" not in html
    block = services.lesson_requirements(lesson).videos[0].block_id
    LessonProgress.objects.update(
        video_reported_at=LessonProgress.objects.get().first_opened_at.replace(year=2000)
    )
    response = member_client.post(
        reverse("courses:video_report", args=[lesson.pk]),
        json.dumps({"block": block, "played": [[0, 10]], "duration": 10}),
        content_type="application/json",
    )
    assert response.json()["percent"] == 100 and response.json()["watched"]
    assert response.json()["completed"]
    bad = member_client.post(
        reverse("courses:video_report", args=[lesson.pk]),
        json.dumps({"block": "nope", "played": []}),
        content_type="application/json",
    )
    assert bad.status_code == 404


def test_media_and_captions_are_served_with_ranges(member_client, member):
    from courses.media import CAPTIONS, VIDEO, signed_url

    media = make_video_media(data=b"0123456789")
    captions = make_captions()
    user = member.user  # the URLs a lesson page signs for this member
    response = member_client.get(
        signed_url(kind=VIDEO, pk=media.pk, user=user), HTTP_RANGE="bytes=2-5"
    )
    assert response.status_code == 206 and b"".join(response.streaming_content) == b"2345"
    assert response["Content-Range"] == "bytes 2-5/10"
    vtt = member_client.get(signed_url(kind=CAPTIONS, pk=captions.pk, user=user))
    assert vtt["Content-Type"].startswith("text/vtt") and b"WEBVTT" in b"".join(
        vtt.streaming_content
    )


# --- isolation: members see only their own records ----------------------------------------


@pytest.fixture
def other_members_records(organisation, course, lessons):
    other = make_member(organisation=organisation, name="他人　花子")
    enrolment = services.enrolment_start(member=other, course=course)
    attempt = services.quiz_submit(
        enrolment=enrolment,
        lesson=lessons[1],
        token=services.quiz_token(enrolment=enrolment, lesson=lessons[1]),
        submitted=correct_answers(lessons[1]),
    )
    services.enrolment_record_external(
        member=other, course=course, source="paper", completed_on=enrolment.started_at.date()
    )
    question = services.question_ask(member=other, body="私の質問", course=course)
    enrolment.refresh_from_db()
    return {"enrolment": enrolment, "attempt": attempt, "question": question}


def test_another_members_records_are_404(member_client, other_members_records, lessons):
    records = other_members_records
    urls = [
        reverse("courses:attempt_detail", args=[records["enrolment"].pk]),
        reverse("courses:certificate_pdf", args=[records["enrolment"].certificate.number]),
        reverse("courses:question_detail", args=[records["question"].pk]),
        f"{lessons[1].url}?result={records['attempt'].pk}",
    ]
    for url in urls:
        assert member_client.get(url).status_code == 404, url
    listing = member_client.get(reverse("lms:my_training")).content.decode()
    assert records["enrolment"].certificate.number not in listing
    assert "私の質問" not in member_client.get(reverse("courses:my_questions")).content.decode()


def test_a_course_of_another_organisation_is_404(member_client, index, other_organisation):
    course = make_course_page(index=index, slug="theirs", organisation=other_organisation)
    lesson = make_lesson(course=course, slug="theirs-1")
    assert member_client.get(course.url).status_code == 404
    assert member_client.get(lesson.url).status_code == 404
    url = reverse("courses:heartbeat", args=[lesson.pk])
    assert member_client.post(url, "{}", content_type="application/json").status_code == 404
    assert not Enrolment.objects.filter(course=course).exists()


def test_anonymous_visitors_are_sent_to_sign_in_from_lessons(client, lessons):
    response = client.get(lessons[0].url)
    assert response.status_code == 302 and "/accounts/login" in response.url
    url = reverse("courses:heartbeat", args=[lessons[0].pk])
    assert client.post(url, "{}", content_type="application/json").status_code == 404


# --- query counts -----------------------------------------------------------------------------


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_lesson_and_course_pages_run_a_fixed_number_of_queries(member_client, member, index):
    small = make_course_page(index=index, slug="small")
    big = make_course_page(index=index, slug="big")
    small_lessons = [make_lesson(course=small, slug=f"s{i}", body=[quiz_block()]) for i in range(3)]
    big_lessons = [make_lesson(course=big, slug=f"b{i}", body=[quiz_block()]) for i in range(8)]
    for course, lessons in ((small, small_lessons), (big, big_lessons)):
        member_client.get(lessons[0].url)  # start the attempt
        enrolment = Enrolment.objects.get(course=course)
        for lesson in lessons[:-1]:
            services.lesson_open(enrolment=enrolment, lesson=lesson)
    counts = {
        "small lesson": _count(member_client, small_lessons[1].url),
        "big lesson": _count(member_client, big_lessons[5].url),
    }
    assert counts["small lesson"] == counts["big lesson"] <= 30, counts
    counts = {
        "small course": _count(member_client, small.url),
        "big course": _count(member_client, big.url),
    }
    assert counts["small course"] == counts["big course"] <= 20, counts


# --- questions -------------------------------------------------------------------------------


def test_member_asks_staff_answers_member_is_emailed_and_faq_is_published(
    member_client, member, course, lessons, organisation, django_capture_on_commit_callbacks
):
    response = member_client.post(
        reverse("courses:question_ask"),
        {"lesson": lessons[0].pk, "body": "脚立は何段目まで乗れますか？"},
    )
    question = Question.objects.get()
    assert response.url == reverse("courses:question_detail", args=[question.pk])
    assert question.course == course and question.lesson == lessons[0]

    from django.contrib.auth.models import Permission
    from django.test import Client

    staff = make_staff(organisations=[organisation])
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_question", "change_question"])
    )
    admin = Client()
    admin.force_login(staff)
    assert "脚立は何段目" in admin.get("/admin/courses/questions/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            f"/admin/courses/questions/edit/{question.pk}/",
            {
                "answer": "天板とその一段下には乗らないでください。",
                "faq_published": "on",
                "faq_question": "脚立はどこまで乗ってよいですか？",
                "faq_answer": "",
            },
        )
    assert response.status_code == 302, response.content.decode()[:3000]
    question.refresh_from_db()
    assert question.answered_at and question.answered_by == staff and question.faq_published
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [member.email]
    assert "天板とその一段下" in mail.outbox[0].body
    # saving again does not e-mail twice
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(
            f"/admin/courses/questions/edit/{question.pk}/",
            {
                "answer": "天板とその一段下には乗らないでください。",
                "faq_published": "on",
                "faq_question": "脚立はどこまで乗ってよいですか？",
            },
        )
    assert len(mail.outbox) == 1
    detail = member_client.get(reverse("courses:question_detail", args=[question.pk]))
    assert "天板とその一段下" in detail.content.decode()
    course_html = member_client.get(course.url).content.decode()
    assert "脚立はどこまで乗ってよいですか？" in course_html
    assert member.name not in course_html.split("faq-title")[1]


def test_staff_of_another_organisation_cannot_see_the_question(member, course, other_organisation):
    from django.contrib.auth.models import Permission
    from django.test import Client

    question = services.question_ask(member=member, body="秘密の質問", course=course)
    staff = make_staff(username="other-staff", organisations=[other_organisation])
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_question", "change_question"])
    )
    admin = Client()
    admin.force_login(staff)
    assert "秘密の質問" not in admin.get("/admin/courses/questions/").content.decode()
    assert admin.get(f"/admin/courses/questions/edit/{question.pk}/").status_code == 404


# --- verification ----------------------------------------------------------------------------


def test_public_verification_shows_only_what_is_needed(client, member, course):
    enrolment, _ = services.enrolment_record_external(
        member=member, course=course, source="seminar", completed_on=member.joined_on
    )
    number = enrolment.certificate.number
    response = client.get(reverse("courses:verify"), {"number": number.lower()})
    assert response.status_code == 302
    page = client.get(response.url)
    html = page.content.decode()
    assert page.status_code == 200 and "有効" in html
    assert member.name in html and course.title in html
    assert member.email not in html and member.member_no not in html
    if member.birth_date:
        assert str(member.birth_date) not in html
    missing = client.get(reverse("courses:verify_number", args=["2026-XXXX-XXXX"]))
    assert missing.status_code == 404


def test_a_member_cannot_flood_the_office_with_questions(
    member_client, member, course, lessons, settings
):
    settings.COURSES_QUESTION_RATE = "3/h"
    url = reverse("courses:question_ask")
    for n in range(5):
        response = member_client.post(url, {"lesson": lessons[0].pk, "body": f"質問{n}"})
    assert Question.objects.filter(member=member).count() == 3
    assert response.status_code == 302 and response.url.endswith("#ask")
    page = member_client.get(response.url.split("#")[0]).content.decode()
    assert "しばらくしてから" in page
