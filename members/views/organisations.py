"""Organisations (特別加入団体) in the admin: superusers create them and assign their staff and
editors. Other users need the organisation permissions, which no group has by default."""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Count
from django.forms import modelform_factory
from django.utils.translation import gettext_lazy
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet

from ..models import DEFAULT_ANONYMISE_AFTER_DAYS, Organisation
from ..publishing import organisation_approval_setup
from ..services import organisation_people_grant


class AdminUserChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user):
        name = user.get_full_name() or user.get_username()
        return f"{name} <{user.email}>" if user.email else name


def admin_users():
    """The users who are not on a roster (members sign in as users too, and are not offered):
    staff and editors, including those just created under Settings > Users."""
    return (
        get_user_model().objects.filter(is_active=True, members__isnull=True).order_by("username")
    )


class OrganisationForm(WagtailAdminModelForm):
    staff = AdminUserChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("staff"),
        help_text=gettext_lazy(
            "Staff see and manage this organisation's members and reports; they are added to "
            "the office staff group."
        ),
    )
    editors = AdminUserChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("editors"),
        help_text=gettext_lazy(
            "Editors write and publish this organisation's courses and newsletters; they are "
            "added to the editors group."
        ),
    )

    approvers = AdminUserChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("approvers"),
        help_text=gettext_lazy(
            "With approval before publishing: who approves the editors' pages (each is mailed "
            "once when a page is submitted)."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("staff", "editors", "approvers"):
            chosen = self.instance.pk and getattr(self.instance, name).all()
            users = admin_users()
            self.fields[name].queryset = (
                users | get_user_model().objects.filter(pk__in=chosen) if chosen else users
            ).distinct()
        if "anonymise_after_days" in self.fields:  # blank: the default retention
            self.fields["anonymise_after_days"].required = False

    def clean_anonymise_after_days(self):
        days = self.cleaned_data.get("anonymise_after_days")
        return DEFAULT_ANONYMISE_AFTER_DAYS if days is None else days


class OrganisationSaveMixin:
    def save_instance(self):
        organisation = super().save_instance()
        organisation_people_grant(organisation=organisation)
        organisation_approval_setup(organisation=organisation)
        return organisation


class OrganisationCreateView(OrganisationSaveMixin, generic.CreateView):
    pass


class OrganisationEditView(OrganisationSaveMixin, generic.EditView):
    pass


class OrganisationIndexView(generic.IndexView):
    def get_base_queryset(self):
        return (
            super()
            .get_base_queryset()
            .annotate(
                staff_count=Count("staff", distinct=True),
                editor_count=Count("editors", distinct=True),
            )
        )


class OrganisationViewSet(ModelViewSet):
    model = Organisation
    icon = "site"
    menu_label = gettext_lazy("Organisations")
    add_to_admin_menu = False
    form_fields = [
        "name",
        "slug",
        "short_name",
        "postal_address",
        "contact_email",
        "contact_phone",
        "website",
        "mail_from",
        "reply_to",
        "office_name",
        "office_hours",
        "privacy_notice",
        "anonymise_after_days",
        "staff",
        "editors",
        "publishing_approval",
        "approvers",
    ]
    search_fields = ["name", "short_name", "slug"]
    ordering = ["name"]
    list_display = [
        "name",
        "short_name",
        Column("staff_count", label=gettext_lazy("Staff"), sort_key="staff_count"),
        Column("editor_count", label=gettext_lazy("Editors"), sort_key="editor_count"),
    ]
    index_view_class = OrganisationIndexView
    add_view_class = OrganisationCreateView
    edit_view_class = OrganisationEditView
    inspect_view_enabled = False
    copy_view_enabled = False

    def get_form_class(self, for_update=False):
        return modelform_factory(self.model, form=OrganisationForm, fields=self.form_fields)
