"""The demo seed adds the newsletter archive, audiences and consents, and is idempotent."""

import io

import pytest
from django.core.management import call_command

from mailings.models import Audience, NewsletterConsent, NewsletterPage, ReminderSchedule


@pytest.mark.django_db
def test_demo_mail_is_seeded_once(settings, client):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    counts = (
        NewsletterPage.objects.live().count(),
        Audience.objects.count(),
        NewsletterConsent.objects.count(),
        ReminderSchedule.objects.count(),
    )
    call_command("seed_demo", stdout=io.StringIO())
    assert counts == (
        NewsletterPage.objects.live().count(),
        Audience.objects.count(),
        NewsletterConsent.objects.count(),
        ReminderSchedule.objects.count(),
    )
    assert counts[0] == 2 and counts[1] >= 3 and counts[2] > 200
    public = NewsletterPage.objects.get(archive_visibility="public")
    response = client.get(public.url)
    assert response.status_code == 200 and "暑さ指数" in response.content.decode()
    assert "newsletter archive" in out.getvalue()
