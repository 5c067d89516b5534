"""Builders for mailings: audiences, consents, newsletter pages, mailings to members."""

import itertools

from django.utils import timezone

_seq = itertools.count(1)


def make_audience(*, organisation, name=None, **filters):
    from mailings.models import Audience

    return Audience.objects.create(
        organisation=organisation, name=name or f"オーディエンス{next(_seq)}", **filters
    )


def subscribe(*members, method="paper"):
    from mailings.services import newsletter_subscribe

    return [newsletter_subscribe(member=m, method=method) for m in members]


def make_newsletter_index():
    from wagtail.models import Page

    from mailings.models import NewsletterIndexPage

    index = NewsletterIndexPage.objects.first()
    if index is None:
        parent = Page.objects.filter(depth=2).first() or Page.get_first_root_node()
        index = parent.add_child(
            instance=NewsletterIndexPage(title="安全衛生メールマガジン", slug="newsletter")
        )
    return index


def make_newsletter(*, organisation, title=None, body=None, publish=True, **fields):
    from mailings.models import NewsletterPage

    n = next(_seq)
    page = NewsletterPage(
        title=title or f"安全衛生メールマガジン 第{n}号",
        slug=f"issue-{n}",
        organisation=organisation,
        body=body
        if body is not None
        else [
            ("heading", "熱中症に気をつけましょう"),
            ("text", "<p>{{ name }}さん、こまめに水分と塩分をとりましょう。</p>"),
        ],
        **fields,
    )
    make_newsletter_index().add_child(instance=page)
    revision = page.save_revision()
    if publish:
        revision.publish()
        page.refresh_from_db()
    return page


def make_notice_mailing(
    *, organisation, members, subject="研修のお知らせ", body="<p>{{ name }}様</p>"
):
    """A started administrative notice to exactly these members (rows queued)."""
    from mailings.models import Mailing, MailingRecipient
    from mailings.rendering import render_mail

    html, text = render_mail(
        organisation=organisation, kind="notice", subject=subject, preheader="", body_html=body
    )
    mailing = Mailing.objects.create(
        organisation=organisation,
        kind=Mailing.Kind.NOTICE,
        title=subject,
        subject=subject,
        html_template=html,
        text_template=text,
        state=Mailing.State.SENDING,
        started_at=timezone.now(),
    )
    MailingRecipient.objects.bulk_create(
        [
            MailingRecipient(mailing=mailing, member=m, email=m.email, name=m.name, state="queued")
            for m in members
        ]
    )
    return mailing
