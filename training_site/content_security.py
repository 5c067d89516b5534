"""The Content-Security-Policy of every page (django-csp), one policy with two tightenings.

The site's pages run only the scripts of our own static files (no inline script); the
Wagtail admin also needs inline scripts (its date pickers and inline panels write them), so
``/admin/`` adds ``'unsafe-inline'`` to script-src and nowhere else. The SCORM player adds
the content origin to frame-src on its own page (courses/scorm/views.py), and the content
origin's responses carry their own policy.
"""

from csp.constants import NONE, SELF, UNSAFE_INLINE
from csp.middleware import CSPMiddleware
from django.urls import reverse


def directives(*, media_sources=(), frame_sources=()) -> dict:
    """CONTENT_SECURITY_POLICY["DIRECTIVES"] for the settings."""
    return {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],  # style attributes in the templates
        "img-src": [SELF, "data:", *media_sources],
        "media-src": [SELF, *media_sources],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "frame-src": [SELF, *frame_sources],  # video embeds (YouTube, Vimeo)
        "frame-ancestors": [SELF],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }


class SiteCSPMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if request.path_info.startswith(reverse("wagtailadmin_home")):
            parts.update = {**(parts.update or {}), "script-src": [UNSAFE_INLINE]}
        return parts
