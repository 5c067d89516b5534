"""Rendering mail once per mailing: e-mail-safe HTML and plain text with personalisation slots.

A rendered mailing is a template with slots written ``{{ name }}``: the member's name,
their unsubscribe and preferences links, and for reminders their courses, due date and
progress. What all recipients share (the layout, the campaign's and cycle's names in a
reminder text) is rendered once per mailing with Django's template engine; ``compile_slots``
then splits the result once and ``fill`` joins it per recipient, which is all the
per-recipient work there is besides signing the unsubscribe token (a Django template render
per recipient costs about seven times the join: measured 106 against 15 µs a part).
"""

import html
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.template import Context, Engine, TemplateSyntaxError
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from inscriptis import get_text
from inscriptis.css_profiles import CSS_PROFILES
from inscriptis.html_properties import Display
from inscriptis.model.config import ParserConfig
from inscriptis.model.html_element import HtmlElement
from inscriptis.model.tag import CustomHtmlTagHandlerMapping

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


def _link_start(state, attrs: dict) -> None:
    href = attrs.get("href", "")
    state.link_target = "" if href.startswith("mailto:") else href  # the address is the text


def _link_end(state) -> None:
    if state.link_target:
        state.tags[-1].write(f" ( {state.link_target} )")


def _list_start(state, _attrs: dict) -> None:
    state.li_counter.append("・")


# Our plain-text conventions on top of inscriptis' browser-like layout: "■ " before a heading,
# "・" before a list item, a link's address after its text (not Markdown), none for mailto:.
_TEXT_CSS = {
    **CSS_PROFILES["strict"],
    **{
        tag: HtmlElement(display=Display.block, margin_before=1, margin_after=1, prefix="■ ")
        for tag in ("h2", "h3")
    },
}
_TEXT_CONFIG = ParserConfig(
    css=_TEXT_CSS,
    display_images=True,
    custom_html_tag_handler_mapping=CustomHtmlTagHandlerMapping(
        start_tag_mapping={"a": _link_start, "ul": _list_start},
        end_tag_mapping={"a": _link_end},
    ),
)


def html_to_text(fragment: str) -> str:
    """A readable plain-text version of an HTML fragment (paragraphs, lists, links)."""
    if not fragment.strip():
        return ""
    text = get_text(fragment, _TEXT_CONFIG)
    lines = [line.strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


class _VariablesOnlyEngine(Engine):
    """Django's template language without tags, filters or loaders: staff write reminder
    texts, and ``{{ campaign }}`` is all they need (``{% include %}`` or ``{% debug %}`` would
    show them what is not theirs)."""

    default_builtins = []


TEXT_ENGINE = _VariablesOnlyEngine()


def render_shared(template: str, values: dict, *, slots=()) -> str:
    """A staff-written text rendered once with the values all its recipients share; each name
    in ``slots`` stays ``{{ name }}`` for ``fill`` to complete per recipient; an unknown name
    becomes empty. Plain text: no escaping here."""
    context = {name: "{{ %s }}" % name for name in slots}
    context.update(values)
    rendered = TEXT_ENGINE.from_string(template).render(Context(context, autoescape=False))
    # plain text, not HTML: Django marks a rendered template safe, and an HTML template would
    # then leave a campaign named "<熱中症>" unescaped
    return "".join([rendered])


def validate_mail_text(value) -> None:
    """Model/form validator: the text uses only ``{{ placeholder }}`` syntax."""
    try:
        TEXT_ENGINE.from_string(str(value or ""))
    except TemplateSyntaxError as error:
        raise ValidationError(
            _("Only placeholders like {{ name }} can be used here (%(error)s).") % {"error": error},
            code="template",
        )


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


# --- the web archive: no merge tags -----------------------------------------------------

# ``{{ name }}`` with the honorific the editor wrote after it (「{{ name }} 様」「{{ name }}さん」).
_NAME_SLOT_RE = re.compile(r"\{\{\s*name\s*\}\}[ \u3000]*(?:様|さま|さん|殿)?")


def generic_greeting() -> str:
    return _("Dear members")  # 加入者の皆さま


def web_text(text: str) -> str:
    """Text (or HTML) of a mailing as the web archive shows it: the member's name becomes
    a generic greeting and every other merge tag disappears (nobody is personalised there)."""
    greeting = html.escape(generic_greeting())
    text = _NAME_SLOT_RE.sub(lambda m: greeting, text or "")
    return SLOT_RE.sub("", text)


def merge_tags(text: str) -> list[str]:
    """The merge tags in a text, in order, once each: ``["{{ name }}", …]``."""
    return list(dict.fromkeys("{{ %s }}" % name for name in SLOT_RE.findall(text or "")))


def _plain(block) -> str:
    """A block's words as plain text (rich text, plain strings and struct fields)."""

    def words(value) -> str:
        if isinstance(value, dict):  # struct blocks: their text fields
            return " ".join(words(v) for v in value.values())
        if hasattr(value, "source"):  # rich text
            return html_to_text(value.source or "")
        return value if isinstance(value, str) else ""

    return words(block.value)


def body_greets(page) -> bool:
    """Whether the body opens with a greeting of its own (a name tag, or the greeting line)."""
    first = next(iter(page.body), None)
    if first is None:
        return False
    opening = _plain(first).strip()
    greeting_words = SLOT_RE.sub("", page.greeting or "").strip()
    return bool(SLOT_RE.match(opening)) or bool(
        greeting_words and opening.startswith(greeting_words)
    )


def web_greeting(page) -> str:
    """The greeting line on the web archive, or "" when the body greets by itself."""
    if not page.greeting or body_greets(page):
        return ""
    return web_text(html.escape(page.greeting))


def body_merge_tag_warnings(page) -> list[str]:
    """What an editor should know about the merge tags in a newsletter's body."""
    tags = merge_tags(
        "\n".join(_plain(block) for block in page.body) + "\n" + (page.preheader or "")
    )
    warnings = []
    if tags:
        warnings.append(
            _(
                "The body contains merge tags (%(tags)s). In the e-mail {{ name }} becomes "
                "the member's name; on the web archive it becomes “%(generic)s” and other "
                "tags are left out. Prefer the greeting field for the member's name."
            )
            % {"tags": "、".join(tags), "generic": generic_greeting()}
        )
    unknown = [tag for tag in tags if SLOT_RE.match(tag).group(1) not in CORE_SLOTS]
    if unknown:
        warnings.append(
            _("These tags are not filled in a newsletter and disappear: %(tags)s.")
            % {"tags": "、".join(unknown)}
        )
    if page.greeting and body_greets(page):
        warnings.append(
            _(
                "The body opens with a greeting of its own: the greeting field is left out "
                "on the web archive, and the e-mail greets twice. Empty one of them."
            )
        )
    return warnings


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
