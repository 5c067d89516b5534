"""The newsletter on the web: no merge tags, one greeting, and editors warned about tags."""

import pytest

from mailings.rendering import body_merge_tag_warnings, render_newsletter
from tests.factories import make_newsletter, make_staff

pytestmark = pytest.mark.django_db

GENERIC = "加入者の皆さま"


def public_issue(organisation, **fields):
    return make_newsletter(organisation=organisation, archive_visibility="public", **fields)


def test_the_web_archive_greets_everyone_and_shows_no_merge_tag(client, organisation, site):
    page = public_issue(
        organisation,
        greeting="{{ name }} 様",
        preheader="{{ name }}さんへ 今月の安全情報",
        body=[
            ("heading", "熱中症に気をつけましょう"),
            (
                "text",
                "<p>作業の前に水分をとりましょう。配信停止は {{ unsubscribe_url }} から。</p>",
            ),
        ],
    )
    html = client.get(page.url).content.decode()
    assert "{{" not in html and "}}" not in html
    assert f'<p class="newsletter-greeting">{GENERIC}</p>' in html
    assert f"{GENERIC} 様" not in html  # the honorific is not doubled either
    assert "配信停止は  から。" in html  # other tags simply disappear
    listing = client.get(page.get_parent().url).content.decode()
    assert "{{" not in listing and f"{GENERIC}へ 今月の安全情報" in listing


def test_the_greeting_is_not_doubled_when_the_body_greets(client, organisation, site):
    page = public_issue(
        organisation,
        greeting="{{ name }} 様",
        body=[("text", "<p>{{ name }}さん、こまめに水分と塩分をとりましょう。</p>")],
    )
    html = client.get(page.url).content.decode()
    assert html.count(GENERIC) == 1
    assert f"{GENERIC}、こまめに水分と塩分をとりましょう。" in html
    assert "newsletter-greeting" not in html


def test_the_email_still_carries_the_tag_for_each_member(organisation, site):
    page = public_issue(organisation, body=[("text", "<p>{{ name }}さん、こんにちは。</p>")])
    html, text = render_newsletter(page)
    assert "{{ name }}さん、こんにちは。" in html and "{{ name }}さん、こんにちは。" in text


def test_editors_are_warned_about_tags_in_the_body(client, organisation, site):
    page = public_issue(
        organisation,
        greeting="{{ name }} 様",
        body=[("text", "<p>{{ name }}さん、{{ due_date }}までに受講してください。</p>")],
    )
    warnings = body_merge_tag_warnings(page)
    assert len(warnings) == 3
    assert "{{ name }}、{{ due_date }}" in warnings[0] and GENERIC in warnings[0]
    assert "{{ due_date }}" in warnings[1]

    clean = public_issue(organisation, body=[("text", "<p>水分をとりましょう。</p>")])
    assert body_merge_tag_warnings(clean) == []

    editor = make_staff(username="editor", organisations=[organisation])
    editor.is_superuser = True
    editor.save()
    client.force_login(editor)
    from django.urls import reverse

    edit = client.get(reverse("wagtailadmin_pages:edit", args=[page.pk])).content.decode()
    assert "本文に差し込みタグ" in edit and "help-warning" in edit
    edit_clean = client.get(reverse("wagtailadmin_pages:edit", args=[clean.pk])).content.decode()
    assert "本文に差し込みタグ" not in edit_clean
