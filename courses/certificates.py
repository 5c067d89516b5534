"""修了証 as PDF (ReportLab) with a verification URL and QR code; a zip of many."""

import io
import zipfile
from functools import lru_cache

import qrcode
from django.urls import reverse
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from . import conf

ERAS = [((2019, 5, 1), "令和"), ((1989, 1, 8), "平成"), ((1926, 12, 25), "昭和")]


def wareki(day) -> str:
    """2026-06-10 -> 令和8年6月10日"""
    for (y, m, d), name in ERAS:
        if (day.year, day.month, day.day) >= (y, m, d):
            year = day.year - y + 1
            return f"{name}{'元' if year == 1 else year}年{day.month}月{day.day}日"
    return f"{day.year}年{day.month}月{day.day}日"


@lru_cache(maxsize=1)
def font_name() -> str:
    """Register the Japanese font once: an embedded TrueType font, or the CID fallback."""
    path = conf.certificate_font_path()
    if path:
        try:
            pdfmetrics.registerFont(TTFont("CertJP", path))
            return "CertJP"
        except Exception:  # unreadable or not TrueType: fall back below
            pass
    pdfmetrics.registerFont(UnicodeCIDFont("HeiseiKakuGo-W5"))
    return "HeiseiKakuGo-W5"


def verification_url(certificate) -> str:
    return conf.site_url() + reverse("courses:verify_number", args=[certificate.number])


def _qr_image(url: str) -> ImageReader:
    image = qrcode.make(url, box_size=6, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    buffer.seek(0)
    return ImageReader(buffer)


def _centred(c, text, y, size, font):
    c.setFont(font, size)
    c.drawCentredString(c._pagesize[0] / 2, y, text)


def certificate_pdf(certificate) -> bytes:
    font = font_name()
    buffer = io.BytesIO()
    width, height = landscape(A4)
    c = canvas.Canvas(buffer, pagesize=(width, height))
    c.setTitle(f"修了証 {certificate.number}")
    c.setAuthor(certificate.organisation_name)
    c.setSubject(certificate.course_title)
    c.setStrokeColorRGB(0.05, 0.27, 0.5)
    c.setLineWidth(3)
    c.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    c.setLineWidth(0.8)
    c.rect(15 * mm, 15 * mm, width - 30 * mm, height - 30 * mm)
    c.setFillColorRGB(0.1, 0.1, 0.1)
    _centred(c, "修 了 証", height - 45 * mm, 34, font)
    _centred(c, f"{certificate.member_name}　様", height - 70 * mm, 22, font)
    _centred(c, "あなたは下記の研修を修了したことを証します。", height - 88 * mm, 14, font)
    _centred(c, f"「{certificate.course_title}」", height - 104 * mm, 18, font)
    day = certificate.completed_on
    _centred(
        c,
        f"修了日　{wareki(day)}（{day.year}年{day.month}月{day.day}日）",
        height - 120 * mm,
        13,
        font,
    )
    _centred(c, certificate.organisation_name, height - 140 * mm, 16, font)
    c.setFont(font, 10)
    c.drawString(22 * mm, 30 * mm, f"証明書番号　{certificate.number}")
    url = verification_url(certificate)
    c.drawString(22 * mm, 24 * mm, f"真正性の確認　{url}")
    c.drawImage(_qr_image(url), width - 52 * mm, 20 * mm, 30 * mm, 30 * mm)
    c.showPage()
    c.save()
    return buffer.getvalue()


def certificate_filename(certificate) -> str:
    return f"certificate-{certificate.number}.pdf"


def certificates_zip(certificates) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for certificate in certificates:
            name = f"{certificate.enrolment.member.member_no}-{certificate_filename(certificate)}"
            archive.writestr(name, certificate_pdf(certificate))
    return buffer.getvalue()
