"""An editor adds a SCORM lesson to a course from the Wagtail admin: from the course's page
listing, through the upload (with its progress bar) and the check, to the published lesson."""

import io
import re

import pytest
from playwright.sync_api import expect

from tests.browser.admin_sign_in import sign_in_to_admin

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def moderator(db):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission
    from wagtail.models import GroupPagePermission, Page

    from tests.factories.courses import make_course_index, make_course_page
    from training_site.demo import seed_site

    home = seed_site(stdout=io.StringIO())
    index = make_course_index(parent=home, title="研修", slug="courses")
    make_course_page(index=index, title="脚立・はしごの安全作業", slug="kyatatsu")
    # the transactional flush removed Wagtail's migrated groups: a moderators' group again
    group, _ = Group.objects.get_or_create(name="Moderators")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    for codename in ("add_page", "change_page", "publish_page"):
        GroupPagePermission.objects.get_or_create(
            group=group,
            page=Page.get_first_root_node(),
            permission=Permission.objects.get(codename=codename),
        )
    user = get_user_model().objects.create_user(username="moderator", password="pw-moderator-123")
    user.groups.add(group)
    return user


def test_an_editor_uploads_a_scorm_package_from_the_course(
    new_page, moderator, tmp_path, screenshot
):
    from courses.demo import demo_scorm_package
    from courses.models import ScormLessonPage

    package = tmp_path / "kyatatsu.zip"
    package.write_bytes(demo_scorm_package())
    page = new_page()
    page.goto("/admin/")
    sign_in_to_admin(page, "moderator", "pw-moderator-123", open_login=False)
    page.get_by_role("link", name=re.compile("Pages")).first.click()  # the dashboard's summary
    page.get_by_role("link", name="研修の子ページを閲覧").click()
    page.get_by_role("button", name="More options for '脚立・はしごの安全作業'").click()
    page.get_by_role("link", name="SCORM レッスンを追加").click()

    expect(page.get_by_role("heading", name="SCORM レッスンを追加")).to_be_visible()
    expect(page.locator("select[name=course] option:checked")).to_have_text(
        "脚立・はしごの安全作業"
    )
    page.get_by_label("SCORM 1.2 パッケージ（.zip）").set_input_files(str(package))

    cdp = page.context.new_cdp_session(page)  # a slow line: 8 kB/s up, so progress shows
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 8 * 1024},
    )
    page.get_by_role("button", name="アップロードして確認").click()
    progress = page.locator("[data-scorm-progress]")
    expect(progress).to_be_visible()
    expect(page.get_by_role("button", name="アップロードして確認")).to_be_disabled()
    expect(progress.get_by_role("status")).to_have_text(
        "アップロードしました。パッケージを確認しています…"
    )
    expect(progress.locator("progress")).to_have_js_property("value", 100)
    expect(page.get_by_test_id("scorm-items")).to_contain_text("学習：脚立・はしごの正しい使い方")
    expect(page.get_by_test_id("scorm-items")).to_contain_text("合格点")
    expect(page.get_by_test_id("scorm-warnings")).to_contain_text("中断データ")
    screenshot(page, "checked")
    page.get_by_test_id("scorm-import-confirm").click()
    expect(page.get_by_test_id("scorm-import-done")).to_contain_text("脚立・はしごの安全作業")
    screenshot(page, "imported")
    lesson = ScormLessonPage.objects.get()
    assert lesson.live and lesson.package.items.filter(launch__gt="").count() == 2
    page.get_by_role("link", name="レッスンを編集").click()
    expect(page.get_by_text("kyatatsu.zip")).to_be_visible()
