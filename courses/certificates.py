"""修了証 as PDF (ReportLab) with a verification URL and QR code; a zip of many."""

import io
import zipfile

from django.urls import reverse
from django.utils import timezone
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from members.pdf import draw_qr, fitted_size, japanese_font, wrap

from . import conf

ERAS = [((2019, 5, 1), "令和"), ((1989, 1, 8), "平成"), ((1926, 12, 25), "昭和")]


def wareki(day) -> str:
    """2026-06-10 -> 令和8年6月10日"""
    for (y, m, d), name in ERAS:
        if (day.year, day.month, day.day) >= (y, m, d):
            year = day.year - y + 1
            return f"{name}{'元' if year == 1 else year}年{day.month}月{day.day}日"
    return f"{day.year}年{day.month}月{day.day}日"


def font_name() -> str:
    """The Japanese font certificates use (members.pdf registers it once)."""
    return japanese_font(conf.certificate_font_path())


def verification_url(certificate) -> str:
    return conf.site_url() + reverse("courses:verify_number", args=[certificate.number])


def _centred(c, text, y, size, font):
    c.setFont(font, size)
    c.drawCentredString(c._pagesize[0] / 2, y, text)


def _fitted(c, text, *, y, size, font, width, smallest, leading=1.35) -> float:
    """Draw ``text`` centred at ``y``, shrunk until it fits ``width``; still too long at
    ``smallest``, wrapped onto further lines. Returns the y below the last line."""
    size = fitted_size(text, font=font, size=size, width=width, smallest=smallest)
    for line in wrap(text, font=font, size=size, width=width):
        _centred(c, line, y, size, font)
        y -= size * leading
    return y


def certificate_pdf(certificate) -> bytes:
    font = font_name()
    buffer = io.BytesIO()
    width, height = landscape(A4)
    inner = width - 2 * 40 * mm  # text stays well inside the double border
    member = certificate.enrolment.member
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
    _centred(c, "修 了 証", height - 42 * mm, 34, font)
    c.setFont(font, 11)
    c.drawRightString(width - 25 * mm, height - 28 * mm, f"加入者番号　{member.member_no}")
    y = _fitted(
        c, f"{certificate.member_name}　様", y=height - 62 * mm, size=22, font=font,
        width=inner, smallest=12,
    )  # fmt: skip
    y = _fitted(
        c, "あなたは下記の研修を修了したことを証します。", y=y - 4 * mm, size=14, font=font,
        width=inner, smallest=10,
    )  # fmt: skip
    y = _fitted(
        c, f"「{certificate.course_title}」", y=y - 4 * mm, size=18, font=font, width=inner,
        smallest=11,
    )  # fmt: skip
    day = certificate.completed_on
    y = _fitted(
        c, f"修了日　{wareki(day)}（{day.year}年{day.month}月{day.day}日）", y=y - 2 * mm,
        size=13, font=font, width=inner, smallest=10,
    )  # fmt: skip
    issued = timezone.localdate(certificate.issued_at)
    _fitted(
        c, f"発行日　{wareki(issued)}", y=height - 128 * mm, size=12, font=font, width=inner,
        smallest=9,
    )  # fmt: skip
    y = _fitted(
        c, certificate.organisation_name, y=height - 142 * mm, size=16, font=font, width=inner,
        smallest=10,
    )  # fmt: skip
    representative = member.organisation.representative
    if representative:
        _fitted(c, representative, y=y, size=14, font=font, width=inner, smallest=10)
    c.setFont(font, 10)
    c.drawString(22 * mm, 30 * mm, f"証明書番号　{certificate.number}")
    url = verification_url(certificate)
    c.drawString(22 * mm, 24 * mm, f"真正性の確認　{url}")
    draw_qr(c, url, x=width - 52 * mm, y=20 * mm, size=30 * mm)
    c.showPage()
    c.save()
    return buffer.getvalue()


def certificate_filename(certificate) -> str:
    return f"certificate-{certificate.number}.pdf"


def certificates_add_to_zip(archive: zipfile.ZipFile, certificates, *, folder: str = "") -> int:
    """Write each certificate's PDF into ``archive`` as ``<folder><member no>-certificate-<number>.pdf``
    (certificates with ``enrolment__member`` selected). Returns how many."""
    count = 0
    for certificate in certificates:
        name = f"{certificate.enrolment.member.member_no}-{certificate_filename(certificate)}"
        archive.writestr(folder + name, certificate_pdf(certificate))
        count += 1
    return count


def certificates_zip(certificates) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        certificates_add_to_zip(archive, certificates)
    return buffer.getvalue()
