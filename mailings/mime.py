"""Messages built once per mailing and personalised cheaply per recipient.

``MessageFactory`` encodes the headers every recipient shares once and keeps the HTML and
text bodies as compiled slot templates. ``build()`` fills the slots, base64-encodes the two
parts and joins precomputed bytes: no ``email`` package work per recipient.

The result is a Django ``EmailMultiAlternatives`` whose ``message()`` returns those bytes, so
Django's SMTP backend sends them over its open connection, and an ESP backend
(django-anymail) reads the usual attributes (subject, body, alternatives, extra_headers,
metadata) instead.
"""

import base64
import email
import email.policy
import time
from email.utils import formataddr, formatdate, parseaddr

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils.functional import cached_property

from members import mailheaders

from . import conf
from .rendering import compile_slots, fill

UNSUBSCRIBE_SALT = "mailings.unsubscribe"
CRLF = b"\r\n"


def unsubscribe_signer() -> signing.Signer:
    return signing.Signer(salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(*, member_id: int, recipient_id: int | None = None) -> str:
    """Signed ``member:recipient`` (no expiry: links in old mails keep working)."""
    return unsubscribe_signer().sign(f"{member_id}.{recipient_id or 0}")


def read_unsubscribe_token(token: str) -> tuple[int, int] | None:
    """(member_id, recipient_id) of a valid token; None when tampered or malformed."""
    try:
        value = unsubscribe_signer().unsign(token)
        member_id, recipient_id = (int(x) for x in value.split("."))
    except (signing.BadSignature, ValueError):
        return None
    return member_id, recipient_id


def unsubscribe_url(token: str) -> str:
    return conf.site_url() + reverse("mailings:unsubscribe", args=[token])


def preferences_url() -> str:
    return conf.site_url() + reverse("mailings:preferences")


# Headers are built by members.mailheaders (the one builder; it refuses CR/LF): re-exported
# here for the callers of this module.
encode_header_text = mailheaders.encode_header_text
encode_address = mailheaders.encode_address


def _b64_body(text: str) -> bytes:
    return base64.encodebytes(text.encode("utf-8")).replace(b"\n", CRLF)


class PrebuiltMIME:
    """What ``EmailMessage.message()`` returns for a prebuilt message: bytes, parsed lazily."""

    def __init__(self, data: bytes):
        self._data = data

    def as_bytes(self, unixfrom=False, linesep="\n", **kwargs):
        if linesep == "\r\n":
            return self._data
        return self._data.replace(CRLF, linesep.encode())

    def as_string(self, unixfrom=False, linesep="\n", **kwargs):
        return self.as_bytes(linesep=linesep).decode("utf-8")

    def get_charset(self):
        return None

    @cached_property
    def parsed(self):
        return email.message_from_bytes(self._data, policy=email.policy.default)

    def __getitem__(self, name):
        return self.parsed[name]

    def get_all(self, name, failobj=None):
        return self.parsed.get_all(name, failobj)

    def get_body(self, preferencelist=("related", "html", "plain")):
        return self.parsed.get_body(preferencelist)

    def keys(self):
        return self.parsed.keys()


_SPECIALS = set(',;<>@"()[]\\:.')


def display_address(name: str, address: str) -> str:
    """ "Name <address>" for backends that read ``to`` (quoted only when it must be)."""
    if not name:
        return address
    if _SPECIALS.isdisjoint(name):
        return f"{name} <{address}>"
    return formataddr((name, address))


class OutgoingMessage(EmailMultiAlternatives):
    """A personalised message whose MIME bytes were built by ``MessageFactory``."""

    prebuilt: bytes = b""
    envelope_ok = True  # ASCII addresses: the bytes can go straight to smtplib

    def message(self, *args, **kwargs):
        return PrebuiltMIME(self.prebuilt)

    def recipients(self):
        return list(self.to)


class MessageFactory:
    """Everything shared by the recipients of one mailing, computed once."""

    def __init__(
        self,
        *,
        organisation,
        subject: str,
        html_template: str,
        text_template: str,
        list_id_name: str = "",
        message_domain: str = "",
        mailing_id: int = 0,
    ):
        mail_settings = getattr(organisation, "mail_settings", None)
        self.organisation = organisation
        self.mailing_id = mailing_id
        self.subject = subject
        self.from_email = organisation.mail_from or settings.DEFAULT_FROM_EMAIL
        from_addr = parseaddr(self.from_email)[1]
        self.envelope_from = from_addr
        self.domain = message_domain or from_addr.rpartition("@")[2] or "localhost"
        self.reply_to = [organisation.reply_to] if organisation.reply_to else []
        self.unsubscribe_mailto = (
            (mail_settings and mail_settings.unsubscribe_mailto)
            or organisation.reply_to
            or organisation.contact_email
            or from_addr
        )
        list_id = (mail_settings and mail_settings.list_id) or (
            f"{organisation.slug}.{conf.list_id_domain()}"
        )
        label = list_id_name or organisation.name
        mailheaders.header_value(list_id, name="List-Id")
        self.list_id = f"{encode_header_text(label, name='List-Id')} <{list_id}>"
        self.list_id_raw = f"{label} <{list_id}>"
        self.html_parts = compile_slots(html_template)
        self.text_parts = compile_slots(text_template)
        self.preferences_url = preferences_url()
        self.unsubscribe_url_parts = unsubscribe_url("TOKEN").split("TOKEN")
        self.boundary = f"=_m{mailing_id}_{int(time.time())}_alt"
        shared = [
            mailheaders.header_line("From", self.from_email, address=True),
            mailheaders.header_line("Subject", subject),
            "MIME-Version: 1.0",
            f"List-Id: {self.list_id}",
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
        ]
        if self.reply_to:
            shared.append(mailheaders.header_line("Reply-To", self.reply_to[0], address=True))
        shared.append(f'Content-Type: multipart/alternative; boundary="{self.boundary}"')
        self.shared_headers = "\r\n".join(shared).encode("utf-8") + CRLF
        b = self.boundary.encode("ascii")
        self.text_head = (
            b"--"
            + b
            + CRLF
            + b'Content-Type: text/plain; charset="utf-8"\r\n'
            + b"Content-Transfer-Encoding: base64\r\n\r\n"
        )
        self.html_head = (
            CRLF
            + b"--"
            + b
            + CRLF
            + b'Content-Type: text/html; charset="utf-8"\r\n'
            + b"Content-Transfer-Encoding: base64\r\n\r\n"
        )
        self.tail = CRLF + b"--" + b + b"--" + CRLF
        self._date = ("", 0.0)

    def _date_header(self) -> str:
        now = time.time()
        if now - self._date[1] >= 1:
            self._date = (formatdate(now, localtime=True), now)
        return self._date[0]

    def values(self, *, member_id, recipient_id, name, context=None) -> dict:
        token = unsubscribe_token(member_id=member_id, recipient_id=recipient_id)
        values = {
            "name": name,
            "unsubscribe_url": token.join(self.unsubscribe_url_parts),
            "preferences_url": self.preferences_url,
        }
        if context:
            values.update(context)
        return values

    def build(
        self, *, recipient_id: int, member_id: int, email_address: str, name: str, context=None
    ) -> OutgoingMessage:
        values = self.values(
            member_id=member_id, recipient_id=recipient_id, name=name, context=context
        )
        unsubscribe = values["unsubscribe_url"]
        token = unsubscribe.rstrip("/").rpartition("/")[2]
        mailto = f"mailto:{self.unsubscribe_mailto}?subject=unsubscribe-{token}"
        html_body = fill(self.html_parts, values, escape=True)
        text_body = fill(self.text_parts, values, escape=False)
        mailheaders.header_value(email_address, name="To")
        to_header = (
            f"{encode_header_text(name, name='To')} <{email_address}>"
            if name and not name.isascii()
            else encode_address(formataddr((name, email_address)) if name else email_address)
        )
        message_id = f"<m{self.mailing_id}.r{recipient_id}@{self.domain}>"
        list_unsubscribe = f"<{mailto}>, <{unsubscribe}>"
        headers = (
            f"To: {to_header}\r\n"
            f"Date: {self._date_header()}\r\n"
            f"Message-ID: {message_id}\r\n"
            f"List-Unsubscribe: <{mailto}>,\r\n <{unsubscribe}>\r\n"
        ).encode()
        data = b"".join(
            (
                self.shared_headers,
                headers,
                CRLF,
                self.text_head,
                _b64_body(text_body),
                self.html_head,
                _b64_body(html_body),
                self.tail,
            )
        )
        message = OutgoingMessage(
            subject=self.subject,
            body=text_body,
            from_email=self.from_email,
            to=[display_address(name, email_address)],
            reply_to=self.reply_to,
            headers={
                "Message-ID": message_id,
                "List-Id": self.list_id_raw,
                "List-Unsubscribe": list_unsubscribe,
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
            alternatives=[(html_body, "text/html")],
        )
        message.prebuilt = data
        message.envelope_ok = email_address.isascii() and self.envelope_from.isascii()
        message.metadata = {"mailing_recipient": str(recipient_id)}  # anymail tracking
        return message


def sample_values(*, user, organisation) -> dict:
    """Slot values for previews and test sends: the editor's own name, a test token."""
    name = (user.get_full_name() or user.get_username()) if user else "山田　太郎"
    token = unsubscribe_token(member_id=0, recipient_id=0)
    return {
        "name": name,
        "unsubscribe_url": unsubscribe_url(token),
        "preferences_url": preferences_url(),
        "due_date": "2026年7月31日",
        "days_left": "7",
        "progress": "50%",
        "campaign": "災害防止等に関する研修",
        "cycle": "2026年度",
        "courses": "・熱中症の予防と応急手当 (50%)",
        "courses_html": "<ul><li>熱中症の予防と応急手当 (50%)</li></ul>",
    }
