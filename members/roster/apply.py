"""Write a plan in set-based statements: bulk INSERT and UPDATE in batches, never per row.

Called inside the import's transaction (see ``members.roster.pipeline``). New rows are built
as plain tuples; on PostgreSQL they are loaded with COPY into a temporary table and inserted
from there (RETURNING the new member ids), which keeps a 100,000-row first import within a
small factor of a bare COPY; other databases use ``bulk_create`` in batches.
"""

from __future__ import annotations

import json

from django.db import connection
from django.utils import timezone

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
    periods = [
        (
            new_ids[r.values["member_no"]],
            r.values["joined_on"],
            r.values["withdrawn_on"],
            r.values["category"],
        )
        for r in plan.creates
    ]
    periods += [(p.member_id, p.joined_on, p.withdrawn_on, p.category) for p in plan.period_creates]
    _insert(Membership, PERIOD_COLUMNS, periods, batch_size=batch_size)

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
    _insert(MemberChange, CHANGE_COLUMNS, history, batch_size=batch_size)


def _create_members(plan: Plan, *, organisation, now, batch_size) -> dict[str, int]:
    """Insert the new members; returns member number -> id."""
    if not plan.creates:
        return {}
    numbers = [r.values["member_no"] for r in plan.creates]
    if connection.vendor == "postgresql":
        # reserve the ids in one statement, then COPY: no read-back needed
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [Member._meta.db_table, len(numbers)],
            )
            ids = [row[0] for row in cursor.fetchall()]
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
        _copy_insert(Member, ["id", *MEMBER_COLUMNS], rows)
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


def _insert(model, columns: list[str], rows: list[tuple], *, batch_size: int) -> None:
    """Insert tuples of ``columns``: COPY on PostgreSQL, bulk_create in batches elsewhere."""
    if not rows:
        return
    if connection.vendor == "postgresql" and len(rows) > batch_size:
        _copy_insert(model, columns, rows)
        return
    objects = [model(**dict(zip(columns, row, strict=True))) for row in rows]
    model.objects.bulk_create(objects, batch_size=batch_size)


def _copy_insert(model, columns, rows) -> None:
    """COPY the rows straight into the table (PostgreSQL)."""
    opts = model._meta
    fields = [opts.get_field(c.removesuffix("_id") if c.endswith("_id") else c) for c in columns]
    json_positions = [i for i, f in enumerate(fields) if f.get_internal_type() == "JSONField"]
    quoted = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {opts.db_table} ({quoted}) FROM STDIN") as copy:
            if json_positions:
                for row in rows:
                    row = list(row)
                    for i in json_positions:
                        row[i] = json.dumps(row[i], ensure_ascii=False)
                    copy.write_row(row)
            else:
                for row in rows:
                    copy.write_row(row)
