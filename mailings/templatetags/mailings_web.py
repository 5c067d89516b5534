"""Filters for the newsletter's web archive: no merge tags on the web."""

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from ..rendering import web_greeting, web_text

register = template.Library()


@register.filter(is_safe=True)
def web_archive(value):
    """HTML (or text, escaped first) with ``{{ name }}`` as the generic greeting and other
    merge tags left out."""
    return mark_safe(web_text(str(conditional_escape(value))))


@register.simple_tag
def newsletter_web_greeting(page):
    return mark_safe(web_greeting(page))  # escaped by web_greeting
