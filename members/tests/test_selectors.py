"""Membership statistics and monthly joins/withdrawals (shared with the compliance reports)."""

import csv
import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from members.constants import PREFECTURE_NAMES
from members.models import Membership
from members.selectors import (
    membership_movements,
    membership_statistics,
    monthly_movement_totals,
    years_before,
)
from tests.factories import make_member
from tests.factories.members import import_roster_fixture

D = datetime.date
pytestmark = pytest.mark.django_db


def test_years_before_handles_29_february():
    assert years_before(D(2024, 2, 29), 1) == D(2023, 2, 28)
    assert years_before(D(2026, 6, 1), 20) == D(2006, 6, 1)


def test_statistics_on_a_date(organisation, django_assert_max_num_queries):
    on = D(2026, 6, 1)
    born = {
        19: D(2006, 6, 2),
        20: D(2006, 6, 1),
        45: D(1980, 7, 1),
        69: D(1956, 6, 2),
        70: D(1956, 6, 1),
        88: D(1938, 1, 1),
    }
    for age, birth in born.items():
        make_member(
            organisation=organisation,
            birth_date=birth,
            gender="M" if age < 50 else "F",
            prefecture="13" if age < 60 else "47",
            occupation=f"職種{age % 3}",
        )
    make_member(organisation=organisation, birth_date=None, gender="X", prefecture="")
    make_member(organisation=organisation, joined_on=D(2026, 6, 2))  # not yet enrolled
    make_member(organisation=organisation, withdrawn_on=D(2026, 6, 1))  # withdrawn that day
    with django_assert_max_num_queries(6):
        stats = membership_statistics(organisation=organisation, day=on, top_n=2)
    assert stats.total == 7
    assert {r.key: r.count for r in stats.gender} == {"M": 3, "F": 3, "X": 1}
    assert [(r.key, r.count) for r in stats.age] == [
        ("10", 1),
        ("20", 1),
        ("30", 0),
        ("40", 1),
        ("50", 0),
        ("60", 1),
        ("70", 2),
        ("", 1),
    ]
    assert [r.key for r in stats.prefecture[:47]] == [f"{i:02d}" for i in range(1, 48)]
    assert [r.label for r in stats.prefecture[:47]] == PREFECTURE_NAMES
    assert stats.prefecture[12].count == 3 and stats.prefecture[46].count == 3
    assert stats.prefecture[0].count == 0  # zeros are listed
    assert len(stats.occupation_top) == 2
    assert sum(r.count for r in stats.occupation) == 7
    assert round(sum(r.share for r in stats.gender)) == 100


def test_movements_tell_joins_from_category_changes(organisation):
    import_roster_fixture(organisation=organisation, name="month_05.csv", as_of=D(2026, 5, 10))
    import_roster_fixture(organisation=organisation, name="month_06.csv", as_of=D(2026, 6, 10))
    movements = membership_movements(
        organisation=organisation, start=D(2026, 6, 1), end=D(2026, 7, 1)
    )
    assert [(m.kind, m.member_no, m.on) for m in movements] == [
        ("joined", "M004", D(2026, 6, 1)),
        ("joined", "M006", D(2026, 6, 1)),
        ("withdrawn", "M003", D(2026, 6, 1)),
    ]  # M002's category change on 6/10 is neither
    assert Membership.objects.filter(member__member_no="M002").count() == 2
    totals = monthly_movement_totals(
        organisation=organisation, first_month=D(2025, 7, 1), last_month=D(2026, 6, 1)
    )
    assert len(totals) == 12
    assert [(t.month, t.joined, t.withdrawn) for t in totals if t.joined or t.withdrawn] == [
        (D(2026, 1, 1), 0, 1),
        (D(2026, 6, 1), 2, 1),
    ]


def test_roster_report_command(organisation, monkeypatch):
    monkeypatch.setenv("LANGUAGE", "ja")
    import_roster_fixture(organisation=organisation, name="month_05.csv", as_of=D(2026, 5, 10))
    import_roster_fixture(organisation=organisation, name="month_06.csv", as_of=D(2026, 6, 10))
    out = io.StringIO()
    call_command(
        "roster_report", "--organisation", organisation.slug, "--month", "2026-06", stdout=out
    )
    assert "2026-06: 加入 2、脱退 1、増減 1" in out.getvalue()
    out = io.StringIO()
    call_command(
        "roster_report",
        "--organisation",
        organisation.slug,
        "--month",
        "2026-01",
        "--to",
        "2026-06",
        "--format",
        "csv",
        stdout=out,
    )
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert [(r[1], r[2], r[3]) for r in rows[1:5]] == [
        ("2026-01-01", "脱退", "M004"),
        ("2026-06-01", "加入", "M004"),
        ("2026-06-01", "加入", "M006"),
        ("2026-06-01", "脱退", "M003"),
    ]
    totals = rows[rows.index(["月", "加入", "脱退", "増減"]) + 1 :]
    assert totals[0] == ["2026-01", "0", "1", "-1"] and totals[-1] == ["2026-06", "2", "1", "1"]
    with pytest.raises(CommandError) as usage:
        call_command("roster_report", "--organisation", organisation.slug, "--month", "June")
    assert usage.value.returncode == 2


def test_member_by_number_as_staff_type_it(organisation, other_organisation):
    from members.selectors import member_by_number

    second = make_member(organisation=organisation, member_no="000002")
    third = make_member(organisation=organisation, member_no="000003")
    make_member(organisation=other_organisation, member_no="000004")
    assert member_by_number(organisation=organisation, number="０００００３") == third
    assert member_by_number(organisation=organisation, number="２") == second
    assert member_by_number(organisation=organisation, number=" 000002 ") == second
    assert member_by_number(organisation=organisation, number="4") is None  # another group's
    assert member_by_number(organisation=organisation, number="") is None
