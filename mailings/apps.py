from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailingsConfig(AppConfig):
    name = "mailings"
    label = "mailings"
    verbose_name = _("Mailings")
    default_auto_field = "django.db.models.BigAutoField"
    # what staff set up and send; the delivery records are evidence, read only
    staff_permissions = (
        *(
            f"{action}_{model}"
            for model in (
                "mailing",
                "audience",
                "suppression",
                "organisationmailsettings",
                "consentwording",
                "reminderschedule",
                "remindertemplate",
            )
            for action in ("add", "change", "delete", "view")
        ),
        "view_mailingrecipient",
        "view_reminderdelivery",
        "view_staffdigest",
        "view_newsletterconsent",
    )

    def ready(self):
        from anymail.signals import inbound, tracking
        from celery.signals import worker_ready
        from django.db.models.signals import post_save

        from . import signals

        tracking.connect(signals.on_tracking_event, dispatch_uid="mailings.tracking")
        inbound.connect(signals.on_inbound_mail, dispatch_uid="mailings.inbound")
        worker_ready.connect(signals.on_worker_ready, dispatch_uid="mailings.worker_ready")
        post_save.connect(
            signals.on_campaign_saved,
            sender="lms.Campaign",
            dispatch_uid="mailings.campaign_reminder_schedule",
        )
        from wagtail.signals import page_published

        from .models import NewsletterPage

        page_published.connect(
            signals.on_page_published, sender=NewsletterPage, dispatch_uid="mailings.published"
        )
