"""The sign-in pages members see: django-allauth's code flow with the office's contact, the
sign-in letter for members without e-mail, and adding an e-mail address confirmed by a code."""

import datetime
import hashlib
import secrets

from allauth.account import views as allauth_views
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.mail import send_mail
from django.shortcuts import redirect, render, resolve_url
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from .. import conf, throttle
from ..forms import EmailAddForm, EmailConfirmForm, LetterSignInForm
from ..selectors import members_of_user, office_contacts
from ..services import member_email_set, signin_letter_user

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
PENDING_EMAIL = "members_pending_email"


class OfficeContactMixin:
    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "office_contacts": office_contacts()}


class RequestLoginCodeView(OfficeContactMixin, allauth_views.RequestLoginCodeView):
    pass


class ConfirmLoginCodeView(OfficeContactMixin, allauth_views.ConfirmLoginCodeView):
    def get_initial(self):
        """The link in the code e-mail (?code=123456) fills the code in; the member still
        presses サインイン, so a link opened by a mail scanner signs nobody in."""
        code = "".join(c for c in self.request.GET.get("code", "") if c.isdigit())[:6]
        return {**super().get_initial(), "code": code} if code else super().get_initial()


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@never_cache
def letter_signin(request):
    """The page the letter's QR code opens (the key filled in) or where its key is typed.
    Pressing サインイン signs in; a QR scanner that only opens the link signs nobody in."""
    form = LetterSignInForm(request.POST or None, initial={"key": request.GET.get("key", "")})
    if request.method == "POST":
        if not throttle.allow(scope="letter", ident=_client_ip(request), rate=conf.letter_rate()):
            form.add_error(None, _("Too many attempts. Please wait a while and try again."))
        elif form.is_valid():
            user = signin_letter_user(key=form.cleaned_data["key"])
            if user is not None:
                login(request, user, backend=MODEL_BACKEND)
                return redirect(_next_url(request))
            form.add_error(
                "key",
                _(
                    "This key does not sign you in: check it, or it may have expired or been "
                    "replaced by a newer letter. Ask the office for a new letter."
                ),
            )
    return render(
        request,
        "members/letter_signin.html",
        {"form": form, "office_contacts": office_contacts(), "next": _next_url(request)},
    )


def _code_digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


@never_cache
@login_required
def email_add(request):
    """A member signed in with a letter adds an e-mail address: a code is sent to it first."""
    if not members_of_user(user=request.user).filter(email="").exists():
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = EmailAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not throttle.allow(scope="email_add", ident=request.user.pk, rate="5/h"):
            form.add_error(None, _("Too many attempts. Please wait a while and try again."))
        else:
            code = f"{secrets.randbelow(10**6):06d}"
            email = form.cleaned_data["email"]
            expires = timezone.now() + datetime.timedelta(minutes=conf.signin_email_code_minutes())
            request.session[PENDING_EMAIL] = {
                "email": email,
                "digest": _code_digest(code),
                "expires": expires.isoformat(),
                "attempts": 0,
            }
            context = {"code": code, "minutes": conf.signin_email_code_minutes()}
            send_mail(
                render_to_string("members/email/email_add_subject.txt", context).strip(),
                render_to_string("members/email/email_add_message.txt", context),
                None,
                [email],
            )
            return redirect("members:email_confirm")
    return render(request, "members/email_add.html", {"form": form})


@never_cache
@login_required
def email_confirm(request):
    pending = request.session.get(PENDING_EMAIL)
    if not pending:
        return redirect("members:email_add")
    form = EmailConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        expired = timezone.now() >= datetime.datetime.fromisoformat(pending["expires"])
        pending["attempts"] += 1
        request.session[PENDING_EMAIL] = pending
        if expired or pending["attempts"] > settings.ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS:
            del request.session[PENDING_EMAIL]
            messages.error(request, _("The code has expired. Please ask for a new one."))
            return redirect("members:email_add")
        if secrets.compare_digest(_code_digest(form.cleaned_data["code"]), pending["digest"]):
            member_email_set(user=request.user, email=pending["email"])
            del request.session[PENDING_EMAIL]
            messages.success(
                request,
                _("Your e-mail address is registered. You can now also sign in with a code."),
            )
            return redirect(settings.LOGIN_REDIRECT_URL)
        form.add_error("code", _("Incorrect code."))
    return render(request, "members/email_confirm.html", {"form": form, "email": pending["email"]})
