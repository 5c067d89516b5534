"""Rendering mail once per mailing: e-mail-safe HTML and plain text with personalisation slots.

A rendered mailing is a template with slots written ``{{ name }}``: the member's name,
their unsubscribe and preferences links, and for reminders their courses, due date and
progress. ``compile_slots`` splits it once; ``fill`` joins it per recipient, which is all
the per-recipient work there is besides signing the unsubscribe token.
"""

import html
import re
from html.parser import HTMLParser

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe

from . import conf

SLOT_RE = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")
FONT = (
    "-apple-system,BlinkMacSystemFont,'Hiragino Sans','Hiragino Kaku Gothic ProN',"
    "'Noto Sans JP',Meiryo,sans-serif"
)
# Slots every mail has; the reminder slots come from each recipient's context.
CORE_SLOTS = ("name", "unsubscribe_url", "preferences_url")

INLINE_STYLES = {
    "p": "margin:0 0 14px;",
    "h2": "margin:24px 0 8px;font-size:20px;line-height:1.4;color:#1a1a1a;",
    "h3": "margin:20px 0 8px;font-size:18px;line-height:1.4;color:#1a1a1a;",
    "h4": "margin:16px 0 8px;font-size:16px;line-height:1.4;color:#1a1a1a;",
    "a": "color:#0b57a4;text-decoration:underline;",
    "ul": "margin:0 0 14px;padding-left:24px;",
    "ol": "margin:0 0 14px;padding-left:24px;",
    "li": "margin:0 0 4px;",
    "blockquote": "margin:0 0 14px;padding-left:12px;border-left:4px solid #d0d7de;",
    "img": "max-width:100%;height:auto;border:0;",
    "hr": "border:0;border-top:1px solid #d0d7de;margin:16px 0;",
}
_TAG_RE = re.compile(r"<(%s)(\s[^>]*)?>" % "|".join(INLINE_STYLES), re.IGNORECASE)
_URL_ATTR_RE = re.compile(r'(\s(?:href|src))="(/[^"/][^"]*|/)"')


def absolute_url(url: str) -> str:
    if url.startswith("/") and not url.startswith("//"):
        return conf.site_url() + url
    return url


def email_html(fragment: str) -> str:
    """Inline styles on the tags rich text produces, and absolute links."""

    def style(match):
        tag, attrs = match.group(1), match.group(2) or ""
        if "style=" in attrs:
            return match.group(0)
        return f'<{tag}{attrs} style="{INLINE_STYLES[tag.lower()]}">'

    fragment = _URL_ATTR_RE.sub(lambda m: f'{m.group(1)}="{absolute_url(m.group(2))}"', fragment)
    return _TAG_RE.sub(style, fragment)


class _TextExtractor(HTMLParser):
    BLOCK = {"p", "div", "h1", "h2", "h3", "h4", "table", "tr", "blockquote", "ul", "ol", "hr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.links: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("style", "script", "title") or (
            "display:none" in (attrs.get("style") or "").replace(" ", "")
        ):
            self.skip += 1
            return
        if tag in ("h2", "h3"):
            self.out.append("\n\n■ ")
        elif tag in self.BLOCK:
            self.out.append("\n\n")
        elif tag == "br":
            self.out.append("\n")
        elif tag == "li":
            self.out.append("\n・")
        elif tag == "a":
            self.links.append(attrs.get("href") or "")
        elif tag == "img" and attrs.get("alt"):
            self.out.append(f"[{attrs['alt']}]")

    def handle_endtag(self, tag):
        if tag in ("style", "script", "title") or (self.skip and tag in ("div", "span")):
            self.skip = max(0, self.skip - 1)
            return
        if tag == "a" and self.links:
            href = self.links.pop()
            if href and not href.startswith("mailto:"):
                self.out.append(f" ( {href} )")
        elif tag in self.BLOCK:
            self.out.append("\n\n")

    def handle_data(self, data):
        if not self.skip:
            self.out.append(re.sub(r"\s+", " ", data))


def html_to_text(fragment: str) -> str:
    """A readable plain-text version of an HTML fragment (paragraphs, lists, links)."""
    parser = _TextExtractor()
    parser.feed(fragment)
    parser.close()
    text = "".join(parser.out)
    lines = [line.strip() for line in text.splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _slot_context() -> dict:
    return {name: "{{ %s }}" % name for name in CORE_SLOTS}


def render_mail(
    *,
    organisation,
    kind: str,
    subject: str,
    preheader: str,
    body_html: str,
    body_text: str | None = None,
    web_url: str = "",
) -> tuple[str, str]:
    """The HTML and plain-text templates of one mailing, footer included (not editable)."""
    mail_settings = getattr(organisation, "mail_settings", None)
    context = {
        "organisation": organisation,
        "kind": kind,
        "subject": subject,
        "preheader": preheader,
        "body": mark_safe(body_html),  # trusted: block templates and text_to_html escape
        "web_url": web_url,
        "font": mark_safe(FONT),
        "slots": _slot_context(),
        "footer_note": mail_settings.footer_note if mail_settings else "",
    }
    with translation.override(settings.LANGUAGE_CODE):
        html_out = render_to_string("mailings/email/base.html", context)
        footer_text = render_to_string("mailings/email/footer.txt", context)
    if body_text is None:
        body_text = html_to_text(body_html)
    parts = [subject, "", body_text, ""]
    if web_url:
        with translation.override(settings.LANGUAGE_CODE):
            parts.insert(1, f"{translation.gettext('Read this mail in your browser')}: {web_url}")
    text_out = "\n".join(parts) + "\n" + footer_text.strip() + "\n"
    return html_out, text_out


def newsletter_body_html(page) -> str:
    """The page's greeting and blocks rendered with the e-mail block templates."""
    chunks = []
    if page.greeting:
        chunks.append(f'<p style="margin:0 0 16px;">{html.escape(page.greeting)}</p>')
    for block in page.body:
        chunks.append(
            render_to_string(
                f"mailings/email/blocks/{block.block_type}.html", {"value": block.value}
            )
        )
    return "\n".join(chunks)


def render_newsletter(page) -> tuple[str, str]:
    organisation = page.organisation
    return render_mail(
        organisation=organisation,
        kind="newsletter",
        subject=page.email_subject,
        preheader=page.preheader,
        body_html=newsletter_body_html(page),
        web_url=absolute_url(page.get_url() or ""),
    )


def compile_slots(template: str) -> list:
    """['literal', 'slot', 'literal', …]: even items literal, odd items slot names."""
    return SLOT_RE.split(template)


def fill(parts: list, values: dict, *, escape: bool) -> str:
    out = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            out.append(part)
        else:
            value = values.get(part, "")
            if part.endswith("_html"):
                out.append(value if escape else html_to_text(value))
            else:
                out.append(html.escape(str(value)) if escape else str(value))
    return "".join(out)


def preview_response(*, page, user, mode: str) -> HttpResponse:
    """The admin preview of a newsletter as its recipients will see it."""
    from .mime import sample_values

    html_template, text_template = render_newsletter(page)
    values = sample_values(user=user, organisation=page.organisation)
    if mode == "text":
        body = fill(compile_slots(text_template), values, escape=False)
        return HttpResponse(body, content_type="text/plain; charset=utf-8")
    return HttpResponse(fill(compile_slots(html_template), values, escape=True))
