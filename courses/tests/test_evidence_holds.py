"""The evidence holds: the determined member of issue 15 cannot complete a 約30分 course in a
minute, and an honest member studying at a normal pace completes it.

Both go through the player's endpoints as the browser does (the page, heartbeats, video
reports, the quiz and completion forms), with the wall clock moved by time-machine.
"""

import datetime
import json
import re

import pytest
import time_machine
from django.urls import reverse

from courses.blocks import QuizBlock
from courses.models import Certificate, Enrolment, LessonProgress, QuizAttempt
from courses.services import lesson_requirements
from courses.tests.conftest import login_member
from tests.factories.courses import (
    correct_answers,
    make_captions,
    make_course_page,
    make_lesson,
    make_video_media,
    quiz_value,
    video_block,
)

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 6, 1, 1, 0, tzinfo=datetime.UTC)  # 10:00 in Tokyo

# about 4,000 characters of reading (8 minutes at 500 a minute) and 2,500 (5 minutes)
LONG_TEXT = (
    "<p>" + "足場の点検は作業開始前に必ず行い、手すりと中さんの状態を確かめます。" * 125 + "</p>"
)
SHORT_TEXT = "<p>" + "熱中症を防ぐには、こまめな水分と塩分の補給が欠かせません。" * 90 + "</p>"


def _real_quiz(**overrides):
    """A quiz with the block's own defaults (answers after passing, 3 a day, a minute's wait)."""
    defaults = QuizBlock().get_default()
    return quiz_value(
        show_answers=defaults["show_answers"],
        attempts_per_day=defaults["attempts_per_day"],
        cooldown_seconds=defaults["cooldown_seconds"],
        **overrides,
    )


@pytest.fixture
def thirty_minute_course(index):
    """約30分: two reading lessons and a 9-minute video lesson with its quiz; minimum times from
    the content (no editor override)."""
    course = make_course_page(
        index=index, slug="saigai", estimated_minutes=30, final_quiz=_real_quiz()
    )
    reading = make_lesson(
        course=course,
        slug="ashiba",
        body=[{"type": "text", "value": LONG_TEXT}],
        min_study_seconds=None,
    )
    video = make_lesson(
        course=course,
        slug="nechusho",
        body=[
            video_block(media=make_video_media(duration=540.0), captions=make_captions()),
            {"type": "quiz", "value": _real_quiz(), "id": "b7d0c5a4-0000-4000-8000-000000000001"},
        ],
        min_study_seconds=None,
    )
    short = make_lesson(
        course=course,
        slug="suibun",
        body=[{"type": "text", "value": SHORT_TEXT}],
        min_study_seconds=None,
    )
    return course, [reading, video, short]


def _heartbeat(client, lesson, seconds):
    return client.post(
        reverse("courses:heartbeat", args=[lesson.pk]),
        json.dumps({"seconds": seconds}),
        content_type="application/json",
    ).json()


def _quiz_form(client, url):
    html = client.get(url).content.decode()
    form = html.split('class="quiz-form"')[1].split("</form>")[0]
    token = re.search(r'name="token" value="([^"]+)"', form).group(1)
    return token, html


def test_the_determined_member_cannot_complete_in_a_minute(client, member, thirty_minute_course):
    course, (reading, video, short) = thirty_minute_course
    login_member(client, member)
    with time_machine.travel(START, tick=False) as clock:
        # three lessons in three tabs
        for lesson in (reading, video, short):
            assert client.get(lesson.url).status_code == 200
        clock.shift(61)
        credited = [
            _heartbeat(client, lesson, 60)["active_seconds"] for lesson in (reading, video, short)
        ]
        assert sum(credited) <= 61, "three tabs share one study clock"

        # a blank submission of the video lesson's quiz: the score only, no correct answers
        token, _ = _quiz_form(client, video.url)
        blank = client.post(reverse("courses:lesson_quiz", args=[video.pk]), {"token": token})
        result = client.get(blank.url).content.decode()
        grader = correct_answers(video)
        for choice_ids in grader.values():
            for choice_id in choice_ids:
                assert choice_id not in result.split('id="quiz-result"')[1].split("</div>")[0]
        assert "自力で飲めないのは重症のサインです" not in result  # nor the explanations
        # the answers "harvested" elsewhere, sent 0.3 s later: refused, the wait is a minute
        clock.shift(0.3)
        token, _ = _quiz_form(client, video.url)
        answers = {f"q-{qid}": ids for qid, ids in grader.items()}
        client.post(reverse("courses:lesson_quiz", args=[video.pk]), {"token": token, **answers})
        assert not QuizAttempt.objects.filter(lesson=video, passed=True).exists()

        # the transcript path at once, and 学習を完了する everywhere
        client.post(reverse("courses:transcript", args=[video.pk]))
        for lesson in (reading, short):
            response = client.post(reverse("courses:lesson_complete", args=[lesson.pk]))
            page = client.get(response.url).content.decode()
            assert "このページの学習を続けてください" in page.split('class="complete-form"')[1]

        # after the wait, the right answers pass the quiz, and the final quiz too
        clock.shift(61)
        token, _ = _quiz_form(client, video.url)
        client.post(reverse("courses:lesson_quiz", args=[video.pk]), {"token": token, **answers})
        assert QuizAttempt.objects.filter(lesson=video, passed=True).exists()
        for lesson in (reading, video, short):
            _heartbeat(client, lesson, 60)

    enrolment = Enrolment.objects.get(member=member, course=course)
    assert enrolment.credited_seconds <= 61 + 61 + 1  # never more than the wall clock
    assert enrolment.completed_at is None
    assert not Certificate.objects.exists()
    progress = {p.lesson_id: p for p in LessonProgress.objects.filter(enrolment=enrolment)}
    assert progress[video.pk].completed_at is None, "the transcript needs reading time"
    assert progress[reading.pk].completed_at is None and progress[short.pk].completed_at is None


def test_an_honest_member_at_a_normal_pace_completes(client, member, thirty_minute_course):
    course, (reading, video, short) = thirty_minute_course
    login_member(client, member)
    minimums = {
        lesson.pk: lesson_requirements(lesson).minimum for lesson in (reading, video, short)
    }
    assert minimums[reading.pk].reading_seconds >= 7 * 60  # the content sets the minimum
    assert minimums[video.pk].video_seconds == 540

    with time_machine.travel(START, tick=False) as clock:
        # lesson 1: read it, a heartbeat a minute, then 学習を完了する
        client.get(reading.url)
        for _ in range(minimums[reading.pk].video_path_seconds // 60 + 1):
            clock.shift(60)
            _heartbeat(client, reading, 60)
        client.post(reverse("courses:lesson_complete", args=[reading.pk]))

        # lesson 2: watch the video through, a minute at a time, then pass the quiz
        client.get(video.url)
        block = lesson_requirements(video).videos[0].block_id
        for minute in range(10):
            clock.shift(60)
            _heartbeat(client, video, 60)
            client.post(
                reverse("courses:video_report", args=[video.pk]),
                json.dumps({"block": block, "played": [[minute * 60, min(540, minute * 60 + 60)]]}),
                content_type="application/json",
            )
        clock.shift(30)
        _heartbeat(client, video, 30)  # answering the quiz
        token, _ = _quiz_form(client, video.url)
        answers = {f"q-{qid}": ids for qid, ids in correct_answers(video).items()}
        client.post(reverse("courses:lesson_quiz", args=[video.pk]), {"token": token, **answers})

        # lesson 3
        client.get(short.url)
        for _ in range(minimums[short.pk].video_path_seconds // 60 + 1):
            clock.shift(60)
            _heartbeat(client, short, 60)
        client.post(reverse("courses:lesson_complete", args=[short.pk]))

        # the final quiz
        token, _ = _quiz_form(client, course.url)
        final = {
            f"q-{qid}": ids for qid, ids in correct_answers(course.final_quiz[0].value).items()
        }
        response = client.post(
            reverse("courses:final_quiz", args=[course.pk]), {"token": token, **final}
        )
        page = client.get(response.url).content.decode()

    enrolment = Enrolment.objects.get(member=member, course=course)
    assert enrolment.completed_at is not None, page
    assert enrolment.credited_seconds >= 24 * 60  # 80% of 30 minutes
    assert Certificate.objects.filter(enrolment=enrolment).exists()
    paths = dict(
        LessonProgress.objects.filter(enrolment=enrolment).values_list(
            "lesson_id", "completion_path"
        )
    )
    assert paths == {reading.pk: "reading", video.pk: "video", short.pk: "reading"}


def test_time_on_a_completed_course_page_waits_for_the_time(client, member, thirty_minute_course):
    """All lessons done before the course's time is reached: the course page says how much
    study time is still needed, and studying a lesson again completes the course live."""
    course, (reading, video, short) = thirty_minute_course
    for lesson in (reading, video, short):
        lesson.min_study_seconds = 0
        lesson.save_revision().publish()
    course.final_quiz = []
    course.save_revision().publish()
    login_member(client, member)
    with time_machine.travel(START, tick=False) as clock:
        for lesson in (reading, short):
            client.get(lesson.url)
            client.post(reverse("courses:lesson_complete", args=[lesson.pk]))
        client.get(video.url)
        client.post(reverse("courses:transcript", args=[video.pk]))
        token, _ = _quiz_form(client, video.url)
        answers = {f"q-{qid}": ids for qid, ids in correct_answers(video).items()}
        client.post(reverse("courses:lesson_quiz", args=[video.pk]), {"token": token, **answers})
        page = client.get(course.url).content.decode()
        assert 'data-testid="course-time-left"' in page and "24分" in page
        assert not Enrolment.objects.get(member=member).completed_at
        client.get(reading.url)
        data = {}
        for _ in range(24):
            clock.shift(60)
            data = _heartbeat(client, reading, 60)
    assert data["course_completed"] is True and data["course_left"] == 0
    assert Certificate.objects.filter(enrolment__member=member).exists()
