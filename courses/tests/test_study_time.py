"""Minimum times that mean something (courses/study_time.py): a lesson's minimum from its
content (reading speed setting + video length), the editor's override, the transcript path in
proportion to the video, and the course's required share of its stated duration."""

import pytest
from django.urls import reverse

from courses import services
from courses.study_time import body_characters, course_required_seconds
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

TEXT = "<p>" + "あ" * 1000 + "</p>"  # 1,000 characters to read


def test_characters_are_what_a_reader_reads():
    body = [
        {"type": "heading", "value": "見出し"},
        {"type": "text", "value": "<p>整理 &amp; 整頓</p>\n<ul><li>一</li></ul>"},
        {"type": "callout", "value": {"kind": "point", "title": "注意", "text": "<p>足元</p>"}},
        {
            "type": "video",
            "value": {"title": "動画", "media": 3, "transcript": "<p>長い書き起こし</p>"},
        },
        {
            "type": "video",
            "value": {"title": "埋込", "media": None, "transcript": "<p>書き起こし</p>"},
        },
    ]
    # 見出し(3) 整理&整頓一(6) 注意足元(4) 動画(2; its transcript is counted by the video's
    # length instead) 埋込書き起こし(7: an embed's length is not known, its transcript is read)
    assert body_characters(body) == 3 + 6 + 4 + 2 + 7


def test_a_lesson_s_minimum_comes_from_its_content(course, settings):
    settings.COURSES_READING_CHARS_PER_MINUTE = 500
    lesson = make_lesson(
        course=course,
        slug="content",
        min_study_seconds=None,
        body=[
            {"type": "text", "value": TEXT},
            video_block(media=make_video_media(duration=300.0), captions=make_captions()),
        ],
    )
    minimum = services.lesson_requirements(lesson).minimum
    assert minimum.reading_seconds == 120 + 1  # 1,000 characters + the video's title
    assert minimum.video_seconds == 300
    assert minimum.video_path_seconds == 421
    # the transcript takes half the video's length by default
    assert minimum.transcript_path_seconds == 121 + 150
    settings.COURSES_READING_CHARS_PER_MINUTE = 250
    settings.COURSES_TRANSCRIPT_TIME_SHARE = 1.0
    minimum = services.lesson_requirements(lesson).minimum
    assert minimum.video_path_seconds == 241 + 300
    assert minimum.transcript_path_seconds == 241 + 300


def test_the_editor_may_raise_or_lower_it(course):
    body = [
        {"type": "text", "value": TEXT},
        video_block(media=make_video_media(duration=300.0), captions=make_captions()),
    ]
    raised = make_lesson(course=course, slug="raised", body=body, min_study_seconds=900)
    lowered = make_lesson(course=course, slug="lowered", body=body, min_study_seconds=0)
    assert services.lesson_requirements(raised).minimum.video_path_seconds == 900
    # the transcript path keeps the same proportion to the video path
    assert (
        services.lesson_requirements(raised).minimum.transcript_path_seconds == 900 * 271 // 421 + 1
    )
    assert services.lesson_requirements(lowered).minimum.video_path_seconds == 0
    assert services.lesson_requirements(lowered).minimum.transcript_path_seconds == 0


def test_the_transcript_path_needs_reading_time_in_proportion_to_the_video(member, course):
    lesson = make_lesson(
        course=course,
        slug="transcript",
        min_study_seconds=None,
        body=[video_block(media=make_video_media(duration=600.0), captions=make_captions())],
    )
    enrolment = services.enrolment_start(member=member, course=course)
    services.lesson_open(enrolment=enrolment, lesson=lesson)
    progress = services.lesson_choose_transcript(enrolment=enrolment, lesson=lesson)
    status = services.lesson_status(lesson=lesson, progress=progress, quiz_passed=False)
    assert progress.completed_at is None
    assert status.missing == ["reading"] and status.min_seconds >= 300


def test_a_course_completes_at_its_share_of_the_stated_duration(index, settings):
    course = make_course_page(index=index, slug="timed", estimated_minutes=30)
    assert course_required_seconds(course) == 24 * 60
    settings.COURSES_REQUIRED_TIME_SHARE = 1.0
    assert course_required_seconds(course) == 30 * 60
    course.estimated_minutes = 0
    assert course_required_seconds(course) == 0


def test_a_course_short_of_time_is_not_complete_until_the_time_is_reached(member, index):
    from courses.models import Enrolment

    course = make_course_page(index=index, slug="short", estimated_minutes=10)
    lesson = make_lesson(course=course, slug="only", body=[quiz_block()])
    enrolment = services.enrolment_start(member=member, course=course)
    services.quiz_submit(
        enrolment=enrolment,
        lesson=lesson,
        token=services.quiz_token(enrolment=enrolment, lesson=lesson),
        submitted=correct_answers(lesson),
    )
    enrolment.refresh_from_db()
    assert enrolment.completed_at is None
    assert services.course_missing(enrolment=enrolment)["time_left"] == 8 * 60
    Enrolment.objects.filter(pk=enrolment.pk).update(credited_seconds=8 * 60)
    assert services.enrolment_try_complete(enrolment=enrolment)


def test_editors_see_the_minimum_from_the_content_and_the_course_s_total(
    client, django_user_model, course
):
    lesson = make_lesson(
        course=course, slug="panel", min_study_seconds=None, body=[{"type": "text", "value": TEXT}]
    )
    client.force_login(django_user_model.objects.create_superuser("ed", "ed@example.jp", "pw"))
    html = client.get(reverse("wagtailadmin_pages:edit", args=[lesson.pk])).content.decode()
    assert "保存した内容から：文章 2分（1000文字）" in html
    html = client.get(reverse("wagtailadmin_pages:edit", args=[course.pk])).content.decode()
    assert "必須レッスン1件の最低学習時間の合計は2分です" in html
