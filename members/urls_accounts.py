"""The django-allauth URLs members need, mounted at /accounts/ instead of ``allauth.urls``.

Members sign in only with a one-time code mailed to their roster address, so only the code
flow is mounted: no sign-up (the roster decides who exists), no password set/change/reset
(members have none), no e-mail address management (the roster is the source of truth for the
address) and no re-authentication (nothing left that asks for it). Staff and editors sign in
and reset their passwords through the Wagtail admin. The URL names are allauth's own, so
allauth's redirects (``account_login``, ``account_confirm_login_code`` ...) keep working.
"""

from allauth.account import views
from django.urls import path
from django.views.decorators.http import require_safe

from .views import signin

urlpatterns = [
    # The page that says "members sign in with a code" (allauth redirects here, e.g. from a
    # stale confirm-code page). Read-only: no password form is accepted on the site.
    path("login/", require_safe(views.login), name="account_login"),
    path(
        "login/code/",
        signin.RequestLoginCodeView.as_view(),
        name="account_request_login_code",
    ),
    path(
        "login/code/confirm/",
        signin.ConfirmLoginCodeView.as_view(),
        name="account_confirm_login_code",
    ),
    path("logout/", views.logout, name="account_logout"),
    path("inactive/", views.account_inactive, name="account_inactive"),
]
