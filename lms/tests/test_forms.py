"""Admin forms offer only the staff member's organisation's choices."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from members.models import Occupation
from tests.factories import make_staff
from tests.factories.lms import make_campaign, make_requirement

pytestmark = pytest.mark.django_db


def test_requirement_rules_offer_only_the_staff_members_occupations(
    client, organisation, other_organisation
):
    Occupation.objects.create(organisation=organisation, name="型枠大工")
    Occupation.objects.create(organisation=other_organisation, name="ウェブデザイナー")
    staff = make_staff(organisations=[organisation])
    staff.groups.first().permissions.add(*Permission.objects.filter(content_type__app_label="lms"))
    client.force_login(staff)
    add_page = client.get(reverse("lms_requirement:add")).content.decode()
    assert "型枠大工" in add_page and "ウェブデザイナー" not in add_page  # incl. the new-rule form
    campaign = make_campaign(organisation=organisation, today=datetime.date(2026, 6, 1))
    requirement = make_requirement(
        campaign=campaign, rules=[{"prefectures": ["13"]}], name="東京都の加入者"
    )
    edit_page = client.get(reverse("lms_requirement:edit", args=[requirement.pk])).content.decode()
    assert "型枠大工" in edit_page and "ウェブデザイナー" not in edit_page


def test_exemption_takes_the_member_number_as_staff_type_it(client, organisation):
    from lms.models import Exemption
    from tests.factories import make_member

    member = make_member(organisation=organisation, member_no="000003")
    campaign = make_campaign(organisation=organisation, today=datetime.date(2026, 6, 1))
    requirement = make_requirement(campaign=campaign, name="全員研修")
    staff = make_staff(organisations=[organisation])
    staff.groups.first().permissions.add(*Permission.objects.filter(content_type__app_label="lms"))
    client.force_login(staff)
    response = client.post(
        reverse("lms_exemption:add"),
        {"member_no": "３", "requirement": requirement.pk, "cycle": "", "reason": "入院中"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Exemption.objects.get().member == member
