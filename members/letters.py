"""Sign-in letters (サインイン案内状): keys, and the A4 PDF staff print and post.

A key is 12 characters from an alphabet without look-alikes (no 0/O, 1/I/L), printed as
XXXX-XXXX-XXXX (60 bits); members type it with or without dashes, in either case, half- or
full-width. Only its SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import io
import secrets
import unicodedata

from django.urls import reverse
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
KEY_LENGTH = 12


def new_key() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(KEY_LENGTH))


def normalise_key(typed: str) -> str:
    """What a member typed -> the key: NFKC, upper case, without dashes and spaces."""
    text = unicodedata.normalize("NFKC", typed or "").upper()
    return "".join(c for c in text if c in ALPHABET)


def key_hash(key: str) -> str:
    return hashlib.sha256(normalise_key(key).encode()).hexdigest()


def key_display(key: str) -> str:
    return "-".join(key[i : i + 4] for i in range(0, len(key), 4))


def letter_url(key: str) -> str:
    """The QR code's address: the letter sign-in page with the key filled in."""
    from django.conf import settings

    base = getattr(settings, "SITE_URL", "").rstrip("/")
    return f"{base}{reverse('members:letter_signin')}?key={key}"


def letters_pdf(letters: list[tuple]) -> bytes:
    """One A4 page per (letter, key): who it is for, how to sign in, the QR code, the key, the
    validity and the office to ask."""
    from .pdf import draw_qr, japanese_font

    font = japanese_font()
    buffer = io.BytesIO()
    width, height = A4
    c = canvas.Canvas(buffer, pagesize=A4)
    c.setTitle("サインイン案内状")
    for letter, key in letters:
        member = letter.member
        org = member.organisation
        left = 25 * mm
        y = height - 30 * mm
        c.setFont(font, 11)
        c.drawString(left, y, f"加入者番号　{member.member_no}")
        y -= 8 * mm
        c.setFont(font, 16)
        c.drawString(left, y, f"{member.name}　様")
        c.setFont(font, 22)
        y -= 22 * mm
        c.drawCentredString(width / 2, y, "安全衛生研修サイト　サインイン案内状")
        c.setFont(font, 11)
        y -= 14 * mm
        for line in (
            "メールアドレスをお持ちでない方のための、研修サイトへのサインイン方法のご案内です。",
            "スマートフォンのカメラで下のQRコードを読み取り、表示された画面で",
            "「サインイン」を押してください。パスワードは不要です。",
            "QRコードが使えないときは、研修サイトの「サインイン」から",
            "「サインイン案内状でサインイン」を開き、下のキーを入力してください。",
        ):
            c.drawString(left, y, line)
            y -= 7 * mm
        url = letter_url(key)
        y -= 50 * mm
        draw_qr(c, url, x=width / 2 - 25 * mm, y=y, size=50 * mm)
        y -= 14 * mm
        c.setFont(font, 12)
        c.drawCentredString(width / 2, y, "キー")
        y -= 12 * mm
        c.setFont("Courier-Bold", 26)
        c.drawCentredString(width / 2, y, key_display(key))
        c.setFont(font, 11)
        y -= 14 * mm
        until = letter.expires_at.astimezone(_tz())
        c.drawCentredString(width / 2, y, f"有効期限　{until.year}年{until.month}月{until.day}日")
        y -= 14 * mm
        for line in (
            "この案内状はご本人専用です。他の人に見せたり渡したりしないでください。",
            "新しい案内状を発行すると、この案内状は使えなくなります。",
            "サインイン後、メールアドレスを登録すると、以後はメールで届くコードでもサインインできます。",
        ):
            c.drawString(left, y, line)
            y -= 7 * mm
        y -= 6 * mm
        c.setFont(font, 10)
        contact = [org.office_name or org.name]
        if org.contact_phone:
            contact.append(f"電話 {org.contact_phone}")
        if org.office_hours:
            contact.append(f"（{org.office_hours}）")
        c.drawString(left, y, "お問い合わせ：" + "　".join(contact))
        if org.contact_email:
            y -= 6 * mm
            c.drawString(left, y, f"メール：{org.contact_email}")
        c.showPage()
    c.save()
    return buffer.getvalue()


def _tz():
    from django.utils import timezone

    return timezone.get_current_timezone()
