"""Value normalisation: what office exports really contain."""

import datetime

import pytest

from members.roster import normalise as N

D = datetime.date


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("1975-04-01", D(1975, 4, 1)),
        ("1975/4/1", D(1975, 4, 1)),
        ("19750401", D(1975, 4, 1)),
        ("１９７５／４／１", D(1975, 4, 1)),
        ("1975年4月1日", D(1975, 4, 1)),
        ("1975/04/01 0:00:00", D(1975, 4, 1)),
        ("S50.4.1", D(1975, 4, 1)),
        ("s50.4.1", D(1975, 4, 1)),
        ("昭和50年4月1日", D(1975, 4, 1)),
        ("R6.4.1", D(2024, 4, 1)),
        ("令和6年4月1日", D(2024, 4, 1)),
        ("令和元年5月1日", D(2019, 5, 1)),
        ("R1.5.1", D(2019, 5, 1)),
        ("H31.4.30", D(2019, 4, 30)),
        ("平成元年1月8日", D(1989, 1, 8)),
        ("S64.1.7", D(1989, 1, 7)),
        ("T15.12.24", D(1926, 12, 24)),
        (45597, D(2024, 11, 1)),  # Excel serial
        (45597.5, D(2024, 11, 1)),  # a serial with a time
        (19750401, D(1975, 4, 1)),  # yyyymmdd typed as a number
        (D(1975, 4, 1), D(1975, 4, 1)),
        ("", None),
    ],
)
def test_dates(raw, expected):
    assert N.date(raw) == expected


@pytest.mark.parametrize(
    "raw, code",
    [
        ("2月30日", "date"),
        ("1975年2月30日", "date_impossible"),
        ("2023-02-29", "date_impossible"),
        ("R1.4.30", "date_era_start"),  # 令和 began on 2019-05-01
        ("H31.5.1", "date_era"),  # 平成 ended on 2019-04-30
        ("S64.1.8", "date_era"),
        ("R0.1.1", "date"),
        ("不明", "date"),
        ("1975-13-01", "date_impossible"),
    ],
)
def test_impossible_dates(raw, code):
    with pytest.raises(N.Problem) as problem:
        N.date(raw)
    assert problem.value.code == code


@pytest.mark.parametrize(
    "raw, code",
    [
        ("東京都", "13"),
        ("東京", "13"),
        ("13", "13"),
        ("1", "01"),
        (1, "01"),
        ("北海道", "01"),
        ("京都", "26"),
        ("大阪", "27"),
        ("沖縄県", "47"),
        ("東京都千代田区", "13"),
        ("", ""),
    ],
)
def test_prefectures(raw, code):
    assert N.prefecture(raw) == code


@pytest.mark.parametrize("raw", ["48", "0", "東京県", "Tokyo"])
def test_unknown_prefectures(raw):
    with pytest.raises(N.Problem):
        N.prefecture(raw)


@pytest.mark.parametrize(
    "raw, code",
    [
        ("第1種", "1"),
        ("第一種", "1"),
        ("第２種", "2"),
        ("第3種", "3"),
        ("特定フリーランス事業", "2F"),
        ("第2種（特定フリーランス事業）", "2F"),
        ("一人親方等", "2H"),
        ("特定作業従事者", "2T"),
        ("2F", "2F"),
    ],
)
def test_categories(raw, code):
    assert N.category(raw) == code


def test_text_kana_names_and_numbers():
    assert N.kana("ﾔﾏﾀﾞ ﾀﾛｳ") == "ヤマダ\u3000タロウ"
    assert N.kana("やまだ　たろう") == "ヤマダ\u3000タロウ"
    assert N.person_name("山田  太郎") == "山田\u3000太郎"
    assert N.person_name("髙橋　﨑") == "髙橋\u3000﨑"
    assert N.member_no("０００１２３") == "000123" and N.member_no(123.0) == "123"
    assert N.daily_base("¥10,000") == N.daily_base("10000円") == N.daily_base("１００００") == 10000
    assert N.daily_base(3500) == 3500 and N.daily_base("") is None
    with pytest.raises(N.Problem):
        N.daily_base("11000")
    assert N.postcode("1000001") == N.postcode("〒100-0001") == "100-0001"
    assert N.postcode(600001) == "060-0001"  # Excel dropped the leading zero
    assert (
        N.phone("０３（１２３４）５６７８") == "03-1234-5678"
        and N.phone(9012345678) == "09012345678"
    )
    assert N.email("Taro@Example.JP") == "Taro@example.jp"
    assert N.gender("男性") == "M" and N.gender("F") == "F" and N.gender("3") == "X"


def test_headers_in_japanese_english_and_with_brackets():
    assert N.match_header("加入者番号") == "member_no"
    assert N.match_header("Member No") == "member_no"
    assert N.match_header("ＭＥＭＢＥＲ＿ＮＯ") == "member_no"
    assert N.match_header("生年月日（西暦）") == "birth_date"
    assert N.match_header("住所（都道府県）") == "prefecture"
    assert N.match_header("住所") == "address"
    assert N.match_header("フリガナ（姓）") == "kana_last"
    assert N.match_header("E-mail") == "email"
    assert N.match_header("備考") is None


def test_occupation_list_maps_aliases():
    occupations = N.OccupationList([("管理人", "マンション管理人\nビル管理人"), ("社労士", "")])
    assert occupations.resolve("ビル管理人") == ("管理人", True)
    assert occupations.resolve("社労士") == ("社労士", True)
    assert occupations.resolve("宇宙飛行士") == ("宇宙飛行士", False)
