"""A member plays the demonstration SCORM 1.2 package (its own JavaScript drives the API)
through the real player: the lesson SCO resumes where it was left after a reload, the test
SCO records a score, and the lesson and course complete. The package runs on the content
origin, where it can neither read the site's cookies nor reach the site's pages."""

import io
import json
import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE
from tests.browser.test_signin import read_code

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def mail_dir(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    return tmp_path / "mail"


@pytest.fixture
def scorm_site(db, member, settings, live_server):
    """The site on http://localhost:PORT and packages on http://127.0.0.1:PORT, as on a
    development machine (no COURSES_SCORM_CONTENT_ORIGIN: derived from SITE_URL)."""
    from courses.demo import demo_scorm_package
    from courses.scorm.services import scorm_lesson_create, scorm_package_check
    from lms.services import assignments_refresh
    from tests.factories.courses import make_course_index, make_course_page
    from tests.factories.lms import make_campaign, make_requirement
    from training_site.demo import seed_site

    settings.SITE_URL = live_server.url
    settings.COURSES_SCORM_CONTENT_ORIGIN = None
    home = seed_site(stdout=io.StringIO())
    index = make_course_index(parent=home, slug="courses")
    course = make_course_page(index=index, title="脚立・はしごの安全作業", slug="kyatatsu")
    checked = scorm_package_check(fileobj=io.BytesIO(demo_scorm_package()), file_name="k.zip")
    lesson = scorm_lesson_create(course=course, checked=checked)
    campaign = make_campaign(organisation=member.organisation, name="脚立の安全")
    make_requirement(campaign=campaign, courses=[course])
    assignments_refresh(organisation=member.organisation)
    return {"course": course, "lesson": lesson}


def sco(page):
    """The SCO's document: the lesson page frames the launcher, which frames the content."""
    return page.frame_locator("#scorm-frame").frame_locator("#scorm-content")


def state_of(identifier):
    from courses.models import ScormState

    return ScormState.objects.get(item_identifier=identifier)


@pytest.mark.parametrize("viewport", [PHONE, None], ids=["phone", "desktop"])
def test_member_plays_a_scorm_package_to_completion(
    new_page, member, mail_dir, scorm_site, screenshot, live_server, viewport
):
    from courses.models import Certificate, LessonProgress

    started = time.monotonic()
    page = new_page(viewport=viewport)
    page.goto("/my/")
    page.get_by_label("団体に登録したメールアドレス").fill("taro@example.jp")
    page.get_by_role("button", name="サインインコードを送る").click()
    page.get_by_label("コード").fill(read_code(mail_dir, "taro@example.jp"))
    page.get_by_role("button", name="サインイン").click()
    page.get_by_test_id("signed-in").wait_for()
    page.get_by_test_id("continue").click()
    page.get_by_role("link", name=re.compile("学習を始める")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("脚立・はしごの安全作業")

    frame = page.locator("#scorm-frame")
    assert frame.get_attribute("sandbox").split() == [
        "allow-scripts", "allow-same-origin", "allow-forms", "allow-popups",
        "allow-popups-to-escape-sandbox", "allow-modals", "allow-downloads",
    ]  # fmt: skip
    assert frame.get_attribute("src").startswith(live_server.url.replace("localhost", "127.0.0.1"))
    content = sco(page)
    expect(content.get_by_role("heading", level=1)).to_have_text("脚立・はしごの正しい使い方")
    expect(content.locator("#position")).to_have_text("1 / 4")
    screenshot(page, "lesson-start")

    # The package runs on the content origin: no site cookie, no way into the site's pages.
    sco_frame = next(f for f in page.frames if f.name == "scorm-content")
    assert sco_frame.evaluate("document.cookie") == ""
    assert page.evaluate("document.cookie") != ""  # the site's own page has its CSRF cookie
    assert (
        sco_frame.evaluate(
            "() => { try { return window.top.document.title; } catch (e) { return 'blocked'; } }"
        )
        == "blocked"
    )
    assert (
        sco_frame.evaluate(
            f"() => fetch('{live_server.url}/admin/', {{credentials: 'include'}})"
            ".then(r => r.text()).then(() => 'read', () => 'blocked')"
        )
        == "blocked"
    )
    # ... and its API answers as SCORM 1.2 says: read-only and unknown elements are refused
    assert sco_frame.evaluate(
        "(API => [API.LMSSetValue('cmi.core.student_id', 'x'), API.LMSGetLastError(),"
        " API.LMSGetValue('cmi.core.student_name'), API.LMSGetValue('cmi.core.student_id'),"
        " API.LMSSetValue('cmi.core.score.raw', 'abc'), API.LMSGetLastError(),"
        " API.LMSGetValue('cmi.core.exit'), API.LMSGetLastError(),"
        " API.LMSSetValue('cmi.suspend_data', 'x'.repeat(4097)), API.LMSGetLastError(),"
        " API.LMSGetValue('cmi.core.entry')])(parent.API)"  # found where content looks
    ) == [
        "false",
        "403",
        "山田, 太郎",
        "000001",
        "false",
        "405",
        "",
        "404",
        "false",
        "405",
        "ab-initio",
    ]

    content.get_by_role("button", name="次へ").click()
    expect(content.locator("#position")).to_have_text("2 / 4")

    page.reload()  # the member leaves mid-lesson and comes back: the package resumes
    content = sco(page)
    expect(content.locator("#position")).to_have_text("2 / 4")
    lesson_part = page.get_by_role("link", name="学習：脚立・はしごの正しい使い方")
    expect(lesson_part).to_have_attribute("aria-current", "true")
    content.get_by_role("button", name="次へ").click()
    content.get_by_role("button", name="次へ").click()
    content.get_by_role("button", name="学習を終える").click()
    expect(content.get_by_role("status")).to_contain_text("学習を終えました")
    status_of_part = page.locator(
        f'[data-scorm-status="{lesson_part.get_attribute("data-scorm-item")}"]'
    )
    expect(status_of_part).to_have_text("完了")
    expect(page.locator("[data-scorm-progress-text]")).to_have_text("（2 個中 1 個完了）")
    expect(page.locator("[data-scorm-lesson-state]")).to_have_text("未完了")  # the test is left

    page.get_by_role("link", name="確認テスト").click()
    test = sco(page)
    expect(test.get_by_role("heading", level=1)).to_have_text("確認テスト")
    for question, choice in (("q1", "b"), ("q2", "a"), ("q3", "a"), ("q4", "b"), ("q5", "b")):
        test.locator(f'input[name="{question}"][value="{choice}"]').check()
    test.get_by_role("button", name="採点する").click()
    expect(test.locator("#score")).to_contain_text("60 点（不合格")
    test.get_by_role("button", name="もう一度解く").click()
    for question, choice in (("q1", "b"), ("q2", "a"), ("q3", "b"), ("q4", "a"), ("q5", "b")):
        test.locator(f'input[name="{question}"][value="{choice}"]').check()
    test.get_by_role("button", name="採点する").click()
    expect(test.locator("#score")).to_contain_text("100 点（合格）")
    expect(page.get_by_test_id("lesson-complete-live")).to_be_visible()
    screenshot(page, "lesson-complete")
    page.reload()
    expect(page.get_by_test_id("lesson-complete")).to_be_visible()
    screenshot(page, "lesson-completed-reloaded")
    page.get_by_role("link", name="研修のページに戻る").click()  # the part reopened sends its data
    expect(page.get_by_role("heading", level=1)).to_have_text("脚立・はしごの安全作業")
    page.wait_for_timeout(500)
    page.close()  # no more requests: the database is read from here on

    lesson_state = state_of("ITEM-LESSON")
    assert lesson_state.completed_at is not None
    assert lesson_state.launch_count == 3  # opened, reloaded mid-way, shown again when done
    assert json.loads(lesson_state.suspend_data)["seen"] == [1, 2, 3, 4]
    result = state_of("ITEM-TEST")
    assert (result.lesson_status, result.score_raw, result.score_max) == ("passed", 100, 100)
    interactions = result.data["interactions"]
    assert [i["result"] for i in interactions] == [
        "correct",
        "correct",
        "wrong",
        "wrong",
        "correct",
    ] + ["correct"] * 5
    progress = LessonProgress.objects.get(pk=result.progress_id)
    assert progress.completed_at is not None and progress.completion_path == "scorm"
    assert progress.active_seconds <= time.monotonic() - started  # never more than the clock
    enrolment = progress.enrolment
    enrolment.refresh_from_db()
    assert enrolment.completed_at is not None  # (no stated duration: see test_scorm_services)
    assert Certificate.objects.filter(enrolment=enrolment).exists()
