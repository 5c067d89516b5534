"""The roster import pipeline end to end, on real files in tests/fixtures/roster/."""

import datetime
import io
import json
import re

import pytest
from django.core import serializers
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from members.models import Member, MemberChange, Membership, Occupation, Organisation, RosterImport
from members.roster.pipeline import Options, run
from tests.factories import make_member, make_organisation
from tests.factories.members import import_roster_fixture, make_occupations, roster_fixture

D = datetime.date
pytestmark = pytest.mark.django_db


def dump() -> str:
    """Every roster table, every column, in primary-key order."""
    data = []
    for model in (Organisation, Occupation, Member, Membership, MemberChange):
        data.append(serializers.serialize("json", model.objects.order_by("pk")))
    return "\n".join(data)


def issues(report):
    return [(i.line, i.field, i.code) for i in report.errors]


@pytest.fixture
def org(organisation):
    make_occupations(organisation=organisation)
    return organisation


def member(no):
    return Member.objects.get(member_no=no)


def periods(no):
    return list(
        Membership.objects.filter(member__member_no=no)
        .order_by("joined_on")
        .values_list("joined_on", "withdrawn_on", "category")
    )


def test_utf8_file_is_normalised(org):
    report, import_ = import_roster_fixture(organisation=org, name="utf8_basic.csv")
    assert report.encoding == "utf-8"
    assert report.counts == {
        "added": 5,
        "changed": 0,
        "withdrawn": 0,
        "rejoined": 0,
        "unchanged": 0,
        "missing": 0,
        "rejected": 0,
    }
    assert report.errors == []
    # unknown occupation: reported (line 6) and kept as given
    assert [(w.line, w.code, w.value) for w in report.warnings] == [
        (6, "unknown_occupation", "翻訳")
    ]
    taro = member("000101")
    assert (taro.name, taro.name_kana) == (
        "山田\u3000太郎",
        "ヤマダ\u3000タロウ",
    )  # half-width kana
    assert taro.email == "Taro@example.jp"  # the domain is lower-cased
    assert (taro.prefecture, taro.postcode, taro.daily_base) == ("13", "100-0001", 10000)
    assert taro.category == "2F" and taro.occupation == "デザイナー"
    hanako = member("000102")  # full-width member number, hiragana, S50, 令和, 10,000円
    assert hanako.name_kana == "サトウ\u3000ハナコ"
    assert (hanako.birth_date, hanako.joined_on) == (D(1975, 4, 1), D(2024, 11, 1))
    assert (hanako.phone, hanako.prefecture, hanako.category) == ("090-1111-2222", "13", "2F")
    ichiro = member("000103")  # 19800515, R6.11.5, 大阪, alias of 管理人, 〒
    assert (ichiro.birth_date, ichiro.joined_on) == (D(1980, 5, 15), D(2024, 11, 5))
    assert (ichiro.prefecture, ichiro.occupation, ichiro.postcode) == ("27", "管理人", "530-0001")
    assert ichiro.name == "鈴木\u3000一郎" and ichiro.category == "2H"
    akira = member("000104")  # H2.1.8, code "1", 7-digit postcode
    assert (akira.birth_date, akira.prefecture, akira.postcode) == (D(1990, 1, 8), "01", "060-0001")
    assert (akira.gender, akira.category, akira.joined_on) == ("X", "1", D(2024, 11, 10))
    megumi = member("000105")  # S64.1.7 is the last day of 昭和; withdrawn
    assert megumi.birth_date == D(1989, 1, 7)
    assert periods("000105") == [(D(2024, 12, 1), D(2025, 3, 31), "2T")]
    assert periods("000101") == [(D(2024, 11, 1), None, "2F")]
    assert import_.status == RosterImport.Status.APPLIED and import_.added == 5
    assert [c["kind"] for c in import_.report["changes"]] == ["added"] * 5
    assert not MemberChange.objects.exists()  # history records changes after the addition


def test_bom_file_with_english_headers_in_any_order(org):
    report, _ = import_roster_fixture(organisation=org, name="utf8_bom_english.csv")
    assert report.encoding == "utf-8-sig"
    assert report.counts["added"] == 3 and not report.errors
    assert report.unmatched_columns == ["Note"]
    assert member("E001").name == "伊藤\u3000健太"
    assert (member("E001").gender, member("E001").prefecture) == ("M", "14")
    assert member("E002").birth_date == D(1992, 2, 29) and member("E002").category == "3"
    assert member("E003").joined_on == D(2025, 3, 1) and member("E003").prefecture == "27"


def test_cp932_file_keeps_characters_that_shift_jis_cannot_decode(org):
    report, _ = import_roster_fixture(organisation=org, name="cp932_special.csv")
    assert report.encoding == "cp932" and report.counts["added"] == 2 and not report.errors
    takahashi, yamazaki = member("C001"), member("C002")
    assert takahashi.name == "髙橋\u3000一郎" and yamazaki.name == "山﨑\u3000次郎"
    assert takahashi.business_name == "(株)髙橋工務店1"  # ㈱ and ① under NFKC
    assert takahashi.address == "浜松市中区1-2~3"
    assert takahashi.joined_on == D(2019, 5, 1)  # 令和元年5月1日
    assert yamazaki.birth_date == D(1989, 1, 8)  # 平成元年1月8日
    assert takahashi.prefecture == yamazaki.prefecture == "22"


@pytest.mark.parametrize("encoding", ["auto", "cp932"])
def test_cp932_detected_or_given(org, encoding):
    report, _ = import_roster_fixture(
        organisation=org, name="cp932_special.csv", encoding=encoding, dry_run=True
    )
    assert report.encoding == "cp932" and not report.errors


def test_wrong_encoding_is_a_file_error_with_the_line(org):
    before = dump()
    report, import_ = import_roster_fixture(
        organisation=org, name="cp932_special.csv", encoding="utf-8"
    )
    # the CP932 header line itself is not UTF-8
    assert report.rejected_file and [(i.line, i.code) for i in report.errors] == [(1, "decode")]
    assert dump() == before
    assert import_.status == RosterImport.Status.REJECTED


def test_undecodable_bytes_are_rejected(org):
    report, _ = import_roster_fixture(organisation=org, name="undecodable.csv")
    assert [(i.line, i.code) for i in report.errors] == [(2, "decode")]
    assert "85 40" in report.errors[0].value


def test_split_name_columns_and_a_title_row(org):
    report, _ = import_roster_fixture(organisation=org, name="split_names.csv")
    assert report.counts["added"] == 2 and not report.errors
    assert (
        member("S01").name == "山本\u3000大翔" and member("S01").name_kana == "ヤマモト\u3000ヒロト"
    )
    assert member("S02").name == "中村" and member("S02").name_kana == "ナカムラ"
    assert member("S01").joined_on == D(2025, 4, 1)


def test_xlsx_with_date_cells_serials_and_numbers(org):
    report, _ = import_roster_fixture(organisation=org, name="roster.xlsx")
    assert (report.encoding, report.sheet) == ("xlsx", "名簿")
    assert report.counts["added"] == 2 and not report.errors
    x1 = member("X001")
    assert x1.name == "髙木\u3000優"
    assert x1.birth_date == D(1980, 2, 3)  # a date cell
    assert x1.joined_on == D(2024, 11, 1)  # Excel serial 45597
    assert (x1.postcode, x1.prefecture, x1.phone) == ("060-0001", "13", "09012345678")
    assert x1.daily_base == 12000
    mori = member("2002")  # a member number typed as a number
    assert mori.birth_date == D(1980, 2, 4)  # serial 29255
    assert (mori.joined_on, mori.withdrawn_on) == (D(2025, 1, 15), D(2025, 3, 31))
    assert mori.daily_base == 16000 and mori.prefecture == "27"


def test_xlsx_named_sheet(org):
    report, _ = import_roster_fixture(organisation=org, name="roster.xlsx", sheet="6月")
    assert report.sheet == "6月" and report.counts["added"] == 1
    assert member("X009").joined_on == D(2026, 6, 1)
    report, _ = import_roster_fixture(
        organisation=org, name="roster.xlsx", sheet="7月", dry_run=True
    )
    assert [(i.code, i.params["sheets"]) for i in report.errors] == [("sheet", "名簿, 6月")]


EXPECTED_ERRORS = [
    (3, "birth_date", "date"),
    (4, "birth_date", "date_impossible"),
    (5, "joined_on", "date_era_start"),
    (6, "withdrawn_on", "withdrawn_before_joined"),
    (7, "category", "category"),
    (8, "member_no", "duplicate_member_no"),
    (9, "member_no", "duplicate_member_no"),
    (10, "email", "email"),
    (11, "gender", "gender"),
    (12, "prefecture", "prefecture"),
    (13, "postcode", "postcode"),
    (14, "daily_base", "daily_base"),
    (15, "member_no", "required"),
    (16, "name", "required"),
]


def test_every_error_is_collected_and_the_file_rejected(org):
    make_member(organisation=org, member_no="R999")
    before = dump()
    report, import_ = import_roster_fixture(organisation=org, name="errors.csv")
    assert issues(report) == EXPECTED_ERRORS
    assert report.rejected and not report.applied
    assert report.counts["rejected"] == 14 and report.counts["added"] == 3
    assert [(w.line, w.code) for w in report.warnings] == [
        (2, "duplicate_email"),
        (17, "unknown_occupation"),
    ]
    assert dump() == before  # byte for byte: nothing written to the roster
    import_.refresh_from_db()
    assert import_.status == RosterImport.Status.REJECTED and import_.rejected == 14
    assert len(import_.report["errors"]) == 14


def test_error_messages_name_file_line_column_value_and_expectation(org):
    report, _ = import_roster_fixture(organisation=org, name="errors.csv", dry_run=True)
    impossible = report.errors[1]
    with translation.override("en"):
        assert impossible.message("errors.csv") == (
            "errors.csv, line 4, column 3 (生年月日): value “1970年2月30日”: There is no day 30 "
            "in month 2 of 1970. Expected: A date that exists in the calendar."
        )
    messages = impossible.messages("errors.csv")
    assert messages["ja"] == (
        "errors.csv, 4行目, 列 3 (生年月日): 値「1970年2月30日」: 1970年2月30日は存在しない日付です。"
        " 期待する値: 暦に存在する日付。"
    )
    duplicate = report.errors[5].messages("errors.csv")
    assert "(lines 8, 9)" in duplicate["en"] and "（8, 9行目）" in duplicate["ja"]


def test_skip_invalid_applies_the_valid_rows(org):
    report, import_ = import_roster_fixture(organisation=org, name="errors.csv", skip_invalid=True)
    assert not report.rejected and report.applied
    assert report.counts["added"] == 3 and report.counts["rejected"] == 14
    assert set(Member.objects.values_list("member_no", flat=True)) == {"R001", "R015", "R016"}
    assert member("R015").occupation == "宇宙飛行士"  # kept as given
    assert import_.status == RosterImport.Status.APPLIED


def test_missing_required_columns_reject_the_file_before_reading_rows(org):
    before = dump()
    report, _ = import_roster_fixture(organisation=org, name="missing_columns.csv")
    assert report.rejected_file and report.rows_total == 0
    assert [(i.line, i.field, i.code) for i in report.errors] == [
        (1, "category", "missing_column"),
        (1, "joined_on", "missing_column"),
    ]
    assert dump() == before


def test_same_file_twice_changes_nothing(org):
    first, _ = import_roster_fixture(organisation=org, name="utf8_basic.csv")
    after_first = dump()
    second, import_ = import_roster_fixture(organisation=org, name="utf8_basic.csv")
    assert second.counts["unchanged"] == 5 and not second.has_changes
    assert not second.applied and import_.status == RosterImport.Status.NO_CHANGES
    assert dump() == after_first
    # the same roster saved by Excel as Shift_JIS (where ¥ is a backslash) changes nothing
    # either: values are compared, not bytes
    text = roster_fixture("utf8_basic.csv").read_text(encoding="utf-8")
    data = text.replace("¥", "\\").encode("cp932")
    history = serializers.serialize("json", MemberChange.objects.order_by("pk"))
    report = run(
        organisation=org, data=data, file_name="basic-sjis.csv", options=Options(), apply=True
    )
    assert report.encoding == "cp932"
    assert report.counts["unchanged"] == 5 and not report.has_changes
    assert serializers.serialize("json", MemberChange.objects.order_by("pk")) == history


def test_monthly_changes_close_and_open_membership_periods(org):
    import_roster_fixture(organisation=org, name="month_05.csv", as_of=D(2026, 5, 10))
    report, import_ = import_roster_fixture(
        organisation=org, name="month_06.csv", as_of=D(2026, 6, 10)
    )
    assert report.counts == {
        "added": 1,
        "changed": 2,
        "withdrawn": 1,
        "rejoined": 1,
        "unchanged": 0,
        "missing": 1,
        "rejected": 0,
    }
    assert report.missing_members == [{"member_no": "M005", "name": "小野\u3000五郎"}]
    assert periods("M001") == [(D(2025, 4, 1), None, "2F")]
    # category change: the old period closes on the roster date and a new one opens
    assert periods("M002") == [(D(2025, 4, 1), D(2026, 6, 10), "2F"), (D(2026, 6, 10), None, "2H")]
    assert periods("M003") == [(D(2025, 4, 1), D(2026, 6, 1), "2F")]
    assert periods("M004") == [(D(2025, 4, 1), D(2026, 1, 1), "2F"), (D(2026, 6, 1), None, "2F")]
    assert periods("M005") == [(D(2025, 4, 1), None, "2F")]  # missing is only reported
    assert member("M004").joined_on == D(2026, 6, 1) and member("M004").withdrawn_on is None
    history = MemberChange.objects.get(member__member_no="M001", roster_import=import_)
    assert history.kind == "changed" and history.line == 2
    assert history.changes == {
        "email": ["a@example.jp", "a2@example.jp"],
        "address": ["横浜市", "川崎市"],
    }
    kinds = dict(
        MemberChange.objects.filter(roster_import=import_).values_list("member__member_no", "kind")
    )
    assert kinds == {"M001": "changed", "M002": "changed", "M003": "withdrawn", "M004": "rejoined"}
    assert Membership.objects.count() == 8  # nothing deleted

    again, _ = import_roster_fixture(organisation=org, name="month_06.csv", as_of=D(2026, 6, 10))
    assert again.counts == {
        "added": 0,
        "changed": 0,
        "withdrawn": 0,
        "rejoined": 0,
        "unchanged": 5,
        "missing": 1,
        "rejected": 0,
    }


def test_withdraw_missing(org):
    import_roster_fixture(organisation=org, name="month_05.csv", as_of=D(2026, 5, 10))
    report, _ = import_roster_fixture(
        organisation=org, name="month_06.csv", as_of=D(2026, 6, 10), withdraw_missing=True
    )
    assert report.counts["missing"] == 1 and report.counts["withdrawn"] == 2
    assert periods("M005") == [(D(2025, 4, 1), D(2026, 6, 10), "2F")]
    assert member("M005").withdrawn_on == D(2026, 6, 10)
    # back in the next file as never withdrawn: the guessed withdrawal is undone (the
    # fingerprint of its old row must not make it look unchanged)
    data = roster_fixture("month_06.csv").read_bytes() + (
        "M005,小野　五郎,e@example.jp,,特定フリーランス事業,2025-04-01,\r\n".encode()
    )
    report = run(
        organisation=org,
        data=data,
        file_name="month_07.csv",
        options=Options(as_of=D(2026, 7, 10)),
        apply=True,
    )
    assert report.counts["changed"] == 1 and report.counts["unchanged"] == 5
    assert periods("M005") == [(D(2025, 4, 1), None, "2F")]
    assert member("M005").withdrawn_on is None


def test_dry_run_writes_nothing(org):
    before = dump()
    count = RosterImport.objects.count()
    report, import_ = import_roster_fixture(organisation=org, name="utf8_basic.csv", dry_run=True)
    assert import_ is None and report.counts["added"] == 5 and report.dry_run
    assert dump() == before and RosterImport.objects.count() == count


def _csv(rows):
    header = "加入者番号,氏名,加入区分,加入日,メールアドレス\n"
    return (
        header
        + "".join(f"N{i:05d},試験　{i},第2種,2025-04-01,n{i}@example.jp\n" for i in range(rows))
    ).encode()


def _reset():
    MemberChange.objects.all().delete()
    Membership.objects.all().delete()
    Member.objects.all().delete()


def test_query_count_does_not_grow_with_rows(org, settings):
    settings.MEMBERS_IMPORT_BATCH_SIZE = 40

    def statements(data):
        with CaptureQueriesContext(connection) as ctx:
            report = run(
                organisation=org, data=data, file_name="x.csv", options=Options(), apply=True
            )
        assert not report.errors
        return [q["sql"] for q in ctx.captured_queries]

    def queries(data):
        return len(statements(data))

    small = queries(_csv(41))
    _reset()
    large = queries(_csv(80))
    assert small == large  # the same number of batches (2), whatever the rows
    unchanged = statements(_csv(80))
    # nothing to write: no INSERT, UPDATE or DELETE, no ids reserved (on PostgreSQL the new rows
    # go through COPY, which the capture does not see: the write statements are what differ)
    writes = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b|nextval\(", re.I)
    assert not [sql for sql in unchanged if writes.search(sql)]
    noop = len(unchanged)
    one_change = queries(_csv(80).replace(b"n1@", b"m1@"))
    _reset()
    # past a batch: at most one statement per batch for each of the three inserts
    assert queries(_csv(200)) <= large + 3 * (5 - 2)
    assert queries(_csv(200)) == noop  # re-import: the same statements for 200 rows as for 80
    assert queries(_csv(200).replace(b"n1@", b"m1@")) == one_change


@pytest.fixture
def japanese_terminal(monkeypatch):
    for variable in ("LANGUAGE", "LC_ALL", "LANG"):
        monkeypatch.delenv(variable, raising=False)


def test_command_summary_exit_codes_and_json(org, japanese_terminal):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "import_roster",
        str(roster_fixture("utf8_basic.csv")),
        "--organisation",
        org.slug,
        stdout=out,
        stderr=err,
    )
    text = out.getvalue()
    assert "追加 5" in text and "変更 0" in text

    with pytest.raises(CommandError) as rejected:
        call_command(
            "import_roster",
            str(roster_fixture("errors.csv")),
            "--organisation",
            org.slug,
            stdout=io.StringIO(),
            stderr=(err := io.StringIO()),
        )
    assert rejected.value.returncode == 1
    assert "4行目" in err.getvalue() and "1970年2月30日" in err.getvalue()

    with pytest.raises(CommandError) as usage:
        call_command(
            "import_roster",
            str(roster_fixture("utf8_basic.csv")),
            "--organisation",
            "no-such-org",
            stdout=io.StringIO(),
        )
    assert usage.value.returncode == 2
    with pytest.raises(CommandError) as usage:
        call_command("import_roster", "/no/such/file.csv", "--organisation", org.slug)
    assert usage.value.returncode == 2

    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_roster",
            str(roster_fixture("errors.csv")),
            "--organisation",
            org.slug,
            "--format",
            "json",
            "--dry-run",
            stdout=out,
        )
    data = json.loads(out.getvalue())
    assert data["counts"]["rejected"] == 14 and data["rejected"] is True
    assert [(e["line"], e["field"], e["code"]) for e in data["errors"]] == EXPECTED_ERRORS
    assert data["errors"][1]["message"].startswith("errors.csv, 4行目, 列 3 (生年月日)")


def test_command_speaks_english_when_language_is_en(org, monkeypatch):
    monkeypatch.setenv("LANGUAGE", "en")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_roster",
            str(roster_fixture("errors.csv")),
            "--organisation",
            org.slug,
            "--dry-run",
            stdout=io.StringIO(),
            stderr=err,
        )
    assert "errors.csv, line 4, column 3 (生年月日)" in err.getvalue()


def test_another_organisations_members_are_untouched(org):
    other = make_organisation(name="別団体", slug="other")
    make_member(organisation=other, member_no="000101", name="別人　太郎")
    import_roster_fixture(organisation=org, name="utf8_basic.csv", withdraw_missing=True)
    theirs = Member.objects.get(organisation=other, member_no="000101")
    assert theirs.name == "別人\u3000太郎" and theirs.withdrawn_on is None
