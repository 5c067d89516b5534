"""Filters for e-mail templates: absolute links and inline styles."""

from django import template
from django.utils.safestring import mark_safe
from wagtail.rich_text import RichText, expand_db_html

from ..rendering import absolute_url as _absolute_url
from ..rendering import email_html

register = template.Library()


@register.filter
def email_richtext(value):
    """Rich text as e-mail-safe HTML: absolute URLs and inline styles."""
    if isinstance(value, RichText):
        value = value.source
    return mark_safe(email_html(expand_db_html(value or "")))


@register.filter
def absolute_url(value):
    return _absolute_url(value or "")
