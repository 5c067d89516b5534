"""Demo people: two organisations, staff accounts, and a generated roster.

The main organisation is modelled on a freelance special-enrollment group: 331 active members
with the distributions of the group's own report (shared/seeds/000, section 6), invented names.
"""

import csv
import datetime
import random
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from . import conf
from .constants import PREFECTURE_NAMES
from .models import Member, Occupation, Organisation

MAIN_ORG_SLUG = "freelance-center"
SMALL_ORG_SLUG = "hokuto-kensetsu"
DEMO_MEMBER_EMAIL = "demo.member@example.jp"
REPORT_DATE = datetime.date(2024, 12, 4)

GENDERS = {"男": 251, "女": 78, "その他": 2}
AGE_BANDS = {10: 1, 20: 18, 30: 39, 40: 83, 50: 102, 60: 69, 70: 19}
PREFECTURE_COUNTS = {
    "北海道": 13, "青森県": 1, "岩手県": 7, "宮城県": 6, "秋田県": 1, "山形県": 0, "福島県": 0,
    "茨城県": 4, "栃木県": 3, "群馬県": 3, "埼玉県": 24, "千葉県": 19, "東京都": 63, "神奈川県": 26,
    "新潟県": 3, "富山県": 3, "石川県": 1, "福井県": 1, "山梨県": 5, "長野県": 6, "岐阜県": 6,
    "静岡県": 12, "愛知県": 24, "三重県": 5, "滋賀県": 3, "京都府": 2, "大阪府": 16, "兵庫県": 16,
    "奈良県": 2, "和歌山県": 2, "鳥取県": 0, "島根県": 2, "岡山県": 1, "広島県": 9, "山口県": 4,
    "徳島県": 1, "香川県": 2, "愛媛県": 2, "高知県": 1, "福岡県": 15, "佐賀県": 2, "長崎県": 6,
    "熊本県": 2, "大分県": 3, "宮崎県": 1, "鹿児島県": 0, "沖縄県": 3,
}  # fmt: skip
TOP_OCCUPATIONS = {
    "技術者（開発・設計、土木・建設・建築を除く）": 42,
    "土木・建設・建築に付随する業務": 37,
    "社労士": 25,
    "著述・記者・編集・出版": 19,
    "管理人": 17,
}
OTHER_OCCUPATIONS = [
    "デザイナー", "通訳・翻訳", "配送・運送", "営業", "講師・インストラクター", "写真・映像制作",
    "事務サポート", "コンサルタント", "介護・福祉", "美容・理容", "飲食", "農業",
    "芸能・エンターテインメント", "調査・研究", "プログラマー",
]  # fmt: skip
SMALL_ORG_OCCUPATIONS = ["大工", "左官", "とび", "電気工事", "内装仕上げ", "塗装"]

SURNAMES = [
    ("佐藤", "サトウ"), ("鈴木", "スズキ"), ("高橋", "タカハシ"), ("田中", "タナカ"),
    ("伊藤", "イトウ"), ("渡辺", "ワタナベ"), ("山本", "ヤマモト"), ("中村", "ナカムラ"),
    ("小林", "コバヤシ"), ("加藤", "カトウ"), ("吉田", "ヨシダ"), ("山田", "ヤマダ"),
    ("佐々木", "ササキ"), ("山口", "ヤマグチ"), ("松本", "マツモト"), ("井上", "イノウエ"),
    ("木村", "キムラ"), ("林", "ハヤシ"), ("斎藤", "サイトウ"), ("清水", "シミズ"),
    ("山崎", "ヤマザキ"), ("森", "モリ"), ("池田", "イケダ"), ("橋本", "ハシモト"),
    ("髙橋", "タカハシ"), ("長谷川", "ハセガワ"), ("石川", "イシカワ"), ("前田", "マエダ"),
]  # fmt: skip
GIVEN_MALE = [
    ("大翔", "ヒロト"), ("健太", "ケンタ"), ("翔太", "ショウタ"), ("誠", "マコト"),
    ("拓也", "タクヤ"), ("直樹", "ナオキ"), ("浩二", "コウジ"), ("隆", "タカシ"),
    ("学", "マナブ"), ("修", "オサム"), ("和夫", "カズオ"), ("蓮", "レン"),
]  # fmt: skip
GIVEN_FEMALE = [
    ("陽菜", "ヒナ"), ("美咲", "ミサキ"), ("由美", "ユミ"), ("恵子", "ケイコ"),
    ("彩", "アヤ"), ("真由美", "マユミ"), ("結衣", "ユイ"), ("直子", "ナオコ"),
]  # fmt: skip
GIVEN_OTHER = [("晶", "アキラ"), ("薫", "カオル")]

ROSTER_HEADERS = [
    "加入者番号", "氏名", "フリガナ", "生年月日", "性別", "都道府県", "メールアドレス",
    "電話番号", "加入区分", "業務の内容", "職種", "給付基礎日額", "加入日", "脱退日", "脱退理由",
]  # fmt: skip


def _expand(counts: dict) -> list:
    return [value for value, n in counts.items() for _ in range(n)]


def _birth_date(rng: random.Random, band: int) -> datetime.date:
    age = rng.randint(band if band > 10 else 18, band + 9 if band < 70 else 76)
    born = REPORT_DATE.replace(year=REPORT_DATE.year - age) - datetime.timedelta(
        days=rng.randint(1, 364)
    )
    return born


def _join_date(rng: random.Random) -> datetime.date:
    """Joined between the group's opening (2024-11-01) and the report date."""
    start = datetime.date(2024, 11, 1)
    return start + datetime.timedelta(days=rng.randint(0, (REPORT_DATE - start).days - 1))


def main_roster_rows(seed: int = 2024) -> list[dict]:
    """331 active members of the main organisation plus a few withdrawn and later joiners."""
    rng = random.Random(seed)
    genders, bands = _expand(GENDERS), _expand(AGE_BANDS)
    prefectures = _expand(PREFECTURE_COUNTS)
    occupations = _expand(TOP_OCCUPATIONS)
    while len(occupations) < 331:
        occupations.append(OTHER_OCCUPATIONS[len(occupations) % len(OTHER_OCCUPATIONS)])
    for values in (genders, bands, prefectures, occupations):
        rng.shuffle(values)
    rows = []
    for i in range(331):
        rows.append(
            _row(
                rng,
                no=f"{i + 1:06d}",
                gender=genders[i],
                band=bands[i],
                prefecture=prefectures[i],
                occupation=occupations[i],
                category="特定フリーランス事業",
                work_type="特定受託事業者が業務委託を受けて行う事業",
                joined_on=_join_date(rng),
            )
        )
    rows[0]["メールアドレス"] = DEMO_MEMBER_EMAIL
    # A few more: members who withdrew, so history and reports have something to show.
    for j in range(6):
        row = _row(
            rng,
            no=f"{332 + j:06d}",
            gender=rng.choice(["男", "女"]),
            band=rng.choice([30, 40, 50]),
            prefecture=rng.choice(["東京都", "大阪府", "神奈川県"]),
            occupation=rng.choice(OTHER_OCCUPATIONS),
            category="特定フリーランス事業",
            work_type="特定受託事業者が業務委託を受けて行う事業",
            joined_on=datetime.date(2025, 1, 10 + j),
        )
        row["脱退日"] = datetime.date(2025, 4 + j, 1).isoformat()
        row["脱退理由"] = rng.choice(["廃業", "会社員として就職", "他団体へ異動"])
        rows.append(row)
    return rows


def small_roster_rows(seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    return [
        _row(
            rng,
            no=f"H{i + 1:04d}",
            gender=rng.choice(["男"] * 9 + ["女"]),
            band=rng.choice([20, 30, 40, 50, 60]),
            prefecture=rng.choice(["北海道", "青森県", "岩手県"]),
            occupation=rng.choice(SMALL_ORG_OCCUPATIONS),
            category="一人親方等",
            work_type="建設の事業",
            joined_on=datetime.date(2023, 4, 1) + datetime.timedelta(days=rng.randint(0, 900)),
        )
        for i in range(24)
    ]


def _row(rng, *, no, gender, band, prefecture, occupation, category, work_type, joined_on):
    surname, surname_kana = rng.choice(SURNAMES)
    given_pool = {"男": GIVEN_MALE, "女": GIVEN_FEMALE}.get(gender, GIVEN_OTHER)
    given, given_kana = rng.choice(given_pool)
    email = "" if rng.random() < 0.04 else f"member{no.lower()}@example.jp"
    return {
        "加入者番号": no,
        "氏名": f"{surname}\u3000{given}",
        "フリガナ": f"{surname_kana}\u3000{given_kana}",
        "生年月日": _birth_date(rng, band).isoformat(),
        "性別": gender,
        "都道府県": prefecture,
        "メールアドレス": email,
        "電話番号": f"090-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
        "加入区分": category,
        "業務の内容": work_type,
        "職種": occupation,
        "給付基礎日額": str(rng.choice([5000, 8000, 10000, 12000, 16000])),
        "加入日": joined_on.isoformat(),
        "脱退日": "",
        "脱退理由": "",
    }


def write_roster_csv(path: Path, rows: list[dict], encoding: str = "utf-8-sig") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding=encoding) as f:
        writer = csv.DictWriter(f, fieldnames=ROSTER_HEADERS)
        writer.writeheader()
        writer.writerows(rows)
    return path


DEMO_ACCOUNTS = [
    # username, password, role, organisations
    ("admin", "demo-admin-pass", "superuser", []),
    ("staff", "demo-staff-pass", "staff", [MAIN_ORG_SLUG]),
    ("staff-hokuto", "demo-staff-pass", "staff", [SMALL_ORG_SLUG]),
    ("editor", "demo-editor-pass", "editor", []),
]
STAFF_GROUP = conf.STAFF_GROUP
EDITORS_GROUP = "Editors"


def seed(*, stdout, roster_dir: Path) -> None:
    """Create or update the demo organisations, accounts and rosters. Safe to run twice."""
    with transaction.atomic():
        main, _ = Organisation.objects.update_or_create(
            slug=MAIN_ORG_SLUG,
            defaults={
                "name": "みらいフリーランス労災保険センター",
                "short_name": "みらいフリホケ",
                "postal_address": "〒100-0001 東京都千代田区千代田1-1 デモビル3階",
                "contact_email": "anzen@example.jp",
                "contact_phone": "03-0000-0000",
                "office_name": "みらいフリホケ 研修事務局",
                "office_hours": "平日 9:00〜17:00（12:00〜13:00を除く）",
                "representative": "理事長 未来 太郎",
                "mail_from": "みらいフリホケ 研修事務局 <anzen@example.jp>",
            },
        )
        small, _ = Organisation.objects.update_or_create(
            slug=SMALL_ORG_SLUG,
            defaults={
                "name": "北斗建設一人親方労災組合",
                "short_name": "北斗一人親方",
                "postal_address": "〒060-0001 北海道札幌市中央区北1条西1-1",
                "contact_email": "office@hokuto.example.jp",
                "contact_phone": "011-000-0000",
                "office_name": "北斗一人親方 事務局",
                "office_hours": "平日 9:00〜16:00",
                "representative": "組合長 北斗 一郎",
            },
        )
        for org, names in (
            (main, list(TOP_OCCUPATIONS) + OTHER_OCCUPATIONS),
            (small, SMALL_ORG_OCCUPATIONS),
        ):
            for order, name in enumerate(names):
                Occupation.objects.update_or_create(
                    organisation=org, name=name, defaults={"sort_order": order}
                )
        _seed_accounts(stdout=stdout, organisations={o.slug: o for o in (main, small)})
    for org, rows, encoding in (
        (main, main_roster_rows(), "utf-8-sig"),
        (small, small_roster_rows(), "cp932"),  # as the office's Excel saves it
    ):
        path = write_roster_csv(roster_dir / f"{org.slug}-roster.csv", rows, encoding=encoding)
        report = load_roster(organisation=org, path=path)
        counts = ", ".join(f"{k} {v}" for k, v in report.counts.items() if v)
        stdout.write(
            f"  roster {org.slug}: {Member.objects.filter(organisation=org).count()} members "
            f"({path}; import: {counts or 'no changes'})"
        )
    stdout.write(
        f"  demo member sign-in e-mail: {DEMO_MEMBER_EMAIL} (the code arrives in var/mail/)"
    )


# Wagtail's migrations create these two groups; a transactional test flush deletes them, so the
# seed makes them again the way Wagtail does (admin access, pages from the root, and
# images/documents of the root collection).
WAGTAIL_GROUPS = {
    "Moderators": ("add_page", "change_page", "publish_page", "lock_page", "unlock_page"),
    EDITORS_GROUP: ("add_page", "change_page", "lock_page", "unlock_page"),
}
COLLECTION_PERMISSIONS = {
    "wagtailimages": ("add_image", "change_image", "choose_image"),
    "wagtaildocs": ("add_document", "change_document", "choose_document"),
}


def wagtail_editor_groups() -> dict[str, Group]:
    """Wagtail's "Editors" and "Moderators" groups: got if they exist, else created with
    Wagtail's default permissions. Idempotent; an existing group is left as the site set it."""
    from django.contrib.auth.models import Permission
    from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission, Page

    groups = {}
    for name, page_codenames in WAGTAIL_GROUPS.items():
        group, created = Group.objects.get_or_create(name=name)
        groups[name] = group
        if not created:
            continue
        group.permissions.add(
            Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
        )
        root = Page.get_first_root_node()
        for codename in page_codenames if root else ():
            GroupPagePermission.objects.get_or_create(
                group=group,
                page=root,
                permission=Permission.objects.get(
                    content_type__app_label="wagtailcore", codename=codename
                ),
            )
        collection = Collection.get_first_root_node()
        for app_label, codenames in COLLECTION_PERMISSIONS.items() if collection else ():
            for codename in codenames:
                GroupCollectionPermission.objects.get_or_create(
                    group=group,
                    collection=collection,
                    permission=Permission.objects.get(
                        content_type__app_label=app_label, codename=codename
                    ),
                )
    return groups


def _seed_accounts(*, stdout, organisations) -> None:
    from .services import staff_group_setup

    User = get_user_model()
    staff_group = staff_group_setup()
    editors = wagtail_editor_groups()[EDITORS_GROUP]
    for username, password, role, org_slugs in DEMO_ACCOUNTS:
        user, _ = User.objects.get_or_create(
            username=username, defaults={"email": f"{username}@example.jp"}
        )
        user.is_superuser = user.is_staff = role == "superuser"
        user.set_password(password)
        user.save()
        if role == "staff":
            user.groups.add(staff_group)
        if role == "editor":
            user.groups.add(editors)
        for slug in org_slugs:
            organisations[slug].staff.add(user)
        stdout.write(f"  account {username} / {password} ({role})")


def load_roster(*, organisation, path: Path):
    """Load a demo roster file with the real importer (the same path as the admin and command)."""
    from .services import roster_import_file

    report, _import = roster_import_file(
        organisation=organisation, data=path.read_bytes(), file_name=path.name, source="demo"
    )
    if report.rejected:
        raise RuntimeError(f"demo roster {path} was rejected: {report.errors[:3]}")
    return report


assert len(PREFECTURE_COUNTS) == len(PREFECTURE_NAMES) and sum(PREFECTURE_COUNTS.values()) == 331
