"""Members' personal-data requests (開示・訂正・利用停止等の請求) in the admin: a log with the
dates received and answered, and the disclosure file (開示ファイル) of a member.

Rows are scoped to the staff user's organisations (members.admin_scoping); the disclosure
file is built in memory, streamed once and written to the audit log (members.privacy).
"""

from django import forms
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET
from wagtail.admin.ui.tables import Column, UserColumn
from wagtail.admin.views import generic

from ..admin_scoping import (
    OrganisationScopedViewSet,
    ScopedEditView,
    ScopedIndexView,
    ScopedOrganisationForm,
    scope_to_staff,
)
from ..filters import PersonalDataRequestFilterSet
from ..models import Member, PersonalDataRequest
from ..privacy import disclosure_workbook
from ..xlsx import xlsx_response

# what staff record of a request (the member is typed as a member number, handled_by is set)
FORM_FIELDS = [
    "organisation",
    "kind",
    "received_on",
    "answered_on",
    "status",
    "details",
    "staff_notes",
]


class PersonalDataRequestForm(ScopedOrganisationForm):
    member_no = forms.CharField(
        label=_("member number"),
        max_length=32,
        help_text=_("The 加入者番号 of the member who asked."),
    )

    class Meta:
        model = PersonalDataRequest
        fields = FORM_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.member_id:
            self.fields["member_no"].initial = self.instance.member.member_no
        self.order_fields(["organisation", "member_no"])

    def clean(self):
        cleaned = super().clean()
        organisation = cleaned.get("organisation")
        member_no = (cleaned.get("member_no") or "").strip()
        if organisation and member_no:
            member = Member.objects.filter(organisation=organisation, member_no=member_no).first()
            if member is None:
                self.add_error(
                    "member_no",
                    _(
                        "No member %(member_no)s in %(organisation)s. "
                        "加入者番号 %(member_no)s の加入者は %(organisation)s にいません。"
                    )
                    % {"member_no": member_no, "organisation": organisation},
                )
            else:
                self.instance.member = member
        status = cleaned.get("status")
        answered = {PersonalDataRequest.Status.ANSWERED, PersonalDataRequest.Status.REFUSED}
        if status in answered and not cleaned.get("answered_on"):
            self.add_error(
                "answered_on",
                _(
                    "Enter the date the request was answered. "
                    "回答済み・不応諾の請求には回答日を入力してください。"
                ),
            )
        received, answered_on = cleaned.get("received_on"), cleaned.get("answered_on")
        if received and answered_on and answered_on < received:
            self.add_error(
                "answered_on",
                _(
                    "The answer cannot be dated before the request was received. "
                    "回答日は受付日より前にできません。"
                ),
            )
        return cleaned


class HandledByMixin:
    def save_instance(self):
        self.form.instance.handled_by = self.request.user
        return super().save_instance()


class PersonalDataRequestCreateView(HandledByMixin, generic.CreateView):
    pass


class PersonalDataRequestEditView(HandledByMixin, ScopedEditView):
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["disclosure_url"] = reverse("member:disclosure", args=[self.object.member_id])
        return context


class PersonalDataRequestIndexView(ScopedIndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("organisation", "member", "handled_by")


class PersonalDataRequestViewSet(OrganisationScopedViewSet):
    model = PersonalDataRequest
    icon = "clipboard-list"
    menu_label = _("Personal data requests")
    menu_order = 300
    url_prefix = "members/personal-data-requests"
    url_namespace = "personal_data_request"
    index_view_class = PersonalDataRequestIndexView
    add_view_class = PersonalDataRequestCreateView
    edit_view_class = PersonalDataRequestEditView
    edit_template_name = "members/admin/personal_data_request_edit.html"
    form_fields = FORM_FIELDS
    filterset_class = PersonalDataRequestFilterSet
    search_fields = ["member__member_no", "details", "staff_notes"]
    ordering = ["-received_on", "-pk"]
    inspect_view_enabled = False
    list_display = [
        "kind",
        Column("member_no", label=_("member number"), accessor="member.member_no"),
        "received_on",
        "answered_on",
        "status",
        UserColumn("handled_by", label=_("handled by")),
        Column("organisation", label=_("organisation"), accessor="organisation"),
    ]
    list_export = [
        "organisation.name",
        "member.member_no",
        "get_kind_display",
        "received_on",
        "answered_on",
        "get_status_display",
        "details",
        "staff_notes",
        "handled_by",
    ]
    export_headings = {
        "organisation.name": _("organisation"),
        "member.member_no": _("member number"),
        "get_kind_display": _("request"),
        "get_status_display": _("status"),
    }
    export_filename = "personal-data-requests"

    def get_form_class(self, for_update=False):
        return PersonalDataRequestForm


def member_disclosure(request, pk):
    """開示ファイル: every table of the member's data as one XLSX workbook (GET; members of
    other organisations are not found). Needs the view permission of the request log."""
    member = get_object_or_404(
        scope_to_staff(Member.objects.select_related("organisation"), user=request.user), pk=pk
    )
    if not request.user.has_perm("members.view_personaldatarequest"):
        raise PermissionDenied
    content = disclosure_workbook(member=member, user=request.user)
    stamp = timezone.localdate().strftime("%Y%m%d")
    return xlsx_response(
        content, file_name=f"disclosure-{member.organisation.slug}-{member.pk}-{stamp}.xlsx"
    )


member_disclosure = require_GET(member_disclosure)
