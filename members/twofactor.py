"""A second factor for the admin: TOTP with recovery codes, on django-allauth's MFA.

Staff and editors sign in to the Wagtail admin with their password (throttled by django-axes).
Then :class:`AdminTwoFactorMiddleware` lets no admin page through until the session has
passed the second factor: a user without an authenticator app is led to enrolment (a QR code,
one code to confirm, the recovery codes shown once), a user with one to the code page. The
authenticators are allauth's (``allauth.mfa`` models, TOTP and recovery codes); the pages
(members/views/twofactor.py) are the admin's.

Who must: superusers and organisation staff (研修事務局, ``is_staff``) unless
``MEMBERS_MFA_REQUIRED_FOR_STAFF`` is off; editors (anyone else who may open the admin) when
``MEMBERS_MFA_REQUIRED_FOR_EDITORS`` is on. Anyone who has enrolled is always asked.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse

from . import conf

SESSION_KEY = "members.mfa_verified_user"


def has_authenticator(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def is_staff_user(user) -> bool:
    """Superusers, Django staff, the staff group and organisation staff."""
    if user.is_superuser or user.is_staff:
        return True
    return (
        user.groups.filter(name=conf.staff_group_name()).exists()
        or user.staff_organisations.exists()
    )


def is_required(user) -> bool:
    if conf.mfa_required_for_staff() and is_staff_user(user):
        return True
    if conf.mfa_required_for_editors() and user.has_perm("wagtailadmin.access_admin"):
        return True
    return False


def is_verified(request) -> bool:
    """The session passed the second factor (or had none to pass when it first opened the
    admin; enrolling later asks at the next sign-in)."""
    return request.session.get(SESSION_KEY) == request.user.pk


def mark_verified(request) -> None:
    request.session.cycle_key()  # a new session id once the second factor is passed
    request.session[SESSION_KEY] = request.user.pk


def _exempt_paths() -> tuple[str, ...]:
    return (
        reverse("wagtailadmin_login"),
        reverse("wagtailadmin_logout"),
        reverse("wagtailadmin_password_reset"),
        reverse("members_twofactor:setup").rsplit("setup/", 1)[0],  # the 2FA pages themselves
        reverse("wagtailadmin_javascript_catalog"),
        reverse("wagtailadmin_sprite"),  # the icons every admin page (these too) fetches
    )


class AdminTwoFactorMiddleware:
    """No admin page before the second factor (see the module)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.admin_prefix = None

    def __call__(self, request):
        if self.admin_prefix is None:
            self.admin_prefix = reverse("wagtailadmin_home")
            self.exempt = _exempt_paths()
        path = request.path_info
        if (
            path.startswith(self.admin_prefix)
            and not path.startswith(self.exempt)
            and request.user.is_authenticated
            and not is_verified(request)
        ):
            response = self.challenge(request)
            if response is not None:
                return response
        return self.get_response(request)

    def challenge(self, request):
        enrolled = has_authenticator(request.user)
        if not enrolled and not is_required(request.user):
            request.session[SESSION_KEY] = request.user.pk  # nothing to ask in this session
            return None
        name = "members_twofactor:verify" if enrolled else "members_twofactor:setup"
        query = urlencode({"next": request.get_full_path()})
        return redirect(f"{reverse(name)}?{query}")


def locked_out(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out password sign-in (AXES_LOCKOUT_CALLABLE): a page
    in the admin's language saying how long to wait, with the password-reset link."""
    from axes.helpers import get_cool_off
    from django.template.response import TemplateResponse

    cool_off = get_cool_off(request)
    minutes = max(1, round(cool_off.total_seconds() / 60)) if cool_off else 0
    response = TemplateResponse(
        request, "members/admin/locked_out.html", {"cooloff_minutes": minutes}, status=429
    )
    return response.render()
