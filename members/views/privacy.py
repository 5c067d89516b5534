"""個人情報の取扱い: the privacy notice of each organisation, public (signed-out visitors too).

A signed-in member sees their own organisation's notice; a visitor sees the only one, or the
list of organisations when the site serves several. An organisation without its own text
shows the standard text (members/privacy_default.html) with its contact details.
"""

from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from ..models import Member, Organisation


def _organisations_of(user):
    if not user.is_authenticated:
        return Organisation.objects.none()
    return Organisation.objects.filter(
        pk__in=Member.objects.filter(user=user, anonymised_at__isnull=True).values(
            "organisation_id"
        )
    )


def _notice(request, organisation):
    return render(
        request,
        "members/privacy_notice.html",
        {
            "organisation": organisation,
            "retention_years": organisation.anonymise_after_days // 365,
        },
    )


@require_safe
def privacy_notice(request):
    organisations = list(_organisations_of(request.user)) or list(Organisation.objects.all())
    if len(organisations) == 1:
        return _notice(request, organisations[0])
    return render(request, "members/privacy_list.html", {"organisations": organisations})


@require_safe
def privacy_notice_organisation(request, slug):
    return _notice(request, get_object_or_404(Organisation, slug=slug))
