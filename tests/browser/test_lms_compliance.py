"""Staff create a requirement and see who it matches; the refresh assigns it; the member sees it
on マイ研修, completes the course, and the dashboard and the export show the completion."""

import datetime
import io
import re

import pytest
from django.utils import timezone

from tests.browser.admin_menu import add_button, admin_go
from tests.browser.admin_sign_in import sign_in_to_admin
from tests.browser.conftest import PHONE
from tests.browser.site_menu import go
from tests.browser.test_signin import read_code

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def mail_dir(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    return tmp_path / "mail"


@pytest.fixture
def compliance_site(db, member, organisation, other_organisation):
    from django.contrib.auth.models import Permission

    from tests.factories import make_member, make_staff
    from tests.factories.courses import make_course_index, make_course_page, make_lesson, text_body
    from tests.factories.lms import make_campaign
    from training_site.demo import seed_site

    home = seed_site(stdout=io.StringIO())
    index = make_course_index(parent=home, slug="courses")
    course = make_course_page(index=index, slug="saigai", issues_certificate=False)
    make_lesson(course=course, title="整理・整頓", slug="5s", body=text_body(), min_study_seconds=0)
    today = timezone.localdate()
    opens = today.replace(day=1)
    make_campaign(
        organisation=organisation,
        name="災害防止等に関する研修",
        slug="saigai-boshi",
        recurrence="",
        opens_on=opens,
        due_on=opens + datetime.timedelta(days=60),
    )
    make_member(organisation=organisation, name="佐藤　花子", joined_on=datetime.date(2024, 4, 1))
    make_member(organisation=other_organisation, name="他団体　次郎")
    staff = make_staff(username="office", organisations=[organisation])
    staff.groups.first().permissions.add(*Permission.objects.filter(content_type__app_label="lms"))
    return {"course": course}


def _sign_in_as_office_staff(admin):
    sign_in_to_admin(admin, "office", "pw-staff-123")
    admin.wait_for_url(re.compile(r"/admin/$"))


def test_requirement_to_completion(new_page, member, mail_dir, compliance_site, screenshot):
    from lms.models import Assignment

    course = compliance_site["course"]
    admin = new_page()
    _sign_in_as_office_staff(admin)
    admin_go(admin, "研修受講管理", "受講要件")
    add_button(admin, "受講要件").click()
    admin.locator("#id_campaign").select_option(label="災害防止等に関する研修")
    admin.locator("#id_name").fill("全加入者の安全研修")
    admin.get_by_label(course.title).check()
    admin.get_by_role("button", name="対象者をプレビュー").click()
    preview = admin.get_by_test_id("audience-preview")
    preview.wait_for()
    assert "2 人が該当します" in preview.inner_text()
    assert "佐藤　花子" in preview.inner_text() and "他団体" not in preview.inner_text()
    screenshot(admin, "01-preview")
    assert not Assignment.objects.exists()  # nothing saved by a preview
    admin.locator("footer button.button-longrunning").first.click()
    admin.wait_for_url(re.compile(r"/admin/lms/requirements/$"))
    assert Assignment.objects.filter(member=member).count() == 1  # the refresh ran on save

    page = new_page(viewport=PHONE)
    page.goto("/")
    go(page, "サインイン")
    page.get_by_label("団体に登録したメールアドレス").fill("taro@example.jp")
    page.get_by_role("button", name="サインインコードを送る").click()
    page.get_by_label("コード").fill(read_code(mail_dir, "taro@example.jp"))
    page.get_by_role("button", name="サインイン").click()
    page.get_by_test_id("signed-in").wait_for()
    go(page, "マイ研修")
    item = page.get_by_test_id("required-item")
    assert "全加入者の安全研修" in item.inner_text() and "未受講" in item.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "02-my-training")
    page.get_by_test_id("continue").click()
    page.get_by_role("link", name=re.compile("学習を始める")).click()
    page.get_by_role("button", name="学習を完了する").click()
    go(page, "マイ研修")
    assert "修了" in page.get_by_test_id("required-item").inner_text()
    screenshot(page, "03-completed")

    admin_go(admin, "レポート", "研修ダッシュボード")
    assert admin.get_by_test_id("completed").inner_text() == "1"
    assert admin.get_by_test_id("rate").inner_text() == "50.0%"
    screenshot(admin, "04-dashboard")
    export = admin.request.get("/admin/lms/reports/assignments/?status=completed&export=csv")
    assert export.ok and export.headers["content-type"].startswith("text/csv")
    text = export.body().decode("utf-8-sig")
    assert "山田　太郎" in text and "全加入者の安全研修" in text and "佐藤" not in text


def test_staff_type_a_wareki_date_and_the_date_picker_keeps_it(new_page, compliance_site):
    """Wagtail's date picker would replace text it cannot parse with today's date on blur."""
    from lms.models import Campaign

    campaign = Campaign.objects.get(slug="saigai-boshi")
    admin = new_page()
    _sign_in_as_office_staff(admin)
    admin_go(admin, "研修受講管理", "年度")
    add_button(admin, "年度").click()
    admin.locator("#id_campaign").select_option(str(campaign.pk))
    admin.locator("#id_name").fill("2027年度")
    admin.locator("#id_fiscal_year").fill("2027")
    admin.locator("#id_opens_on").fill("令和9年6月1日")
    admin.locator("#id_due_on").fill("R9.7.31")
    admin.locator("#id_name").click()  # leave the date field: the picker validates on blur
    assert admin.locator("#id_due_on").input_value() == "R9.7.31"
    admin.locator("footer button.button-longrunning").first.click()
    admin.wait_for_url(re.compile(r"/admin/lms/cycles/$"))
    cycle = campaign.cycles.get(name="2027年度")
    assert (cycle.opens_on, cycle.due_on) == (datetime.date(2027, 6, 1), datetime.date(2027, 7, 31))


def test_staff_make_the_evidence_pack_from_the_dashboard(new_page, compliance_site, tmp_path):
    """From the admin's menu to the dashboard, 証跡パックを作成, then the download: the pack states
    the dashboard's figures."""
    from openpyxl import load_workbook

    from lms.models import Requirement
    from lms.services import assignments_refresh
    from members.models import Organisation

    campaign_org = Organisation.objects.get(slug="test-group")
    requirement = Requirement.objects.create(
        campaign=campaign_org.campaigns.get(), name="全加入者の安全研修"
    )
    requirement.courses.set([compliance_site["course"]])
    requirement.save()
    assignments_refresh(organisation=campaign_org)

    admin = new_page()
    _sign_in_as_office_staff(admin)
    admin_go(admin, "レポート", "研修ダッシュボード")
    numbers = admin.get_by_test_id("dashboard-numbers")
    required = numbers.get_by_test_id("required").inner_text()
    rate = numbers.get_by_test_id("rate").inner_text()
    admin.get_by_test_id("make-evidence-pack").click()
    admin.locator("footer").get_by_role("button", name="証跡パックを作成").click()
    with admin.expect_download() as download_info:
        admin.locator(".messages").get_by_role("link", name="ダウンロード").click()
    path = tmp_path / "pack.xlsx"
    download_info.value.save_as(path)
    assert download_info.value.suggested_filename.startswith("evidence-test-group-saigai-boshi-")
    summary = {
        row[0]: row[1] for row in load_workbook(path).worksheets[0].iter_rows(values_only=True)
    }
    assert str(summary["受講対象者"]) == required == "2"
    assert f"{float(summary['修了率']):.1f}%" == rate
