"""Fixed vocabularies of the roster: prefectures (JIS X 0401), categories, genders."""

from django.db import models
from django.utils.translation import gettext_lazy as _

# JIS X 0401 order; the code is the list position + 1, zero-padded ("01" … "47").
PREFECTURE_NAMES = [
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県",
    "茨城県", "栃木県", "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県",
    "新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県", "岐阜県",
    "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県",
    "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県",
    "徳島県", "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県",
    "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県",
]  # fmt: skip
PREFECTURE_CHOICES = [(f"{i:02d}", name) for i, name in enumerate(PREFECTURE_NAMES, start=1)]
PREFECTURE_BY_CODE = dict(PREFECTURE_CHOICES)


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")
    OTHER = "X", _("Other")
    UNKNOWN = "", _("Unknown")


class Category(models.TextChoices):
    """特別加入の区分. 第2種 has sub-kinds; a roster may give either the kind or a sub-kind."""

    FIRST = "1", _("Class 1 (small business owners)")
    SECOND = "2", _("Class 2")
    SECOND_FREELANCE = "2F", _("Class 2: specified freelance business")
    SECOND_ONE_PERSON = "2H", _("Class 2: one-person business")
    SECOND_SPECIFIED_WORK = "2T", _("Class 2: specified work")
    THIRD = "3", _("Class 3 (overseas posting)")

    @classmethod
    def kind_of(cls, value: str) -> str:
        """The top-level kind ("1", "2" or "3") of a category or sub-kind."""
        return value[:1]


AGE_BANDS = [
    (10, _("Teens")),
    (20, _("20s")),
    (30, _("30s")),
    (40, _("40s")),
    (50, _("50s")),
    (60, _("60s")),
    (70, _("70s and over")),
]
