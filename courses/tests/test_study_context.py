"""Heartbeats rely on the study context remembered when the lesson was opened
(courses/study_context.py). These tests prove a remembered context never outlives what it
was worked out from: whatever changes, the next heartbeat answers as if worked out afresh."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.db.models import F
from django.urls import reverse

from courses.models import Enrolment, LessonProgress, StudyClock
from courses.tests.conftest import login_member
from tests.factories import make_member
from tests.factories.courses import correct_answers, make_lesson, post_heartbeat, quiz_block
from tests.factories.lms import make_campaign, make_requirement
from tests.factories.members import import_roster_fixture

pytestmark = pytest.mark.django_db

D = datetime.date
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


def _rewind(lesson, seconds):
    """Pretend the last heartbeat was ``seconds`` ago (time passing, also on the members'
    study clocks)."""
    for progress in LessonProgress.objects.filter(lesson=lesson):
        earlier = progress.last_heartbeat_at - datetime.timedelta(seconds=seconds)
        LessonProgress.objects.filter(pk=progress.pk).update(
            last_heartbeat_at=earlier, last_activity_at=earlier
        )
        StudyClock.objects.filter(
            member__enrolments=progress.enrolment_id, credited_until__isnull=False
        ).update(credited_until=F("credited_until") - datetime.timedelta(seconds=seconds))


def test_a_member_withdrawn_by_the_roster_import_stops_counting_at_once(
    client, organisation, lessons, django_capture_on_commit_callbacks
):
    import_roster_fixture(organisation=organisation, name="month_05.csv", as_of=D(2026, 5, 10))
    member = organisation.members.get(member_no="M003")
    login_member(client, member)
    assert client.get(lessons[0].url).status_code == 200
    assert post_heartbeat(client, lessons[0]).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):  # the import commits
        import_roster_fixture(organisation=organisation, name="month_06.csv", as_of=D(2026, 6, 10))
    before = LessonProgress.objects.get(lesson=lessons[0]).last_heartbeat_at
    assert post_heartbeat(client, lessons[0]).status_code == 404
    assert LessonProgress.objects.get(lesson=lessons[0]).last_heartbeat_at == before


def test_a_withdrawal_dated_tomorrow_stops_counting_at_midnight(client, organisation, lessons):
    member = make_member(organisation=organisation, withdrawn_on=D(2026, 6, 16))
    login_member(client, member)
    with time_machine.travel(datetime.datetime(2026, 6, 15, 23, 58, tzinfo=TOKYO), tick=False):
        assert client.get(lessons[0].url).status_code == 200
        assert post_heartbeat(client, lessons[0]).status_code == 200
    # two minutes later, nothing saved in between: the remembered context was of yesterday
    with time_machine.travel(datetime.datetime(2026, 6, 16, 0, 0, 30, tzinfo=TOKYO), tick=False):
        assert post_heartbeat(client, lessons[0]).status_code == 404


def test_an_unpublished_lesson_stops_counting(member_client, lessons):
    assert member_client.get(lessons[0].url).status_code == 200
    assert post_heartbeat(member_client, lessons[0]).status_code == 200
    lessons[0].unpublish()
    assert post_heartbeat(member_client, lessons[0]).status_code == 404


def test_a_new_cycle_moves_the_heartbeats_to_a_fresh_attempt(
    member_client, member, organisation, course, lessons, django_capture_on_commit_callbacks
):
    from lms.services import assignments_refresh

    with time_machine.travel(datetime.datetime(2026, 6, 2, 9, 0, tzinfo=TOKYO), tick=False):
        Enrolment.objects.create(member=member, course=course, attempt=1)  # began last year
        Enrolment.objects.filter(attempt=1).update(
            started_at=datetime.datetime(2025, 6, 20, tzinfo=TOKYO)
        )
        member_client.get(lessons[0].url)  # the lesson is open before the campaign is set up
        assert post_heartbeat(member_client, lessons[0]).status_code == 200
        campaign = make_campaign(organisation=organisation, opens_on=D(2026, 6, 1))
        make_requirement(campaign=campaign, courses=[course])
        with django_capture_on_commit_callbacks(execute=True):
            assignments_refresh(organisation=organisation)
        _rewind(lessons[0], 20)
        assert post_heartbeat(member_client, lessons[0], seconds=15).status_code == 200
    fresh = Enrolment.objects.get(member=member, course=course, attempt=2)
    assert LessonProgress.objects.get(enrolment=fresh, lesson=lessons[0]).last_heartbeat_at


def test_after_the_quiz_is_passed_heartbeats_no_longer_ask_for_it(member_client, course):
    lesson = make_lesson(
        course=course, slug="quiz-and-reading", min_study_seconds=30, body=[quiz_block()]
    )
    html = member_client.get(lesson.url).content.decode()
    assert post_heartbeat(member_client, lesson).json()["missing"] == ["reading", "quiz"]

    token = html.split('name="token" value="')[1].split('"')[0]
    answers = {"token": token}
    for qid, choices in correct_answers(lesson).items():
        answers[f"q-{qid}"] = choices
    member_client.post(reverse("courses:lesson_quiz", args=[lesson.pk]), answers)
    # no page load in between: the heartbeat alone must know the quiz is passed
    assert post_heartbeat(member_client, lesson).json()["missing"] == ["reading"]
    _rewind(lesson, 40)
    data = post_heartbeat(member_client, lesson, seconds=40).json()
    assert data["completed"] is True and data["missing"] == []


def test_each_member_studies_in_their_own_attempt(client, organisation, lessons):
    first = make_member(organisation=organisation, member_no="A1")
    second = make_member(organisation=organisation, member_no="A2")
    for member in (first, second):
        client.logout()
        login_member(client, member)
        client.get(lessons[0].url)
        _rewind(lessons[0], 20)
        assert post_heartbeat(client, lessons[0], seconds=10).json()["active_seconds"] == 10
    seconds = dict(
        LessonProgress.objects.filter(lesson=lessons[0]).values_list(
            "enrolment__member__member_no", "active_seconds"
        )
    )
    assert seconds == {"A1": 10, "A2": 10}


@pytest.mark.parametrize("change", ["deactivated", "password changed", "signed out"])
def test_a_user_who_may_no_longer_sign_in_stops_counting(member_client, member, lessons, change):
    assert member_client.get(lessons[0].url).status_code == 200
    assert post_heartbeat(member_client, lessons[0]).status_code == 200
    user = member.user
    if change == "deactivated":
        user.is_active = False
        user.save()
    elif change == "password changed":  # Django signs out every session of the user
        user.set_password("a-new-password-0123")
        user.save()
    else:
        member_client.post(reverse("account_logout"))
    assert post_heartbeat(member_client, lessons[0]).status_code == 404
