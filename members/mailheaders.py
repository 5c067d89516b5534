"""Mail headers: the one place that turns a subject, a sender or a recipient into header text.

A header value that holds a carriage return or a line feed ends the header there and starts
another: a reminder subject ``x\\r\\nBcc: someone@example.com`` would copy every reminder to a
stranger (header injection). Every mail path of every app builds its headers here, and
``header_value`` refuses CR/LF (and NUL) with ``HeaderInjectionError`` instead of passing it
on; forms reject the same characters earlier with ``validate_single_line`` (a validator on the
model fields that end up in headers), so staff see a form error rather than a failed send.

Non-ASCII text becomes RFC 2047 encoded words (UTF-8, base64), folded so that no line is
longer than the RFC's 78 characters; ASCII passes through unchanged.
"""

from __future__ import annotations

import base64
from email.utils import formataddr, parseaddr

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

FORBIDDEN = ("\r", "\n", "\x00")
ENCODED_WORD_BYTES = 45  # 45 bytes -> 60 base64 characters + 12 of "=?utf-8?b?...?=" < 78


class HeaderInjectionError(ValueError):
    """A header value with a line break: refused, never sent."""


def header_value(value: str, *, name: str = "header") -> str:
    """``value`` unchanged if it is one line; otherwise ``HeaderInjectionError``."""
    value = "" if value is None else str(value)
    if any(char in value for char in FORBIDDEN):
        raise HeaderInjectionError(f"line break in the {name} of a mail: {value!r}")
    return value


def validate_single_line(value) -> None:
    """Model/form validator for text that becomes a mail header (subject, sender name)."""
    if value and any(char in str(value) for char in FORBIDDEN):
        raise ValidationError(
            _("Line breaks are not allowed here (the text becomes a mail header)."),
            code="line_break",
        )


def encode_header_text(text: str, *, name: str = "header") -> str:
    """RFC 2047 encoded words (UTF-8, base64), folded; ASCII passes through."""
    text = header_value(text, name=name)
    if text.isascii():
        return text
    words, chunk = [], b""
    for char in text:
        encoded = char.encode("utf-8")
        if len(chunk) + len(encoded) > ENCODED_WORD_BYTES:
            words.append(chunk)
            chunk = b""
        chunk += encoded
    if chunk:
        words.append(chunk)
    return "\r\n ".join("=?utf-8?b?%s?=" % base64.b64encode(w).decode("ascii") for w in words)


def encode_address(address: str, *, name: str = "address") -> str:
    """``Name <addr>`` with the name encoded when it is not ASCII."""
    display_name, addr = parseaddr(header_value(address, name=name))
    header_value(display_name, name=name)
    if not display_name:
        return addr
    if display_name.isascii():
        return formataddr((display_name, addr))
    return f"{encode_header_text(display_name, name=name)} <{addr}>"


def header_line(name: str, value: str, *, address: bool = False) -> str:
    """``Name: value`` ready for the wire (without the final CRLF)."""
    encoded = encode_address(value, name=name) if address else encode_header_text(value, name=name)
    return f"{name}: {encoded}"
