"""Write a plan in set-based statements: bulk INSERT and UPDATE in batches, never per row.

Called inside the import's transaction (see ``members.roster.pipeline``). New rows are built
as plain tuples; on PostgreSQL they are loaded with COPY into a temporary table and inserted
from there (RETURNING the new member ids), which keeps a 100,000-row first import within a
small factor of a bare COPY; other databases use ``bulk_create`` in batches.
"""

from __future__ import annotations

from django.db import connection
from django.utils import timezone

from ..bulk import insert_rows, reserve_ids
from ..models import Member, MemberChange, Membership
from .diff import MEMBER_FIELDS, Plan

MEMBER_COLUMNS = [
    "organisation_id",
    "member_no",
    *MEMBER_FIELDS,
    "roster_fingerprint",
    "created_at",
    "updated_at",
]
PERIOD_COLUMNS = ["member_id", "joined_on", "withdrawn_on", "category"]
CHANGE_COLUMNS = ["member_id", "roster_import_id", "kind", "changes", "line", "created_at"]


def apply_plan(plan: Plan, *, organisation, roster_import, batch_size: int) -> None:
    now = timezone.now()
    new_ids = _create_members(plan, organisation=organisation, now=now, batch_size=batch_size)

    # close and correct periods before opening new ones
    if plan.period_updates:
        Membership.objects.bulk_update(
            [
                Membership(
                    id=p.id,
                    member_id=p.member_id,
                    joined_on=p.joined_on,
                    withdrawn_on=p.withdrawn_on,
                    category=p.category,
                )
                for p in plan.period_updates
            ],
            ["joined_on", "withdrawn_on", "category"],
            batch_size=batch_size,
        )
    _open_first_periods(plan, new_ids=new_ids, batch_size=batch_size)
    periods = [(p.member_id, p.joined_on, p.withdrawn_on, p.category) for p in plan.period_creates]
    insert_rows(Membership, PERIOD_COLUMNS, periods, batch_size=batch_size)

    if plan.updates:
        fields = sorted(plan.update_fields) + ["roster_fingerprint", "updated_at"]
        members = [
            Member(id=member_id, roster_fingerprint=fingerprint, updated_at=now, **values)
            for member_id, (values, fingerprint) in plan.updates.items()
        ]
        Member.objects.bulk_update(members, fields, batch_size=max(1, batch_size // 4))
    if plan.missing_withdrawn:
        as_of = next(
            p.withdrawn_on
            for p in plan.period_updates
            if p.member_id in set(plan.missing_withdrawn)
        )
        for start in range(0, len(plan.missing_withdrawn), batch_size):
            Member.objects.filter(pk__in=plan.missing_withdrawn[start : start + batch_size]).update(
                withdrawn_on=as_of, roster_fingerprint="", updated_at=now
            )
    if plan.fingerprints:
        Member.objects.bulk_update(
            [Member(id=i, roster_fingerprint=fp) for i, fp in plan.fingerprints.items()],
            ["roster_fingerprint"],
            batch_size=batch_size,
        )

    # an addition is recorded by the member's created_at and the import's report; the
    # history keeps what changed afterwards
    history = [
        (
            key,
            roster_import.pk if roster_import else None,
            change.kind,
            change.changes,
            change.line,
            now,
        )
        for key, change in plan.changes.items()
        if change.kind != "added"
    ]
    insert_rows(MemberChange, CHANGE_COLUMNS, history, batch_size=batch_size)


def _open_first_periods(plan: Plan, *, new_ids: dict[str, int], batch_size: int) -> None:
    """The new members' first membership periods, from the member rows just written: on
    PostgreSQL one INSERT … SELECT (no second stream of 100,000 rows from Python)."""
    if not new_ids:
        return
    if connection.vendor == "postgresql":
        columns = ", ".join(PERIOD_COLUMNS)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {Membership._meta.db_table} ({columns}) "
                f"SELECT id, joined_on, withdrawn_on, category FROM {Member._meta.db_table} "
                "WHERE id = ANY(%s)",
                [list(new_ids.values())],
            )
        return
    periods = [
        (
            new_ids[r.values["member_no"]],
            r.values["joined_on"],
            r.values["withdrawn_on"],
            r.values["category"],
        )
        for r in plan.creates
    ]
    insert_rows(Membership, PERIOD_COLUMNS, periods, batch_size=batch_size)


def _create_members(plan: Plan, *, organisation, now, batch_size) -> dict[str, int]:
    """Insert the new members; returns member number -> id."""
    if not plan.creates:
        return {}
    numbers = [r.values["member_no"] for r in plan.creates]
    if connection.vendor == "postgresql":
        # reserve the ids in one statement, then COPY: no read-back needed
        ids = reserve_ids(Member, len(numbers))
        rows = [
            (
                pk,
                organisation.pk,
                r.values["member_no"],
                *(r.values[f] for f in MEMBER_FIELDS),
                r.fingerprint,
                now,
                now,
            )
            for pk, r in zip(ids, plan.creates, strict=True)
        ]
        insert_rows(Member, ["id", *MEMBER_COLUMNS], rows)
        return dict(zip(numbers, ids, strict=True))
    members = [
        Member(
            organisation=organisation,
            member_no=r.values["member_no"],
            roster_fingerprint=r.fingerprint,
            created_at=now,
            updated_at=now,
            **{f: r.values[f] for f in MEMBER_FIELDS},
        )
        for r in plan.creates
    ]
    Member.objects.bulk_create(members, batch_size=batch_size)
    return {m.member_no: m.pk for m in members}
