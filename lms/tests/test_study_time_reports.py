"""Staff reports flag completions with less credited time than the course asks for, and show
the credited time per lesson (issue 15: "Staff reports flag fast completions")."""

import csv
import datetime
import io

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from courses import services
from courses.models import Enrolment, LessonProgress
from tests.factories import make_member, make_staff
from tests.factories.courses import make_course_index, make_course_page, make_lesson
from tests.factories.lms import complete_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, organisation):
    user = make_staff(username="office", organisations=[organisation])
    user.groups.first().permissions.add(*Permission.objects.filter(content_type__app_label="lms"))
    client.force_login(user)
    return client


@pytest.fixture
def two_completions(organisation):
    """A 30-minute course: one member studied 25 minutes online, the other attended a seminar
    (recorded by staff: no credited time)."""
    course = make_course_page(index=make_course_index(), slug="timed", estimated_minutes=30)
    lessons = [make_lesson(course=course, slug=f"l{n}") for n in (1, 2)]
    online = make_member(organisation=organisation, member_no="T001", name="学習　一郎")
    seminar = make_member(organisation=organisation, member_no="T002", name="集合　二郎")
    enrolment = services.enrolment_start(member=online, course=course)
    for lesson, seconds in zip(lessons, (900, 600), strict=True):
        services.lesson_open(enrolment=enrolment, lesson=lesson)
        LessonProgress.objects.filter(enrolment=enrolment, lesson=lesson).update(
            active_seconds=seconds
        )
    Enrolment.objects.filter(pk=enrolment.pk).update(credited_seconds=1500)
    for lesson in lessons:
        services.lesson_try_complete(enrolment=enrolment, lesson=lesson, explicit=True)
    enrolment.refresh_from_db()
    assert enrolment.completed_at
    complete_course(member=seminar, course=course, on=datetime.date(2026, 6, 20))
    return online, seminar, lessons


def test_the_learners_list_flags_completions_under_the_course_s_time(staff_client, two_completions):
    response = staff_client.get(reverse("lms_reports:learners"), {"export": "csv"})
    rows = list(
        csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")))
    )
    by_number = {row["加入者番号"]: row for row in rows}
    flag = "研修の所要時間より短い修了"
    assert by_number["T001"][flag] == "" and by_number["T001"]["学習時間（分）"] == "25"
    assert by_number["T002"][flag] == "はい" and by_number["T002"]["学習時間（分）"] == "0"
    html = staff_client.get(reverse("lms_reports:learners")).content.decode()
    assert flag in html


def test_the_transcript_shows_credited_time_per_lesson(staff_client, two_completions):
    online, seminar, lessons = two_completions
    html = staff_client.get(reverse("lms_reports:transcript", args=[online.pk])).content.decode()
    assert html.count('data-testid="lesson-credited"') == 2
    assert "15分" in html and "10分" in html
    assert 'data-testid="fast-completion"' not in html
    html = staff_client.get(reverse("lms_reports:transcript", args=[seminar.pk])).content.decode()
    assert 'data-testid="fast-completion"' in html
