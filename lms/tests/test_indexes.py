"""The hot per-organisation queries of the staff screens are served by an index that starts
with the organisation (PostgreSQL's EXPLAIN, with sequential scans priced out).

On the few rows of a test every index costs the same to the planner, which then takes any of
them (the unique (cycle, member) index, the foreign keys'): which one says nothing about a large
table. So each plan is read with the table's other indexes set aside (dropped inside a savepoint
that is rolled back): the query must be answerable by an organisation-first index at all, and a
missing or reordered organisation-first index fails it."""

import datetime
import re

import pytest
from django.db import connection, transaction

from lms import selectors
from lms.models import Assignment
from lms.services import cycles_close_due

from .test_people import refresh

D = datetime.date
Status = Assignment.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("EXPLAIN of PostgreSQL plans: run with DATABASE_URL=postgres://…")


def plan_of(queryset) -> str:
    """EXPLAIN with sequential scans priced out and only the organisation-first indexes of the
    queryset's table left to choose from (see the module)."""
    table = queryset.model._meta.db_table
    sql, params = queryset.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending trigger events to block DDL
        constraints = connection.introspection.get_constraints(cursor, table)
        for name, c in constraints.items():
            if (
                (c["index"] or c["unique"])
                and not c["primary_key"]
                and c["columns"][:1] != ["organisation_id"]
            ):
                if c["unique"]:
                    cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT IF EXISTS "{name}"')
                cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        transaction.set_rollback(True)  # the indexes come back
    return plan


def indexes_used(plan: str) -> set[str]:
    """Index names in a plan: "Index [Only] Scan [Backward] using X on T", "Bitmap Index Scan
    on X"."""
    found = re.findall(
        r"Index (?:Only )?Scan (?:Backward )?using (\w+)|Bitmap Index Scan on (\w+)", plan
    )
    return {name for pair in found for name in pair if name}


def org_first_indexes(table: str) -> set[str]:
    """The table's indexes whose first column is organisation_id."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return {
        name
        for name, c in constraints.items()
        if c["index"] and c["columns"] and c["columns"][0] == "organisation_id"
    }


def test_dashboard_and_lists_use_an_organisation_first_index(postgresql, campaign_of_two):
    cycle = campaign_of_two["cycle"]
    refresh(campaign_of_two["campaign"], D(2026, 8, 5))
    people = selectors.person_statuses(cycle=cycle)
    hot = {
        "summary": people.order_by().values_list("status"),
        "breakdown": people.order_by().values_list("prefecture", "status"),
        "overdue list": people.filter(selectors.person_status_filter(Status.OVERDUE)).order_by(
            "member_no"
        ),
        "required list": people.filter(selectors.person_status_filter("required")),
    }
    allowed = org_first_indexes("lms_cycleresult")
    assert allowed  # lms_result_org_cycle_status
    for name, queryset in hot.items():
        plan = plan_of(queryset)
        assert indexes_used(plan) & allowed, f"{name} does not use {allowed}:\n{plan}"

    cycles_close_due(today=D(2026, 8, 5))
    cycle.refresh_from_db()
    from lms.models import RequirementResult

    frozen = RequirementResult.objects.filter(
        organisation_id=cycle.campaign.organisation_id, cycle=cycle
    ).values_list("requirement_id", "status")
    plan = plan_of(frozen)
    assert indexes_used(plan) & org_first_indexes("lms_requirementresult"), plan
