"""Receivers wired in MailingsConfig.ready(): each calls one service."""

import re

from .models import NewsletterConsent

TOKEN_IN_SUBJECT = re.compile(r"unsubscribe-(\S+)")


def on_tracking_event(sender, event, esp_name, **kwargs):
    from .services import tracking_event_record

    tracking_event_record(event=event)


def on_inbound_mail(sender, event, esp_name, **kwargs):
    """A mail to the List-Unsubscribe mailto address (via an ESP's inbound webhook)."""
    from .services import unsubscribe_by_token

    match = TOKEN_IN_SUBJECT.search(event.message.subject or "")
    if match:
        unsubscribe_by_token(token=match.group(1), method=NewsletterConsent.Withdrawal.MAILTO)


def on_worker_ready(sender=None, **kwargs):
    """A worker (re)started: pick up mailings whose tasks died with a previous worker."""
    from .tasks import tick

    tick.delay(resume_all=True)


def on_page_published(sender, instance, revision=None, **kwargs):
    from .services import newsletter_ready_notify

    newsletter_ready_notify(page=instance, revision=revision)


def on_campaign_saved(sender, instance, created, raw=False, **kwargs):
    """A new campaign gets the default reminder schedule, which staff can change or switch off."""
    if created and not raw:
        from .reminders import reminder_schedule_ensure

        reminder_schedule_ensure(campaign=instance)
