"""Query budget of マイ研修 (/my/), opened by every member on the morning of June 1
(bench/load.py). The budget counts the session read (database sessions in the test settings)."""

import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lms.models import Elective
from lms.services import assignments_refresh
from tests.factories import make_member
from tests.factories.lms import complete_course, make_campaign, make_course, make_requirement

D = datetime.date
pytestmark = pytest.mark.django_db

# 13: the menu (Wagtail's Site and the archive page) and the former-member check came with
# the members' navigation
MY_TRAINING_BUDGET = 13


@pytest.fixture
def signed_in_member(client, organisation, django_user_model):
    from training_site.demo import seed_site

    seed_site(stdout=io.StringIO())
    course = make_course(title="災害防止研修", slug="saigai")
    campaign = make_campaign(organisation=organisation, slug="saigai-boshi", today=D(2026, 6, 1))
    make_requirement(campaign=campaign, courses=[course], name="全員")
    member = make_member(organisation=organisation, member_no="Q001", joined_on=D(2024, 4, 1))
    complete_course(member=member, course=make_course(title="昨年の研修"), on=D(2025, 6, 10))
    Elective.objects.create(organisation=organisation, course=make_course(title="足場の安全"))
    assignments_refresh(organisation=organisation, today=D(2026, 6, 1))
    user = django_user_model.objects.create_user(username="member-q001", email="q001@example.jp")
    member.user = user
    member.save(update_fields=["user"])
    client.force_login(user)
    return member


def test_my_training_is_a_fixed_small_number_of_queries(client, signed_in_member):
    client.get("/my/")  # warm the site-root cache
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/my/")
    assert response.status_code == 200
    assert "災害防止研修" in response.content.decode()
    assert len(ctx) <= MY_TRAINING_BUDGET, "\n".join(q["sql"] for q in ctx.captured_queries)
    assert not [
        q for q in ctx.captured_queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]
    ]
