"""System checks for SCORM lessons: a content origin that is not the site's, reachable, and a
storage that is not public."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from .. import conf


@register(Tags.security)
def check_scorm_content_origin(app_configs=None, **kwargs):
    origin = conf.scorm_content_origin()
    if origin is None:
        return [
            Warning(
                "SCORM lessons cannot be played: COURSES_SCORM_CONTENT_ORIGIN is not set.",
                hint="Set it (environment: SCORM_CONTENT_ORIGIN) to an origin of its own, e.g. "
                "https://scorm.example.jp, served by the same application (see README).",
                id="courses.W101",
            )
        ]
    problems = []
    content = urlsplit(origin)
    site = urlsplit(conf.site_url())
    if (content.scheme, content.netloc.lower()) == (site.scheme, site.netloc.lower()):
        problems.append(
            Error(
                "COURSES_SCORM_CONTENT_ORIGIN is the site's own origin: SCORM packages would "
                "run with the site's cookies.",
                hint="Use another host name (a subdomain at least; another domain is best).",
                id="courses.E102",
            )
        )
    hosts = settings.ALLOWED_HOSTS
    host = content.hostname or ""
    allowed = "*" in hosts or any(
        host == h or (h.startswith(".") and (host.endswith(h) or host == h[1:])) for h in hosts
    )
    if settings.DEBUG and not hosts:
        allowed = host in ("localhost", "127.0.0.1", "[::1]")
    if not allowed:
        problems.append(
            Error(
                f"The SCORM content host {host!r} is not in ALLOWED_HOSTS.",
                hint="Add it, or set SCORM_CONTENT_ORIGIN in the environment (the settings add it).",
                id="courses.E103",
            )
        )
    if site.scheme == "https" and content.scheme != "https":
        problems.append(
            Error(
                "COURSES_SCORM_CONTENT_ORIGIN is http:// on an https:// site: browsers block it.",
                id="courses.E104",
            )
        )
    return problems


@register()
def check_scorm_storage(app_configs=None, **kwargs):
    if "scorm" in getattr(settings, "STORAGES", {}):
        return []
    return [
        Warning(
            "STORAGES has no 'scorm' storage: SCORM packages go to the default storage, which "
            "may be served publicly under MEDIA_URL.",
            hint="Define STORAGES['scorm'] (a folder outside MEDIA_ROOT or a private bucket).",
            id="courses.W105",
        )
    ]
