"""A staff member imports the monthly roster in the Wagtail admin, in a real browser:
upload, preview (counts, changes, errors), apply, and the import history and member history."""

import io

import pytest

from members.models import Member, RosterImport
from tests.browser.admin_menu import add_button, admin_go
from tests.browser.admin_sign_in import sign_in_to_admin
from tests.factories import make_staff
from tests.factories.members import import_roster_fixture, roster_fixture

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site(db):
    from training_site.demo import seed_site

    return seed_site(stdout=io.StringIO())


def sign_in(page, username, password):
    sign_in_to_admin(page, username, password)
    page.wait_for_url("**/admin/")


def test_staff_upload_preview_apply_and_see_history(new_page, site, organisation, screenshot):
    import datetime

    import_roster_fixture(
        organisation=organisation, name="month_05.csv", as_of=datetime.date(2026, 5, 10)
    )
    make_staff(username="jimu", password="pw-jimu-123", organisations=[organisation])
    page = new_page()
    sign_in(page, "jimu", "pw-jimu-123")

    admin_go(page, "加入者名簿", "名簿の取り込み")
    add_button(page, "名簿の取り込み").click()
    page.get_by_label("名簿ファイル").set_input_files(str(roster_fixture("month_06.csv")))
    page.get_by_label("名簿の基準日").fill("R8.6.10")
    screenshot(page, "01-upload")
    page.get_by_role("button", name="アップロードして確認").click()

    status = page.get_by_test_id("import-status")
    status.wait_for()
    assert status.inner_text() == "反映待ち"
    counts = page.get_by_test_id("import-counts")
    assert counts.locator("[data-count=added]").inner_text() == "1"
    assert counts.locator("[data-count=changed]").inner_text() == "2"
    assert counts.locator("[data-count=withdrawn]").inner_text() == "1"
    assert counts.locator("[data-count=rejoined]").inner_text() == "1"
    assert counts.locator("[data-count=missing]").inner_text() == "1"
    changes = page.get_by_test_id("import-changes")
    assert "a@example.jp" in changes.inner_text() and "a2@example.jp" in changes.inner_text()
    assert not Member.objects.filter(member_no="M006").exists()  # only a preview so far
    screenshot(page, "02-preview")

    page.get_by_role("button", name="この変更を反映する").click()
    page.get_by_test_id("import-status").wait_for()
    page.wait_for_function(
        "document.querySelector('[data-testid=import-status]').innerText === '反映済み'"
    )
    assert Member.objects.filter(member_no="M006", organisation=organisation).exists()
    screenshot(page, "03-applied")

    # the import history lists both imports, newest first
    admin_go(page, "加入者名簿", "名簿の取り込み")
    rows = page.locator("table.listing tbody tr")
    assert rows.count() == 2
    assert "month_06.csv" in rows.nth(0).inner_text() and "反映済み" in rows.nth(0).inner_text()
    screenshot(page, "04-history")

    # the member's own history shows the change from the file
    m001 = Member.objects.get(member_no="M001")
    admin_go(page, "加入者名簿", "加入者")
    page.locator("table.listing").get_by_role("link", name=m001.member_no, exact=True).click()
    history = page.get_by_test_id("member-history")
    assert "a2@example.jp" in history.inner_text() and "month_06.csv" in history.inner_text()
    screenshot(page, "05-member-history")
    assert RosterImport.objects.filter(status="applied").count() == 2


def test_rejected_file_shows_errors_in_japanese_and_english(
    new_page, site, organisation, screenshot
):
    make_staff(username="jimu", password="pw-jimu-123", organisations=[organisation])
    page = new_page()
    sign_in(page, "jimu", "pw-jimu-123")
    admin_go(page, "加入者名簿", "名簿の取り込み")
    add_button(page, "名簿の取り込み").click()
    page.get_by_label("名簿ファイル").set_input_files(str(roster_fixture("errors.csv")))
    page.get_by_role("button", name="アップロードして確認").click()
    errors = page.get_by_test_id("import-errors")
    errors.wait_for()
    text = errors.inner_text()
    assert "1970年2月30日は存在しない日付です。" in text
    assert "There is no day 30 in month 2 of 1970." in text
    assert errors.locator("tbody tr").count() == 14
    assert page.get_by_role("button", name="この変更を反映する").count() == 0
    screenshot(page, "rejected")
    assert Member.objects.count() == 0
