"""Sign-in letters in the admin: who has no e-mail address, printing letters (one or all),
revoking one."""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet

from ..letters import letters_pdf
from ..models import SignInLetter
from ..selectors import members_for_staff, members_without_email
from ..services import signin_letter_revoke, signin_letters_issue

PERMISSION = "members.add_signinletter"


class SignInLettersView(WagtailAdminTemplateMixin, TemplateView):
    """Members without an e-mail address (active today) of the user's organisations, with
    their letter's state; POST prints letters for the chosen ones, or for all of them."""

    template_name = "members/admin/signin_letters.html"
    page_title = gettext_lazy("Sign-in letters")
    header_icon = "mail"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(PERMISSION):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def members(self):
        return members_without_email(members=members_for_staff(user=self.request.user))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        members = list(self.members().select_related("organisation").order_by("member_no"))
        active = {
            letter.member_id: letter
            for letter in SignInLetter.objects.filter(member__in=members, revoked_at__isnull=True)
        }
        context["rows"] = [(member, active.get(member.pk)) for member in members]
        context["now"] = timezone.now()
        return context

    def post(self, request):
        members = self.members()
        if request.POST.get("scope") != "all":
            members = members.filter(pk__in=request.POST.getlist("member"))
        if not members.exists():
            messages.error(request, _("Choose at least one member."))
            return redirect("signin_letters:index")
        issued = signin_letters_issue(members=members, user=request.user)
        response = HttpResponse(letters_pdf(issued), content_type="application/pdf")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="signin-letters-{stamp}.pdf"'
        return response


def revoke_letter(request, member_id):
    if request.method != "POST":
        return HttpResponse(status=405)
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    member = get_object_or_404(members_for_staff(user=request.user), pk=member_id)
    if signin_letter_revoke(member=member, user=request.user):
        messages.success(
            request, _("The sign-in letter of %(no)s no longer works.") % {"no": member.member_no}
        )
    return redirect("signin_letters:index")


class LettersMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm(PERMISSION)


class SignInLetterViewSet(ViewSet):
    name = "signin_letters"
    url_prefix = "members/signin-letters"
    icon = "mail"
    menu_label = gettext_lazy("Sign-in letters")
    menu_item_class = LettersMenuItem
    menu_order = 300

    def get_urlpatterns(self):
        return [
            path("", SignInLettersView.as_view(), name="index"),
            path("<int:member_id>/revoke/", revoke_letter, name="revoke"),
        ]
