"""Wiring only: the mailings menu, the send/test buttons on newsletter pages, admin URLs."""

from django import forms
from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin import widgets as wagtailadmin_widgets
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.base import ViewSetGroup

from members.admin_scoping import OrganisationScopedViewSet

from . import admin_views as views
from .forms import AudienceForm, CampaignScopedForm, ScopedOrganisationForm
from .models import (
    Audience,
    ConsentWording,
    Mailing,
    NewsletterPage,
    OrganisationMailSettings,
    ReminderDelivery,
    ReminderSchedule,
    ReminderTemplate,
    Suppression,
)


class ScopedViewSet(OrganisationScopedViewSet):
    add_to_admin_menu = False


class MailingViewSet(ScopedViewSet):
    model = Mailing
    icon = "mail"
    menu_label = _("Mailings")
    name = "mailings_mailing"
    url_prefix = "mailings/mailing"
    index_view_class = views.MailingIndexView
    inspect_view_class = views.MailingDetailView
    inspect_view_enabled = True
    form_fields = ["title"]
    list_display = [
        "title",
        "kind",
        Column("state", label=_("state"), accessor="get_state_display"),
        "audience_name",
        "scheduled_at",
        "started_at",
        "finished_at",
    ]
    list_filter = ["kind", "state"]
    search_fields = ["title", "subject"]
    ordering = ["-created_at"]
    list_export = ["title", "kind", "state", "audience_name", "scheduled_at", "started_at",
                   "finished_at"]  # fmt: skip
    export_filename = "mailings"


class AudienceViewSet(ScopedViewSet):
    model = Audience
    icon = "group"
    menu_label = _("Audiences")
    name = "mailings_audience"
    url_prefix = "mailings/audience"
    index_view_class = views.AudienceIndexView
    inspect_view_class = views.AudienceInspectView
    inspect_view_enabled = True
    list_display = ["name", "organisation", "description", "updated_at"]
    search_fields = ["name", "description"]
    ordering = ["organisation", "name"]
    edit_handler = ObjectList(
        [
            FieldPanel("organisation"),
            FieldPanel("name"),
            FieldPanel("description"),
            FieldPanel("categories"),
            FieldPanel("work_types"),
            FieldPanel("occupations"),
            FieldPanel("prefectures"),
            FieldPanel("joined_from"),
            FieldPanel("joined_to"),
            FieldPanel("cycle"),
            FieldPanel("requirement"),
            FieldPanel("completion"),
            FieldPanel("overdue_only"),
        ],
        base_form_class=AudienceForm,
    )


class SuppressionViewSet(ScopedViewSet):
    model = Suppression
    icon = "cross"
    menu_label = _("Suppressed addresses")
    name = "mailings_suppression"
    url_prefix = "mailings/suppression"
    index_view_class = views.SuppressionIndexView
    list_display = ["email", "organisation", "reason", "source", "created_at"]
    list_filter = ["reason", "source"]
    search_fields = ["email"]
    ordering = ["-created_at"]
    list_export = ["email", "reason", "source", "detail", "created_at"]
    export_filename = "suppressed-addresses"
    edit_handler = ObjectList(
        [
            FieldPanel("organisation"),
            FieldPanel("email"),
            FieldPanel("reason"),
            FieldPanel("source"),
            FieldPanel("detail"),
        ],  # fmt: skip
        base_form_class=ScopedOrganisationForm,
    )


class MailSettingsViewSet(ScopedViewSet):
    model = OrganisationMailSettings
    icon = "cog"
    menu_label = _("Mail settings")
    name = "mailings_settings"
    url_prefix = "mailings/settings"
    list_display = ["organisation", "list_id", "rate_per_minute"]
    edit_handler = ObjectList(
        [
            FieldPanel("organisation"),
            FieldPanel("list_id"),
            FieldPanel("unsubscribe_mailto"),
            FieldPanel("footer_note"),
            FieldPanel("rate_per_minute"),
        ],  # fmt: skip
        base_form_class=ScopedOrganisationForm,
    )


class ConsentWordingViewSet(ScopedViewSet):
    model = ConsentWording
    icon = "doc-full"
    menu_label = _("Consent wordings")
    name = "mailings_consent_wording"
    url_prefix = "mailings/consent-wording"
    add_view_class = views.ConsentWordingCreateView
    inspect_view_enabled = True
    list_display = ["organisation", "version", "text", "created_at"]
    ordering = ["organisation", "-version"]
    edit_handler = ObjectList(
        [FieldPanel("organisation"), FieldPanel("text")], base_form_class=ScopedOrganisationForm
    )


class ReminderScheduleViewSet(ScopedViewSet):
    organisation_path = "campaign__organisation"
    model = ReminderSchedule
    icon = "time"
    menu_label = _("Reminder schedules")
    name = "mailings_reminder_schedule"
    url_prefix = "mailings/reminder-schedule"
    list_display = ["campaign", "enabled", "days_before", "overdue_notice", "weekly_overdue",
                    "staff_digest"]  # fmt: skip
    edit_handler = ObjectList(
        [
            FieldPanel("campaign"),
            FieldPanel("enabled"),
            FieldPanel("announce_on_open"),
            FieldPanel("days_before", widget=forms.TextInput),
            FieldPanel("overdue_notice"),
            FieldPanel("weekly_overdue"),
            FieldPanel("staff_digest"),
            FieldPanel("digest_weekday"),
        ],
        base_form_class=CampaignScopedForm,
    )


class ReminderTemplateViewSet(ScopedViewSet):
    model = ReminderTemplate
    icon = "edit"
    menu_label = _("Reminder texts")
    name = "mailings_reminder_text"
    url_prefix = "mailings/reminder-text"
    list_display = ["step", "organisation", "subject", "updated_at"]
    edit_handler = ObjectList(
        [
            FieldPanel("organisation"),
            FieldPanel("step"),
            FieldPanel("subject"),
            FieldPanel("body"),
        ],  # fmt: skip
        base_form_class=ScopedOrganisationForm,
    )


class ReminderDeliveryViewSet(ScopedViewSet):
    organisation_path = "assignment__member__organisation"
    model = ReminderDelivery
    icon = "list-ul"
    menu_label = _("Reminder log")
    name = "mailings_reminder_log"
    url_prefix = "mailings/reminder-log"
    form_fields = ["state"]
    list_display = ["assignment", "step", "state", "reason", "created_at"]
    list_filter = ["state", "reason", "step"]
    search_fields = ["assignment__member__member_no", "assignment__member__name"]
    ordering = ["-created_at"]
    list_export = ["assignment", "step", "state", "reason", "created_at"]
    export_filename = "reminder-log"


class MailingsGroup(ViewSetGroup):
    menu_label = _("Mailings")
    menu_icon = "mail"
    menu_order = 260
    items = (
        MailingViewSet,
        AudienceViewSet,
        SuppressionViewSet,
        ReminderScheduleViewSet,
        ReminderTemplateViewSet,
        ReminderDeliveryViewSet,
        ConsentWordingViewSet,
        MailSettingsViewSet,
    )


@hooks.register("register_admin_viewset")
def register_viewsets():
    return MailingsGroup()


admin_urls = [
    path("newsletter/<int:page_id>/test/", views.NewsletterTestView.as_view(), name="test"),
    path("newsletter/<int:page_id>/send/", views.NewsletterSendView.as_view(), name="send"),
    path(
        "mailing/<int:pk>/progress/", views.MailingProgressView.as_view(), name="mailing_progress"
    ),  # fmt: skip
    path("mailing/<int:pk>/action/", views.MailingActionView.as_view(), name="mailing_action"),
    path("suppression/import/", views.SuppressionImportView.as_view(), name="suppression_import"),
]


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [path("mailings-admin/", include((admin_urls, "mailings_admin")))]


@hooks.register("register_page_listing_more_buttons")
def newsletter_listing_buttons(page, user, next_url=None):
    yield from newsletter_buttons(page, user, "listing", next_url)


@hooks.register("register_page_header_buttons")
def newsletter_buttons(page, user, view_name, next_url=None):
    if not isinstance(page.specific_deferred, NewsletterPage):
        return
    yield wagtailadmin_widgets.Button(
        _("Send me a test"),
        reverse("mailings_admin:test", args=[page.pk]),
        icon_name="mail",
        priority=5,
    )
    if user.has_perm("mailings.add_mailing"):
        yield wagtailadmin_widgets.Button(
            _("Send to an audience"),
            reverse("mailings_admin:send", args=[page.pk]),
            icon_name="mail",
            priority=6,
        )
