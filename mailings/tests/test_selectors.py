"""Audiences select exactly the right members, from roster and compliance facts."""

import datetime

import pytest

from mailings.models import Audience, Mailing, Suppression
from mailings.selectors import annotate_delivery, audience_members, audience_preview
from members.constants import Category
from tests.factories import make_audience, make_campaign, make_member, make_requirement, subscribe
from tests.factories.lms import member_withdraws

pytestmark = pytest.mark.django_db


def names(qs):
    return sorted(qs.values_list("name", flat=True))


@pytest.fixture
def roster(organisation, other_organisation):
    m = {}
    m["tokyo_it"] = make_member(
        organisation=organisation, name="東京IT", prefecture="13", occupation="プログラマー",
        category=Category.SECOND_FREELANCE, joined_on=datetime.date(2025, 5, 10),
    )  # fmt: skip
    m["osaka_it"] = make_member(
        organisation=organisation, name="大阪IT", prefecture="27", occupation="プログラマー",
        category=Category.SECOND_FREELANCE, joined_on=datetime.date(2025, 6, 1),
    )  # fmt: skip
    m["tokyo_build"] = make_member(
        organisation=organisation, name="東京建設", prefecture="13", occupation="大工",
        category=Category.SECOND_ONE_PERSON, work_type="建設の事業",
        joined_on=datetime.date(2024, 12, 1),
    )  # fmt: skip
    m["withdrawn"] = make_member(
        organisation=organisation, name="脱退者", prefecture="13", occupation="プログラマー",
        joined_on=datetime.date(2025, 5, 20), withdrawn_on=datetime.date(2025, 9, 1),
    )  # fmt: skip
    m["other_org"] = make_member(
        organisation=other_organisation, name="他団体", prefecture="13", occupation="プログラマー"
    )
    return m


def test_all_members_of_the_organisation_only(organisation, roster):
    audience = make_audience(organisation=organisation)
    assert names(audience_members(audience=audience)) == sorted(
        ["東京IT", "大阪IT", "東京建設", "脱退者"]
    )


@pytest.mark.parametrize(
    "filters, expected",
    [
        ({"prefectures": ["13"]}, ["東京IT", "東京建設", "脱退者"]),
        ({"occupations": ["プログラマー"], "prefectures": ["27"]}, ["大阪IT"]),
        ({"categories": [Category.SECOND_ONE_PERSON]}, ["東京建設"]),
        ({"work_types": ["建設の事業"]}, ["東京建設"]),
        (
            {"joined_from": datetime.date(2025, 5, 1), "joined_to": datetime.date(2025, 5, 31)},
            ["東京IT", "脱退者"],
        ),
        ({"joined_from": datetime.date(2025, 6, 1)}, ["大阪IT"]),
    ],
    ids=[
        "prefecture",
        "occupation+prefecture",
        "category",
        "work-type",
        "joined-may",
        "joined-from",
    ],
)
def test_roster_filters(organisation, roster, filters, expected):
    audience = make_audience(organisation=organisation, **filters)
    assert names(audience_members(audience=audience)) == sorted(expected)


def test_exclusion_reasons(organisation, roster):
    subscribe(roster["tokyo_it"], roster["withdrawn"], roster["tokyo_build"])
    roster["osaka_it"].email = ""
    roster["osaka_it"].save()
    Suppression.objects.create(
        organisation=organisation, email=roster["tokyo_build"].email.upper().lower(),
        reason="bounce", source="import",
    )  # fmt: skip
    from mailings.services import newsletter_unsubscribe

    newsletter_unsubscribe(member=roster["tokyo_it"], method="link")
    reasons = dict(
        annotate_delivery(
            audience_members(audience=make_audience(organisation=organisation)),
            organisation_id=organisation.pk,
            kind=Mailing.Kind.NEWSLETTER,
        ).values_list("name", "mail_reason")
    )
    assert reasons == {
        "東京IT": "unsubscribed",
        "大阪IT": "no_email",
        "東京建設": "suppressed",
        "脱退者": "withdrawn",
    }
    # administrative notices ignore newsletter consent
    notice = dict(
        annotate_delivery(
            audience_members(audience=make_audience(organisation=organisation)),
            organisation_id=organisation.pk,
            kind=Mailing.Kind.NOTICE,
        ).values_list("name", "mail_reason")
    )
    assert notice["東京IT"] == "" and notice["脱退者"] == "withdrawn"


def test_preview_counts(organisation, roster):
    subscribe(roster["tokyo_it"], roster["osaka_it"])
    preview = audience_preview(
        audience=make_audience(organisation=organisation), kind=Mailing.Kind.NEWSLETTER
    )
    assert preview["total"] == 4 and preview["recipients"] == 2
    assert {code: n for _l, code, n in preview["excluded"]} == {
        "not_subscribed": 1,
        "withdrawn": 1,
    }
    assert len(preview["sample"]) == 4


@pytest.fixture
def compliance(organisation, roster):
    from lms.models import Assignment

    campaign = make_campaign(organisation=organisation, cycles=False)
    today = datetime.date.today()
    cycle = campaign.cycles.create(
        name="今年度", fiscal_year=today.year, opens_on=today - datetime.timedelta(days=90),
        due_on=today - datetime.timedelta(days=30),
    )  # fmt: skip
    general = make_requirement(campaign=campaign, name="全員研修")
    building = make_requirement(campaign=campaign, name="建設業務研修")

    def assign(member, requirement, status, due=cycle.due_on):
        return Assignment.objects.create(
            member=member, requirement=requirement, cycle=cycle, starts_on=cycle.opens_on,
            due_on=due, status=status,
        )  # fmt: skip

    assign(roster["tokyo_it"], general, "completed")
    # joined late: a due date of their own, not yet passed
    assign(roster["osaka_it"], general, "in_progress", due=today + datetime.timedelta(days=30))
    assign(roster["tokyo_build"], general, "completed_late")
    assign(roster["tokyo_build"], building, "overdue")
    assign(roster["withdrawn"], general, "exempt")
    return cycle, general, building


def test_completion_filters(organisation, roster, compliance):
    cycle, general, building = compliance
    completed = make_audience(organisation=organisation, cycle=cycle, completion="completed")
    assert names(audience_members(audience=completed)) == ["東京IT"]  # 東京建設 not all done
    completed_general = make_audience(
        organisation=organisation, cycle=cycle, requirement=general, completion="completed"
    )
    assert names(audience_members(audience=completed_general)) == ["東京IT", "東京建設"]
    not_completed = make_audience(
        organisation=organisation, cycle=cycle, completion=Audience.Completion.NOT_COMPLETED
    )
    assert names(audience_members(audience=not_completed)) == ["大阪IT", "東京建設"]
    not_general = make_audience(
        organisation=organisation, cycle=cycle, requirement=general, completion="not_completed"
    )
    assert names(audience_members(audience=not_general)) == ["大阪IT"]  # exempt is not counted


def test_overdue_filter(organisation, roster, compliance):
    cycle, general, building = compliance
    overdue = make_audience(organisation=organisation, cycle=cycle, overdue_only=True)
    assert names(audience_members(audience=overdue)) == ["東京建設"]
    # a status not yet refreshed by the nightly job still counts once the due date passed
    from lms.models import Assignment

    Assignment.objects.filter(member=roster["osaka_it"]).update(
        due_on=datetime.date.today() - datetime.timedelta(days=1)
    )
    assert names(audience_members(audience=overdue)) == ["大阪IT", "東京建設"]


def test_withdrawn_member_stays_excluded_even_when_filters_match(organisation, roster):
    member_withdraws(member=roster["tokyo_it"], on=datetime.date(2025, 10, 1))
    preview = audience_preview(
        audience=make_audience(organisation=organisation, prefectures=["13"]),
        kind=Mailing.Kind.NOTICE,
    )
    assert preview["recipients"] == 1  # 東京建設 only
