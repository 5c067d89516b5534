"""Consent records, the bounce-list import, and ESP tracking webhooks."""

import pytest
from anymail.signals import AnymailTrackingEvent, tracking
from django.core.exceptions import PermissionDenied

from mailings import engine, services
from mailings.models import ConsentWording, MailingRecipient, NewsletterConsent, Suppression
from mailings.selectors import newsletter_subscribed
from tests.factories import make_member, make_notice_mailing, make_staff, subscribe

pytestmark = pytest.mark.django_db


def test_consent_keeps_the_wording_version_and_withdrawal(member):
    first = services.consent_wording_current(organisation=member.organisation)
    consent = services.newsletter_subscribe(member=member, method="paper")
    assert services.newsletter_subscribe(member=member, method="web") == consent  # idempotent
    v2 = services.consent_wording_publish(
        organisation=member.organisation, text="新しい文言：研修のお知らせも含みます。"
    )
    assert (first.version, v2.version) == (1, 2)
    assert services.newsletter_unsubscribe(member=member, method="link")
    assert not services.newsletter_unsubscribe(member=member, method="link")
    again = services.newsletter_subscribe(member=member, method="web")
    history = list(NewsletterConsent.objects.filter(member=member).order_by("given_at"))
    assert [c.wording.version for c in history] == [1, 2]
    assert history[0].withdrawn_at and history[0].withdrawal_method == "link"
    assert again.withdrawn_at is None and ConsentWording.objects.get(pk=first.pk).text == first.text


def test_bounce_list_import_is_atomic_idempotent_and_reports_lines(organisation):
    staff = make_staff(organisations=[organisation])
    bad = "メールアドレス,理由\nok@example.jp,550\nnot-an-address,x\n\nalso@bad\n".encode("cp932")
    result = services.suppression_import(
        organisation=organisation, data=bad, filename="bounces.csv", reason="bounce", user=staff
    )
    assert [error.line for error in result.errors] == [3, 5]
    assert "bounces.csv" in result.errors[0].message() and "3" in result.errors[0].message()
    assert not Suppression.objects.exists()  # nothing written

    good = b"OK@Example.jp\nsecond@example.jp\n"
    first = services.suppression_import(
        organisation=organisation, data=good, filename="b.txt", reason="bounce", user=staff
    )
    again = services.suppression_import(
        organisation=organisation, data=good, filename="b.txt", reason="bounce", user=staff
    )
    assert (first.added, again.added, again.already) == (2, 0, 2)
    assert set(Suppression.objects.values_list("email", flat=True)) == {
        "ok@example.jp",
        "second@example.jp",
    }


def test_bounce_import_is_refused_for_another_organisation(organisation, other_organisation):
    staff = make_staff(organisations=[organisation])
    with pytest.raises(PermissionDenied):
        services.suppression_import(
            organisation=other_organisation, data=b"a@example.jp", filename="x", reason="bounce",
            user=staff,
        )  # fmt: skip


def _event(event_type, recipient, rid=None):
    return AnymailTrackingEvent(
        event_type=event_type,
        recipient=recipient,
        message_id="esp-1",
        metadata={"mailing_recipient": str(rid)} if rid else {},
        description="mailbox does not exist",
    )


def test_webhook_bounce_and_complaint_suppress_and_withdraw(organisation, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    a = make_member(organisation=organisation, email="a@example.jp")
    b = make_member(organisation=organisation, email="b@example.jp")
    subscribe(a, b)
    mailing = make_notice_mailing(organisation=organisation, members=[a, b])
    engine.send_batch(mailing_id=mailing.pk)
    ra = MailingRecipient.objects.get(mailing=mailing, member=a)
    rb = MailingRecipient.objects.get(mailing=mailing, member=b)

    tracking.send(sender=object, event=_event("bounced", "a@example.jp", ra.pk), esp_name="Test")
    tracking.send(sender=object, event=_event("complained", "B@example.jp", rb.pk), esp_name="Test")
    tracking.send(sender=object, event=_event("delivered", "a@example.jp", ra.pk), esp_name="Test")

    ra.refresh_from_db()
    rb.refresh_from_db()
    assert (ra.state, rb.state) == ("bounced", "complained")
    assert dict(Suppression.objects.values_list("email", "reason")) == {
        "a@example.jp": "bounce",
        "b@example.jp": "complaint",
    }
    assert newsletter_subscribed(member=a) and not newsletter_subscribed(member=b)
    # the next mailing excludes both, with the reason
    from mailings.selectors import annotate_delivery

    reasons = dict(
        annotate_delivery(
            type(a).objects.filter(pk__in=[a.pk, b.pk]),
            organisation_id=organisation.pk,
            kind="notice",
        ).values_list("email", "mail_reason")
    )
    assert reasons == {"a@example.jp": "suppressed", "b@example.jp": "suppressed"}


def test_webhook_receivers_are_mounted_once_protected(settings):
    from mailings.urls import esp_webhooks

    settings.ANYMAIL = {}
    assert esp_webhooks() == []  # anymail would answer 500 without a shared secret
    settings.ANYMAIL = {"WEBHOOK_SECRET": "user:long-random-secret"}
    (pattern,) = esp_webhooks()
    names = {p.name for p in pattern.url_patterns}
    assert "amazon_ses_tracking_webhook" in names and str(pattern.pattern) == "esp/"
