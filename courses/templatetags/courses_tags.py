from django import template

from ..study_time import format_duration

register = template.Library()


@register.filter
def duration(seconds):
    """Seconds as people say them: 「3分20秒」."""
    try:
        return format_duration(int(seconds or 0))
    except (TypeError, ValueError):
        return ""


@register.simple_tag(takes_context=True)
def inline_messages(context, place):
    """The messages meant to appear next to the control at ``place`` (extra tag
    ``inline at-<place>``) instead of at the top of the page."""
    return [
        m
        for m in context.get("messages") or []
        if f"at-{place}" in (getattr(m, "extra_tags", "") or "").split()
    ]


@register.simple_tag
def my_courses_url():
    """Where a member's courses, attempts and certificates are listed (COURSES_MEMBER_HOME_URL,
    マイ研修 on this site)."""
    from django.shortcuts import resolve_url

    from .. import conf

    return resolve_url(conf.member_home_url()) + "#history"
