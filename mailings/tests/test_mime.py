"""Every kind of mail carries the legal footer and the unsubscribe headers."""

import datetime
import email
import email.policy

import pytest
from django.core import mail

from mailings import engine, services
from mailings.mime import MessageFactory, read_unsubscribe_token
from mailings.models import Mailing, MailingRecipient, OrganisationMailSettings
from mailings.rendering import html_to_text, render_mail
from tests.factories import (
    make_audience,
    make_member,
    make_newsletter,
    make_notice_mailing,
    make_organisation,
    make_staff,
    subscribe,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(db):
    org = make_organisation(
        name="みらいフリーランス労災保険センター",
        slug="mirai",
        postal_address="〒100-0001 東京都千代田区千代田1-1",
        contact_email="anzen@example.jp",
        contact_phone="03-0000-0000",
        mail_from="みらい 研修事務局 <anzen@example.jp>",
        reply_to="soudan@example.jp",
    )
    OrganisationMailSettings.objects.create(
        organisation=org, list_id="news.mirai.example.jp", footer_note="個人情報の取扱い: 別掲"
    )
    return org


def parse(message):
    return email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)


def assert_legal(parsed, *, org_name="みらいフリーランス労災保険センター"):
    """特定電子メール法: sender's name, address, contact, how to stop; RFC 8058 and 2919."""
    assert str(parsed["From"]) == "みらい 研修事務局 <anzen@example.jp>"
    assert str(parsed["Reply-To"]) == "soudan@example.jp"
    assert "news.mirai.example.jp" in str(parsed["List-Id"])
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    links = str(parsed["List-Unsubscribe"])
    assert "<mailto:anzen@example.jp?subject=unsubscribe-" not in links  # reply-to wins
    assert "<mailto:soudan@example.jp?subject=unsubscribe-" in links
    https = links.split("<")[2].split(">")[0]
    assert https.startswith("http://127.0.0.1:8000/mail/u/")
    for part in ("plain", "html"):
        body = parsed.get_body((part,)).get_content()
        for needle in (org_name, "東京都千代田区千代田1-1", "anzen@example.jp", "03-0000-0000",
                       https, "/mail/preferences/", "個人情報の取扱い"):  # fmt: skip
            assert needle in body, (part, needle)
    return https


def test_newsletter_mail(org, site, django_capture_on_commit_callbacks):
    member = make_member(organisation=org, email="taro@example.jp", name="山田　太郎")
    subscribe(member)
    page = make_newsletter(organisation=org, subject="7月号 熱中症に注意", preheader="暑さ指数")
    staff = make_staff(organisations=[org])
    mailing = services.newsletter_mailing_create(
        page=page, audience=make_audience(organisation=org), user=staff
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.mailing_send(mailing=mailing, user=staff)
    assert len(mail.outbox) == 1
    parsed = parse(mail.outbox[0])
    assert str(parsed["Subject"]) == "7月号 熱中症に注意"
    assert str(parsed["To"]) == "山田　太郎 <taro@example.jp>"
    https = assert_legal(parsed)
    html = parsed.get_body(("html",)).get_content()
    assert "暑さ指数" in html  # preheader
    assert "山田　太郎 様" in html and "山田　太郎さん" in html  # greeting and {{ name }} in text
    assert "style=" in html and "<table" in html  # e-mail-safe HTML
    token = https.rstrip("/").rsplit("/", 1)[1]
    recipient = MailingRecipient.objects.get(mailing=mailing)
    assert read_unsubscribe_token(token) == (member.pk, recipient.pk)
    assert parsed["Message-ID"] == f"<m{mailing.pk}.r{recipient.pk}@example.jp>"


def test_notice_mail(org, smtp_server):
    member = make_member(organisation=org, email="hanako@example.jp", name="佐藤　花子")
    mailing = make_notice_mailing(organisation=org, members=[member])
    engine.send_batch(mailing_id=mailing.pk)
    parsed = smtp_server.to("hanako@example.jp")[0]
    assert_legal(parsed)
    assert "administrative notice" in parsed.get_body(("plain",)).get_content() or (
        "事務連絡" in parsed.get_body(("plain",)).get_content()
    )


def test_reminder_mail(org, smtp_server):
    from mailings.reminders import text_to_html

    member = make_member(organisation=org, email="jiro@example.jp", name="鈴木　次郎")
    body = "{{ name }} 様\n\n期限は{{ due_date }}です。\n\n{{ courses }}"
    html, text = render_mail(
        organisation=org, kind="reminder", subject="督促", preheader="",
        body_html=text_to_html(body), body_text=body,
    )  # fmt: skip
    mailing = Mailing.objects.create(
        organisation=org, kind="reminder", title="t", subject="督促", html_template=html,
        text_template=text, state="sending",
    )  # fmt: skip
    MailingRecipient.objects.create(
        mailing=mailing, member=member, email=member.email, name=member.name, state="queued",
        context={"due_date": "2026年7月31日", "courses": "・熱中症 (50%)",
                 "courses_html": "<ul><li>熱中症 (50%)</li></ul>"},
    )  # fmt: skip
    engine.send_batch(mailing_id=mailing.pk)
    parsed = smtp_server.to("jiro@example.jp")[0]
    assert_legal(parsed)
    assert "期限は2026年7月31日です" in parsed.get_body(("plain",)).get_content()
    assert "<li>熱中症 (50%)</li>" in parsed.get_body(("html",)).get_content()


def test_test_mail_to_the_editor(org, site):
    editor = make_staff(username="editor", organisations=[org])
    editor.first_name = "編集者"
    editor.save()
    page = make_newsletter(organisation=org, title="8月号")
    assert services.newsletter_test_send(page=page, user=editor) == "editor@example.jp"
    parsed = parse(mail.outbox[0])
    assert str(parsed["Subject"]).endswith("8月号") and str(parsed["Subject"]) != "8月号"
    assert_legal(parsed)
    assert "編集者" in parsed.get_body(("html",)).get_content()


def test_names_are_escaped_in_html(org):
    html, text = render_mail(
        organisation=org, kind="notice", subject="s", preheader="", body_html="<p>{{ name }}</p>"
    )
    factory = MessageFactory(organisation=org, subject="s", html_template=html,
                             text_template=text)  # fmt: skip
    message = factory.build(
        recipient_id=1, member_id=1, email_address="x@example.jp", name="<b>悪</b>"
    )
    assert "&lt;b&gt;悪&lt;/b&gt;" in message.alternatives[0][0]
    assert "<b>悪</b>" in message.body


def test_long_subject_headers_stay_within_line_limits(org):
    factory = MessageFactory(
        organisation=org, subject="熱中症" * 40, html_template="<p>x</p>", text_template="x"
    )
    data = (
        factory.build(recipient_id=1, member_id=1, email_address="x@example.jp", name="名前" * 30)
        .message()
        .as_bytes(linesep="\r\n")
    )
    assert max(len(line) for line in data.split(b"\r\n")) <= 998
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert str(parsed["Subject"]) == "熱中症" * 40


def test_message_has_date_and_parses_as_multipart_alternative(org):
    factory = MessageFactory(organisation=org, subject="s", html_template="<p>h</p>",
                             text_template="t")  # fmt: skip
    parsed = parse(factory.build(recipient_id=5, member_id=1, email_address="a@example.jp",
                                 name=""))  # fmt: skip
    assert parsed.get_content_type() == "multipart/alternative"
    assert parsed["Date"].datetime.year >= datetime.date.today().year - 1
    assert parsed.get_body(("plain",)).get_content().strip() == "t"


def test_text_part_reads_like_the_html():
    """Mail apps that show only the text part: headings, list items, link addresses."""
    text = html_to_text(
        '<p>{{ name }}さん</p><h2>熱中症に注意</h2><p>詳しくは<a href="https://example.jp/heat/">'
        'こちら</a>。<br>問い合わせ: <a href="mailto:anzen@example.jp">anzen@example.jp</a></p>'
        '<ul><li>水分</li><li>塩分</li></ul><div style="display: none">preheader</div>'
    )
    assert text == (
        "{{ name }}さん\n\n■ 熱中症に注意\n\n"
        "詳しくはこちら ( https://example.jp/heat/ )。\n問い合わせ: anzen@example.jp\n\n"
        "・水分\n・塩分"
    )
