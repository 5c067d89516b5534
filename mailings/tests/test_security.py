"""Mail security: no header injection in any mail path, no form that accepts a line break in
a header, and the admin's add-mailing URL that was a 500."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from mailings.mime import MessageFactory
from mailings.models import Mailing, ReminderTemplate
from members.mailheaders import HeaderInjectionError, header_line, validate_single_line
from tests.factories import make_staff

pytestmark = pytest.mark.django_db
INJECTED = "お知らせ x\r\nBcc: attacker@example.com"


def factory(organisation, subject):
    return MessageFactory(
        organisation=organisation,
        subject=subject,
        html_template="<p>{{ name }}</p>",
        text_template="{{ name }}",
    )


def test_the_mail_builder_refuses_a_subject_with_a_line_break(organisation):
    for subject in ("x\r\nBcc: attacker@example.com", INJECTED, "x\nBcc: a@b.c", "x\rBcc"):
        with pytest.raises(HeaderInjectionError):
            factory(organisation, subject)
    # a normal subject still goes out, folded and encoded, with no Bcc
    message = factory(organisation, "熱中症予防のお知らせ").build(
        recipient_id=1, member_id=1, email_address="taro@example.jp", name="山田 太郎"
    )
    data = message.message().as_bytes(linesep="\r\n")
    assert b"Bcc" not in data and b"Subject: =?utf-8?b?" in data


def test_a_sender_name_with_a_line_break_is_refused(organisation):
    organisation.mail_from = "Office\r\nBcc: attacker@example.com <office@example.jp>"
    with pytest.raises(HeaderInjectionError):
        factory(organisation, "subject")
    with pytest.raises(ValidationError):
        organisation.full_clean()


def test_recipient_names_cannot_inject_either(organisation):
    built = factory(organisation, "subject")
    with pytest.raises(HeaderInjectionError):
        built.build(
            recipient_id=1, member_id=1, email_address="t@example.jp", name="x\r\nBcc: a@b.c"
        )


def test_header_line_is_the_one_builder():
    assert header_line("Subject", "Hello") == "Subject: Hello"
    with pytest.raises(HeaderInjectionError):
        header_line("Subject", "Hello\nBcc: x@example.com")
    with pytest.raises(ValidationError):
        validate_single_line("two\nlines")


def test_the_reminder_text_form_rejects_a_subject_with_a_line_break(client, organisation):
    staff = make_staff(organisations=[organisation])
    client.force_login(staff)
    response = client.post(
        reverse("mailings_reminder_text:add"),
        {
            "organisation": organisation.pk,
            "step": ReminderTemplate.Step.choices[0][0],
            "subject": "x\r\nBcc: attacker@example.com",
            "body": "{{ name }}",
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert "改行" in response.content.decode()
    assert not ReminderTemplate.objects.exists()
    assert mail.outbox == []


def test_posting_the_admins_new_mailing_form_is_not_a_server_error(client, organisation):
    staff = make_staff(organisations=[organisation])
    client.force_login(staff)
    response = client.post(reverse("mailings_mailing:add"), {"title": "x"})
    assert response.status_code == 302
    assert not Mailing.objects.exists()
    assert client.get(reverse("mailings_mailing:add")).status_code == 302


def test_the_reminder_text_form_refuses_template_tags(client, organisation):
    """Staff texts know placeholders only: {% debug %} would list what the mail can see."""
    staff = make_staff(organisations=[organisation])
    client.force_login(staff)
    response = client.post(
        reverse("mailings_reminder_text:add"),
        {
            "organisation": organisation.pk,
            "step": ReminderTemplate.Step.choices[0][0],
            "subject": "{{ campaign }}",
            "body": "{{ name }} 様\n{% debug %}",
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert "{{ name }}" in response.content.decode()
    assert not ReminderTemplate.objects.exists()
