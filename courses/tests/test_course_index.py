"""The course index page (研修一覧, /courses/ in the demo) lists the courses with progress."""

import datetime

import pytest

from courses import services
from courses.tests.conftest import login_member
from tests.factories import make_member, make_organisation
from tests.factories.courses import make_course_page, make_lesson

pytestmark = pytest.mark.django_db


@pytest.fixture
def courses(index, organisation):
    other = make_organisation(name="別の団体", slug="other-group")
    shared = make_course_page(index=index, title="共通の安全研修", slug="shared")
    own = make_course_page(index=index, title="自団体の研修", slug="own", organisation=organisation)
    foreign = make_course_page(
        index=index, title="他団体の研修", slug="foreign", organisation=other
    )
    draft = make_course_page(index=index, title="下書きの研修", slug="draft")
    draft.unpublish()
    for course in (shared, own, foreign):
        make_lesson(course=course, title="レッスン1", slug="l1")
        make_lesson(course=course, title="レッスン2", slug="l2")
    return {"shared": shared, "own": own, "foreign": foreign, "draft": draft}


def test_anonymous_visitors_see_the_published_courses_and_a_sign_in_link(client, index, courses):
    response = client.get(index.url)
    assert response.status_code == 200
    assert response.templates[0].name == "courses/course_index_page.html"
    html = response.content.decode()
    for slug in ("shared", "own", "foreign"):
        assert courses[slug].title in html and courses[slug].url in html
    assert "下書きの研修" not in html
    assert "/accounts/login/code/" in html
    assert 'role="progressbar"' not in html


def test_a_member_sees_their_courses_with_progress(client, index, courses, member):
    login_member(client, member)
    own = courses["own"]
    enrolment = services.enrolment_start(member=member, course=own)
    lesson = own.get_children().live().first().specific
    services.lesson_try_complete(enrolment=enrolment, lesson=lesson, explicit=True)
    response = client.get(index.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "共通の安全研修" in html and "自団体の研修" in html
    assert "他団体の研修" not in html, "another organisation's course is not listed"
    rows = {row["course"].slug: row["progress"] for row in response.context["rows"]}
    assert set(rows) == {"shared", "own"}
    assert rows["shared"].enrolment is None and rows["shared"].percent == 0
    assert rows["own"].enrolment == enrolment
    assert rows["own"].completed_lessons == 1 and rows["own"].percent == 50
    assert 'role="progressbar"' in html and 'aria-valuenow="50"' in html
    assert "続きから学習する" in html and "学習を始める" in html  # own: started; shared: not


def test_a_completed_course_is_marked_completed(client, index, courses, member):
    from tests.factories.lms import complete_course

    complete_course(member=member, course=courses["shared"], on=datetime.date(2026, 6, 10))
    login_member(client, member)
    response = client.get(index.url)
    rows = {row["course"].slug: row["progress"] for row in response.context["rows"]}
    assert rows["shared"].completed and rows["shared"].percent == 100
    assert "2026年6月10日" in response.content.decode()


def test_the_list_is_a_fixed_number_of_queries(
    client, index, courses, member, django_assert_max_num_queries
):
    login_member(client, member)
    client.get(index.url)
    for n in range(5):
        make_course_page(index=index, title=f"追加の研修{n}", slug=f"extra-{n}")
    with django_assert_max_num_queries(30):
        response = client.get(index.url)
    assert len(response.context["rows"]) == 7


def test_an_empty_index_says_so(client, index):
    response = client.get(index.url)
    assert response.status_code == 200
    assert response.context["rows"] == []


def test_a_withdrawn_member_sees_the_list_without_progress(client, index, courses, organisation):
    gone = make_member(
        organisation=organisation,
        email="gone@example.jp",
        joined_on=datetime.date(2020, 4, 1),
        withdrawn_on=datetime.date(2021, 4, 1),
    )
    login_member(client, gone)
    response = client.get(index.url)
    assert response.status_code == 200
    assert all(row["progress"] is None for row in response.context["rows"])
