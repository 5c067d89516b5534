"""Only needed when LMS_BASE_TEMPLATE names another template than "base.html"."""

from . import conf


def base_template(request):
    """The site's base template that the apps' pages extend (members/base.html)."""
    return {"lms_base_template": conf.base_template()}
