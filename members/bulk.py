"""Writing many rows at once: COPY on PostgreSQL, ``bulk_create`` in batches elsewhere.

COPY streams plain tuples: no SQL text per row and no array literals to quote (Django's
``bulk_create`` on PostgreSQL sends each column as one array, which psycopg quotes value by
value; for 2,000 mail recipients with their JSON context that cost more than the insert).
"""

from __future__ import annotations

import json

from django.db import connection


def reserve_ids(model, count: int) -> list[int]:
    """``count`` new primary keys of ``model``, taken from its sequence in one statement
    (PostgreSQL), so rows written with COPY need no read-back."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def insert_rows(model, columns: list[str], rows: list[tuple], *, batch_size: int = 2000) -> None:
    """Insert tuples of ``columns`` (field names or attnames: ``member`` or ``member_id``)."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        _copy(model, columns, rows)
        return
    objects = [model(**dict(zip(columns, row, strict=True))) for row in rows]
    model.objects.bulk_create(objects, batch_size=batch_size)


def insert_rows_returning_ids(
    model, columns: list[str], rows: list[tuple], *, batch_size: int = 2000
) -> list[int]:
    """Like :func:`insert_rows`; returns the new rows' ids, in order."""
    if not rows:
        return []
    if connection.vendor == "postgresql":
        ids = reserve_ids(model, len(rows))
        pk = model._meta.pk.attname
        _copy(model, [pk, *columns], [(i, *row) for i, row in zip(ids, rows, strict=True)])
        return ids
    objects = [model(**dict(zip(columns, row, strict=True))) for row in rows]
    model.objects.bulk_create(objects, batch_size=batch_size)
    return [o.pk for o in objects]


def _copy(model, columns, rows) -> None:
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
