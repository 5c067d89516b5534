"""A member signs in, watches a video lesson through the real player, passes its quiz, completes
the course, downloads the certificate, and the public verification page confirms it."""

import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.browser.conftest import PHONE
from tests.browser.test_signin import read_code

pytestmark = pytest.mark.django_db(transaction=True)

DEMO_MEDIA = Path(__file__).resolve().parents[2] / "courses" / "demo_media"


@pytest.fixture
def mail_dir(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    return tmp_path / "mail"


@pytest.fixture
def course_site(db, member):
    from django.core.files.base import ContentFile
    from wagtail.documents import get_document_model
    from wagtailmedia.models import get_media_model

    from tests.factories.courses import (
        _root_collection,
        make_course_index,
        make_course_page,
        make_lesson,
        quiz_block,
        video_block,
    )
    from training_site.demo import seed_site

    home = seed_site(stdout=io.StringIO())
    _root_collection()  # an earlier transactional test flushed the migrations' root collection
    media = get_media_model()(title="熱中症", type="video", duration=8.08)
    media.file.save("heatstroke.webm", ContentFile((DEMO_MEDIA / "heatstroke.webm").read_bytes()))
    captions = get_document_model()(title="字幕")
    captions.file.save("heatstroke.vtt", ContentFile((DEMO_MEDIA / "heatstroke.vtt").read_bytes()))
    index = make_course_index(parent=home, slug="courses")
    course = make_course_page(index=index, slug="safety")
    video_lesson = make_lesson(
        course=course,
        title="業務上の疾病とその予防",
        slug="illness",
        body=[video_block(media=media, captions=captions, allow_seeking=False), quiz_block()],
    )
    text_lesson = make_lesson(course=course, title="整理・整頓・清潔の保持", slug="5s")
    return {"course": course, "video_lesson": video_lesson, "text_lesson": text_lesson}


def test_member_completes_a_course_through_the_player(
    new_page, member, mail_dir, course_site, screenshot, tmp_path
):
    from courses.models import Certificate, LessonProgress
    from tests.factories.courses import correct_answers

    course, video_lesson = course_site["course"], course_site["video_lesson"]
    page = new_page(viewport=PHONE)
    page.goto(course.url)
    page.get_by_role("link", name="サインイン").first.click()
    page.get_by_label("団体に登録したメールアドレス").fill("taro@example.jp")
    page.get_by_role("button", name="サインインコードを送る").click()
    page.get_by_label("コード").fill(read_code(mail_dir, "taro@example.jp"))
    page.get_by_role("button", name="サインイン").click()
    page.get_by_test_id("signed-in").wait_for()

    page.goto(course.url)
    page.get_by_role("link", name=re.compile("学習を始める")).click()
    assert page.get_by_role("heading", level=1).inner_text() == "業務上の疾病とその予防"
    video = page.locator("video[data-player-video]")
    assert video.get_attribute("data-allow-seeking") == "false"
    assert page.locator("video track[kind=captions]").count() == 1
    screenshot(page, "01-video-lesson")

    # Skipping ahead is refused by the player.
    page.evaluate(
        """() => new Promise((resolve) => {
             const v = document.querySelector('video');
             v.addEventListener('loadedmetadata', resolve, {once: true});
             if (v.readyState >= 1) resolve();
           })"""
    )
    page.evaluate("() => { document.querySelector('video').currentTime = 6; }")
    page.wait_for_function("() => document.querySelector('video').currentTime < 1")

    # Play it through at double speed (the fastest the player allows).
    page.evaluate(
        """() => { const v = document.querySelector('video'); v.muted = true;
                   v.playbackRate = 8; return v.play(); }"""
    )
    assert page.evaluate("() => document.querySelector('video').playbackRate") == 2
    # 8 s of video at 2x; a busy CI machine decodes slower than real time
    page.wait_for_selector("video[data-watched]", timeout=60_000)
    assert "視聴済み" in page.locator("[data-video-status]").inner_text()

    # The quiz: the browser never had the answers, the test reads them on the server side.
    for choice_ids in correct_answers(video_lesson).values():
        for choice_id in choice_ids:
            page.locator(f'input[value="{choice_id}"]').check()
    screenshot(page, "02-quiz")
    page.get_by_role("button", name="回答を送信する").click()
    assert "合格" in page.locator("#quiz-result").inner_text()
    # leaving the lesson page sent its last study time (a beacon): let the server finish
    # writing it before this test reads the in-memory database the server shares
    page.wait_for_load_state("networkidle")
    progress = LessonProgress.objects.get(lesson=video_lesson)
    assert progress.completed_at and progress.completion_path == "video"
    screenshot(page, "03-quiz-passed")

    page.get_by_role("link", name=re.compile("次のレッスン")).click()
    page.get_by_role("button", name="学習を完了する").click()
    page.get_by_test_id("course-complete").wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the course page scrolls sideways on a phone"
    screenshot(page, "04-course-complete")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="修了証をダウンロード（PDF）").click()
    path = tmp_path / "certificate.pdf"
    download_info.value.save_as(path)
    text = PdfReader(str(path)).pages[0].extract_text().replace(" ", "")
    certificate = Certificate.objects.get()
    assert "山田" in text and "災害防止等に関する研修" in text and certificate.number in text

    page.goto(f"/learn/verify/?number={certificate.number}")
    assert page.get_by_test_id("verify-valid").inner_text().startswith("この修了証は有効です")
    screenshot(page, "05-verified")
