"""A member on a 375 px phone starts at / and reaches every member feature by tapping only:
sign in with the mailed code, マイ研修, the course list, a lesson, the quiz, the certificate,
the newsletter archive, mail settings and a question. axe finds no WCAG 2.1 AA violation on
any page passed. A member without e-mail signs in with the printed letter's key."""

import io
import re

import pytest

from tests.browser.conftest import PHONE
from tests.browser.site_menu import go, open_menu
from tests.browser.test_a11y import _check
from tests.browser.test_signin import read_code

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def mail_dir(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    return tmp_path / "mail"


@pytest.fixture
def member_site(db, organisation, member):
    from courses import services
    from tests.factories.courses import make_course_index, make_course_page, make_lesson, quiz_block
    from tests.factories.mailings import make_newsletter, make_newsletter_index
    from training_site.demo import seed_site

    organisation.office_name = "研修事務局"
    organisation.contact_phone = "03-1234-5678"
    organisation.office_hours = "平日 9:00〜17:00"
    organisation.representative = "理事長 山田 一郎"
    organisation.save()
    home = seed_site(stdout=io.StringIO())
    index = make_course_index(parent=home, slug="courses")
    course = make_course_page(index=index, slug="safety", title="災害防止等に関する研修")
    make_lesson(course=course, title="整理・整頓", slug="seiri")
    make_lesson(course=course, title="確認テスト", slug="quiz", body=[quiz_block()])
    done = make_course_page(index=index, slug="heat", title="熱中症の予防", issues_certificate=True)
    import datetime

    services.enrolment_record_external(
        member=member, course=done, source="paper", completed_on=datetime.date(2026, 6, 12)
    )
    services.question_ask(member=member, body="修了証の再発行はできますか", course=course)
    make_newsletter_index()
    make_newsletter(organisation=organisation, title="安全衛生メールマガジン 6月号")
    return {"course": course}


def test_a_member_reaches_every_feature_by_tapping_from_the_home_page(
    new_page, member, mail_dir, member_site, screenshot
):
    page = new_page(viewport=PHONE)
    page.goto("/")
    _check(page, "home, signed out")
    assert page.get_by_role("link", name="メルマガ").count()  # the public archive, signed out
    page.get_by_role("link", name="サインイン").first.click()
    _check(page, "sign-in")
    page.get_by_label("団体に登録したメールアドレス").fill("taro@example.jp")
    page.get_by_role("button", name="サインインコードを送る").click()
    page.get_by_role("heading", name="サインインコードを入力").wait_for()
    code_field = page.get_by_label("サインインコード（6桁の数字）")
    assert code_field.get_attribute("inputmode") == "numeric"
    assert code_field.get_attribute("autocomplete") == "one-time-code"
    assert page.get_by_role("link", name="別のメールアドレスを使う").is_visible()
    assert page.get_by_test_id("office-contact").first.is_visible()
    _check(page, "code entry")
    code_field.fill(read_code(mail_dir, "taro@example.jp"))
    page.get_by_role("button", name="サインイン").click()

    page.get_by_role("heading", name="マイ研修", level=1).wait_for()  # lands on マイ研修
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    _check(page, "マイ研修")
    screenshot(page, "01-my-training")

    # the certificate, from 受講履歴と修了証
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("ダウンロード（PDF）")).first.click()
    assert download.value.suggested_filename.endswith(".pdf")

    go(page, "研修一覧")
    _check(page, "研修一覧")
    page.get_by_role("link", name="災害防止等に関する研修").first.click()
    page.get_by_role("link", name="整理・整頓").first.click()
    assert page.get_by_role("heading", level=1).inner_text() == "整理・整頓"
    _check(page, "lesson")
    page.go_back()
    page.get_by_role("link", name="確認テスト").first.click()
    page.get_by_role("button", name="回答を送信").wait_for()
    _check(page, "quiz")
    screenshot(page, "02-quiz")

    go(page, "メルマガ")
    _check(page, "newsletter archive")
    page.get_by_role("link", name=re.compile("6月号")).first.click()
    _check(page, "newsletter")

    go(page, "メール設定")
    _check(page, "mail settings")

    go(page, "よくある質問・お問い合わせ")
    _check(page, "questions")
    page.get_by_role("link", name=re.compile("修了証の再発行")).first.click()
    _check(page, "a question")
    screenshot(page, "03-question")

    open_menu(page).get_by_role("button", name="サインアウト").click()
    page.get_by_role("link", name="サインイン").first.wait_for()


def test_a_member_without_email_signs_in_with_the_letters_key(new_page, organisation, db):
    from members.models import Member
    from members.services import signin_letters_issue
    from tests.factories import make_member
    from training_site.demo import seed_site

    seed_site(stdout=io.StringIO())
    paper = make_member(organisation=organisation, email="", name="紙の　花子")
    [(_letter, key)] = signin_letters_issue(members=Member.objects.filter(pk=paper.pk), user=None)
    page = new_page(viewport=PHONE)
    page.goto("/")
    page.get_by_role("link", name="サインイン").first.click()
    page.get_by_role("link", name="サインイン案内状でサインイン").click()
    _check(page, "letter sign-in")
    page.get_by_label("サインイン案内状のキー").fill(key.lower())
    page.get_by_role("button", name="サインイン").click()
    page.get_by_role("heading", name="マイ研修", level=1).wait_for()
    assert page.get_by_test_id("no-email").is_visible()
    _check(page, "マイ研修 after a letter sign-in")
