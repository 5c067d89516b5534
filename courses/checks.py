"""System checks: the pieces the courses app needs from the site's settings."""

from django.conf import settings
from django.core.checks import Warning, register
from django.utils.module_loading import import_string


@register()
def media_durations_read_on_the_server(app_configs=None, **kwargs):
    """Video lessons count watching against the video's length read on the server when it is
    uploaded: wagtailmedia must use courses.media.ServerDurationMediaForm (or a subclass)."""
    from .media import ServerDurationMediaForm

    path = getattr(settings, "WAGTAILMEDIA", {}).get("MEDIA_FORM_BASE", "")
    try:
        form = import_string(path) if path else None
    except ImportError:
        form = None
    if form is not None and issubclass(form, ServerDurationMediaForm):
        return []
    return [
        Warning(
            "Video durations are not read on the server when videos are uploaded.",
            hint='Set WAGTAILMEDIA["MEDIA_FORM_BASE"] = "courses.media.ServerDurationMediaForm".',
            id="courses.W001",
        )
    ]
