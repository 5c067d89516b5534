import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from courses import services
from courses.models import Certificate, Enrolment, LessonProgress, QuizAttempt, StudyClock
from courses.selectors import course_progress
from courses.signals import course_completed
from tests.factories.courses import (
    correct_answers,
    make_captions,
    make_lesson,
    make_video_media,
    quiz_block,
    video_block,
)

pytestmark = pytest.mark.django_db


def rewind(progress, seconds, *fields):
    """Pretend the last heartbeat/report happened ``seconds`` ago (time passing, not mocking;
    the member's study clock included)."""
    fields = fields or ("last_heartbeat_at", "video_reported_at", "last_activity_at")
    moment = timezone.now() - datetime.timedelta(seconds=seconds)
    LessonProgress.objects.filter(pk=progress.pk).update(**{f: moment for f in fields})
    StudyClock.objects.filter(
        member__enrolments=progress.enrolment_id, credited_until__gt=moment
    ).update(credited_until=moment)


# --- attempts -------------------------------------------------------------------------------

_POLICY = {"after": None}


def policy_for_tests(*, member, course):
    return _POLICY["after"]


def test_enrolment_start_reuses_the_latest_attempt(member, course):
    first = services.enrolment_start(member=member, course=course)
    assert first.attempt == 1
    assert services.enrolment_start(member=member, course=course) == first
    assert Enrolment.objects.count() == 1


def test_a_fresh_attempt_starts_when_the_policy_says_so_and_keeps_the_old_one(
    member, course, lessons, settings
):
    settings.COURSES_ATTEMPT_STARTS_AFTER = f"{__name__}.policy_for_tests"
    first = services.enrolment_start(member=member, course=course)
    services.enrolment_record_external(
        member=member,
        course=course,
        source=Enrolment.Source.SEMINAR,
        completed_on=datetime.date(2025, 6, 20),
    )
    _POLICY["after"] = timezone.now() + datetime.timedelta(seconds=1)
    try:
        second = services.enrolment_start(member=member, course=course)
        assert second.attempt == 2 and second.completed_at is None
        # asking again within the same cycle keeps the same (second) attempt
        _POLICY["after"] = second.started_at
        assert services.enrolment_start(member=member, course=course) == second
    finally:
        _POLICY["after"] = None
    first.refresh_from_db()
    assert first.completed_at is not None, "last year's completion stays"
    progress = course_progress(member=member, courses=[course])[course.pk]
    assert progress.enrolment == second and not progress.completed


def test_an_attempt_another_tab_inserted_meanwhile_is_read_not_duplicated(member, course):
    lookup = {"member": member, "course": course, "attempt": 1}
    theirs = Enrolment.objects.create(**lookup)  # between our look and our insert
    row, created = services._insert_or_get(Enrolment, lookup, stamp="started_at")
    assert (row, created) == (theirs, False)
    second, created = services._insert_or_get(
        Enrolment, {**lookup, "attempt": 2}, stamp="started_at"
    )
    assert created and second.attempt == 2
    assert Enrolment.objects.filter(member=member, course=course).count() == 2


# --- heartbeats -------------------------------------------------------------------------------


def test_a_forged_heartbeat_cannot_claim_more_than_elapsed_time(member, course, lessons):
    lesson = lessons[0]
    enrolment = services.enrolment_start(member=member, course=course)
    progress = services.lesson_open(enrolment=enrolment, lesson=lesson)
    rewind(progress, 5, "last_heartbeat_at")
    progress = services.lesson_heartbeat(enrolment=enrolment, lesson=lesson, seconds=3600)
    assert 5 <= progress.active_seconds <= 6
    # an immediate second claim gets (almost) nothing: no time has passed
    progress = services.lesson_heartbeat(enrolment=enrolment, lesson=lesson, seconds=3600)
    assert progress.active_seconds <= 7


def test_heartbeat_credit_is_capped_after_a_long_absence(member, course, lessons, settings):
    settings.COURSES_HEARTBEAT_MAX_CREDIT = 60
    lesson = lessons[0]
    enrolment = services.enrolment_start(member=member, course=course)
    progress = services.lesson_open(enrolment=enrolment, lesson=lesson)
    rewind(progress, 3600, "last_heartbeat_at")
    progress = services.lesson_heartbeat(enrolment=enrolment, lesson=lesson, seconds=3600)
    assert progress.active_seconds == 60


def test_honest_heartbeats_count_only_what_the_client_saw(member, course, lessons):
    lesson = lessons[0]
    enrolment = services.enrolment_start(member=member, course=course)
    progress = services.lesson_open(enrolment=enrolment, lesson=lesson)
    rewind(progress, 30, "last_heartbeat_at")
    progress = services.lesson_heartbeat(enrolment=enrolment, lesson=lesson, seconds=12)
    assert progress.active_seconds == 12  # the page was hidden for the rest


def test_two_tabs_cannot_double_count(member, course, lessons):
    lesson = lessons[0]
    enrolment = services.enrolment_start(member=member, course=course)
    progress = services.lesson_open(enrolment=enrolment, lesson=lesson)
    rewind(progress, 15, "last_heartbeat_at")
    services.lesson_heartbeat(enrolment=enrolment, lesson=lesson, seconds=15)  # tab A
    services.lesson_heartbeat(enrolment=enrolment, lesson=lesson, seconds=15)  # tab B
    progress.refresh_from_db()
    assert progress.active_seconds <= 16


@pytest.mark.django_db(transaction=True)
def test_heartbeats_sent_at_the_same_moment_are_credited_once(member, course, lessons):
    """Eight tabs' heartbeats arrive together, each on its own connection (PostgreSQL)."""
    import threading

    from django.db import connections

    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent connections: runs in the PostgreSQL pass of CI")
    lesson = lessons[0]
    enrolment = services.enrolment_start(member=member, course=course)
    progress = services.lesson_open(enrolment=enrolment, lesson=lesson)
    rewind(progress, 20, "last_heartbeat_at", "last_activity_at")
    req = services.lesson_requirements(lesson)
    start = threading.Barrier(8)

    def tab():
        try:
            start.wait()
            services.study_heartbeat(
                enrolment_id=enrolment.pk, lesson_id=lesson.pk, requirements=req, seconds=15
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=tab) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    progress.refresh_from_db()
    # the first credits 15 of the 20 s; each of the rest only the moment since the one before
    # (a double count would be 30 or more)
    assert 15 <= progress.active_seconds <= 18


def test_negative_or_garbage_heartbeats_add_nothing(member, course, lessons):
    lesson = lessons[0]
    enrolment = services.enrolment_start(member=member, course=course)
    progress = services.lesson_open(enrolment=enrolment, lesson=lesson)
    rewind(progress, 30, "last_heartbeat_at")
    for claim in (-100, "abc", None):
        progress = services.lesson_heartbeat(enrolment=enrolment, lesson=lesson, seconds=claim)
    assert progress.active_seconds == 0


# --- video coverage ---------------------------------------------------------------------------


@pytest.fixture
def video_lesson(course):
    media = make_video_media(duration=100.0)
    return make_lesson(
        course=course,
        title="動画",
        slug="video",
        body=[video_block(media=media, captions=make_captions())],
    )


@pytest.fixture
def seekable_video_lesson(course):
    media = make_video_media(duration=100.0)
    return make_lesson(
        course=course,
        title="動画（スキップ可）",
        slug="video-seek",
        body=[video_block(media=media, captions=make_captions(), allow_seeking=True)],
    )


def video_id(lesson):
    return services.lesson_requirements(lesson).videos[0].block_id


def test_coverage_counts_unique_seconds_not_playback_time(member, course, video_lesson):
    enrolment = services.enrolment_start(member=member, course=course)
    progress = services.lesson_open(enrolment=enrolment, lesson=video_lesson)
    block = video_id(video_lesson)
    for _ in range(3):  # the first 30 seconds watched three times
        rewind(progress, 100, "video_reported_at")
        progress = services.lesson_video_report(
            enrolment=enrolment, lesson=video_lesson, block_id=block, played=[[0, 30]]
        )
    assert progress.video_coverage[block]["r"] == [[0, 300]]  # tenths of a second
    ratio = services.video_watched_ratio(
        progress, services.lesson_requirements(video_lesson).videos[0]
    )
    assert ratio == pytest.approx(0.30)


def test_a_forged_report_cannot_claim_the_whole_video_at_once(
    member, course, seekable_video_lesson, settings
):
    settings.COURSES_MAX_PLAYBACK_RATE = 2.0
    lesson = seekable_video_lesson
    enrolment = services.enrolment_start(member=member, course=course)
    progress = services.lesson_open(enrolment=enrolment, lesson=lesson)
    rewind(progress, 10, "video_reported_at")
    progress = services.lesson_video_report(
        enrolment=enrolment, lesson=lesson, block_id=video_id(lesson), played=[[0, 100]]
    )
    covered = sum(b - a for a, b in progress.video_coverage[video_id(lesson)]["r"]) / 10
    assert 20 <= covered <= 23  # 10 s of wall clock at most 2x speed
    assert progress.completed_at is None


def test_no_seeking_ahead_only_counts_seconds_from_the_start(member, course, video_lesson):
    enrolment = services.enrolment_start(member=member, course=course)
    progress = services.lesson_open(enrolment=enrolment, lesson=video_lesson)
    block = video_id(video_lesson)
    rewind(progress, 200, "video_reported_at")
    progress = services.lesson_video_report(
        enrolment=enrolment, lesson=video_lesson, block_id=block, played=[[0, 10], [50, 90]]
    )
    assert progress.video_coverage[block]["r"] == [[0, 100]]


def test_watching_95_percent_completes_a_video_lesson_through_the_video_path(
    member, course, video_lesson
):
    enrolment = services.enrolment_start(member=member, course=course)
    progress = services.lesson_open(enrolment=enrolment, lesson=video_lesson)
    block = video_id(video_lesson)
    rewind(progress, 100, "video_reported_at")
    # the player reports many small contiguous pieces (timeupdate every ~0.25 s)
    pieces = [[t / 4, (t + 1) / 4] for t in range(0, 4 * 94)]
    progress = services.lesson_video_report(
        enrolment=enrolment, lesson=video_lesson, block_id=block, played=pieces
    )
    assert progress.completed_at is None  # 94%
    rewind(progress, 100, "video_reported_at")
    progress = services.lesson_video_report(
        enrolment=enrolment,
        lesson=video_lesson,
        block_id=block,
        played=[[94.0, 94.3], [94.3, 95.1]],
    )
    assert progress.completed_at is not None
    assert progress.completion_path == LessonProgress.Path.VIDEO
    assert progress.completed_revision_id == video_lesson.live_revision_id


def test_transcript_path_completes_a_video_lesson_with_its_quiz(member, course):
    media = make_video_media(duration=100.0)
    lesson = make_lesson(
        course=course,
        slug="video-quiz",
        body=[video_block(media=media, captions=make_captions()), quiz_block()],
    )
    enrolment = services.enrolment_start(member=member, course=course)
    services.lesson_open(enrolment=enrolment, lesson=lesson)
    progress = services.lesson_choose_transcript(enrolment=enrolment, lesson=lesson)
    assert progress.completed_at is None, "the quiz is still required"
    attempt = services.quiz_submit(
        enrolment=enrolment,
        lesson=lesson,
        token=services.quiz_token(enrolment=enrolment, lesson=lesson),
        submitted=correct_answers(lesson),
    )
    assert attempt.passed
    progress.refresh_from_db()
    assert progress.completed_at and progress.completion_path == LessonProgress.Path.TRANSCRIPT


# --- lesson completion rules ----------------------------------------------------------------


def test_text_lesson_needs_the_explicit_button_and_the_minimum_time(member, course):
    lesson = make_lesson(course=course, slug="reading", min_study_seconds=30)
    enrolment = services.enrolment_start(member=member, course=course)
    progress = services.lesson_open(enrolment=enrolment, lesson=lesson)
    progress, status = services.lesson_try_complete(
        enrolment=enrolment, lesson=lesson, explicit=True
    )
    assert progress.completed_at is None and status.missing == ["reading"]
    assert status.reading_left == 30
    rewind(progress, 40, "last_heartbeat_at")
    services.lesson_heartbeat(enrolment=enrolment, lesson=lesson, seconds=30)
    progress.refresh_from_db()
    assert progress.completed_at is None, "reading alone does not complete without the button"
    progress, _ = services.lesson_try_complete(enrolment=enrolment, lesson=lesson, explicit=True)
    assert progress.completed_at and progress.completion_path == LessonProgress.Path.READING


def test_quiz_is_graded_on_the_server_and_a_double_submit_is_one_attempt(member, course, lessons):
    lesson = lessons[1]
    enrolment = services.enrolment_start(member=member, course=course)
    token = services.quiz_token(enrolment=enrolment, lesson=lesson)
    answers = correct_answers(lesson)
    wrong = {qid: [] for qid in answers}
    failed = services.quiz_submit(enrolment=enrolment, lesson=lesson, token=token, submitted=wrong)
    # the same form again (a double click): the same attempt
    again = services.quiz_submit(enrolment=enrolment, lesson=lesson, token=token, submitted=wrong)
    assert failed == again and not again.passed and again.score == 0
    # the same form with other answers (Back, answered again): refused, never graded silently
    with pytest.raises(services.QuizResubmitted) as refused:
        services.quiz_submit(enrolment=enrolment, lesson=lesson, token=token, submitted=answers)
    assert refused.value.attempt == failed
    assert QuizAttempt.objects.filter(enrolment=enrolment).count() == 1
    token2 = services.quiz_token(enrolment=enrolment, lesson=lesson)
    first_q = next(iter(answers))
    half = {first_q: answers[first_q]}
    attempt = services.quiz_submit(enrolment=enrolment, lesson=lesson, token=token2, submitted=half)
    assert attempt.score == 50 and not attempt.passed
    assert attempt.answers[first_q] == answers[first_q]


def test_multiple_choice_needs_exactly_the_correct_set(member, course, lessons):
    lesson = lessons[1]
    enrolment = services.enrolment_start(member=member, course=course)
    answers = correct_answers(lesson)
    qid = [k for k, v in answers.items() if len(v) > 1][0]
    req = services.lesson_requirements(lesson)
    all_choices = [
        str(c.id)
        for q in req.quiz["questions"].bound_blocks
        if str(q.id) == qid
        for c in q.value["choices"].bound_blocks
    ]
    attempt = services.quiz_submit(
        enrolment=enrolment,
        lesson=lesson,
        token=services.quiz_token(enrolment=enrolment, lesson=lesson),
        submitted={**answers, qid: all_choices},  # ticking everything is not right
    )
    assert attempt.score == 50


def test_a_token_for_another_quiz_or_member_is_refused(member, course, lessons, organisation):
    from tests.factories import make_member

    other = make_member(organisation=organisation)
    mine = services.enrolment_start(member=member, course=course)
    theirs = services.enrolment_start(member=other, course=course)
    token = services.quiz_token(enrolment=theirs, lesson=lessons[1])
    with pytest.raises(services.QuizError):
        services.quiz_submit(enrolment=mine, lesson=lessons[1], token=token, submitted={})
    with pytest.raises(services.QuizError):
        services.quiz_submit(enrolment=mine, lesson=lessons[1], token="forged", submitted={})


# --- course completion ------------------------------------------------------------------------


def complete_all(member, course, lessons):
    enrolment = services.enrolment_start(member=member, course=course)
    for lesson in lessons:
        services.lesson_open(enrolment=enrolment, lesson=lesson)
        if services.lesson_requirements(lesson).quiz is not None:
            services.quiz_submit(
                enrolment=enrolment,
                lesson=lesson,
                token=services.quiz_token(enrolment=enrolment, lesson=lesson),
                submitted=correct_answers(lesson),
            )
        else:
            services.lesson_try_complete(enrolment=enrolment, lesson=lesson, explicit=True)
    enrolment.refresh_from_db()
    return enrolment


def test_course_completes_with_its_required_lessons_stores_revision_and_issues_a_certificate(
    member, course, lessons, django_capture_on_commit_callbacks
):
    optional = make_lesson(course=course, slug="optional", is_required=False)
    received = []
    course_completed.connect(
        lambda sender, enrolment, **kw: received.append(enrolment.pk), weak=False, dispatch_uid="t1"
    )
    try:
        with django_capture_on_commit_callbacks(execute=True):
            enrolment = complete_all(member, course, lessons)
    finally:
        course_completed.disconnect(dispatch_uid="t1")
    assert enrolment.completed_at is not None
    assert enrolment.source == Enrolment.Source.ELEARNING
    assert enrolment.completed_revision_id == course.live_revision_id
    assert received == [enrolment.pk]
    certificate = Certificate.objects.get(enrolment=enrolment)
    assert certificate.member_name == member.name and certificate.course_title == course.title
    assert not LessonProgress.objects.filter(lesson=optional).exists()
    progress = course_progress(member=member, courses=[course])[course.pk]
    assert progress.completed and progress.percent == 100 and progress.required_lessons == 2


def test_later_edits_never_erase_a_completion(member, course, lessons):
    enrolment = complete_all(member, course, lessons)
    completed_at, revision = enrolment.completed_at, enrolment.completed_revision_id
    make_lesson(course=course, slug="added-later")  # a new required lesson
    course.title = "改訂版"
    course.save_revision().publish()
    enrolment.refresh_from_db()
    assert enrolment.completed_at == completed_at and enrolment.completed_revision_id == revision
    progress = LessonProgress.objects.get(enrolment=enrolment, lesson=lessons[0])
    assert progress.completed_revision_id == lessons[0].live_revision_id


def test_final_quiz_is_required_and_uses_the_course_pass_mark(member, index):
    from tests.factories.courses import make_course_page, quiz_value

    final = quiz_value()
    final.pop("pass_mark")
    course = make_course_page(index=index, slug="final", final_quiz=final, pass_mark=100)
    lesson = make_lesson(course=course, slug="only")
    enrolment = services.enrolment_start(member=member, course=course)
    services.lesson_try_complete(enrolment=enrolment, lesson=lesson, explicit=True)
    enrolment.refresh_from_db()
    assert enrolment.completed_at is None
    assert services.course_missing(enrolment=enrolment) == {
        "lessons": [],
        "final_quiz": True,
        "time_left": 0,
    }
    answers = correct_answers(course.final_quiz[0].value)
    first = next(iter(answers))
    half = services.quiz_submit(
        enrolment=enrolment,
        token=services.quiz_token(enrolment=enrolment),
        submitted={first: answers[first]},
    )
    assert half.score == 50 and not half.passed  # course pass mark is 100
    passed = services.quiz_submit(
        enrolment=enrolment, token=services.quiz_token(enrolment=enrolment), submitted=answers
    )
    assert passed.passed and passed.lesson is None
    enrolment.refresh_from_db()
    assert enrolment.completed_at is not None


def test_course_progress_runs_a_fixed_number_of_queries(member, index):
    from tests.factories.courses import make_course_page

    courses = []
    for n in range(4):
        c = make_course_page(index=index, slug=f"c{n}")
        for i in range(n + 1):
            make_lesson(course=c, slug=f"c{n}-l{i}")
        services.enrolment_start(member=member, course=c)
        courses.append(c)
    with CaptureQueriesContext(connection) as few:
        result = course_progress(member=member, courses=courses[:1])
    with CaptureQueriesContext(connection) as many:
        result = course_progress(member=member, courses=courses)
    assert len(few) == len(many) == 3
    assert [result[c.pk].required_lessons for c in courses] == [1, 2, 3, 4]


# --- external completion -------------------------------------------------------------------


def test_external_completion_is_recorded_once(member, course, django_capture_on_commit_callbacks):
    from tests.factories import make_staff

    staff = make_staff(organisations=[member.organisation])
    kwargs = dict(
        member=member,
        course=course,
        source=Enrolment.Source.SEMINAR,
        completed_on=datetime.date(2026, 6, 12),
        evidence_note="オンラインセミナー 出席簿",
        user=staff,
    )
    with django_capture_on_commit_callbacks(execute=True):
        enrolment, created = services.enrolment_record_external(**kwargs)
    assert created and enrolment.recorded_by == staff and enrolment.source == "seminar"
    assert timezone.localtime(enrolment.completed_at).date() == datetime.date(2026, 6, 12)
    assert enrolment.started_at <= enrolment.completed_at
    again, created = services.enrolment_record_external(**kwargs)
    assert again == enrolment and not created
    assert Enrolment.objects.count() == 1
    assert Certificate.objects.filter(enrolment=enrolment).count() == 1
