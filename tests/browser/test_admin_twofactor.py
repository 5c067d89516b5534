"""Office staff sign in to the admin with a password and an authenticator app: enrolment on
the first sign-in (QR code, key, one code, recovery codes), the app's code on the next, and a
recovery code when the phone is lost."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.admin_sign_in import ENROLLED, sign_in_to_admin, submit_code, totp_code
from tests.factories import make_staff

pytestmark = pytest.mark.django_db(transaction=True)


def test_staff_enrol_an_app_then_sign_in_with_its_code_or_a_recovery_code(
    new_page, organisation, settings, screenshot
):
    settings.MEMBERS_MFA_REQUIRED_FOR_STAFF = True
    make_staff(username="office", organisations=[organisation])

    # first sign-in: the password leads to enrolment, not to the admin
    page = new_page()
    page.goto("/admin/login/")
    page.locator("input[name=username]").fill("office")
    page.locator("input[name=password]").fill("pw-staff-123")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/admin/2fa/setup/"))
    expect(page.get_by_role("heading", name="2段階認証の設定")).to_be_visible()
    expect(page.locator(".twofactor-qr svg")).to_be_visible()
    screenshot(page, "01-setup")
    ENROLLED["office"] = page.get_by_test_id("totp-secret").inner_text().strip()
    submit_code(page, "000000")
    expect(page.get_by_text("コードが正しくありません。")).to_be_visible()  # a wrong code
    submit_code(page, totp_code("office"))
    expect(page.get_by_test_id("recovery-codes").locator("code")).to_have_count(10)
    codes = page.get_by_test_id("recovery-codes").locator("code").all_inner_texts()
    screenshot(page, "02-recovery-codes")
    page.get_by_test_id("continue").click()
    page.wait_for_url(re.compile(r"/admin/$"))

    # the next day: password, then the app's code
    page = sign_in_to_admin(new_page(), "office", "pw-staff-123")
    expect(page).to_have_url(re.compile(r"/admin/$"))

    # phone lost: a recovery code, once
    page = new_page()
    page.goto("/admin/login/")
    page.locator("input[name=username]").fill("office")
    page.locator("input[name=password]").fill("pw-staff-123")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/admin/2fa/verify/"))
    submit_code(page, codes[0])
    page.wait_for_url(re.compile(r"/admin/$"))
    expect(page.get_by_text("残りは 9 個")).to_be_visible()
