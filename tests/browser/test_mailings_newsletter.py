"""An editor writes a newsletter, sends a test, sends it to an audience; a member reads it in
the archive and unsubscribes with one click."""

import io
import re

import pytest
from django.core import mail

from tests.browser.admin_sign_in import sign_in_to_admin
from tests.browser.conftest import PHONE
from tests.browser.site_menu import go

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def newsletter_site(db, organisation):
    from tests.factories import make_audience, make_member, make_staff, subscribe
    from tests.factories.mailings import make_newsletter_index
    from training_site.demo import seed_site

    seed_site(stdout=io.StringIO())
    index = make_newsletter_index()
    editor = make_staff(username="editor", organisations=[organisation])
    editor.is_superuser = True
    editor.first_name = "編集"
    editor.save()
    reader = make_member(organisation=organisation, name="佐藤　花子", email="hanako@example.jp")
    other = make_member(organisation=organisation, name="鈴木　一郎", email="ichiro@example.jp")
    make_member(organisation=organisation, name="田中　未同意", email="mi@example.jp")
    subscribe(reader, other)
    make_audience(organisation=organisation, name="在籍中の全加入者")
    return {"index": index, "reader": reader}


def login(page):
    sign_in_to_admin(page, "editor", "pw-staff-123")
    page.wait_for_url(re.compile(r"/admin/$"))


def test_newsletter_from_writing_to_unsubscribe(
    new_page, newsletter_site, organisation, screenshot
):
    from mailings.models import Mailing, NewsletterPage
    from mailings.selectors import newsletter_subscribed

    index = newsletter_site["index"]
    admin = new_page()
    login(admin)

    # write
    admin.locator(".sidebar").get_by_role("button", name="ページ", exact=True).click()
    admin.get_by_role("link", name=f"'{index.get_parent().title}'の子ページを閲覧する").click()
    admin.locator(".sidebar").get_by_role("link", name=index.title, exact=True).click()
    admin.get_by_role("link", name="子ページを追加").click()
    admin.locator("#id_title").fill("7月号：熱中症を防ぐ")
    admin.locator("#id_organisation").select_option(label=organisation.name)
    admin.locator("#id_subject").fill("【7月号】熱中症を防ぐ")
    admin.locator("#id_preheader").fill("暑さ指数を確かめましょう")
    admin.locator("#id_archive_visibility").select_option("public")
    admin.locator(
        "[data-streamfield-stream-container] button[title], button.c-sf-add-button"
    ).first.click()
    admin.get_by_role("option", name="見出し").click()
    admin.locator("#body-0-value").fill("暑さ指数（WBGT）を確かめる")
    screenshot(admin, "01-editor-writes")
    admin.locator("footer [data-w-dropdown-target='toggle'], footer .dropdown-toggle").first.click()
    admin.locator("button[name='action-publish']").click()
    admin.wait_for_url(re.compile(r"/admin/pages/\d+/$"))
    screenshot(admin, "02-published")
    page = NewsletterPage.objects.get(title="7月号：熱中症を防ぐ")
    assert page.live

    # send me a test
    admin.locator("table.listing").get_by_role("link", name=re.compile(page.title)).click()
    admin.locator("header [data-w-dropdown-target='toggle']").first.click()  # the "…" menu
    admin.get_by_role("link", name="テストを自分に送る").click()
    admin.get_by_role("button", name="テストを送信").click()
    admin.get_by_text("editor@example.jp にテストを送信しました").wait_for()
    assert [m.to[0].split("<")[-1] for m in mail.outbox] == ["editor@example.jp>"]
    assert mail.outbox[0].subject == "[テスト] 【7月号】熱中症を防ぐ"

    # send to an audience: count, see who is excluded, send now
    admin.locator("header [data-w-dropdown-target='toggle']").first.click()  # the "…" menu
    admin.get_by_role("link", name="配信先を選んで送る").click()
    admin.locator("#choose-audience").select_option(label="在籍中の全加入者")
    admin.get_by_role("button", name="宛先数を数える").click()
    preview = admin.get_by_test_id("send-preview")
    preview.wait_for()
    assert "2 人に配信" in preview.inner_text()
    assert "メールマガジン未申込: 1" in preview.inner_text()
    screenshot(admin, "03-send-preview")
    admin.locator("#id_audience").select_option(label="在籍中の全加入者")
    admin.get_by_role("button", name="配信する").click()
    admin.wait_for_url(re.compile(r"/admin/mailings/mailing/inspect/\d+/"))
    admin.locator("[data-count='sent']").filter(has_text="2").wait_for()
    screenshot(admin, "04-mailing-progress")
    mailing = Mailing.objects.get(newsletter=page)
    assert mailing.state == Mailing.State.DONE
    to_reader = [m for m in mail.outbox if "hanako@example.jp" in m.to[0]]
    assert len(to_reader) == 1 and len(mail.outbox) == 3

    # a member reads it in the archive, on a phone
    member = new_page(viewport=PHONE)
    member.goto("/")
    go(member, "メルマガ")
    member.get_by_role("link", name="7月号：熱中症を防ぐ").click()
    member.get_by_role("heading", name="暑さ指数（WBGT）を確かめる").wait_for()
    screenshot(member, "05-archive")

    # and unsubscribes with one click from the link in the mail
    link = re.search(r"http://[^\s]+/mail/u/[^\s/]+/", to_reader[0].body).group(0)
    member.goto(link.split("8000", 1)[-1] if ":8000" in link else link)
    member.get_by_role("button", name="メールマガジンの配信を停止する").click()
    member.get_by_test_id("unsubscribed").wait_for()
    screenshot(member, "06-unsubscribed")
    assert not newsletter_subscribed(member=newsletter_site["reader"])
    width = member.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the page scrolls sideways on a phone"
