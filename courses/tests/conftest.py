import io

import pytest
from django.contrib.auth import get_user_model

from tests.factories.courses import make_course_index, make_course_page, make_lesson, quiz_block


@pytest.fixture
def home(db):
    from training_site.demo import seed_site

    return seed_site(stdout=io.StringIO())


@pytest.fixture
def index(home):
    return make_course_index(parent=home, slug="learn-courses")


@pytest.fixture
def course(index):
    return make_course_page(index=index, slug="safety")


@pytest.fixture
def lessons(course):
    return [
        make_lesson(course=course, title="整理・整頓", slug="seiri"),
        make_lesson(course=course, title="確認テスト付き", slug="with-quiz", body=[quiz_block()]),
    ]


def login_member(client, member):
    user = get_user_model().objects.create_user(
        username=f"u-{member.pk}", email=member.email or f"m{member.pk}@example.jp"
    )
    member.user = user
    member.save(update_fields=["user"])
    client.force_login(user)
    return user


@pytest.fixture
def member_client(client, member):
    login_member(client, member)
    return client
