"""Wiring only: the mailings menu, the send/test buttons on newsletter pages, admin URLs."""

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin import widgets as wagtailadmin_widgets
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.base import ViewSetGroup

from members.admin_scoping import OrganisationScopedViewSet
from members.display import ListColumn, YesNoColumn

from .forms import AudienceForm, ReminderScheduleForm, ScopedOrganisationForm
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
from .views import admin as views
from .views.remind import RemindView


class ScopedViewSet(OrganisationScopedViewSet):
    add_to_admin_menu = False


class MailingViewSet(ScopedViewSet):
    model = Mailing
    icon = "mail"
    menu_label = _("Mailings")
    name = "mailings_mailing"
    url_prefix = "mailings/mailing"
    index_view_class = views.MailingIndexView
    add_view_class = views.MailingAddView
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
    list_display = [
        "campaign",
        YesNoColumn("enabled", label=_("send reminders")),
        ListColumn("days_before", label=_("days before the due date"), each=_("%s days before")),
        YesNoColumn("overdue_notice", label=_("overdue notice")),
        YesNoColumn("weekly_overdue", label=_("weekly until done")),
        YesNoColumn("staff_digest", label=_("weekly digest to staff")),
    ]
    edit_handler = ObjectList(
        [
            FieldPanel("campaign"),
            FieldPanel("enabled"),
            FieldPanel("announce_on_open"),
            FieldPanel("days_before"),
            FieldPanel("overdue_notice"),
            FieldPanel("weekly_overdue"),
            FieldPanel("staff_digest"),
            FieldPanel("digest_weekday"),
        ],
        base_form_class=ReminderScheduleForm,
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
    path("remind/", RemindView.as_view(), name="remind"),
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


@hooks.register("after_create_page")
@hooks.register("after_edit_page")
def warn_about_merge_tags(request, page):
    """After saving a newsletter: what its merge tags become on the web archive."""
    from django.contrib import messages

    from .rendering import body_merge_tag_warnings

    if isinstance(page.specific, NewsletterPage):
        for warning in body_merge_tag_warnings(page.specific):
            messages.warning(request, warning)


# --- the office home and the member page ------------------------------------------------------


@hooks.register("construct_homepage_panels")
def office_home_mail(request, panels):
    panel = views.office_mail_panel(request)
    if panel is not None:
        panels.append(panel)


@hooks.register("register_people_list_action")
def remind_from_people_lists(request, list_name):
    from lms.people_actions import PeopleListAction

    from .views.remind import LISTS

    if list_name in LISTS and request.user.has_perm("mailings.add_mailing"):
        return PeopleListAction(label=_("Reminder mail"), url=reverse("mailings_admin:remind"))
    return None


@hooks.register("member_page_sections")
def member_reminders_sent(request, member):
    """The member page's list of reminders sent (scheduled and by staff), newest first."""
    from django.template.loader import render_to_string

    from .selectors import reminders_sent_to, step_label

    if not request.user.has_perm("mailings.view_reminderdelivery"):
        return ""
    deliveries = [
        {"delivery": delivery, "step": step_label(delivery.step)}
        for delivery in reminders_sent_to(member=member)[:100]
    ]
    return render_to_string(
        "mailings/admin/includes/member_reminders.html",
        {"deliveries": deliveries},
        request=request,
    )


@hooks.register("member_disclosure_sheets")
def member_mail_disclosure(member):
    from .privacy import disclosure_sheets

    return disclosure_sheets(member)


@hooks.register("member_anonymise")
def member_mail_anonymise(member):
    from .privacy import anonymise

    anonymise(member)
