"""A month of the office's work, by clicks only, in a real browser (from /admin/ on).

July 13, 2026 (a Monday after the 10th, when this month's roster is due): the office imports
the July roster, sees the admin home change, checks every figure of the campaign dashboard
against the list it links to, sends a 督促メール to some of the overdue people, and finds the
reminder on a member's page.

The data before the browser starts comes from the factories: the June roster (imported in
June), a campaign due July 3 (60 days for who joins in the window), one completion on time,
one late, one attempt started. The nightly task has run (the office keeps a cycle open for 30
days after its due date, LMS_CLOSE_GRACE_DAYS). Every expected number is computed from the
roster files and the scenario constants below, never copied from the output.
"""

import datetime
import re
from email.utils import parseaddr
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.utils.formats import date_format
from django.utils.translation import override
from playwright.sync_api import expect

from tests.browser.admin_menu import admin_go
from tests.browser.admin_sign_in import sign_in_to_admin
from tests.browser.test_year_e2e import RosterFile, import_roster, read_roster

pytestmark = pytest.mark.django_db(transaction=True)

JST = ZoneInfo("Asia/Tokyo")
D = datetime.date

CAMPAIGN = "災害防止等に関する研修"
REQUIREMENT = "全加入者の安全衛生研修"
OPENS, DUE = D(2026, 6, 1), D(2026, 7, 3)
DAYS_AFTER_JOINING = 60
TODAY = D(2026, 7, 13)
STAFF, STAFF_PASSWORD = "jimu", "pw-jimu-123"

JUNE = RosterFile("year_2026_06.csv", "utf-8-sig", D(2026, 6, 15), "R8.6.15", None)
JULY = RosterFile("year_2026_07.csv", "utf-8-sig", D(2026, 7, 10), "R8.7.10", None)
JUNE_IMPORTED_AT = datetime.datetime(2026, 6, 15, 10, tzinfo=JST)

COMPLETIONS = {"Y001": D(2026, 6, 20), "Y002": D(2026, 7, 8)}  # a seminar each; Y002 is late
STARTED = {"Y008": datetime.datetime(2026, 6, 20, 10, tzinfo=JST)}  # opened the course
REMIND = ["Y003", "Y007"]  # the overdue people the office ticks


def at(day, hour, minute=0):
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=JST)


class Expected:
    """What the office must see on TODAY, from the roster files and the scenario only."""

    def __init__(self):
        self.june = read_roster(JUNE)
        self.july = read_roster(JULY)

    def import_counts(self):
        counts = {"added": 0, "changed": 0, "withdrawn": 0, "unchanged": 0}
        for no, row in self.july.items():
            before = self.june.get(no)
            if before is None:
                counts["added"] += 1
            elif row == before:
                counts["unchanged"] += 1
            elif row.withdrawn_on and not before.withdrawn_on:
                counts["withdrawn"] += 1
            else:
                counts["changed"] += 1
        counts["missing"] = len(set(self.june) - set(self.july))
        return counts

    @staticmethod
    def _enrolled(row, day):
        return row.joined_on <= day and (row.withdrawn_on is None or day < row.withdrawn_on)

    def assigned(self, roster):
        return {
            no
            for no, row in roster.items()
            if self._enrolled(row, OPENS) or OPENS <= row.joined_on <= DUE
        }

    def due(self, no):
        joined = self.july[no].joined_on
        if joined > OPENS:
            return max(DUE, joined + datetime.timedelta(days=DAYS_AFTER_JOINING))
        return DUE

    def status(self, no, roster, day=TODAY):
        row = roster[no]
        if row.withdrawn_on and row.withdrawn_on <= day:
            return "withdrawn"
        if no in COMPLETIONS:
            return "completed" if COMPLETIONS[no] <= self.due(no) else "completed_late"
        if self.due(no) < day:
            return "overdue"
        return "in_progress" if no in STARTED else "assigned"

    def statuses(self, roster):
        """Everyone assigned by the roster ``roster`` (the June one: before the import)."""
        return {no: self.status(no, roster) for no in self.assigned(roster)}

    @staticmethod
    def n(statuses, *wanted):
        return sum(1 for s in statuses.values() if s in wanted)

    @staticmethod
    def required(statuses):
        return sum(1 for s in statuses.values() if s not in ("withdrawn", "exempt"))


def build(settings):
    """The site, the course, the campaign, the June roster and what members did in June."""
    import io

    from django.contrib.auth.models import Permission

    from courses.services import enrolment_start
    from lms.tasks import nightly_refresh
    from members.models import Member
    from tests.factories import complete_course, make_organisation, make_staff
    from tests.factories.lms import make_campaign, make_course, make_requirement
    from tests.factories.members import import_roster_fixture
    from training_site.demo import seed_site

    settings.LMS_CLOSE_GRACE_DAYS = 30
    seed_site(stdout=io.StringIO())
    organisation = make_organisation(name="フリーランス安全衛生センター", slug="freelance")
    course = make_course(title=CAMPAIGN, organisation=organisation)
    campaign = make_campaign(
        organisation=organisation,
        name=CAMPAIGN,
        opens_on=OPENS,
        due_on=DUE,
        days_after_joining=DAYS_AFTER_JOINING,
        today=OPENS,
    )
    make_requirement(campaign=campaign, courses=[course], name=REQUIREMENT)
    staff = make_staff(username=STAFF, password=STAFF_PASSWORD, organisations=[organisation])
    staff.groups.first().permissions.add(  # as the lms and mailings demos set up the office
        *Permission.objects.filter(content_type__app_label__in=["lms", "mailings"])
    )
    report, _import = import_roster_fixture(
        organisation=organisation, name=JUNE.name, as_of=JUNE.roster_date
    )
    assert not report.errors

    def member(no):
        return Member.objects.get(organisation=organisation, member_no=no)

    return organisation, course, member, nightly_refresh, complete_course, enrolment_start


def figures_of(table):
    """{label: (figure, link)} of the dashboard's 人数 table (rows with a link)."""
    figures = {}
    for row in table.locator("tr").all():
        link = row.locator("th a")
        if link.count():
            figures[link.inner_text()] = (int(row.locator("td").inner_text()), link)
    return figures


def list_rows(page):
    """The rows of the list on screen (none when Wagtail says there are none)."""
    page.wait_for_load_state("load")
    return page.locator("table.listing tbody tr")


def expect_people(page, n):
    """The list shows ``n`` rows, and Wagtail's count under it says 「n 人」 (none when empty)."""
    expect(list_rows(page)).to_have_count(n)
    if n:
        expect(page.locator(".pagination__end")).to_have_text(f"{n} 人")


def member_numbers(page):
    return sorted(re.findall(r"\bY\d{3}\b", " ".join(list_rows(page).all_inner_texts())))


def test_staff_month(new_page, screenshot, settings):
    expect.set_options(timeout=15_000)
    expected = Expected()

    def shot(page, name):
        page.wait_for_load_state("load")
        return screenshot(page, name)

    with time_machine.travel(JUNE_IMPORTED_AT, tick=True) as clock:
        organisation, course, member, nightly, complete, start = build(settings)
        # June: what members did (a seminar recorded each, one attempt started online)
        for no, started_at in STARTED.items():
            clock.move_to(started_at)
            start(member=member(no), course=course)
        for no, on in COMPLETIONS.items():
            clock.move_to(at(on, 17))
            complete(member=member(no), course=course, on=on)
        # every night until this morning (the office keeps the cycle open after the due date)
        day = JUNE.roster_date
        while day <= TODAY:
            clock.move_to(at(day, 0, 20))
            nightly.delay()
            day += datetime.timedelta(days=1)
        clock.move_to(at(TODAY, 9, 30))

        before = expected.statuses(expected.june)
        after = expected.statuses(expected.july)
        # the story has every status the dashboard counts but exemptions (tested elsewhere)
        assert set(after.values()) == {
            "completed", "completed_late", "in_progress", "assigned", "overdue", "withdrawn"
        }  # fmt: skip
        cycle_name = f"{CAMPAIGN} {OPENS.year}年度"

        # 0. the admin home this morning: this month's roster is not imported yet
        page = sign_in_to_admin(new_page(), STAFF, STAFF_PASSWORD)
        page.wait_for_url("**/admin/")
        with override("ja"):
            june_date = date_format(JUNE_IMPORTED_AT.date(), "DATE_FORMAT")
            today_date = date_format(TODAY, "DATE_FORMAT")
        roster_panel = page.get_by_test_id("office-roster")
        expect(roster_panel).to_contain_text(f"{organisation.name}（最終取込: {june_date}）")
        expect(page.get_by_test_id("roster-due-freelance")).to_have_text(
            "今月はまだ取り込まれていません（期限: 10日）"
        )
        campaigns = page.get_by_test_id("office-campaigns")
        overdue_figure = campaigns.locator("td[data-testid^=overdue-]")
        not_started_figure = campaigns.locator("td[data-testid^=not-started-]")
        expect(overdue_figure).to_have_text(f"{expected.n(before, 'overdue')} 人")
        expect(not_started_figure).to_have_text(f"{expected.n(before, 'assigned')} 人")
        shot(page, "01-home-before-import")

        # 1. the July roster: upload, preview (the counts), apply
        import_roster(page, JULY, expected.import_counts(), shot, "02-july-roster")

        # 2. back on the admin home: imported this month, and the campaign's people changed
        page.locator(".sidebar").get_by_role("link", name="ダッシュボード").click()
        page.wait_for_url("**/admin/")
        expect(page.get_by_test_id("office-roster")).to_contain_text(
            f"{organisation.name}（最終取込: {today_date}）"
        )
        expect(page.get_by_test_id("roster-due-freelance")).to_have_text("今月は取り込み済み")
        expect(overdue_figure).to_have_text(f"{expected.n(after, 'overdue')} 人")
        expect(not_started_figure).to_have_text(f"{expected.n(after, 'assigned')} 人")
        done = expected.n(after, "completed", "completed_late")
        rate = round(100.0 * done / expected.required(after), 1)
        expect(campaigns.locator("td[data-testid^=campaign-]")).to_contain_text(
            f"対象 {expected.required(after)} 人、修了率 {rate}%"
        )
        assert expected.n(before, "overdue") != expected.n(after, "overdue")
        shot(page, "03-home-after-import")
        # the home's figures that link to a list count its rows
        for figure in ("overdue", "not-started"):
            cell = campaigns.locator(f"td[data-testid^={figure}-]")
            n = int(cell.inner_text().removesuffix(" 人"))
            cell.locator("xpath=..").locator("th a").click()
            expect_people(page, n)
            shot(page, f"03-home-{figure}-list")
            page.go_back()
            expect(cell).to_have_text(f"{n} 人")

        # 3. the campaign dashboard: each figure, and the list it links to
        admin_go(page, "レポート", "研修ダッシュボード")
        expect(page.get_by_test_id("dashboard-cycle")).to_have_text(cycle_name)
        numbers = page.get_by_test_id("dashboard-numbers")
        figures = figures_of(numbers)
        assert {label: n for label, (n, _link) in figures.items()} == {
            "受講対象者": expected.required(after),
            "修了（期限内）": expected.n(after, "completed"),
            "期限後に修了": expected.n(after, "completed_late"),
            "受講中": expected.n(after, "in_progress"),
            "未受講": expected.n(after, "assigned"),
            "期限切れ": expected.n(after, "overdue"),
            "免除": 0,
            "脱退": expected.n(after, "withdrawn"),
        }
        expect(page.get_by_test_id("rate")).to_have_text(f"{rate}%")
        shot(page, "04-dashboard")
        statuses_of = {  # who each figure counts, from the scenario
            "受講対象者": {"completed", "completed_late", "in_progress", "assigned", "overdue"},
            "修了（期限内）": {"completed"},
            "期限後に修了": {"completed_late"},
            "受講中": {"in_progress"},
            "未受講": {"assigned"},
            "期限切れ": {"overdue"},
            "免除": {"exempt"},
            "脱退": {"withdrawn"},
        }
        for i, label in enumerate(figures):
            n, link = figures_of(numbers)[label]
            link.click()
            expect_people(page, n)
            assert member_numbers(page) == sorted(
                no for no, s in after.items() if s in statuses_of[label]
            ), label
            shot(page, f"05-dashboard-{i}-list")
            page.go_back()
            expect(page.get_by_test_id("dashboard-cycle")).to_have_text(cycle_name)

        # the breakdowns (by prefecture, category, age band …): every linked figure
        breakdown_links = page.locator("table.listing:not([data-testid]) a[data-count]")
        total = breakdown_links.count()
        assert total, "the breakdowns link their figures to the lists"
        for i in range(total):
            link = page.locator("table.listing:not([data-testid]) a[data-count]").nth(i)
            n = int(link.inner_text())
            link.click()
            expect_people(page, n)
            page.go_back()
            expect(page.get_by_test_id("dashboard-cycle")).to_have_text(cycle_name)
        shot(page, "06-dashboard-breakdowns")

        # 4. the overdue list: tick two people, 督促メール, the overdue notice, preview, confirm
        overdue = sorted(no for no, s in after.items() if s == "overdue")
        admin_go(page, "レポート", "期限切れ")
        expect_people(page, len(overdue))
        assert member_numbers(page) == overdue
        assert set(REMIND) < set(overdue)
        for no in REMIND:
            row = list_rows(page).filter(has_text=no)
            row.get_by_test_id("select-person").check()
        shot(page, "07-overdue-ticked")
        page.get_by_role("button", name="チェックした人に督促メール").click()
        expect(page.locator("header h1")).to_contain_text("督促メール")
        expect(page.get_by_test_id("remind-count")).to_contain_text(f"{len(REMIND)} 人")
        page.get_by_label(re.compile(r"^\s*期限超過のお知らせ — ")).check()
        shot(page, "08-remind-choose-text")
        page.get_by_role("button", name="プレビュー").click()
        preview = page.get_by_test_id("remind-preview")
        expect(page.get_by_test_id("remind-recipients")).to_contain_text(f"{len(REMIND)} 人")
        expect(page.get_by_test_id("remind-subject")).to_contain_text("【期限超過】")
        expect(page.get_by_test_id("remind-subject")).to_contain_text(CAMPAIGN)
        sample = next(expected.july[no] for no in REMIND if expected.july[no].name in (
            preview.inner_text()
        ))  # fmt: skip
        body = page.get_by_test_id("remind-body")
        expect(body).to_contain_text(f"{sample.name} 様")
        due = expected.due(sample.member_no)
        expect(body).to_contain_text(f"{due.year}年{due.month}月{due.day}日")
        shot(page, "09-remind-preview")
        sent_before = len(mail.outbox)
        page.get_by_role("button", name=f"{len(REMIND)} 人に送信").click()
        expect(page.locator(".messages")).to_contain_text(
            f"{len(REMIND)} 人に督促メールを送信しています。"
        )
        shot(page, "10-reminded")
        sent = mail.outbox[sent_before:]
        assert sorted(parseaddr(m.to[0])[1] for m in sent) == sorted(
            expected.july[no].email for no in REMIND
        )
        assert all(len(m.to) == 1 and m.subject.startswith("【期限超過】") for m in sent)
        for message in sent:
            row = next(
                expected.july[no] for no in REMIND if expected.july[no].email in message.to[0]
            )
            assert f"{row.name} 様" in message.body

        # 5. the member's page: the training record, and the reminder just sent
        reminded = expected.july[REMIND[0]]
        admin_go(page, "加入者名簿", "加入者")
        page.locator("table.listing").get_by_role(
            "link", name=reminded.member_no, exact=True
        ).click()
        record = page.get_by_test_id("training-record")
        expect(record).to_contain_text(f"{CAMPAIGN} {OPENS.year}年度 — 期限切れ")
        expect(record).to_contain_text(REQUIREMENT)
        reminders = page.get_by_test_id("member-reminders")
        first = reminders.locator("tbody tr").first
        with override("ja"):
            sent_on = date_format(TODAY, "DATE_FORMAT")
        expect(first).to_contain_text(sent_on)
        expect(first).to_contain_text("職員からの督促")
        expect(first).to_contain_text(f"{REQUIREMENT}（{OPENS.year}年度）")
        expect(reminders.locator("tbody tr")).to_have_count(1)  # no scheduled ones in July
        record.scroll_into_view_if_needed()
        shot(page, "11-member-page")
