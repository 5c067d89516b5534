"""A member starts at the home page, signs in, completes a course, answers its post-course
survey one question per screen on a phone, and downloads the certificate the survey held
back. From the course page they find the FAQ, open and close answers (buttons that say
whether they are expanded, by pointer and keyboard), search in Japanese and send a general
enquiry. axe finds no violation on the pages on the way."""

import datetime
import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.conftest import PHONE
from tests.browser.test_a11y import _check as axe_check
from tests.browser.test_signin import read_code

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def mail_dir(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    return tmp_path / "mail"


@pytest.fixture
def surveyed_site(db, member):
    from tests.factories.courses import (
        make_course_index,
        make_course_page,
        make_lesson,
        survey_blocks,
    )
    from training_site.demo import seed_site

    home = seed_site(stdout=io.StringIO())
    index = make_course_index(parent=home, slug="courses")
    course = make_course_page(
        index=index,
        slug="safety",
        survey_mode="required",
        survey=survey_blocks(),
        issues_certificate=True,
    )
    make_lesson(course=course, title="整理・整頓・清潔の保持", slug="5s")
    # editors link the course from the home page
    home.intro = f'<p><a href="{course.url}">今年の研修を受ける</a></p>'
    home.save_revision().publish()
    return {"home": home, "course": course}


def sign_in_from_home(page, mail_dir, email="taro@example.jp"):
    page.goto("/")
    page.get_by_role("link", name="サインイン").first.click()
    page.get_by_label("団体に登録したメールアドレス").fill(email)
    page.get_by_role("button", name="サインインコードを送る").click()
    page.get_by_label("コード").fill(read_code(mail_dir, email))
    page.get_by_role("button", name="サインイン").click()
    page.get_by_test_id("signed-in").wait_for()
    page.locator('header a[href="/"]').first.click()  # the site's name leads home


def test_member_answers_the_survey_on_a_phone_and_gets_the_certificate(
    new_page, member, mail_dir, surveyed_site, screenshot, tmp_path
):
    from courses.models import Certificate, SurveyResponse

    page = new_page(viewport=PHONE)
    sign_in_from_home(page, mail_dir)
    page.get_by_role("link", name="今年の研修を受ける").click()
    page.get_by_role("link", name=re.compile("学習を始める")).click()
    page.get_by_role("button", name="学習を完了する").click()
    page.get_by_test_id("course-complete").wait_for()
    assert page.get_by_test_id("survey-required").is_visible()
    assert page.get_by_role("link", name="修了証をダウンロード（PDF）").count() == 0
    axe_check(page, "course page, survey to answer")
    screenshot(page, "01-course-complete-survey-required")

    page.get_by_role("link", name="アンケートに回答する").click()
    page.get_by_role("heading", name="受講後アンケート").wait_for()
    # one question per screen on a phone
    steps = page.locator(".survey-step")
    assert steps.count() == 3
    assert [steps.nth(i).is_visible() for i in range(3)] == [True, False, False]
    assert page.locator(".survey-progress").inner_text() == "質問 1 / 3"
    axe_check(page, "survey, first question")
    # going on without an answer says why, next to the button
    page.get_by_role("button", name="次へ").click()
    assert page.get_by_role("alert").inner_text() == "回答を選んでから次へ進んでください。"
    page.get_by_label("とても有意義だった").check()
    page.get_by_role("button", name="次へ").click()
    assert page.locator(".survey-progress").inner_text() == "質問 2 / 3"
    page.get_by_label("事故のときの応急手当").check()
    page.get_by_label("整理・整頓").check()
    screenshot(page, "02-survey-question-2")
    page.get_by_role("button", name="次へ").click()
    page.get_by_label("ご意見・ご感想").fill("動画があると分かりやすいです。")
    axe_check(page, "survey, last question")
    page.get_by_role("button", name="回答を送信する").click()

    page.get_by_text("アンケートにご回答いただき、ありがとうございました。").wait_for()
    response = SurveyResponse.objects.get()
    assert response.member == member and response.meaningful == 5
    assert sorted(response.answers[response.questions[1]["id"]]) == [1, 2]
    axe_check(page, "course page after the survey")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the course page scrolls sideways on a phone"
    with page.expect_download() as download_info:
        page.get_by_role("link", name="修了証をダウンロード（PDF）").click()
    path = tmp_path / "certificate.pdf"
    download_info.value.save_as(path)
    text = PdfReader(str(path)).pages[0].extract_text().replace(" ", "")
    assert Certificate.objects.get().number in text
    screenshot(page, "03-certificate")


def test_the_survey_is_one_page_on_a_desktop(new_page, member, mail_dir, surveyed_site):
    from courses.models import SurveyResponse
    from tests.factories.lms import complete_course

    complete_course(member=member, course=surveyed_site["course"], on=datetime.date(2026, 6, 10))
    page = new_page()
    sign_in_from_home(page, mail_dir)
    page.get_by_role("link", name="今年の研修を受ける").click()
    page.get_by_role("link", name="アンケートに回答する").click()
    steps = page.locator(".survey-step")
    assert all(steps.nth(i).is_visible() for i in range(3))
    assert page.get_by_role("button", name="次へ").count() == 0
    page.get_by_label("有意義だった", exact=True).check()
    page.get_by_label("事故のときの応急手当").check()
    page.get_by_role("button", name="回答を送信する").click()
    page.get_by_text("アンケートにご回答いただき、ありがとうございました。").wait_for()
    assert SurveyResponse.objects.get().meaningful == 4


# --- よくある質問・お問い合わせ ------------------------------------------------------------


@pytest.fixture
def faq_entries(member, surveyed_site):
    from django.utils import timezone

    from courses.models import Question

    for body, answer in (
        ("腰痛を防ぐには？", "作業の前にストレッチをしましょう。"),
        ("ﾍﾙﾒｯﾄは必要ですか", "高所作業では必ずかぶってください。"),
    ):
        Question.objects.create(
            member=member, body=body, answer=answer, answered_at=timezone.now(), faq_published=True
        )


def test_member_uses_the_faq_and_asks_the_office(
    new_page,
    member,
    mail_dir,
    surveyed_site,
    faq_entries,
    screenshot,  # noqa: F811
):
    from courses.models import Question

    page = new_page(viewport=PHONE)
    sign_in_from_home(page, mail_dir)
    page.get_by_role("link", name="今年の研修を受ける").click()
    # the course page's own link to the FAQ (the site menu has one too)
    page.locator("#ask").get_by_role("link", name="よくある質問・お問い合わせ").click()
    page.get_by_role("heading", level=1, name="よくある質問・お問い合わせ").wait_for()

    question = page.get_by_role("button", name="腰痛を防ぐには？")
    answer = page.get_by_text("作業の前にストレッチをしましょう。")
    # answers show without JavaScript; the page's script folds them once it has run
    expect(question).to_have_attribute("aria-expanded", "false")
    assert not answer.is_visible()
    axe_check(page, "FAQ, answers closed")
    question.click()
    assert question.get_attribute("aria-expanded") == "true" and answer.is_visible()
    axe_check(page, "FAQ, an answer open")
    screenshot(page, "01-faq-open")
    question.focus()
    page.keyboard.press("Enter")  # a real button: the keyboard works too
    assert question.get_attribute("aria-expanded") == "false" and not answer.is_visible()

    page.get_by_label("キーワードで探す").fill("へるめっと")
    page.get_by_role("button", name="検索").click()
    assert "1件" in page.get_by_test_id("faq-count").inner_text()
    assert (
        page.get_by_role("button", name="ﾍﾙﾒｯﾄは必要ですか").get_attribute("aria-expanded")
        == "true"
    )
    assert page.get_by_role("button", name="腰痛を防ぐには？").count() == 0

    page.get_by_label("事務局への質問").fill("加入証明書を再発行できますか？")
    page.get_by_role("button", name="質問を送る").click()
    page.get_by_text("質問を事務局に送りました。").wait_for()
    asked = Question.objects.get(body="加入証明書を再発行できますか？")
    assert asked.course is None and asked.member == member
    screenshot(page, "02-enquiry-sent")
