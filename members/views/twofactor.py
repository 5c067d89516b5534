"""The admin's second-factor pages: enrol an authenticator app, enter its code (or a recovery
code), and see or renew the recovery codes. The authenticators and their checks are
django-allauth's MFA (TOTP, recovery codes); the policy is members/twofactor.py."""

from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.base.forms import AuthenticateForm
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.forms import ActivateTOTPForm
from allauth.mfa.totp.internal.auth import TOTP, clear_totp_secret
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .. import twofactor


def _next_url(request) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse("wagtailadmin_home")


def _recovery_codes(user) -> RecoveryCodes | None:
    instance = Authenticator.objects.filter(
        user=user, type=Authenticator.Type.RECOVERY_CODES
    ).first()
    return instance.wrap() if instance else None


@require_http_methods(["GET", "POST"])
def setup(request):
    """Enrolment: the QR code (and the key to type), then one code from the app."""
    if twofactor.has_authenticator(request.user):
        return redirect(f"{reverse('members_twofactor:verify')}?next={_next_url(request)}")
    form = ActivateTOTPForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            TOTP.activate(request.user, form.secret)
            codes = RecoveryCodes.activate(request.user)
        clear_totp_secret(request)
        twofactor.mark_verified(request)
        return TemplateResponse(
            request,
            "members/admin/twofactor_codes.html",
            {"codes": codes.get_unused_codes(), "next": _next_url(request), "enrolled": True},
        )
    adapter = get_mfa_adapter()
    totp_url = adapter.build_totp_url(request.user, form.secret)
    return TemplateResponse(
        request,
        "members/admin/twofactor_setup.html",
        {
            "form": form,
            "secret": form.secret,
            "totp_svg": adapter.build_totp_svg(totp_url),
            "next": _next_url(request),
        },
    )


@require_http_methods(["GET", "POST"])
def verify(request):
    """The code from the app, or one recovery code (each works once)."""
    if not twofactor.has_authenticator(request.user):
        return redirect(f"{reverse('members_twofactor:setup')}?next={_next_url(request)}")
    form = AuthenticateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        twofactor.mark_verified(request)
        if form.authenticator.type == Authenticator.Type.RECOVERY_CODES:
            used = Authenticator.objects.get(pk=form.authenticator.pk)  # as saved, code spent
            left = len(used.wrap().get_unused_codes())
            messages.warning(
                request,
                _("You signed in with a recovery code; %(left)s codes are left.") % {"left": left},
            )
        return redirect(_next_url(request))
    return TemplateResponse(
        request, "members/admin/twofactor_verify.html", {"form": form, "next": _next_url(request)}
    )


@require_http_methods(["GET", "POST"])
def recovery_codes(request):
    """The unused recovery codes; POST replaces them with new ones (the old stop working)."""
    if not twofactor.has_authenticator(request.user):
        return redirect("members_twofactor:setup")
    if not twofactor.is_verified(request):
        return redirect(f"{reverse('members_twofactor:verify')}?next={request.path}")
    if request.method == "POST":
        with transaction.atomic():
            Authenticator.objects.filter(
                user=request.user, type=Authenticator.Type.RECOVERY_CODES
            ).delete()
            RecoveryCodes.activate(request.user)
        messages.success(request, _("New recovery codes were made; the old ones no longer work."))
    codes = _recovery_codes(request.user)
    return TemplateResponse(
        request,
        "members/admin/twofactor_codes.html",
        {"codes": codes.get_unused_codes() if codes else [], "next": reverse("wagtailadmin_home")},
    )
