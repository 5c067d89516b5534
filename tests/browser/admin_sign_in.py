"""Signing in to the Wagtail admin in a real browser: the password, then the second factor
when the site asks for it (members/twofactor.py). Enrolment reads the key the setup page shows
for the authenticator app and types the app's code (pyotp stands in for the phone)."""

import pyotp

ENROLLED: dict[str, str] = {}  # user name -> the key of the app enrolled in this test run


def totp_code(username: str) -> str:
    return pyotp.TOTP(ENROLLED[username]).now()


def sign_in_to_admin(page, username: str, password: str, *, open_login: bool = True):
    """From the admin's sign-in page (opened first unless ``open_login`` is off, when the page
    is already on it) to the page the admin leads to, enrolling or typing a code on the way."""
    if open_login:
        page.goto("/admin/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/admin/login/" not in url)
    if "/admin/2fa/setup/" in page.url:
        ENROLLED[username] = page.get_by_test_id("totp-secret").inner_text().strip()
        submit_code(page, totp_code(username))
        page.get_by_test_id("continue").click()
    elif "/admin/2fa/verify/" in page.url:
        submit_code(page, totp_code(username))
    page.wait_for_url(lambda url: "/admin/2fa/" not in url and "/admin/login/" not in url)
    return page


def submit_code(page, code: str) -> None:
    page.locator("input[name=code]").fill(code)
    page.locator("form:has(input[name=code]) button[type=submit]").click()
