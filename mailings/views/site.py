"""Member-facing views: one-click unsubscribe (RFC 8058) and newsletter preferences."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from members.selectors import members_of_user

from ..forms import PreferencesForm
from ..mime import read_unsubscribe_token
from ..models import NewsletterConsent
from ..selectors import newsletter_subscribed
from ..services import (
    consent_wording_current,
    newsletter_subscribe,
    newsletter_unsubscribe,
    unsubscribe_by_token,
)


@csrf_exempt  # RFC 8058: mail clients POST without a session or CSRF token
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """GET shows a confirmation; POST unsubscribes at once, without signing in."""
    parsed = read_unsubscribe_token(token)
    if parsed is None:
        return render(request, "mailings/unsubscribe_invalid.html", status=400)
    if parsed[0] == 0:
        return render(request, "mailings/unsubscribe_test.html")
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        method = (
            NewsletterConsent.Withdrawal.ONE_CLICK
            if one_click
            else NewsletterConsent.Withdrawal.LINK
        )
        member = unsubscribe_by_token(token=token, method=method)
        if member is None:
            return render(request, "mailings/unsubscribe_invalid.html", status=400)
        return render(request, "mailings/unsubscribed.html", {"member": member})
    from members.models import Member

    member = Member.objects.select_related("organisation").filter(pk=parsed[0]).first()
    if member is None:
        return render(request, "mailings/unsubscribe_invalid.html", status=400)
    return render(
        request,
        "mailings/unsubscribe_confirm.html",
        {"member": member, "subscribed": newsletter_subscribed(member=member), "token": token},
    )


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    """Newsletter consent per membership of the signed-in member, with its history."""
    members = list(members_of_user(user=request.user).select_related("organisation"))
    rows = []
    for member in members:
        wording = consent_wording_current(organisation=member.organisation)
        rows.append(
            {
                "member": member,
                "wording": wording,
                "form": PreferencesForm(
                    request.POST if request.method == "POST" else None,
                    prefix=f"m{member.pk}",
                    initial={"newsletter": newsletter_subscribed(member=member)},
                ),
                "history": member.newsletter_consents.select_related("wording")[:10],
            }
        )
    if request.method == "POST":
        if all(row["form"].is_valid() for row in rows):
            for row in rows:
                member = row["member"]
                if row["form"].cleaned_data["newsletter"]:
                    newsletter_subscribe(
                        member=member,
                        method=NewsletterConsent.Method.WEB,
                        wording=row["wording"],
                        user=request.user,
                    )
                else:
                    newsletter_unsubscribe(
                        member=member, method=NewsletterConsent.Withdrawal.PREFERENCES
                    )
            messages.success(request, _("Your mail preferences were saved."))
            return redirect("mailings:preferences")
    return render(request, "mailings/preferences.html", {"rows": rows})
