"""PDF helpers shared by the apps' printed documents (sign-in letters here, certificates in
courses): one Japanese font registration and one QR code drawing."""

from __future__ import annotations

import io
from functools import lru_cache

import qrcode
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont

CID_FALLBACK = "HeiseiKakuGo-W5"


# Japanese TrueType fonts as Debian/Ubuntu install them (fonts-ipaexfont, fonts-ipafont,
# fonts-japanese-gothic's alternative), tried in this order. Noto CJK is shipped with
# PostScript outlines, which ReportLab cannot embed, so it is not among them.
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
)


def default_font_path() -> str | None:
    """The first of FONT_CANDIDATES installed (``apt-get install fonts-ipaexfont``), or
    ``None`` (then ReportLab's built-in CID font is used)."""
    from pathlib import Path

    return next((path for path in FONT_CANDIDATES if Path(path).is_file()), None)


@lru_cache(maxsize=4)
def japanese_font(path: str | None = None, name: str = "CertJP") -> str:
    """Register a TrueType font with Japanese glyphs once (embedded in the PDF) and return its
    name; without one (or unreadable), ReportLab's built-in CID font HeiseiKakuGo-W5 (not
    embedded; every PDF viewer in Japan has it)."""
    path = path or default_font_path()
    if path:
        try:
            pdfmetrics.registerFont(TTFont(name, path))
            return name
        except Exception:  # unreadable or not TrueType: fall back below
            pass
    pdfmetrics.registerFont(UnicodeCIDFont(CID_FALLBACK))
    return CID_FALLBACK


def qr_image(url: str) -> ImageReader:
    image = qrcode.make(url, box_size=6, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    buffer.seek(0)
    return ImageReader(buffer)


def draw_qr(c, url: str, *, x: float, y: float, size: float) -> None:
    c.drawImage(qr_image(url), x, y, size, size)


def fitted_size(text: str, *, font: str, size: float, width: float, smallest: float) -> float:
    """The largest font size <= ``size`` at which ``text`` fits in ``width`` (down to
    ``smallest``; below that the caller wraps the text)."""
    while size > smallest and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 0.5
    return size


def wrap(text: str, *, font: str, size: float, width: float) -> list[str]:
    """``text`` cut into lines that fit ``width`` (Japanese has no spaces: cut anywhere)."""
    lines, line = [], ""
    for char in text:
        if line and pdfmetrics.stringWidth(line + char, font, size) > width:
            lines.append(line)
            line = ""
        line += char
    if line:
        lines.append(line)
    return lines
