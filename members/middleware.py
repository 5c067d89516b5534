"""Former members see their own records only (MIDDLEWARE, when the project asks for it).

A member withdrawn within MEMBERS_WITHDRAWN_SIGNIN_DAYS can still sign in; every page but the
URL names in MEMBERS_WITHDRAWN_ALLOWED_URLS (their transcript and certificates, signing out)
sends them to MEMBERS_WITHDRAWN_HOME_URL instead. The Wagtail admin keeps its own checks.
"""

from functools import wraps

from django.shortcuts import redirect, resolve_url

from . import conf
from .selectors import is_withdrawn_only


def checks_membership_itself(view):
    """Mark a view that refuses former members on its own, more cheaply than the middleware
    would (the course player's heartbeat reads a remembered study context that ends with the
    membership): the middleware then neither loads the user nor asks about their records."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        return view(*args, **kwargs)

    wrapped.checks_membership_itself = True
    return wrapped


class WithdrawnMemberMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is None or match.view_name in conf.withdrawn_allowed_urls():
            return None
        if getattr(view_func, "checks_membership_itself", False):
            return None
        if match.route.startswith("admin/") or not is_withdrawn_only(user=request.user):
            return None
        return redirect(resolve_url(conf.withdrawn_home_url()))
