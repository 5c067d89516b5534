"""The whole year, proven (issue 8): one simulated year of one 特別加入団体, in a real browser.

The clock is moved with time-machine (it patches the process, so the live server's threads see
the same "now"). What a person does happens in Chromium: staff import the monthly roster in the
Wagtail admin (upload -> preview -> apply), members sign in with a mailed code on a phone,
study, pass the final quiz and download the certificate, staff read the dashboard, the lists
and the reports. What runs on a schedule in production is run as the beat would run it, every
day of the year: ``lms.nightly_refresh`` at 00:20 and ``mailings.send_reminders`` at 09:00
(Celery is eager in tests). Completions from outside e-learning (a seminar, a paper test) are
recorded with the courses service that the staff screen calls.

Every expected number is computed by the small ``Oracle`` from the roster files
(tests/fixtures/roster/year_2026_*.csv) and the scenario constants below, never copied from the
output.

Screenshots of every step go to var/test-artifacts/test_one_year_proven/; with
UPDATE_SCREENSHOTS=1 the README's ones are copied to docs/screenshots/.
"""

import csv
import datetime
import io
import os
import re
import shutil
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from playwright.sync_api import expect

from tests.browser.admin_menu import add_button, admin_go
from tests.browser.admin_sign_in import sign_in_to_admin
from tests.browser.conftest import PHONE
from tests.browser.site_menu import go
from tests.factories.members import roster_fixture

pytestmark = pytest.mark.django_db(transaction=True)

JST = ZoneInfo("Asia/Tokyo")
REPO = Path(__file__).resolve().parents[2]
README_SCREENSHOTS = REPO / "docs" / "screenshots"
D = datetime.date


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=JST)


# --- the year -----------------------------------------------------------------------------

CAMPAIGN = "災害防止等に関する研修"
OPENS, DUE = D(2026, 6, 1), D(2026, 7, 31)  # the 2026 window
DAYS_AFTER_JOINING = 60  # the campaign gives members who join in the window at least 60 days
LAST_DAY = D(2026, 8, 1)  # the morning the office checks the campaign
STAFF, STAFF_PASSWORD, STAFF_EMAIL = "jimu", "pw-jimu-123", "jimu@example.jp"


@dataclass(frozen=True)
class RosterFile:
    name: str
    encoding: str
    roster_date: datetime.date
    roster_date_wareki: str  # what staff type into the form
    imported_at: datetime.datetime


ROSTERS = [
    RosterFile("year_2026_05.csv", "cp932", D(2026, 5, 10), "R8.5.10", at(D(2026, 5, 12), 10)),
    RosterFile("year_2026_06.csv", "utf-8-sig", D(2026, 6, 15), "R8.6.15", at(D(2026, 6, 15), 10)),
    RosterFile("year_2026_07.csv", "utf-8-sig", D(2026, 7, 10), "R8.7.10", at(D(2026, 7, 10), 10)),
]

# What members do during the year (the inputs of the story; the roster files are the others).
STUDIES_ONLINE = "Y001"  # signs in on a phone on the opening day, studies, passes, certificate
STUDY_AT = at(OPENS, 10)
SEMINAR = ("Y002", D(2026, 7, 18), at(D(2026, 7, 20), 10))  # seminar on 7/18, recorded 7/20
PAPER_LATE = ("Y007", LAST_DAY, at(LAST_DAY, 8))  # a paper test on Aug 1 (after the due date)
JOINER = "Y008"  # joins mid-June (June roster), signs in and starts the course
JOINER_AT = at(D(2026, 6, 16), 10)
MOVEMENTS_MONTH = D(2026, 7, 1)  # the month of the join/withdraw report


@dataclass(frozen=True)
class Row:
    member_no: str
    name: str
    email: str
    joined_on: datetime.date
    withdrawn_on: datetime.date | None
    reason: str


def read_roster(roster: RosterFile) -> dict[str, Row]:
    text = roster_fixture(roster.name).read_bytes().decode(roster.encoding)
    rows = {}
    for r in csv.DictReader(io.StringIO(text)):
        rows[r["加入者番号"]] = Row(
            member_no=r["加入者番号"],
            name=r["氏名"],
            email=r["メールアドレス"],
            joined_on=D.fromisoformat(r["加入日"]),
            withdrawn_on=D.fromisoformat(r["脱退日"]) if r["脱退日"] else None,
            reason=r["脱退理由"],
        )
    return rows


class Oracle:
    """What the year must produce, from the roster files and the scenario above only."""

    def __init__(self):
        self.files = [(roster, read_roster(roster)) for roster in ROSTERS]
        self.members = self.files[-1][1]  # the latest snapshot holds everyone
        self.known_at = {}  # member -> when the office first imported them
        self.withdrawal_known_at = {}
        for roster, rows in self.files:
            for no, row in rows.items():
                self.known_at.setdefault(no, roster.imported_at)
                if row.withdrawn_on and no not in self.withdrawal_known_at:
                    self.withdrawal_known_at[no] = max(roster.imported_at, at(row.withdrawn_on, 0))
        self.completions = {  # member -> (completed on, recorded at, source label)
            STUDIES_ONLINE: (STUDY_AT.date(), STUDY_AT, "eラーニング"),
            SEMINAR[0]: (SEMINAR[1], SEMINAR[2], "セミナー"),
            PAPER_LATE[0]: (PAPER_LATE[1], PAPER_LATE[2], "紙のテスト"),
        }
        self.started = {JOINER}

    def import_counts(self, i: int) -> dict:
        """The preview's counts of the i-th file against the roster the earlier files left."""
        before = self.files[i - 1][1] if i else {}
        rows = self.files[i][1]
        counts = {"added": 0, "changed": 0, "withdrawn": 0, "unchanged": 0, "rejected": 0}
        for no, row in rows.items():
            if no not in before:
                counts["added"] += 1
            elif row == before[no]:
                counts["unchanged"] += 1
            elif row.withdrawn_on and not before[no].withdrawn_on:
                counts["withdrawn"] += 1
            else:
                counts["changed"] += 1
        counts["missing"] = len(set(before) - set(rows))
        return counts

    # who, and by when
    @staticmethod
    def _covers(row, day):
        return row.joined_on <= day and (row.withdrawn_on is None or day < row.withdrawn_on)

    def assigned(self) -> list[str]:
        """Enrolled on the opening day, or joining during the window."""
        return sorted(
            no
            for no, row in self.members.items()
            if self._covers(row, OPENS) or OPENS <= row.joined_on <= DUE
        )

    def due(self, no) -> datetime.date:
        joined = self.members[no].joined_on
        if joined > OPENS:  # a fair due date for who joins in the window
            return max(DUE, joined + datetime.timedelta(days=DAYS_AFTER_JOINING))
        return DUE

    def status_on(self, no, day) -> str:
        row = self.members[no]
        if row.withdrawn_on and row.withdrawn_on <= day:
            return "withdrawn"
        if no in self.completions:
            done_on = self.completions[no][0]
            return "completed" if done_on <= self.due(no) else "completed_late"
        if self.due(no) < day:
            return "overdue"
        return "in_progress" if no in self.started else "assigned"

    # the mail
    def stops_at(self, no):
        """Reminders stop from the first run after the completion or withdrawal is recorded."""
        times = [self.withdrawal_known_at.get(no), self.completions.get(no, (0, None))[1]]
        times = [t for t in times if t is not None]
        return min(times) if times else None

    def reminders(self) -> dict:
        """{day: {(address, step)}} of the daily 09:00 runs from the opening day to LAST_DAY."""
        expected: dict = {}
        for no in self.assigned():
            row = self.members[no]
            if not row.email:
                continue  # no address: nothing can be mailed (the recipient row says why)
            first = max(OPENS, self.known_at[no].date())
            if at(first, 9) <= self.known_at[no]:
                first += datetime.timedelta(days=1)  # imported after that morning's run
            due = self.due(no)
            one = datetime.timedelta(days=1)
            steps = [("announce", first)]
            steps += [(f"before-{n}", due - n * one) for n in (14, 7, 1)]
            steps += [("overdue", due + one)]
            stop = self.stops_at(no)
            for step, day in steps:
                if day > LAST_DAY or (stop and at(day, 9) >= stop):
                    continue
                assert day >= first, "this story has no step before the announcement"
                expected.setdefault(day, set()).add((row.email, step))
        day = OPENS
        while day <= LAST_DAY:  # the weekly digest to the office (Mondays), while current
            if day.weekday() == 0:
                expected.setdefault(day, set()).add((STAFF_EMAIL, "digest"))
            day += datetime.timedelta(days=1)
        return expected

    # the reports
    def movements(self, month: datetime.date):
        """Who joined (numbers) and who withdrew ((number, date, reason)) in ``month``."""

        def within(day):
            return day is not None and (day.year, day.month) == (month.year, month.month)

        rows = self.members.values()
        joined = {r.member_no for r in rows if within(r.joined_on)}
        withdrawn = {
            (r.member_no, r.withdrawn_on.isoformat(), r.reason)
            for r in rows
            if within(r.withdrawn_on)
        }
        return joined, withdrawn


# --- helpers ----------------------------------------------------------------------------------


def step_of(subject: str, to: str) -> str:
    if to == STAFF_EMAIL:
        assert subject.startswith("【週次】"), subject
        return "digest"
    if match := re.match(r"【あと(\d+)日】", subject):
        return f"before-{match.group(1)}"
    if subject.startswith("【期限超過】"):
        return "overdue"
    if subject.startswith(f"【{CAMPAIGN}】受講のご案内"):
        return "announce"
    raise AssertionError(f"unexpected mail: {subject}")


class Year:
    """The clock, and what the beat schedule runs every day: ``lms.nightly_refresh`` at 00:20,
    ``mailings.send_reminders`` at 09:00. The mail each morning run sent is kept by day."""

    def __init__(self, traveller, *, first_day: datetime.date):
        self.clock = traveller
        self.next_day = first_day
        self.mail_by_day: dict = {}

    def go(self, when: datetime.datetime):
        self.clock.move_to(when)

    def night(self, day):
        from lms.tasks import nightly_refresh

        self.go(at(day, 0, 20))
        nightly_refresh.delay()

    def morning(self, day):
        from mailings.tasks import send_reminders

        self.go(at(day, 9, 0))
        before = len(mail.outbox)
        send_reminders.delay()
        if sent := mail.outbox[before:]:
            assert all(len(m.to) == 1 for m in sent), "one mail per recipient"
            self.mail_by_day[day] = [(parseaddr(m.to[0])[1], m.subject, m) for m in sent]
        self.next_day = day + datetime.timedelta(days=1)

    def run_until(self, last: datetime.date):
        """Every day from the last one run through ``last``, night and morning."""
        day = self.next_day
        while day <= last:
            self.night(day)
            self.morning(day)
            day += datetime.timedelta(days=1)


def study(page, year, *, minutes):
    """The member reads the lesson on screen for ``minutes``: the server's clock and the page's
    move on together, and the player's heartbeat of every minute reports the time. The player
    (a deferred script) must have started its minute timer before the page's clock moves: on a
    busy machine the heading shows before the script runs."""
    page.wait_for_load_state("domcontentloaded")
    for _ in range(minutes):
        with page.expect_response(lambda r: "/heartbeat/" in r.url and r.ok):
            year.clock.shift(datetime.timedelta(seconds=60))
            page.clock.run_for(60_000)


def office_day(new_page):
    """A working day of the office: a fresh browser, signed in to the Wagtail admin (a session
    from last month has expired)."""
    page = sign_in_to_admin(new_page(), STAFF, STAFF_PASSWORD)
    page.wait_for_url("**/admin/")
    return page


def member_sign_in(page, email):
    """From the home page, サインイン in the menu: request a one-time code, read it from the
    outbox, type it in, then マイ研修."""
    page.goto("/")
    go(page, "サインイン")
    page.get_by_label("団体に登録したメールアドレス").fill(email)
    before = len(mail.outbox)
    page.get_by_role("button", name="サインインコードを送る").click()
    expect(page.get_by_label("コード")).to_be_visible()
    codes = [
        match.group(1)
        for message in mail.outbox[before:]
        if message.to == [email]
        and (match := re.search(r"^\s*(\d{6})\s*$", message.body, re.MULTILINE))
    ]
    assert len(codes) == 1, f"one code mailed to {email}"
    page.get_by_label("コード").fill(codes[0])
    page.get_by_role("button", name="サインイン").click()
    expect(page.get_by_test_id("signed-in")).to_be_visible()
    go(page, "マイ研修")


def import_roster(page, roster: RosterFile, expected_counts: dict, shot, name: str):
    """Upload -> preview (check the counts) -> apply, as staff do once a month."""
    admin_go(page, "加入者名簿", "名簿の取り込み")
    add_button(page, "名簿の取り込み").click()
    page.get_by_label("名簿ファイル").set_input_files(str(roster_fixture(roster.name)))
    page.get_by_label("名簿の基準日").fill(roster.roster_date_wareki)
    page.get_by_role("button", name="アップロードして確認").click()
    expect(page.get_by_test_id("import-status")).to_have_text("反映待ち")
    counts = page.get_by_test_id("import-counts")
    for key, value in expected_counts.items():
        expect(counts.locator(f"[data-count={key}]")).to_have_text(str(value))
    preview = shot(page, f"{name}-preview")
    page.get_by_role("button", name="この変更を反映する").click()
    expect(page.get_by_test_id("import-status")).to_have_text("反映済み")
    shot(page, f"{name}-applied")
    return preview


def no_sideways_scroll(page):
    page.wait_for_load_state("load")  # measured with the stylesheets applied (a busy machine)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def listing_member_numbers(page) -> list[str]:
    return sorted(re.findall(r"\bY\d{3}\b", page.locator("table.listing tbody").first.inner_text()))


# --- the site before the year ----------------------------------------------------------------


def build_site():
    """What exists before May: the site, the course, the campaign with its requirement and
    reminder schedule, the office's staff account. Another organisation shares the site."""
    from django.contrib.auth.models import Permission

    from mailings.models import ReminderSchedule
    from tests.factories import make_member, make_organisation, make_staff
    from tests.factories.courses import make_course_index, make_course_page, make_lesson, quiz_value
    from tests.factories.lms import make_campaign, make_requirement
    from training_site.demo import seed_site

    home = seed_site(stdout=io.StringIO())
    organisation = make_organisation(name="フリーランス安全衛生センター", slug="freelance")
    other = make_organisation(name="北斗建設労災センター", slug="hokuto")
    make_member(organisation=other, member_no="Y001", name="他団体　次郎", email="jiro@example.jp")

    index = make_course_index(parent=home, slug="courses")
    course = make_course_page(
        index=index,
        title=CAMPAIGN,
        slug="saigai-boshi",
        summary="毎年6月から7月に、加入者全員が受講する安全衛生研修です。",
        audience_note="加入者全員（毎年）",
        estimated_minutes=20,
        final_quiz=quiz_value(pass_mark=80),
        pass_mark=80,
        issues_certificate=True,
    )
    make_lesson(
        course=course,
        title="整理・整頓・清潔の保持",
        slug="5s",
        body=[
            {"type": "heading", "value": "作業場所の4S"},
            {
                "type": "text",
                "value": "<p>整理とは、要るものと要らないものを分け、要らないものを処分すること。"
                "整頓とは、要るものを決められた場所にすぐ使える状態で置くことです。</p>",
            },
            {
                "type": "callout",
                "value": {
                    "kind": "caution",
                    "title": "通路には物を置かない",
                    "text": "<p>つまずき・転倒は、特別加入者の労働災害で最も多い事故の一つです。</p>",
                },
            },
        ],
    )
    make_lesson(
        course=course,
        title="熱中症と腰痛の予防",
        slug="heat-and-back",
        body=[
            {
                "type": "text",
                "value": "<p>こまめな水分・塩分の補給と休憩。重い物は膝を曲げて体に近づけて持つ。</p>",
            }
        ],
    )
    campaign = make_campaign(
        organisation=organisation,
        name=CAMPAIGN,
        slug="saigai-boshi",
        recurrence="FREQ=YEARLY",
        opens_on=OPENS,
        due_on=DUE,
        days_after_joining=DAYS_AFTER_JOINING,
        cycles=False,  # the nightly task creates cycles ahead of time
    )
    make_requirement(campaign=campaign, courses=[course], name="全加入者の安全衛生研修")
    # the campaign's default schedule (14/7/1 days, overdue), the weekly reminder switched off
    ReminderSchedule.objects.filter(campaign=campaign).update(weekly_overdue=False)
    staff = make_staff(username=STAFF, password=STAFF_PASSWORD, organisations=[organisation])
    staff.groups.first().permissions.add(  # as the lms and mailings demos set up the office
        *Permission.objects.filter(content_type__app_label__in=["lms", "mailings"])
    )
    return organisation, course


# --- the test -----------------------------------------------------------------------------------


def test_one_year_proven(new_page, screenshot, tmp_path):
    from django.utils import translation
    from pypdf import PdfReader

    from courses.models import Certificate, Enrolment
    from courses.services import enrolment_record_external
    from lms.models import Assignment, Cycle
    from lms.views.admin import LearnersReportView
    from members.models import Member
    from tests.factories.courses import correct_answers

    expect.set_options(timeout=15_000)

    def shot(page, name):
        """The screenshot fixture, once the page has fully loaded."""
        page.wait_for_load_state("load")
        return screenshot(page, name)

    oracle = Oracle()
    readme_shots = {}

    with time_machine.travel(at(D(2026, 5, 12), 9, 30), tick=True) as traveller:
        year = Year(traveller, first_day=ROSTERS[0].imported_at.date() + datetime.timedelta(days=1))
        organisation, course = build_site()
        assert not Cycle.objects.exists()  # cycles come from the lms services, ahead of time

        def member_of(no):
            return Member.objects.get(organisation=organisation, member_no=no)

        def assignment_of(no):
            return Assignment.objects.get(member=member_of(no))

        year.go(ROSTERS[0].imported_at)

        # 1. May 12: staff import the May roster through the admin (upload -> preview -> apply)
        admin = office_day(new_page)
        may = oracle.files[0][1]
        readme_shots["roster-import-preview"] = import_roster(
            admin, ROSTERS[0], oracle.import_counts(0), shot, "01-may-roster"
        )
        roster = Member.objects.filter(organisation=organisation)
        assert set(roster.values_list("member_no", flat=True)) == set(may)
        assert not Assignment.objects.exists()  # nothing is due before the window opens

        # 2. June 1: the nightly task has the 2026 cycle ready and assigns it; the 09:00 run
        #    mails the announcement
        year.run_until(OPENS)
        cycle = Cycle.objects.get(campaign__organisation=organisation)
        assert (cycle.name, cycle.opens_on, cycle.due_on) == ("2026年度", OPENS, DUE)
        assert cycle.created_at < at(OPENS, 0)  # created ahead of time, not on the day
        assigned = {a.member.member_no: a for a in Assignment.objects.select_related("member")}
        enrolled_on_opening = [no for no in oracle.assigned() if oracle.known_at[no] < at(OPENS, 0)]
        assert sorted(assigned) == enrolled_on_opening
        assert {a.due_on for a in assigned.values()} == {DUE}
        announced = year.mail_by_day[OPENS]
        expected_june_1 = oracle.reminders()[OPENS]
        assert {(to, step_of(subject, to)) for to, subject, _b in announced} == expected_june_1
        assert len(announced) == len(expected_june_1)  # one mail each, nobody twice
        body = next(m.body for to, _s, m in announced if to == may[STUDIES_ONLINE].email)
        assert f"{may[STUDIES_ONLINE].name} 様" in body and "2026年7月31日" in body
        assert "/courses/saigai-boshi/" in body
        # the office sees it in メール配信: how many got it, how many could not, and why
        year.go(at(OPENS, 9, 30))
        admin = office_day(new_page)
        admin_go(admin, "メール配信", "メール配信")
        admin.get_by_role("link", name=re.compile(r": announce \(2026-06-01\)")).click()
        reachable = [no for no in enrolled_on_opening if may[no].email]
        expect(admin.locator("[data-count=sent]")).to_have_text(str(len(reachable)))
        unreachable = len(enrolled_on_opening) - len(reachable)
        expect(admin.locator("[data-count=skipped]")).to_have_text(str(unreachable))
        shot(admin, "02-announcement-mailing")

        # 3. 10:00: a member signs in with a code on a phone, studies, passes, gets a certificate
        year.go(STUDY_AT)
        phone = new_page(viewport=PHONE)
        phone.clock.install()  # the page's clock moves with the server's (see study())
        member_sign_in(phone, may[STUDIES_ONLINE].email)
        item = phone.get_by_test_id("required-item")
        expect(item).to_contain_text("全加入者の安全衛生研修")
        expect(item).to_contain_text("未受講")
        expect(item).to_contain_text("期限 2026年7月31日")
        no_sideways_scroll(phone)
        readme_shots["my-training-phone"] = shot(phone, "03-my-training-phone")
        phone.get_by_test_id("continue").click()
        phone.get_by_role("link", name=re.compile("学習を始める")).click()
        expect(phone.get_by_role("heading", level=1)).to_have_text("整理・整頓・清潔の保持")
        no_sideways_scroll(phone)
        readme_shots["lesson-phone"] = shot(phone, "03-lesson-phone")
        # the course takes 20 minutes: it completes when 80% of them (16) are studied
        study(phone, year, minutes=9)
        phone.get_by_role("button", name="学習を完了する").click()
        expect(phone.get_by_role("heading", level=1)).to_have_text("熱中症と腰痛の予防")
        study(phone, year, minutes=9)
        phone.get_by_role("button", name="学習を完了する").click()
        expect(phone.get_by_role("heading", level=1)).to_have_text(CAMPAIGN)
        # the final quiz: the browser never had the answers; the test reads them as a grader
        for choice_ids in correct_answers(course.final_quiz[0].value).values():
            for choice_id in choice_ids:
                phone.locator(f'input[value="{choice_id}"]').check()
        shot(phone, "03-final-quiz-phone")
        phone.get_by_role("button", name="回答を送信する").click()
        expect(phone.locator("#quiz-result")).to_contain_text("合格")
        expect(phone.get_by_test_id("course-complete")).to_be_visible()
        shot(phone, "03-course-complete-phone")
        go(phone, "マイ研修")
        expect(phone.get_by_test_id("required-item")).to_contain_text("修了")
        certificate = Certificate.objects.get(enrolment__member=member_of(STUDIES_ONLINE))
        link = phone.get_by_role("link", name=re.compile(rf"^ダウンロード（PDF）\s*: {CAMPAIGN}$"))
        shot(phone, "03-my-training-completed-phone")
        pdf = phone.request.get(link.get_attribute("href"))
        assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
        (tmp_path / "certificate.pdf").write_bytes(pdf.body())
        text = PdfReader(str(tmp_path / "certificate.pdf")).pages[0].extract_text().replace(" ", "")
        assert may[STUDIES_ONLINE].name.replace("\u3000", "") in text.replace("\u3000", "")
        assert certificate.number in text and CAMPAIGN in text
        assert assignment_of(STUDIES_ONLINE).status == "completed"
        phone.goto("about:blank")

        # 4. June 15: the June roster brings a mid-June joiner, who gets a fair due date
        year.run_until(ROSTERS[1].imported_at.date())
        year.go(ROSTERS[1].imported_at)
        june = oracle.files[1][1]
        admin = office_day(new_page)
        import_roster(admin, ROSTERS[1], oracle.import_counts(1), shot, "04-june-roster")
        joiner = oracle.members[JOINER]
        asg = assignment_of(JOINER)
        assert (asg.starts_on, asg.due_on) == (joiner.joined_on, oracle.due(JOINER))
        assert asg.due_on > DUE
        # the next morning the announcement tells the joiner the fair due date; they sign in
        year.run_until(JOINER_AT.date())
        year.go(JOINER_AT)
        to_joiner = [
            m.body for to, _s, m in year.mail_by_day[JOINER_AT.date()] if to == joiner.email
        ]
        due_ja = f"{oracle.due(JOINER):%Y}年{oracle.due(JOINER).month}月{oracle.due(JOINER).day}日"
        assert len(to_joiner) == 1 and due_ja in to_joiner[0]
        joiner_page = new_page(viewport=PHONE)
        member_sign_in(joiner_page, joiner.email)
        expect(joiner_page.get_by_test_id("required-item")).to_contain_text(f"期限 {due_ja}")
        no_sideways_scroll(joiner_page)
        shot(joiner_page, "04-joiner-my-training-phone")
        joiner_page.get_by_test_id("continue").click()
        joiner_page.get_by_role("link", name=re.compile("学習を始める")).click()
        expect(joiner_page.get_by_role("heading", level=1)).to_have_text("整理・整頓・清潔の保持")
        joiner_page.goto("about:blank")  # started, not finished

        # 5. July 10: the July roster withdraws a member (and adds a July joiner)
        year.run_until(ROSTERS[2].imported_at.date())
        year.go(ROSTERS[2].imported_at)
        july = oracle.files[2][1]
        newly_withdrawn = [
            no for no, row in july.items() if row.withdrawn_on and not june[no].withdrawn_on
        ]
        assert newly_withdrawn
        admin = office_day(new_page)
        import_roster(admin, ROSTERS[2], oracle.import_counts(2), shot, "05-july-roster")
        for no in newly_withdrawn:  # withdrawn at once, not overdue later
            assert assignment_of(no).status == "withdrawn"

        # a seminar attendance recorded by the office (the service behind 研修の記録)
        year.run_until(SEMINAR[2].date())
        year.go(SEMINAR[2])
        enrolment_record_external(
            member=member_of(SEMINAR[0]),
            course=course,
            source=Enrolment.Source.SEMINAR,
            completed_on=SEMINAR[1],
            evidence_note="7月18日 安全衛生セミナー（会場）",
        )

        # 6. reminders before the due date and the day after; a paper test taken late on Aug 1
        year.run_until(LAST_DAY - datetime.timedelta(days=1))
        year.night(LAST_DAY)
        year.go(PAPER_LATE[2])
        enrolment_record_external(
            member=member_of(PAPER_LATE[0]),
            course=course,
            source=Enrolment.Source.PAPER,
            completed_on=PAPER_LATE[1],
            evidence_note="紙のテスト（郵送）",
        )
        year.morning(LAST_DAY)
        sent = {
            day: {(to, step_of(subject, to)) for to, subject, _b in mails}
            for day, mails in year.mail_by_day.items()
        }
        assert sent == oracle.reminders()
        assert sum(len(m) for m in year.mail_by_day.values()) == sum(
            len(v) for v in oracle.reminders().values()
        )  # nobody mailed twice on a day
        # the overdue notice as the member sees it (its HTML part), with the unsubscribe header
        late = next(
            oracle.members[no]
            for no in oracle.assigned()
            if oracle.status_on(no, LAST_DAY) == "overdue" and oracle.members[no].email
        )
        notice = next(m for to, _s, m in year.mail_by_day[LAST_DAY] if to == late.email)
        assert notice.message()["List-Unsubscribe"]
        html = next(content for content, mime in notice.alternatives if mime == "text/html")
        mail_view = new_page(viewport=PHONE)
        mail_view.set_content(html)
        expect(mail_view.get_by_text(f"{late.name} 様", exact=True)).to_be_visible()
        expect(mail_view.locator("body")).not_to_contain_text("<p>")  # markup, not text
        shot(mail_view, "06-overdue-notice-mail-phone")
        width = mail_view.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], "the mail scrolls sideways on a phone (a long link?)"

        # 7. Aug 1, 10:00: the office checks the campaign
        year.go(at(LAST_DAY, 10))
        expected = {no: oracle.status_on(no, LAST_DAY) for no in oracle.assigned()}
        # the story has every case the dashboard counts (exemptions have their own tests)
        assert set(expected.values()) == set(Assignment.Status.values) - {"exempt"}
        assert {
            a.member.member_no: a.status
            for a in Assignment.objects.filter(cycle=cycle).select_related("member")
        } == expected

        # the night's task closed (確定) the cycle at 00:20, the due date being past: its
        # figures are each person's status of that moment, and this morning's late completion
        # shows beside them (確定後の変動), never merged
        late = sorted(no for no, s in expected.items() if s == "completed_late")
        frozen = {no: "overdue" if s == "completed_late" else s for no, s in expected.items()}

        def n(*statuses, of=frozen):
            return sum(1 for s in of.values() if s in statuses)

        required = len(frozen) - n("withdrawn", "exempt")
        rate = round(100.0 * n("completed", "completed_late") / required, 1)
        admin = office_day(new_page)
        admin_go(admin, "レポート", "研修ダッシュボード")
        expect(admin.get_by_test_id("dashboard-cycle")).to_have_text(f"{CAMPAIGN} 2026年度")
        numbers = {
            row.locator("th").inner_text(): row.locator("td").inner_text()
            for row in admin.get_by_test_id("dashboard-numbers").locator("tr").all()
        }
        assert numbers == {
            "受講対象者": str(required),
            "修了（期限内）": str(n("completed")),
            "期限後に修了": str(n("completed_late")),
            "受講中": str(n("in_progress")),
            "未受講": str(n("assigned")),
            "期限切れ": str(n("overdue")),
            "免除": str(n("exempt")),
            "脱退": str(n("withdrawn")),
            "修了率": f"{rate}%",
        }
        assert late and admin.get_by_test_id("completed-after").inner_text() == f"{len(late)} 人"
        assert admin.get_by_test_id("withdrawn-after").inner_text() == "0 人"
        readme_shots["admin-dashboard"] = shot(admin, "07-dashboard")

        # the overdue list, reached from the dashboard, and its XLSX export
        overdue = sorted(no for no, s in frozen.items() if s == "overdue")
        admin.get_by_test_id("dashboard-numbers").get_by_role("link", name="期限切れ").click()
        expect(admin.locator("table.listing tbody tr")).to_have_count(len(overdue))
        assert listing_member_numbers(admin) == overdue
        shot(admin, "07-overdue-list")
        xlsx = admin.request.get(f"/admin/lms/reports/overdue/?cycle={cycle.pk}&export=xlsx")
        assert xlsx.ok
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(xlsx.body())).active
        table = [[c for c in r] for r in sheet.iter_rows(values_only=True)]
        assert sorted(r[0] for r in table[2:]) == overdue  # after the title and heading rows

        # 受講者一覧: every attempt, with how it was completed; it agrees with the dashboard
        admin_go(admin, "レポート", "受講者一覧")
        shot(admin, "07-learners")
        export = admin.request.get("/admin/lms/reports/learners/?export=csv")
        assert export.ok and export.headers["content-type"].startswith("text/csv")
        raw = export.body()
        assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM for Excel
        with translation.override("ja"):  # the headings the view writes, whatever their wording
            heading = {k: str(v) for k, v in LearnersReportView.export_headings.items()}
        rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))

        def cells(row, *names):
            return tuple(row[heading[name]] for name in names)

        got = {
            (no, source, completed[:10])
            for no, source, completed in (
                cells(r, "member.member_no", "source", "completed_at") for r in rows
            )
        }
        want = {
            (no, source, done_on.isoformat())
            for no, (done_on, _at, source) in oracle.completions.items()
        } | {(no, "eラーニング", "") for no in oracle.started}
        assert got == want
        completed_rows = [r for r in rows if cells(r, "completed_at")[0]]
        assert len(completed_rows) == n("completed", "completed_late", of=expected)
        assert all(cells(r, "certificate_number")[0] for r in completed_rows)
        online = next(r for r in rows if cells(r, "member.member_no")[0] == STUDIES_ONLINE)
        assert cells(online, "best_score", "certificate_number") == ("100", certificate.number)
        assert "他団体" not in raw.decode("utf-8-sig")  # the other organisation's Y001

        # the July join/withdraw report matches the roster files
        joined, withdrawn = oracle.movements(MOVEMENTS_MONTH)
        month = f"{MOVEMENTS_MONTH:%Y-%m}"
        admin_go(admin, "レポート", "月次の加入・脱退")
        admin.get_by_role("button", name="絞り込みを表示").click()
        for label in ("開始月", "終了月"):
            admin.get_by_role("button", name=label, exact=True).click()
            with admin.expect_response(lambda r: "/joins-withdrawals/results/" in r.url):
                admin.get_by_label(label, exact=True).fill(month)
            admin.get_by_role("button", name="戻る").locator("visible=true").click()
        expect(admin).to_have_url(re.compile(rf"month_from={month}&month_to={month}"))
        rows = admin.get_by_test_id("movement-rows").locator("tbody tr")
        expect(rows.first).to_contain_text(month)
        totals = admin.get_by_test_id("movement-totals")
        july_row = totals.locator("tbody tr").filter(has_text=month)
        expect(july_row.locator("td").nth(1)).to_have_text(str(len(joined)))
        expect(july_row.locator("td").nth(2)).to_have_text(str(len(withdrawn)))
        movement_rows = [
            [cell.inner_text() for cell in tr.locator("td").all()] for tr in rows.all()
        ]
        assert {r[2] for r in movement_rows if r[1] == "加入"} == joined
        assert {(r[2], r[0], r[5]) for r in movement_rows if r[1] == "脱退"} == withdrawn
        shot(admin, "07-july-joins-withdrawals")

    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        README_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for name, path in readme_shots.items():
            shutil.copyfile(path, README_SCREENSHOTS / f"{name}.png")
