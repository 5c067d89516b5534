"""Turn what offices really export into clean values.

Headers: Japanese or English, any order, matched ignoring case, spaces and bracketed text;
split 姓/名 columns are joined. Values: NFKC (full-width digits and spaces, half-width
katakana), 和暦 (R6.4.1, 令和6年4月1日, H31.4.30, S50.4.1, 元年), 1975/4/1, 19750401, Excel
serials and date cells, prefecture names or JIS codes, yen amounts, postcodes.

Every value function takes a raw cell and returns the clean value or raises ``Problem``.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import hashlib
import re
import unicodedata

import jaconv

from ..constants import PREFECTURE_NAMES, Category, Gender

# Bump when a normaliser changes, so fingerprints of rows imported before are recomputed.
NORMALISER_VERSION = "1"

FIELDS = [
    "member_no", "name", "name_kana", "birth_date", "gender", "prefecture", "email", "phone",
    "category", "work_type", "occupation", "postcode", "address", "business_name",
    "daily_base", "joined_on", "withdrawn_on", "withdrawal_reason",
]  # fmt: skip
REQUIRED = ["member_no", "name", "category", "joined_on"]
DATE_FIELDS = {"birth_date", "joined_on", "withdrawn_on"}

HEADERS = {
    "member_no": ["加入者番号", "会員番号", "番号", "member_no", "member number", "member_id"],
    "name": ["氏名", "名前", "name", "full_name"],
    "name_last": ["姓", "氏", "last_name", "family_name", "surname"],
    "name_first": ["名", "first_name", "given_name"],
    "name_kana": ["フリガナ", "ふりがな", "カナ", "氏名フリガナ", "氏名カナ", "name_kana", "kana"],
    "kana_last": ["セイ", "姓フリガナ", "フリガナ(姓)", "姓(フリガナ)", "last_name_kana"],
    "kana_first": ["メイ", "名フリガナ", "フリガナ(名)", "名(フリガナ)", "first_name_kana"],
    "birth_date": ["生年月日", "birth_date", "date_of_birth", "birthday"],
    "gender": ["性別", "gender", "sex"],
    "prefecture": ["都道府県", "住所(都道府県)", "都道府県名", "prefecture"],
    "email": ["メールアドレス", "E-mail", "メール", "email", "mail", "email_address"],
    "phone": ["電話番号", "電話", "携帯電話番号", "phone", "tel", "telephone"],
    "category": ["加入区分", "特別加入区分", "区分", "category"],
    "work_type": ["業務の内容", "事業・作業の種類", "事業の種類", "work_type"],
    "occupation": ["職種", "業種・職種", "業種", "occupation"],
    "postcode": ["郵便番号", "〒", "postcode", "postal_code", "zip", "zip_code"],
    "address": ["住所", "address"],
    "business_name": ["屋号", "事業所名", "屋号・事業所名", "business_name"],
    "daily_base": ["給付基礎日額", "daily_base", "daily_benefit_base"],
    "joined_on": ["加入日", "加入年月日", "資格取得日", "joined_on", "join_date", "joined"],
    "withdrawn_on": [
        "脱退日", "脱退年月日", "資格喪失日", "withdrawn_on", "withdrawal_date", "withdrawn",
    ],
    "withdrawal_reason": ["脱退理由", "withdrawal_reason"],
}  # fmt: skip

# The legal steps of 給付基礎日額 for special enrollment, in yen.
DAILY_BASE_STEPS = [
    3500, 4000, 5000, 6000, 7000, 8000, 9000, 10000, 12000, 14000, 16000, 18000,
    20000, 22000, 24000, 25000,
]  # fmt: skip

_SPACES = re.compile(r"\s+")
_BRACKETS = re.compile(r"[\(\[【「<＜《〈][^\)\]】」>＞》〉]*[\)\]】」>＞》〉]")
_KEY_DROP = re.compile(r"[\s_\-]+")


class Problem(Exception):
    """A value that could not be normalised: the issue code and its parameters."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params


def nfkc(value) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if not text:
        return ""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    if "  " in text or "\t" in text or "\n" in text or "\r" in text:
        text = _SPACES.sub(" ", text)
    return text.strip()


# --- headers -----------------------------------------------------------------


def header_key(text, *, drop_brackets=False) -> str:
    key = unicodedata.normalize("NFKC", str(text)).lower()
    if drop_brackets:
        key = _BRACKETS.sub("", key)
    return _KEY_DROP.sub("", key)


_HEADER_INDEX = {header_key(h): field for field, hs in HEADERS.items() for h in hs}


def match_header(text) -> str | None:
    """The field a header means, or None. Exact (brackets kept) first, then without brackets."""
    if text is None or text == "":
        return None
    return _HEADER_INDEX.get(header_key(text)) or _HEADER_INDEX.get(
        header_key(text, drop_brackets=True)
    )


@dataclasses.dataclass
class ColumnMap:
    header_line: int
    header_row_index: int  # index into RawTable.rows
    indexes: dict[str, int]  # field -> cell index (name_last etc. included)
    headers: list[str]
    unmatched: list[str]

    def present(self, field: str) -> bool:
        if field == "name":
            return "name" in self.indexes or "name_last" in self.indexes
        if field == "name_kana":
            return "name_kana" in self.indexes or "kana_last" in self.indexes
        return field in self.indexes


def map_columns(rows: list[tuple[int, list]], *, scan: int = 10) -> ColumnMap | None:
    """Find the header row (the first of the first rows naming two known columns) and map it."""
    for position, (line, cells) in enumerate(rows[:scan]):
        fields = [match_header(c) if isinstance(c, str) else None for c in cells]
        if sum(1 for f in fields if f) >= 2:
            indexes, unmatched = {}, []
            headers = [nfkc(c) for c in cells]
            for index, field in enumerate(fields):
                if field and field not in indexes:
                    indexes[field] = index
                elif headers[index]:
                    unmatched.append(headers[index])
            return ColumnMap(line, position, indexes, headers, unmatched)
    return None


# --- values ------------------------------------------------------------------


def text(value) -> str:
    return nfkc(value)


@functools.lru_cache(maxsize=65536)
def repeated_text(value) -> str:
    """Text of columns with few distinct values (work type, occupation, reason)."""
    return nfkc(value)


def member_no(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return nfkc(value).replace(" ", "")


def person_name(value) -> str:
    """NFKC, with one full-width space between family and given name (as rosters write it)."""
    return nfkc(value).replace(" ", "\u3000")


def kana(value) -> str:
    return jaconv.hira2kata(nfkc(value)).replace(" ", "\u3000")


ERAS = [
    # (names, first day); an era ends the day before the next one starts
    (("明治", "明", "m"), datetime.date(1868, 10, 23)),
    (("大正", "大", "t"), datetime.date(1912, 7, 30)),
    (("昭和", "昭", "s"), datetime.date(1926, 12, 25)),
    (("平成", "平", "h"), datetime.date(1989, 1, 8)),
    (("令和", "令", "r"), datetime.date(2019, 5, 1)),
]
_ERA_BY_NAME = {name: i for i, (names, _start) in enumerate(ERAS) for name in names}
_ERA_RE = re.compile(
    r"^(明治|大正|昭和|平成|令和|明|大|昭|平|令|[mtshr])\s*(元|\d{1,2})\s*[年./\-]\s*(\d{1,2})\s*"
    r"[月./\-]\s*(\d{1,2})\s*日?$"
)
_WESTERN_RE = re.compile(
    r"^(\d{4})\s*[年./\-]\s*(\d{1,2})\s*[月./\-]\s*(\d{1,2})\s*日?(?:[ t]\d{1,2}:\d{2}(?::\d{2})?)?$"
)
_EXCEL_EPOCH = datetime.date(1899, 12, 30)


def _make_date(year: int, month: int, day: int) -> datetime.date:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise Problem("date_impossible", year=year, month=month, day=day)


def excel_serial(serial: float) -> datetime.date:
    """Excel's 1900 date system (serial 60 is the fictitious 1900-02-29)."""
    days = int(serial)
    if days < 1 or days > 2958465:
        raise Problem("date")
    if days < 60:
        days += 1
    return _EXCEL_EPOCH + datetime.timedelta(days=days)


@functools.lru_cache(maxsize=65536)
def _date_from_text(raw: str) -> datetime.date:
    value = nfkc(raw).lower()
    if value.isdigit() and len(value) == 8:
        return _make_date(int(value[:4]), int(value[4:6]), int(value[6:]))
    match = _WESTERN_RE.match(value)
    if match:
        return _make_date(*(int(g) for g in match.groups()))
    match = _ERA_RE.match(value)
    if match:
        era_name, era_year, month, day = match.groups()
        index = _ERA_BY_NAME[era_name]
        names, start = ERAS[index]
        era_year = 1 if era_year == "元" else int(era_year)
        if era_year < 1:
            raise Problem("date")
        day_ = _make_date(start.year + era_year - 1, int(month), int(day))
        end = ERAS[index + 1][1] - datetime.timedelta(days=1) if index + 1 < len(ERAS) else None
        if day_ < start and end is None:
            raise Problem("date_era_start", era=names[0], start=start.isoformat())
        if day_ < start or (end and day_ > end):
            raise Problem(
                "date_era",
                era=names[0],
                start=start.isoformat(),
                end=end.isoformat() if end else "",
            )
        return day_
    raise Problem("date")


def date(value) -> datetime.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not value.is_integer():
            value = int(value)  # a date-time serial: the day part
        if 19000101 <= value <= 21001231:
            return _date_from_text(str(int(value)))
        return excel_serial(value)
    return _date_from_text(value)


_GENDERS = {
    "男": Gender.MALE, "男性": Gender.MALE, "m": Gender.MALE, "male": Gender.MALE,
    "1": Gender.MALE, "女": Gender.FEMALE, "女性": Gender.FEMALE, "f": Gender.FEMALE,
    "female": Gender.FEMALE, "2": Gender.FEMALE, "その他": Gender.OTHER,
    "other": Gender.OTHER, "x": Gender.OTHER, "3": Gender.OTHER, "不明": Gender.UNKNOWN,
    "unknown": Gender.UNKNOWN, "0": Gender.UNKNOWN, "9": Gender.UNKNOWN,
}  # fmt: skip


@functools.lru_cache(maxsize=1024)
def gender(value) -> str:
    key = nfkc(value).lower().replace(" ", "")
    if key == "":
        return Gender.UNKNOWN.value
    if key not in _GENDERS:
        raise Problem("gender")
    return _GENDERS[key].value


_PREFECTURES = {}
for _code, _name in enumerate(PREFECTURE_NAMES, start=1):
    _PREFECTURES[_name] = f"{_code:02d}"
    if _name != "北海道":
        _PREFECTURES[_name[:-1]] = f"{_code:02d}"


@functools.lru_cache(maxsize=4096)
def prefecture(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    key = nfkc(value).replace(" ", "")
    if key == "":
        return ""
    if key.isdigit():
        if 1 <= int(key) <= 47:
            return f"{int(key):02d}"
        raise Problem("prefecture")
    if key in _PREFECTURES:
        return _PREFECTURES[key]
    found = prefecture_in_address(key)
    if found:
        return found
    raise Problem("prefecture")


def prefecture_in_address(address: str) -> str:
    """The prefecture code an address starts with ("東京都千代田区…" -> "13"), or ""."""
    for name in sorted(PREFECTURE_NAMES, key=len, reverse=True):
        if address.startswith(name):
            return _PREFECTURES[name]
    return ""


_CATEGORY_WORDS = [
    ("特定フリーランス", Category.SECOND_FREELANCE),
    ("フリーランス", Category.SECOND_FREELANCE),
    ("一人親方", Category.SECOND_ONE_PERSON),
    ("特定作業", Category.SECOND_SPECIFIED_WORK),
    ("中小事業主", Category.FIRST),
    ("海外派遣", Category.THIRD),
]
_CATEGORY_CODES = {
    "第1種": Category.FIRST, "第一種": Category.FIRST, "1種": Category.FIRST, "1": Category.FIRST,
    "class1": Category.FIRST, "第2種": Category.SECOND, "第二種": Category.SECOND,
    "2種": Category.SECOND, "2": Category.SECOND, "class2": Category.SECOND,
    "第3種": Category.THIRD, "第三種": Category.THIRD, "3種": Category.THIRD,
    "3": Category.THIRD, "class3": Category.THIRD, "2f": Category.SECOND_FREELANCE,
    "2h": Category.SECOND_ONE_PERSON, "2t": Category.SECOND_SPECIFIED_WORK,
}  # fmt: skip


@functools.lru_cache(maxsize=1024)
def category(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    key = nfkc(value).lower().replace(" ", "")
    if key == "":
        raise Problem("required")
    for word, result in _CATEGORY_WORDS:
        if word in key:
            return result.value
    key = _BRACKETS.sub("", key)
    if key in _CATEGORY_CODES:
        return _CATEGORY_CODES[key].value
    raise Problem("category")


_EMAIL_RE = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]+@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


def email(value) -> str:
    address = nfkc(value).replace(" ", "")
    if address == "":
        return ""
    local, at, domain = address.rpartition("@")
    if not at or not local or ".." in address or not _EMAIL_RE.match(address):
        raise Problem("email")
    return f"{local}@{domain.lower()}"


_DASHES = str.maketrans({c: "-" for c in "‐‑‒–—―−ーｰ()"})
_NOT_PHONE = re.compile(r"[^0-9\-]")


def phone(value) -> str:
    if isinstance(value, (int, float)):
        # Excel drops the leading zero of a phone number typed as a number
        return "0" + str(int(value))
    cleaned = _NOT_PHONE.sub("", nfkc(value).translate(_DASHES))
    return re.sub(r"-{2,}", "-", cleaned).strip("-")


@functools.lru_cache(maxsize=65536)
def postcode(value) -> str:
    if isinstance(value, (int, float)):
        value = str(int(value))
    digits = nfkc(value).replace("〒", "").replace("-", "").replace(" ", "")
    if digits == "":
        return ""
    if not digits.isdigit():
        raise Problem("postcode")
    if len(digits) == 6:
        digits = "0" + digits  # Excel dropped the leading zero
    if len(digits) != 7:
        raise Problem("postcode")
    return f"{digits[:3]}-{digits[3:]}"


@functools.lru_cache(maxsize=1024)
def daily_base(value) -> int | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        amount = value
    else:
        cleaned = nfkc(value)
        for junk in ("¥", "\\", "円", ",", " "):
            cleaned = cleaned.replace(junk, "")
        if cleaned == "":
            return None
        if not cleaned.isdigit():
            raise Problem("daily_base", steps=_steps())
        amount = int(cleaned)
    if amount not in DAILY_BASE_STEPS:
        raise Problem("daily_base", steps=_steps())
    return amount


def _steps() -> str:
    return ", ".join(f"{s:,}" for s in DAILY_BASE_STEPS)


class OccupationList:
    """Maps free-text occupations to the organisation's list, by name or alias."""

    def __init__(self, entries: list[tuple[str, str]]):
        self.lookup = {}
        for name, aliases in entries:
            self.lookup[self.key(name)] = name
            for alias in (aliases or "").splitlines():
                if alias.strip():
                    self.lookup.setdefault(self.key(alias), name)
        digest = hashlib.blake2b(digest_size=8)
        for key, name in sorted(self.lookup.items()):
            digest.update(f"{key}\x1f{name}\x1e".encode())
        self.version = digest.hexdigest()

    @staticmethod
    def key(value) -> str:
        return nfkc(value).replace(" ", "").lower()

    @functools.lru_cache(maxsize=4096)  # noqa: B019 (one list per import)
    def resolve(self, value) -> tuple[str, bool]:
        """(the name to store, whether it is on the list)."""
        given = nfkc(value)
        if not given:
            return "", True
        known = self.lookup.get(self.key(given))
        return (known, True) if known else (given, not self.lookup)


VALUE_FUNCTIONS = {
    "member_no": member_no,
    "name": person_name,
    "name_kana": kana,
    "birth_date": date,
    "gender": gender,
    "prefecture": prefecture,
    "email": email,
    "phone": phone,
    "category": category,
    "work_type": repeated_text,
    "occupation": repeated_text,  # resolved against the list in validation
    "postcode": postcode,
    "address": text,
    "business_name": text,
    "daily_base": daily_base,
    "joined_on": date,
    "withdrawn_on": date,
    "withdrawal_reason": repeated_text,
}
