"""One study clock per member (courses/clock.py): the time credited over any interval never
exceeds its wall-clock length, whatever the number of tabs, lessons and courses; an honest
member studying in one tab gets all of it."""

import datetime
import random

import pytest
import time_machine
from django.utils import timezone

from courses import services
from courses.clock import study_clock_credit
from courses.models import Enrolment, LessonProgress, StudyClock
from tests.factories.courses import make_course_page, make_lesson

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 6, 1, 10, 0, tzinfo=datetime.UTC)


def _open(member, lesson, course):
    enrolment = services.enrolment_start(member=member, course=course)
    services.lesson_open(enrolment=enrolment, lesson=lesson)
    return enrolment


def _credit(enrolment, lesson, seconds):
    return study_clock_credit(enrolment_id=enrolment.pk, lesson_id=lesson.pk, seconds=seconds)


@pytest.fixture
def three_tabs(member, index):
    """Three lessons of two courses, each open in its own tab at T0."""
    first = make_course_page(index=index, slug="c1")
    second = make_course_page(index=index, slug="c2")
    lessons = [
        (make_lesson(course=first, slug="a"), first),
        (make_lesson(course=first, slug="b"), first),
        (make_lesson(course=second, slug="c"), second),
    ]
    with time_machine.travel(T0, tick=False) as traveller:
        tabs = [(_open(member, lesson, course), lesson) for lesson, course in lessons]
        yield traveller, tabs


def test_three_tabs_earn_one_minute_in_one_minute(three_tabs):
    traveller, tabs = three_tabs
    traveller.move_to(T0 + datetime.timedelta(seconds=61))
    credited = [_credit(enrolment, lesson, 60).credited_now for enrolment, lesson in tabs]
    assert credited == [60, 0, 0]
    assert sum(LessonProgress.objects.values_list("active_seconds", flat=True)) == 60
    # each attempt's total is the sum of its lessons
    for enrolment in Enrolment.objects.all():
        assert enrolment.credited_seconds == sum(
            enrolment.lesson_progress.values_list("active_seconds", flat=True)
        )


def test_a_second_tab_keeps_its_page_alive_but_adds_nothing(three_tabs):
    """A script in tab B claims a full minute every minute, half a minute after tab A does:
    the two tabs share one clock."""
    traveller, tabs = three_tabs
    (enrolment_a, lesson_a), (enrolment_b, lesson_b), _ = tabs
    for minute in range(1, 11):
        traveller.move_to(T0 + datetime.timedelta(seconds=60 * minute))
        a = _credit(enrolment_a, lesson_a, 60).credited_now
        traveller.move_to(T0 + datetime.timedelta(seconds=60 * minute + 30))
        b = _credit(enrolment_b, lesson_b, 60).credited_now
        assert a + b <= 60 if minute > 1 else a + b <= 90
    total = sum(LessonProgress.objects.values_list("active_seconds", flat=True))
    assert total == 10 * 60 + 30  # the wall clock from T0 to the last heartbeat, once


def test_honest_heartbeats_are_credited_exactly_to_the_second(member, course):
    """One tab, visible all along, a heartbeat every 60.3 s (timers drift): fractions of a
    second are carried over, not lost at every heartbeat."""
    lesson = make_lesson(course=course, slug="honest")
    with time_machine.travel(T0, tick=False) as traveller:
        enrolment = _open(member, lesson, course)
        for n in range(1, 31):
            traveller.move_to(T0 + datetime.timedelta(seconds=60.3 * n))
            progress = _credit(enrolment, lesson, 60.3)
    elapsed = 60.3 * 30
    assert elapsed - 2 <= progress.active_seconds <= elapsed


@pytest.mark.parametrize("seed", range(6))
def test_no_interval_is_credited_more_than_its_wall_clock(three_tabs, seed):
    """Random heartbeats of three tabs (random gaps, random claims, some forged): every credit
    is the interval that ends at the member's clock after it, and these never overlap."""
    traveller, tabs = three_tabs
    rng = random.Random(seed)
    now = T0
    clock_end = None  # where the previous credit's interval ended
    total = 0
    for _ in range(60):
        now += datetime.timedelta(seconds=rng.choice([0, 0.4, 1, 7.5, 15, 30, 61, 200]))
        traveller.move_to(now)
        enrolment, lesson = rng.choice(tabs)
        claimed = rng.choice([0, 5, 15, 60, 3600, "garbage", -10])
        progress = _credit(enrolment, lesson, claimed)
        after = StudyClock.objects.get(member=enrolment.member_id).credited_until
        assert after <= timezone.now()
        if progress.credited_now:
            start = after - datetime.timedelta(seconds=progress.credited_now)
            assert clock_end is None or start >= clock_end, "two credits overlap"
            clock_end = after
        total += progress.credited_now
    assert total <= (now - T0).total_seconds()
    assert total == sum(LessonProgress.objects.values_list("active_seconds", flat=True))
    assert total == sum(Enrolment.objects.values_list("credited_seconds", flat=True))


def test_the_clock_is_per_member(three_tabs, organisation):
    """Another member studying at the same moment is not held back."""
    from tests.factories import make_member

    traveller, tabs = three_tabs
    enrolment, lesson = tabs[0]
    other = make_member(organisation=organisation, member_no="000002", email="b@example.jp")
    course = lesson.get_parent().specific
    other_enrolment = _open(other, lesson, course)
    traveller.move_to(T0 + datetime.timedelta(seconds=30))
    assert _credit(enrolment, lesson, 30).credited_now == 30
    assert _credit(other_enrolment, lesson, 30).credited_now == 30
