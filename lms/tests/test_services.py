"""The rules of who must complete what by when, and the refresh that materialises them."""

import datetime

import pytest

from lms.models import Assignment, AudienceRule, Campaign, Cycle
from lms.selectors import attempt_starts_after
from lms.services import (
    assignments_refresh,
    cycles_ensure,
    exemption_grant,
    exemption_revoke,
)
from members.constants import Category
from members.models import Membership, Occupation
from tests.factories import make_member
from tests.factories.lms import (
    complete_course,
    make_campaign,
    make_course,
    make_requirement,
    member_joins,
    member_withdraws,
)

D = datetime.date
S = Assignment.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def course(db):
    return make_course(title="災害防止等に関する研修 2026")


@pytest.fixture
def campaign(organisation):
    return make_campaign(organisation=organisation, today=D(2026, 6, 1))


@pytest.fixture
def requirement(campaign, course):
    return make_requirement(campaign=campaign, courses=[course])


def refresh(organisation, today, **kwargs):
    return assignments_refresh(organisation=organisation, today=today, **kwargs)


def assignment(member, requirement=None, year=2026):
    qs = Assignment.objects.filter(member=member, cycle__fiscal_year=year)
    if requirement is not None:
        qs = qs.filter(requirement=requirement)
    return qs.get()


# --- cycles ---------------------------------------------------------------------------------


def test_yearly_campaign_gets_named_cycles_ahead_of_time(organisation):
    campaign = make_campaign(organisation=organisation, cycles=False)
    cycles_ensure(campaign=campaign, today=D(2027, 3, 1), ahead_days=120)
    cycles = list(campaign.cycles.order_by("opens_on"))
    assert [(c.name, c.opens_on, c.due_on, c.closes_on) for c in cycles] == [
        ("2026年度", D(2026, 6, 1), D(2026, 7, 31), D(2027, 5, 31)),
        ("2027年度", D(2027, 6, 1), D(2027, 7, 31), D(2028, 5, 31)),
    ]
    # running again creates nothing and changes nothing
    assert cycles_ensure(campaign=campaign, today=D(2027, 3, 1), ahead_days=120) == []


def test_one_off_campaign_has_a_single_open_ended_cycle(organisation):
    campaign = make_campaign(
        organisation=organisation,
        recurrence="",
        opens_on=D(2026, 9, 1),
        due_on=D(2026, 9, 30),
        today=D(2030, 1, 1),
    )
    cycle = campaign.cycles.get()
    assert (cycle.opens_on, cycle.due_on, cycle.closes_on) == (D(2026, 9, 1), D(2026, 9, 30), None)


def test_leap_day_due_date_falls_back_to_february_28(organisation):
    campaign = make_campaign(
        organisation=organisation,
        opens_on=D(2028, 2, 1),
        due_on=D(2028, 2, 29),
        today=D(2029, 2, 1),
    )
    dues = list(campaign.cycles.order_by("opens_on").values_list("due_on", flat=True))
    assert dues == [D(2028, 2, 29), D(2029, 2, 28)]


def test_window_crossing_the_fiscal_year_is_named_by_its_opening(organisation, course):
    campaign = make_campaign(
        organisation=organisation,
        opens_on=D(2027, 3, 1),
        due_on=D(2027, 4, 30),
        today=D(2027, 3, 1),
    )
    cycle = campaign.cycles.get()
    assert (cycle.name, cycle.fiscal_year) == ("2026年度", 2026)
    requirement = make_requirement(campaign=campaign, courses=[course])
    member = make_member(organisation=organisation, joined_on=D(2026, 1, 1))
    complete_course(member=member, course=course, on=D(2027, 4, 10))  # the new fiscal year
    refresh(organisation, D(2027, 4, 20))
    row = assignment(member, requirement, year=2026)
    assert row.status == S.COMPLETED


# --- who is assigned, and by when ------------------------------------------------------------


def test_members_enrolled_on_the_opening_day_are_due_at_the_window_end(organisation, requirement):
    enrolled = make_member(organisation=organisation, joined_on=D(2025, 4, 1))
    left_before = make_member(
        organisation=organisation, joined_on=D(2025, 4, 1), withdrawn_on=D(2026, 6, 1)
    )
    refresh(organisation, D(2026, 6, 2))
    row = assignment(enrolled)
    assert (row.starts_on, row.due_on, row.status) == (D(2026, 6, 1), D(2026, 7, 31), S.ASSIGNED)
    assert not Assignment.objects.filter(member=left_before).exists()


@pytest.mark.parametrize(
    "joined, due",
    [
        (D(2026, 6, 10), D(2026, 7, 31)),  # 30 days fit in the window
        (D(2026, 7, 15), D(2026, 8, 14)),  # joined + 30 days
        (D(2026, 7, 31), D(2026, 8, 30)),  # joined on the last day of the window
    ],
)
def test_mid_window_joiners_get_a_fair_due_date(organisation, requirement, joined, due):
    member = make_member(organisation=organisation, joined_on=joined)
    refresh(organisation, D(2026, 8, 1))
    row = assignment(member)
    assert (row.starts_on, row.due_on) == (joined, due)
    assert row.status == (S.OVERDUE if due < D(2026, 8, 1) else S.ASSIGNED)


def test_joining_after_the_window_is_not_this_years_requirement(organisation, requirement):
    member = make_member(organisation=organisation, joined_on=D(2026, 8, 1))
    refresh(organisation, D(2026, 8, 2))
    assert not Assignment.objects.filter(member=member).exists()


def test_withdrawing_before_completing_is_withdrawn_not_overdue(organisation, requirement):
    member = make_member(organisation=organisation, joined_on=D(2025, 4, 1))
    refresh(organisation, D(2026, 6, 2))
    member_withdraws(member=member, on=D(2026, 7, 1))
    refresh(organisation, D(2026, 8, 10))
    assert assignment(member).status == S.WITHDRAWN


def test_rejoining_gets_the_current_cycle_again_with_a_fair_due_date(organisation, requirement):
    member = make_member(organisation=organisation, joined_on=D(2025, 4, 1))
    refresh(organisation, D(2026, 6, 2))
    member_withdraws(member=member, on=D(2026, 6, 20))
    refresh(organisation, D(2026, 6, 21))
    assert assignment(member).status == S.WITHDRAWN
    member_joins(member=member, on=D(2026, 7, 20))
    refresh(organisation, D(2026, 7, 21))
    row = assignment(member)
    assert (row.status, row.due_on) == (S.ASSIGNED, D(2026, 8, 19))
    assert Assignment.objects.filter(member=member).count() == 1


def test_completion_counts_only_inside_the_window_not_from_last_year(
    organisation, requirement, course
):
    on_time = make_member(organisation=organisation, joined_on=D(2024, 4, 1))
    late = make_member(organisation=organisation, joined_on=D(2024, 4, 1))
    last_year = make_member(organisation=organisation, joined_on=D(2024, 4, 1))
    complete_course(member=on_time, course=course, on=D(2026, 6, 15))
    complete_course(member=late, course=course, on=D(2026, 8, 3))
    complete_course(member=last_year, course=course, on=D(2025, 7, 1))
    refresh(organisation, D(2026, 8, 5))
    assert assignment(on_time).status == S.COMPLETED
    assert assignment(on_time).enrolment.member == on_time
    assert assignment(late).status == S.COMPLETED_LATE
    assert assignment(last_year).status == S.OVERDUE
    assert assignment(last_year).completed_at is None


def test_mid_window_joiner_completion_counts_from_joining(organisation, requirement, course):
    member = make_member(organisation=organisation, joined_on=D(2026, 7, 1))
    complete_course(member=member, course=course, on=D(2026, 7, 2))
    refresh(organisation, D(2026, 7, 3))
    assert assignment(member).status == S.COMPLETED


def test_a_new_cycle_makes_the_next_start_a_fresh_attempt(organisation, requirement, course):
    from courses.services import enrolment_start

    member = make_member(organisation=organisation, joined_on=D(2024, 4, 1))
    old = complete_course(member=member, course=course, on=D(2025, 7, 1))
    refresh(organisation, D(2026, 6, 2))
    moment = attempt_starts_after(member=member, course=course)
    assert moment is not None and moment.date() == D(2026, 6, 1)
    fresh = enrolment_start(member=member, course=course)
    assert fresh.attempt == old.attempt + 1
    assert attempt_starts_after(member=member, course=make_course()) is None


def test_history_of_past_cycles_is_never_changed(organisation, course):
    campaign = make_campaign(
        organisation=organisation,
        opens_on=D(2025, 6, 1),
        due_on=D(2025, 7, 31),
        today=D(2026, 6, 1),
    )
    requirement = make_requirement(campaign=campaign, courses=[course])
    member = make_member(organisation=organisation, joined_on=D(2024, 4, 1))
    refresh(organisation, D(2025, 8, 1))
    past = assignment(member, requirement, year=2025)
    assert past.status == S.OVERDUE
    # a year on: the member completes the 2026 training and later withdraws
    complete_course(member=member, course=course, on=D(2026, 6, 10))
    member_withdraws(member=member, on=D(2026, 7, 1))
    refresh(organisation, D(2026, 7, 2))
    past.refresh_from_db()
    assert (past.status, past.completed_at, past.updated_at) == (
        S.OVERDUE,
        None,
        Assignment.objects.get(pk=past.pk).updated_at,
    )
    assert assignment(member, requirement, year=2026).status == S.COMPLETED


def test_completing_all_or_any_of_a_list(organisation, campaign):
    a, b = make_course(), make_course()
    any_of = make_requirement(campaign=campaign, courses=[a, b], name="any", completion_rule="any")
    all_of = make_requirement(campaign=campaign, courses=[a, b], name="all", completion_rule="all")
    member = make_member(organisation=organisation, joined_on=D(2024, 4, 1))
    complete_course(member=member, course=a, on=D(2026, 6, 5))
    refresh(organisation, D(2026, 6, 6))
    assert assignment(member, any_of).status == S.COMPLETED
    assert assignment(member, all_of).status == S.IN_PROGRESS
    complete_course(member=member, course=b, on=D(2026, 6, 7))
    refresh(organisation, D(2026, 6, 8))
    assert assignment(member, all_of).status == S.COMPLETED


# --- audience rules ---------------------------------------------------------------------------


def test_rules_and_within_or_across(organisation, campaign, course):
    carpenter = Occupation.objects.create(organisation=organisation, name="大工")
    requirement = make_requirement(
        campaign=campaign,
        courses=[course],
        rules=[
            {"occupations": [carpenter], "prefectures": ["13"]},
            {"categories": ["1"]},
        ],
    )
    tokyo_carpenter = make_member(organisation=organisation, occupation="大工", prefecture="13")
    osaka_carpenter = make_member(organisation=organisation, occupation="大工", prefecture="27")
    owner = make_member(organisation=organisation, category=Category.FIRST, prefecture="27")
    other = make_member(organisation=organisation, occupation="通訳", prefecture="13")
    refresh(organisation, D(2026, 6, 2))
    assigned = set(
        Assignment.objects.filter(requirement=requirement).values_list("member", flat=True)
    )
    assert assigned == {tokyo_carpenter.pk, owner.pk}
    assert osaka_carpenter.pk not in assigned and other.pk not in assigned


def test_requirements_sharing_an_audience_and_one_with_its_own_rules(
    organisation, campaign, course
):
    """Requirements with the same rules are materialised together (their members found
    once); each still gets exactly its own members and due dates."""
    tokyo = {"prefectures": ["13"]}
    everyone_a = make_requirement(campaign=campaign, courses=[course], name="全員A")
    everyone_b = make_requirement(campaign=campaign, courses=[make_course()], name="全員B")
    tokyo_a = make_requirement(campaign=campaign, courses=[course], name="東京A", rules=[tokyo])
    tokyo_b = make_requirement(campaign=campaign, courses=[course], name="東京B", rules=[tokyo])
    in_tokyo = make_member(organisation=organisation, prefecture="13", joined_on=D(2024, 4, 1))
    in_osaka = make_member(organisation=organisation, prefecture="27", joined_on=D(2024, 4, 1))
    joiner = make_member(organisation=organisation, prefecture="13", joined_on=D(2026, 7, 10))
    refresh(organisation, D(2026, 7, 12))

    def members_of(requirement):
        return set(
            Assignment.objects.filter(requirement=requirement).values_list("member", flat=True)
        )

    assert members_of(everyone_a) == members_of(everyone_b) == {in_tokyo.pk, in_osaka.pk, joiner.pk}
    assert members_of(tokyo_a) == members_of(tokyo_b) == {in_tokyo.pk, joiner.pk}
    assert {assignment(joiner, r).due_on for r in (everyone_a, everyone_b, tokyo_a, tokyo_b)} == {
        D(2026, 8, 9)
    }


def test_a_class_matches_its_sub_kinds_and_work_types(organisation, campaign, course):
    requirement = make_requirement(
        campaign=campaign,
        courses=[course],
        rules=[{"categories": ["2"], "work_types": ["建設の事業"]}],
    )
    builder = make_member(
        organisation=organisation, category=Category.SECOND_ONE_PERSON, work_type="建設の事業"
    )
    freelancer = make_member(organisation=organisation, category=Category.SECOND_FREELANCE)
    overseas = make_member(
        organisation=organisation, category=Category.THIRD, work_type="建設の事業"
    )
    refresh(organisation, D(2026, 6, 2))
    assigned = set(
        Assignment.objects.filter(requirement=requirement).values_list("member", flat=True)
    )
    assert assigned == {builder.pk}
    assert freelancer.pk not in assigned and overseas.pk not in assigned


def test_category_changed_mid_window(organisation, campaign, course):
    """An owner of a one-person business becomes a small-business owner (第1種) on July 1."""
    one_person = make_requirement(
        campaign=campaign, courses=[course], name="一人親方", rules=[{"categories": ["2H"]}]
    )
    owners = make_requirement(
        campaign=campaign, courses=[make_course()], name="中小事業主", rules=[{"categories": ["1"]}]
    )
    member = make_member(
        organisation=organisation, joined_on=D(2024, 4, 1), category=Category.SECOND_ONE_PERSON
    )
    refresh(organisation, D(2026, 6, 2))
    assert assignment(member, one_person).due_on == D(2026, 7, 31)
    assert not Assignment.objects.filter(member=member, requirement=owners).exists()
    Membership.objects.filter(member=member).update(withdrawn_on=D(2026, 7, 1))
    Membership.objects.create(member=member, joined_on=D(2026, 7, 1), category=Category.FIRST)
    member.category = Category.FIRST
    member.save()
    refresh(organisation, D(2026, 7, 2))
    # the obligation of the opening day stays; the new class brings its own, with a fair date
    assert assignment(member, one_person).status == S.ASSIGNED
    row = assignment(member, owners)
    assert (row.starts_on, row.due_on, row.status) == (D(2026, 7, 1), D(2026, 7, 31), S.ASSIGNED)


def test_narrowing_a_rule_removes_untouched_rows_only(organisation, campaign, requirement, course):
    started = make_member(organisation=organisation, prefecture="27")
    untouched = make_member(organisation=organisation, prefecture="27")
    tokyo = make_member(organisation=organisation, prefecture="13")
    refresh(organisation, D(2026, 6, 2))
    from courses.services import enrolment_start

    enrolment_start(member=started, course=course)
    refresh(organisation, D(2026, 6, 3))
    assert assignment(started).status == S.IN_PROGRESS
    AudienceRule.objects.create(requirement=requirement, prefectures=["13"])
    refresh(organisation, D(2026, 6, 4), requirement=requirement)
    remaining = set(
        Assignment.objects.filter(requirement=requirement).values_list("member", flat=True)
    )
    assert remaining == {started.pk, tokyo.pk}
    assert untouched.pk not in remaining


# --- onboarding -------------------------------------------------------------------------------


def test_onboarding_is_due_n_days_after_joining(organisation, course):
    campaign = make_campaign(
        organisation=organisation,
        name="加入時のフォローアップ",
        kind=Campaign.Kind.ROLLING,
        opens_on=D(2026, 4, 1),
        due_on=D(2027, 3, 31),
        today=D(2026, 6, 1),
    )
    requirement = make_requirement(campaign=campaign, courses=[course])
    before = make_member(organisation=organisation, joined_on=D(2026, 3, 31))
    joiner = make_member(organisation=organisation, joined_on=D(2026, 5, 10))
    refresh(organisation, D(2026, 6, 1))
    assert not Assignment.objects.filter(member=before).exists()
    row = Assignment.objects.get(member=joiner, requirement=requirement)
    assert (row.starts_on, row.due_on, row.status) == (D(2026, 5, 10), D(2026, 6, 9), S.ASSIGNED)


def test_onboarding_leap_day_joiner(organisation, course):
    campaign = make_campaign(
        organisation=organisation,
        kind=Campaign.Kind.ROLLING,
        opens_on=D(2027, 4, 1),
        due_on=D(2028, 3, 31),
        today=D(2028, 3, 1),
    )
    requirement = make_requirement(campaign=campaign, courses=[course])
    member = make_member(organisation=organisation, joined_on=D(2028, 2, 29))
    refresh(organisation, D(2028, 3, 1))
    assert Assignment.objects.get(member=member, requirement=requirement).due_on == D(2028, 3, 30)


# --- exemptions -------------------------------------------------------------------------------


def test_exemption_granted_then_revoked(organisation, requirement, django_user_model):
    staff = django_user_model.objects.create_user(username="office")
    member = make_member(organisation=organisation, joined_on=D(2024, 4, 1))
    refresh(organisation, D(2026, 6, 2))
    exemption = exemption_grant(
        member=member, requirement=requirement, reason="入院中のため", user=staff
    )
    assert assignment(member).status == S.EXEMPT
    refresh(organisation, D(2026, 8, 2))
    assert assignment(member).status == S.EXEMPT  # exempt is not overdue
    exemption_revoke(exemption=exemption, user=staff)
    refresh(organisation, D(2026, 8, 2))
    assert assignment(member).status == S.OVERDUE
    exemption.refresh_from_db()
    assert exemption.revoked_by == staff and exemption.granted_by == staff


def test_exemption_for_another_cycle_does_not_apply(organisation, requirement):
    member = make_member(organisation=organisation, joined_on=D(2024, 4, 1))
    other_cycle = Cycle.objects.create(
        campaign=requirement.campaign, name="2030年度", fiscal_year=2030,
        opens_on=D(2030, 6, 1), due_on=D(2030, 7, 31),
    )  # fmt: skip
    exemption_grant(
        member=member, requirement=requirement, reason="x", user=None, cycle=other_cycle
    )
    refresh(organisation, D(2026, 6, 2))
    assert assignment(member).status == S.ASSIGNED


# --- the refresh itself ---------------------------------------------------------------------


def test_refresh_is_idempotent(organisation, requirement, course):
    members = [make_member(organisation=organisation, joined_on=D(2024, 4, 1)) for _ in range(5)]
    complete_course(member=members[0], course=course, on=D(2026, 6, 3))
    first = refresh(organisation, D(2026, 6, 5))
    rows = list(Assignment.objects.order_by("pk").values())
    second = refresh(organisation, D(2026, 6, 5))
    assert first.upserted == 5
    assert (second.upserted, second.removed, second.status_changes) == (0, 0, {})
    assert list(Assignment.objects.order_by("pk").values()) == rows


def test_refresh_runs_in_a_constant_number_of_queries(
    organisation, requirement, django_assert_max_num_queries
):
    for _ in range(3):
        make_member(organisation=organisation, joined_on=D(2024, 4, 1))
    refresh(organisation, D(2026, 6, 2))
    with django_assert_max_num_queries(40) as few:
        refresh(organisation, D(2026, 6, 3))
    for _ in range(30):
        make_member(organisation=organisation, joined_on=D(2024, 4, 1))
    with django_assert_max_num_queries(len(few.captured_queries)):
        refresh(organisation, D(2026, 6, 3))


def test_completion_signal_updates_the_assignment(
    organisation, requirement, course, django_capture_on_commit_callbacks
):
    member = make_member(organisation=organisation, joined_on=D(2024, 4, 1))
    refresh(organisation, D(2026, 6, 2))
    with django_capture_on_commit_callbacks(execute=True):
        complete_course(member=member, course=course, on=D(2026, 6, 20))
    row = assignment(member)
    assert row.status == S.COMPLETED
    assert row.completed_at.date() == D(2026, 6, 20)


def test_other_organisations_are_untouched(organisation, other_organisation, requirement):
    mine = make_member(organisation=organisation, joined_on=D(2024, 4, 1))
    theirs = make_member(organisation=other_organisation, joined_on=D(2024, 4, 1))
    refresh(organisation, D(2026, 6, 2))
    refresh(other_organisation, D(2026, 6, 2))
    assert Assignment.objects.filter(member=mine).exists()
    assert not Assignment.objects.filter(member=theirs).exists()
