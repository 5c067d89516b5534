"""The mail part of a member's disclosure file and of their anonymisation (members.privacy):
newsletter consents (when, how, which wording, withdrawal) and every mail sent to the member.

Anonymisation clears the address and name copied into each sent mail and the member's
address on the organisation's suppression list; the consent history (dates and methods)
stays, holding no personal data of its own.
"""

from members.models import Member
from members.privacy import DisclosureSheet
from members.xlsx import Col

from .models import MailingRecipient, NewsletterConsent, Suppression


def _label(model, name):
    return str(model._meta.get_field(name).verbose_name)


def disclosure_sheets(member):
    consents = NewsletterConsent.objects.filter(member=member).select_related("wording")
    recipients = MailingRecipient.objects.filter(member=member).select_related("mailing")
    suppressions = (
        Suppression.objects.filter(
            organisation_id=member.organisation_id, email__iexact=member.email
        )
        if member.email
        else Suppression.objects.none()
    )
    return [
        DisclosureSheet(
            title=str(NewsletterConsent._meta.verbose_name_plural),
            columns=[
                Col(_label(NewsletterConsent, "given_at"), "datetime"),
                Col(_label(NewsletterConsent, "method")),
                Col(_label(NewsletterConsent, "wording")),
                Col(_label(NewsletterConsent, "withdrawn_at"), "datetime"),
                Col(_label(NewsletterConsent, "withdrawal_method")),
            ],
            rows=[
                [
                    c.given_at,
                    c.get_method_display(),
                    c.wording.text,
                    c.withdrawn_at,
                    c.get_withdrawal_method_display(),
                ]
                for c in consents.order_by("given_at", "pk")
            ],  # fmt: skip
        ),
        DisclosureSheet(
            title=str(MailingRecipient._meta.verbose_name_plural),
            columns=[
                Col(_label(MailingRecipient, "mailing")),
                Col(_label(MailingRecipient, "email")),
                Col(_label(MailingRecipient, "name")),
                Col(_label(MailingRecipient, "state")),
                Col(_label(MailingRecipient, "reason")),
                Col(_label(MailingRecipient, "sent_at"), "datetime"),
            ],
            rows=[
                [
                    r.mailing.title,
                    r.email,
                    r.name,
                    r.get_state_display(),
                    r.get_reason_display(),
                    r.sent_at,
                ]
                for r in recipients.order_by("pk")
            ],  # fmt: skip
        ),
        DisclosureSheet(
            title=str(Suppression._meta.verbose_name_plural),
            columns=[
                Col(_label(Suppression, "email")),
                Col(_label(Suppression, "reason")),
                Col(_label(Suppression, "created_at"), "datetime"),
            ],
            rows=[[s.email, s.get_reason_display(), s.created_at] for s in suppressions],
        ),
    ]


def anonymise(member):
    """Runs before nothing else needs the address: members.privacy has already cleared the
    member's own fields, so the address is read from the mail that was sent."""
    addresses = set(
        MailingRecipient.objects.filter(member=member)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    MailingRecipient.objects.filter(member=member).update(email="", name="", context=None)
    for address in addresses:
        still_used = Member.objects.filter(
            organisation_id=member.organisation_id, email__iexact=address
        ).exists()
        if not still_used:
            Suppression.objects.filter(
                organisation_id=member.organisation_id, email__iexact=address
            ).delete()
