"""Shared worlds of the compliance tests."""

import datetime

import pytest
from django.utils import timezone

from tests.factories import make_member
from tests.factories.lms import (
    complete_course,
    make_campaign,
    make_course,
    make_requirement,
    member_withdraws,
)

D = datetime.date


def start_course(*, member, course, on):
    from courses.models import Enrolment

    at = timezone.make_aware(datetime.datetime.combine(on, datetime.time(10)))
    return Enrolment.objects.create(member=member, course=course, started_at=at)


@pytest.fixture
def campaign_of_two(organisation, other_organisation):
    """Two requirements for everyone: counted per person, the cycle has 6 people and 12
    requirements; on July 10 (before the due date) and on August 5 (after it)."""
    first, second = make_course(title="基礎"), make_course(title="応用")
    campaign = make_campaign(organisation=organisation, slug="saigai-boshi", today=D(2026, 6, 1))
    make_requirement(campaign=campaign, courses=[first], name="基礎研修")
    make_requirement(campaign=campaign, courses=[second], name="応用研修")
    people = {}
    for no, occupation in (
        ("001", "大工"), ("002", "大工"), ("003", "電気工"), ("004", "電気工"),
        ("005", "大工"), ("006", ""),
    ):  # fmt: skip
        people[no] = make_member(
            organisation=organisation, member_no=no, name=f"加入者{no}",
            joined_on=D(2024, 4, 1), occupation=occupation, prefecture="13",
        )  # fmt: skip
    complete_course(member=people["001"], course=first, on=D(2026, 6, 10))
    complete_course(member=people["001"], course=second, on=D(2026, 6, 11))
    complete_course(member=people["002"], course=first, on=D(2026, 6, 12))  # one of two
    start_course(member=people["003"], course=first, on=D(2026, 6, 15))  # started, other not
    start_course(member=people["004"], course=first, on=D(2026, 6, 15))
    start_course(member=people["004"], course=second, on=D(2026, 6, 16))  # both started
    member_withdraws(member=people["005"], on=D(2026, 6, 20))
    # another organisation's campaign is never counted
    other = make_campaign(organisation=other_organisation, slug="saigai-boshi", today=D(2026, 6, 1))
    make_requirement(campaign=other, courses=[first])
    make_member(organisation=other_organisation, member_no="001", joined_on=D(2024, 4, 1))
    return {"campaign": campaign, "people": people, "cycle": campaign.cycles.get()}
