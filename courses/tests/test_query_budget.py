"""Query budgets of the course player's hot endpoints (bench/load.py: the morning of June 1).

Each lesson page and each heartbeat (every 15 s per member) costs a small, fixed number of
queries, whatever the number of lessons, heartbeats or earlier attempts. The budgets count
the session read (the test settings keep sessions in the database).
"""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses.models import LessonProgress
from tests.factories.courses import (
    make_captions,
    make_lesson,
    make_video_media,
    post_heartbeat,
    quiz_block,
    video_block,
)

pytestmark = pytest.mark.django_db

# the page is routed from the cache (training_site/page_routing.py): the page and its course, not the
# walk down the tree from the site's root; the site menu's links are remembered (no query); the
# former-members middleware asks once whether the user is an active member (one EXISTS)
LESSON_PAGE_BUDGET = 16
# the first open also inserts the attempt and the progress row (ON CONFLICT DO NOTHING, each
# read back: 4), without get_or_create's savepoints or Wagtail's reference index (34 before);
# the first request for the path (once a day per path, not per member) also walks the tree
# from the site's root with Wagtail's routing (8); a new attempt also makes sure the member
# has a study clock (INSERT … ON CONFLICT DO NOTHING: 1); the former-members check (1); the
# site menu's links when nobody has asked for them since a page was published (2)
FIRST_OPEN_BUDGET = 29
# the session and one statement that locks and moves on the member's study clock, the lesson's
# progress and the attempt's credited total together (courses/clock.py); the user, member,
# attempt and lesson come from the study context the lesson page remembered (study_context.py).
# Elsewhere than PostgreSQL the same rule is one read and three writes in a transaction (here
# two SAVEPOINT lines: the test runs inside a transaction).
HEARTBEAT_BUDGET = 2 if connection.vendor == "postgresql" else 7


def _writes(ctx, table):
    """Statements that write ``table`` (a data-modifying WITH counts once)."""
    pattern = re.compile(rf'\b(INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE)\s+"?{table}"?\b', re.I)
    return [q["sql"] for q in ctx.captured_queries if pattern.search(q["sql"])]


@pytest.fixture
def video_lesson(course):
    """A lesson with everything a heartbeat checks: reading time, a tracked video, a quiz."""
    return make_lesson(
        course=course,
        title="熱中症",
        slug="heat",
        min_study_seconds=60,
        body=[
            video_block(media=make_video_media(duration=100.0), captions=make_captions()),
            quiz_block(),
        ],
    )


def test_heartbeat_of_a_text_lesson_is_one_write_statement(member_client, lessons):
    lesson = lessons[0]
    assert member_client.get(lesson.url).status_code == 200
    for _ in range(3):
        with CaptureQueriesContext(connection) as ctx:
            response = post_heartbeat(member_client, lesson)
        assert response.status_code == 200
        assert len(ctx) <= HEARTBEAT_BUDGET, "\n".join(q["sql"] for q in ctx.captured_queries)
        assert len(_writes(ctx, "courses_lessonprogress")) == 1  # the UPDATE … RETURNING
        assert not _writes(ctx, "django_session"), "a heartbeat never saves the session"
        assert "sessionid" not in response.cookies


def test_heartbeat_of_a_lesson_with_video_and_quiz_stays_in_budget(
    member_client, video_lesson, django_assert_max_num_queries
):
    assert member_client.get(video_lesson.url).status_code == 200
    for _ in range(2):
        # whether the quiz is passed and the video's duration are remembered too
        with django_assert_max_num_queries(HEARTBEAT_BUDGET):
            response = post_heartbeat(member_client, video_lesson)
        assert response.status_code == 200
    assert response.json()["missing"] == ["reading", "video", "quiz"]


def test_heartbeat_credits_seconds_as_before(member_client, lessons):
    lesson = lessons[0]
    member_client.get(lesson.url)
    progress = LessonProgress.objects.get(lesson=lesson)
    LessonProgress.objects.filter(pk=progress.pk).update(
        last_heartbeat_at=progress.last_heartbeat_at - datetime.timedelta(seconds=20)
    )
    assert post_heartbeat(member_client, lesson, seconds=15).json()["active_seconds"] == 15
    # no time has passed since: nothing more is credited
    assert post_heartbeat(member_client, lesson, seconds=15).json()["active_seconds"] == 15


def test_lesson_page_queries_do_not_grow_with_the_lessons_of_the_course(
    member_client, course, lessons, video_lesson
):
    def count(lesson):
        with CaptureQueriesContext(connection) as ctx:
            assert member_client.get(lesson.url).status_code == 200
        return len(ctx)

    assert count(video_lesson) <= FIRST_OPEN_BUDGET  # creates the attempt and the progress row
    few = count(video_lesson)
    for i in range(5):
        make_lesson(course=course, title=f"追加{i}", slug=f"extra-{i}", body=[quiz_block()])
    assert count(video_lesson) == few
    assert few <= LESSON_PAGE_BUDGET


def test_routing_still_finds_only_live_lessons_of_the_course(member_client, course, lessons):
    draft = make_lesson(course=course, title="下書き", slug="draft")
    draft.unpublish()
    assert member_client.get(lessons[0].url).status_code == 200
    assert member_client.get(course.url + "draft/").status_code == 404
    assert member_client.get(course.url + "no-such-lesson/").status_code == 404
    assert member_client.get(course.url + "seiri/extra/").status_code == 404


def test_other_members_signing_in_for_the_first_time_keep_heartbeats_in_budget(
    member_client, organisation, lessons, django_assert_max_num_queries
):
    from members.services import member_login_user
    from tests.factories import make_member

    lesson = lessons[0]
    newcomers = [make_member(organisation=organisation, email=f"new{n}@example.jp") for n in "123"]
    assert member_client.get(lesson.url).status_code == 200
    for newcomer in newcomers:  # on the morning of June 1, a first sign-in every few seconds
        assert member_login_user(email=newcomer.email) is not None  # creates their user
        with django_assert_max_num_queries(HEARTBEAT_BUDGET):
            assert post_heartbeat(member_client, lesson).status_code == 200
