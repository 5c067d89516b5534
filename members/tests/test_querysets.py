import datetime

import pytest

from members.models import Member, Membership
from tests.factories import make_member

D = datetime.date


@pytest.mark.django_db
def test_active_on_follows_membership_periods(organisation):
    current = make_member(organisation=organisation, joined_on=D(2025, 4, 1))
    left = make_member(
        organisation=organisation, joined_on=D(2025, 4, 1), withdrawn_on=D(2025, 9, 1)
    )
    rejoined = make_member(
        organisation=organisation, joined_on=D(2024, 11, 1), withdrawn_on=D(2025, 1, 1)
    )
    Membership.objects.create(member=rejoined, joined_on=D(2025, 6, 1), category=rejoined.category)

    def active(day):
        return set(Member.objects.active_on(day).values_list("pk", flat=True))

    assert active(D(2025, 3, 31)) == set()
    assert active(D(2025, 4, 1)) == {current.pk, left.pk}
    assert active(D(2025, 6, 1)) == {current.pk, left.pk, rejoined.pk}
    assert active(D(2025, 8, 31)) == {current.pk, left.pk, rejoined.pk}
    assert active(D(2025, 9, 1)) == {current.pk, rejoined.pk}  # withdrawn_on is not covered
    assert active(D(2024, 12, 1)) == {rejoined.pk}
    assert Member.objects.active_on(D(2025, 6, 1)).count() == 3  # one row per member
    assert set(Member.objects.inactive_on(D(2025, 9, 1)).values_list("pk", flat=True)) == {left.pk}
    assert left.is_active_on(D(2025, 8, 31)) and not left.is_active_on(D(2025, 9, 1))
