#!/usr/bin/env python
"""Roster import benchmark, against PostgreSQL COPY measured in the same run.

    .venv/bin/python bench/roster_import.py [--rows 100000]

Uses DATABASE_URL when it is PostgreSQL (default postgres://postgres@127.0.0.1:5432/
lms_bench_roster; created and migrated if needed; its roster tables are emptied). Generates
ROWS realistic roster rows (和暦 and Western dates, half-width kana, 髙/﨑, prefecture names
and codes, "¥10,000") saved as a CP932 CSV, as Excel would. Then three rounds of:

1. import the file into an empty organisation with the real importer (read, normalise,
   validate, diff, apply, history);
2. baseline: COPY the same normalised rows into a table like members_member (same columns,
   constraints and indexes);
3. re-import the same file (the no-op path).

and finally a file with 1 % of the rows changed. The last line is machine-readable, each
ratio the median of the three rounds with its spread:
    rows=100000 import_s=… copy_s=… ratio=… ratio_spread=… noop_ratio=… noop_ratio_spread=…
Targets: ratio (first import / COPY) <= 3, noop_ratio (re-import / COPY) <= 2.
"""

import argparse
import datetime
import random
import tempfile
from pathlib import Path

from common import Ratios, load_average, timed, use_database

ORG_SLUG = "bench-roster"
HEADERS = [
    "加入者番号", "氏名", "フリガナ", "生年月日", "性別", "都道府県", "メールアドレス", "電話番号",
    "加入区分", "業務の内容", "職種", "郵便番号", "住所", "屋号", "給付基礎日額", "加入日", "脱退日",
    "脱退理由",
]  # fmt: skip
SURNAMES = [
    ("佐藤", "ｻﾄｳ"), ("鈴木", "スズキ"), ("髙橋", "タカハシ"), ("田中", "たなか"), ("山﨑", "ヤマザキ"),
    ("伊藤", "イトウ"), ("渡辺", "ワタナベ"), ("中村", "ﾅｶﾑﾗ"), ("小林", "コバヤシ"), ("加藤", "カトウ"),
]  # fmt: skip
GIVEN = [
    ("太郎", "タロウ"),
    ("花子", "ハナコ"),
    ("健太", "ｹﾝﾀ"),
    ("由美", "ユミ"),
    ("誠", "マコト"),
    ("陽菜", "ヒナ"),
    ("晶", "アキラ"),
    ("蓮", "レン"),
]
PREFECTURES = ["東京都", "13", "神奈川", "14", "大阪府", "愛知県", "北海道", "1", "福岡県", "埼玉"]
CATEGORIES = [
    "特定フリーランス事業",
    "第2種（特定フリーランス事業）",
    "一人親方等",
    "特定作業従事者",
    "第1種",
]
OCCUPATIONS = [
    "技術者（開発・設計、土木・建設・建築を除く）",
    "土木・建設・建築に付随する業務",
    "社労士",
    "著述・記者・編集・出版",
    "管理人",
    "デザイナー",
    "通訳・翻訳",
    "配送・運送",
]
STEPS = ["￥10,000", "8000", "12,000円", "５０００", "16000", "25000"]


def wareki(day: datetime.date) -> str:
    if day >= datetime.date(2019, 5, 1):
        return f"R{day.year - 2018}.{day.month}.{day.day}"
    if day >= datetime.date(1989, 1, 8):
        return f"H{day.year - 1988}.{day.month}.{day.day}"
    return f"昭和{day.year - 1925}年{day.month}月{day.day}日"


def fmt_date(rng: random.Random, day: datetime.date) -> str:
    style = rng.randrange(4)
    if style == 0:
        return day.isoformat()
    if style == 1:
        return f"{day.year}/{day.month}/{day.day}"
    if style == 2:
        return day.strftime("%Y%m%d")
    return wareki(day)


def make_rows(count: int, seed: int = 42) -> list[list[str]]:
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        surname, surname_kana = rng.choice(SURNAMES)
        given, given_kana = rng.choice(GIVEN)
        birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=rng.randrange(365 * 55))
        joined = datetime.date(2019, 6, 1) + datetime.timedelta(days=rng.randrange(365 * 6))
        withdrawn = ""
        if rng.random() < 0.05:
            withdrawn = fmt_date(rng, joined + datetime.timedelta(days=rng.randrange(30, 400)))
        rows.append([
            f"{i + 1:07d}",
            f"{surname}\u3000{given}",
            f"{surname_kana} {given_kana}",
            fmt_date(rng, birth),
            rng.choice(["男", "女", "男性", "M", "1", "2"]),
            rng.choice(PREFECTURES),
            f"member{i + 1}@Example.jp" if rng.random() > 0.03 else "",
            f"090-{rng.randrange(10000):04d}-{rng.randrange(10000):04d}",
            rng.choice(CATEGORIES),
            "特定受託事業者が業務委託を受けて行う事業",
            rng.choice(OCCUPATIONS),
            f"{rng.randrange(1000000, 9999999)}",
            f"中央区{rng.randrange(1, 9)}-{rng.randrange(1, 30)}-{rng.randrange(1, 20)}",
            "㈱デザイン①" if rng.random() < 0.01 else "",
            rng.choice(STEPS),
            fmt_date(rng, joined),
            withdrawn,
            "廃業" if withdrawn else "",
        ])  # fmt: skip
    return rows


def write_csv(path: Path, rows) -> bytes:
    import csv
    import io

    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADERS)
    writer.writerows(rows)
    data = buffer.getvalue().encode("cp932")
    path.write_bytes(data)
    return data


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    use_database("lms_bench_roster")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from members.models import Organisation, RosterImport
    from members.roster import normalise
    from members.roster.diff import MEMBER_FIELDS
    from members.roster.pipeline import Options
    from members.roster.reading import read_table
    from members.roster.validation import validate
    from members.services import roster_import_file

    call_command("migrate", verbosity=0)
    org, _ = Organisation.objects.get_or_create(slug=ORG_SLUG, defaults={"name": "Bench"})

    def empty_roster():
        with connection.cursor() as cursor:  # only this benchmark uses this database
            cursor.execute(
                "TRUNCATE members_memberchange, members_membership, members_member CASCADE"
            )
            RosterImport.objects.filter(organisation=org).delete()
            for table in ("members_member", "members_membership", "members_memberchange"):
                cursor.execute(f"VACUUM ANALYZE {table}")  # as autovacuum would

    rows = make_rows(args.rows)
    workdir = Path(tempfile.mkdtemp(prefix="roster-bench-"))
    data = write_csv(workdir / "roster.csv", rows)
    print(f"generated {len(rows)} rows, {len(data) / 1e6:.1f} MB CP932 ({workdir})")

    def run_import(payload, name):
        report, _import = roster_import_file(
            organisation=org, data=payload, file_name=name, options=Options()
        )
        assert not report.rejected, report.errors[:3]
        return report

    # the COPY baseline: the same normalised rows into a table like members_member
    table = read_table(data, encoding="auto")
    validated = validate(
        table,
        normalise.map_columns(table.rows),
        occupations=normalise.OccupationList([]),
        known={},
        as_of=datetime.date.today(),
        today=datetime.date.today(),
    )
    now = datetime.datetime.now(datetime.UTC)
    copy_columns = [
        "organisation_id",
        "member_no",
        *MEMBER_FIELDS,
        "roster_fingerprint",
        "created_at",
        "updated_at",
    ]
    values = [
        (
            org.pk,
            r.values["member_no"],
            *(r.values[f] for f in MEMBER_FIELDS),
            r.fingerprint,
            now,
            now,
        )
        for r in validated.rows
    ]

    def copy():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_member_copy")
            cursor.execute("CREATE TABLE bench_member_copy (LIKE members_member INCLUDING ALL)")
            with cursor.cursor.copy(
                f"COPY bench_member_copy ({', '.join(copy_columns)}) FROM STDIN"
            ) as pg_copy:
                for row in values:
                    pg_copy.write_row(row)
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_member_copy")

    first, noop = Ratios("ratio"), Ratios("noop_ratio")
    for _round in range(args.rounds):
        empty_roster()
        import_s, report = timed(run_import, data, "roster.csv")
        assert report.counts["added"] == len(rows), report.counts
        copy_s, _none = timed(copy)
        first.add(import_s, copy_s)
        noop_s, report = timed(run_import, data, "roster.csv")
        assert not report.has_changes and report.counts["unchanged"] == len(rows), report.counts
        noop.add(noop_s, copy_s)

    rng = random.Random(7)
    changed_rows = [list(r) for r in rows]
    for index in rng.sample(range(len(rows)), len(rows) // 100):
        row = changed_rows[index]
        kind = rng.randrange(3)
        if kind == 0:
            row[6] = f"new{index}@example.jp"
        elif kind == 1:
            row[12] = "港区1-1-1"
        elif not row[16]:
            row[16], row[17] = "2026-06-01", "廃業"
        else:
            row[8] = "一人親方等"
    changed = write_csv(workdir / "roster-1pct.csv", changed_rows)
    change_s, report = timed(run_import, changed, "roster-1pct.csv")
    changes = report.counts["changed"] + report.counts["withdrawn"] + report.counts["rejoined"]
    copy_median = sorted(first.raw)[len(first.raw) // 2]
    print(
        f"1% changes: {change_s:.2f}s ({changes} members changed) {report.counts} "
        f"ratio={change_s / copy_median:.2f}"
    )
    print(f"load average {load_average()}")
    print(
        f"rows={len(rows)} import_s={sorted(first.ours)[len(first.ours) // 2]:.2f} "
        f"copy_s={copy_median:.2f} {first.field()} {noop.field()}"
    )


if __name__ == "__main__":
    main()
