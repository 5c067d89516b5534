"""A member opens the Japanese home page and signs in with a code read from the file mail backend."""

import re
import time

import pytest

from tests.browser.conftest import PHONE

pytestmark = pytest.mark.django_db(transaction=True)


def read_code(mail_dir, email):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for path in sorted(mail_dir.glob("*.log")):
            text = path.read_text()
            if email in text:
                match = re.search(r"^\s+(\d{6})\s*$", text, re.MULTILINE)
                if match:
                    return match.group(1)
        time.sleep(0.1)
    raise AssertionError(f"no code mailed to {email} in {mail_dir}")


@pytest.fixture
def mail_dir(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    return tmp_path / "mail"


@pytest.fixture
def home_page(db):
    import io

    from training_site.demo import seed_site

    return seed_site(stdout=io.StringIO())


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone-375"])
def test_member_signs_in_with_a_mailed_code(
    new_page, member, mail_dir, home_page, viewport, screenshot
):
    page = new_page(viewport=viewport)
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert page.get_by_role("heading", level=1).inner_text() == "安全衛生研修"
    screenshot(page, "01-home")
    page.get_by_role("link", name="サインイン").first.click()

    page.get_by_label("団体に登録したメールアドレス").fill("taro@example.jp")
    page.get_by_role("button", name="サインインコードを送る").click()
    page.get_by_role("heading", name="サインインコードを入力").wait_for()
    screenshot(page, "02-enter-code")

    page.get_by_label("コード").fill(read_code(mail_dir, "taro@example.jp"))
    page.get_by_role("button", name="サインイン").click()
    signed_in = page.get_by_test_id("signed-in")
    signed_in.wait_for()
    assert "山田" in signed_in.inner_text()
    if viewport:  # on a phone the menu opens from its button
        page.get_by_role("button", name="メニュー").click()
    assert page.get_by_role("button", name="サインアウト").is_visible()
    if viewport:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], "the page scrolls sideways on a phone"
    screenshot(page, "03-signed-in")
