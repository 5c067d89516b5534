from django.conf import settings


def site(request):
    """The site name shown in every page's header and <title>."""
    return {"WAGTAIL_SITE_NAME": settings.WAGTAIL_SITE_NAME}
