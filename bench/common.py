"""What every benchmark shares: its PostgreSQL database, and ratios that hold on a noisy
machine.

A shared machine's speed varies by 2x between runs an hour apart, and by less within a
minute. So each benchmark measures ours and the raw baseline in turn, three times, and
reports the median of the three ratios with their spread (lowest-highest): one slow moment
moves one ratio, not the median.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def database_url(default_name: str) -> str:
    """The benchmark's database: ``BENCH_DATABASE_URL`` or ``DATABASE_URL`` when it is
    PostgreSQL, else ``default_name`` on 127.0.0.1:5432. Benchmarks empty their tables, so
    a database whose name does not contain "bench" is refused."""
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = f"postgres://postgres@127.0.0.1:5432/{default_name}"
    name = url.rsplit("/", 1)[1].split("?", 1)[0]
    if "bench" not in name:
        sys.exit(
            f"refusing to benchmark in {name!r}: its tables are emptied; use a name with 'bench'"
        )
    return url


def use_database(default_name: str, settings: str = "training_site.settings.test") -> str:
    """Point Django at the benchmark's database (created when missing); returns its URL."""
    url = database_url(default_name)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings)
    ensure_database(url)
    return url


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1].split("?", 1)[0]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def timed(function, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - start, result


@dataclass
class Ratios:
    """Ours / raw seconds, measured in turn, round after round; with ``rate`` the ratio of
    the rates instead (raw seconds / ours: above 1 when ours is faster)."""

    name: str
    rate: bool = False
    ours: list = field(default_factory=list)
    raw: list = field(default_factory=list)

    def add(self, ours: float, raw: float) -> None:
        self.ours.append(ours)
        self.raw.append(raw)
        print(f"  {self.name} round {len(self.ours)}: ours {ours:.3f}s raw {raw:.3f}s "
              f"ratio {self.values[-1]:.2f}", flush=True)  # fmt: skip

    @property
    def values(self) -> list:
        pairs = zip(self.ours, self.raw, strict=True)
        return [r / o for o, r in pairs] if self.rate else [o / r for o, r in pairs]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def field(self) -> str:
        """``name=median name_spread=lowest-highest`` for the last line."""
        values = self.values
        return (
            f"{self.name}={self.median:.2f} {self.name}_spread={min(values):.2f}-{max(values):.2f}"
        )


def load_average() -> str:
    """The machine's 1-minute load average, printed with every result: figures taken while
    other work runs on the same cores are not comparable."""
    return f"{os.getloadavg()[0]:.2f}"


def insert_select(model, columns: dict, tail: str, params=()) -> int:
    """``INSERT INTO <model's table> (…) SELECT <columns' SQL> <tail>``: every other NOT NULL
    column gets its model default, so columns other apps add need nothing here. Returns the
    number of rows written."""
    from django.db import connection

    names, values, default_params = [], [], []
    for model_field in model._meta.concrete_fields:
        if model_field.column in columns:
            names.append(model_field.column)
            values.append(columns[model_field.column])
        elif not (model_field.primary_key or model_field.null):
            names.append(model_field.column)
            values.append("%s")
            default = model_field.get_default()
            default_params.append(model_field.get_db_prep_save(default, connection=connection))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {model._meta.db_table} ({', '.join(names)}) "
            f"SELECT {', '.join(values)} {tail}",
            [*default_params, *params],
        )
        return cursor.rowcount


def insert_members(organisation_id: int, count: int, *, withdrawn_on="NULL", **columns) -> None:
    """``count`` members of an organisation in one INSERT … SELECT generate_series(1, count)
    AS i, each with a membership from its join date (to ``withdrawn_on``, an SQL expression
    over the member's columns: ``id``, ``joined_on``…). ``columns`` are SQL expressions over
    ``i`` that replace the defaults."""
    from members.models import Member, Membership

    organisation_id = int(organisation_id)
    insert_select(
        Member,
        {
            "organisation_id": str(organisation_id),
            "member_no": "lpad(i::text, 7, '0')",
            "name": "'加入者　' || i",
            "email": "'m' || i || '@example.jp'",
            "gender": "'M'",
            "prefecture": "lpad((1 + i %% 47)::text, 2, '0')",
            "category": "'2F'",
            "occupation": "'職種' || (i %% 20)",
            "joined_on": "DATE '2024-04-01' + (i %% 820)",
            "created_at": "now()",
            "updated_at": "now()",
            **columns,
        },
        "FROM generate_series(1, %s) AS i",
        [count],
    )
    insert_select(
        Membership,
        {"member_id": "id", "joined_on": "joined_on", "withdrawn_on": withdrawn_on,
         "category": "category"},
        f"FROM {Member._meta.db_table} WHERE organisation_id = {organisation_id}",
    )  # fmt: skip
