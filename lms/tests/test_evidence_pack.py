"""The 労働局 evidence pack: the command and the admin action make one workbook whose figures are
the dashboard's, with a row per person, lesson, quiz attempt, SCORM attempt and question;
the file is private, its download permission-checked and audit-logged."""

import datetime
import io
import re
import zipfile

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from courses.models import Enrolment, LessonProgress, QuizAttempt
from courses.scorm.models import ScormState
from courses.services import certificate_issue, enrolment_start, question_answer, question_ask
from lms.models import EvidencePack
from lms.services import assignments_refresh, exemption_grant
from members.models import AuditEvent
from tests.factories import make_member, make_staff
from tests.factories.courses import make_lesson
from tests.factories.lms import (
    complete_course,
    make_campaign,
    make_course,
    make_requirement,
    member_withdraws,
)

D = datetime.date
pytestmark = pytest.mark.django_db
TOKYO = datetime.timezone(datetime.timedelta(hours=9))


def at(day: D, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TOKYO)


def lms_staff(username, organisations):
    user = make_staff(username=username, organisations=organisations)
    user.groups.first().permissions.add(*Permission.objects.filter(content_type__app_label="lms"))
    return user


@pytest.fixture
def site(db):
    from training_site.demo import seed_site

    return seed_site(stdout=io.StringIO())


def _elearning_completion(*, member, course, lesson):
    """Evidence as the player leaves it: a lesson half-watched then studied through the
    transcript, 25 credited minutes, a passed quiz, a completion and its certificate."""
    enrolment = enrolment_start(member=member, course=course)
    Enrolment.objects.filter(pk=enrolment.pk).update(started_at=at(D(2026, 6, 2), 9))
    progress = LessonProgress.objects.create(
        enrolment=enrolment,
        lesson=lesson,
        first_opened_at=at(D(2026, 6, 2), 9),
        active_seconds=1500,
        video_coverage={"b1": {"d": 100.0, "r": [[0, 500]]}},  # 50 of 100 seconds
        transcript_chosen_at=at(D(2026, 6, 2), 9, 20),
        completed_at=at(D(2026, 6, 2), 9, 40),
        completion_path=LessonProgress.Path.TRANSCRIPT,
        completed_revision=lesson.live_revision,
    )
    QuizAttempt.objects.create(
        enrolment=enrolment,
        lesson=None,
        questions=[
            {
                "id": "q1",
                "text": "脚立の天板に乗ってよいか",
                "choices": [{"id": "c1", "text": "よい"}, {"id": "c2", "text": "乗らない"}],
                "correct_ids": ["c2"],
                "answered_ids": ["c2"],
                "is_correct": True,
            }
        ],
        score=80,
        passed=True,
        started_at=at(D(2026, 6, 2), 9, 41),
        submitted_at=at(D(2026, 6, 2), 9, 45),
    )
    ScormState.objects.create(
        progress=progress,
        item_identifier="sco-1",
        title="脚立の点検",
        lesson_status="passed",
        score_raw=90,
        score_max=100,
        closed_seconds=600,
        commit_count=3,
        launch_count=1,
        last_commit_at=at(D(2026, 6, 2), 9, 39),
    )
    Enrolment.objects.filter(pk=enrolment.pk).update(
        completed_at=at(D(2026, 6, 2), 9, 45), credited_seconds=1500
    )
    enrolment.refresh_from_db()
    certificate_issue(enrolment=enrolment)
    return progress


@pytest.fixture
def cycle_world(site, organisation, other_organisation):
    """Org A's 2026 cycle on August 5: one member completed on time through e-learning, one
    late at a seminar, one started and overdue, one not started, one exempt, one withdrawn."""
    course = make_course(title="災害防止研修", slug="saigai", issues_certificate=True)
    lesson = make_lesson(course=course, title="熱中症の予防", slug="nechusho")
    campaign = make_campaign(organisation=organisation, slug="saigai-boshi", today=D(2026, 6, 1))
    requirement = make_requirement(campaign=campaign, courses=[course], name="全員")
    people = {
        no: make_member(
            organisation=organisation,
            member_no=no,
            name=name,
            name_kana=kana,
            birth_date=D(1980, 5, 5),
            joined_on=D(2024, 4, 1),
        )
        for no, name, kana in [
            ("A001", "山田　太郎", "ヤマダ　タロウ"),
            ("A002", "佐藤　花子", "サトウ　ハナコ"),
            ("A003", "鈴木　一郎", "スズキ　イチロウ"),
            ("A004", "高橋　次郎", "タカハシ　ジロウ"),
            ("A005", "田中　三郎", "タナカ　サブロウ"),
            ("A006", "伊藤　四郎", "イトウ　シロウ"),
        ]
    }
    _elearning_completion(member=people["A001"], course=course, lesson=lesson)
    complete_course(member=people["A002"], course=course, on=D(2026, 8, 3))
    started = enrolment_start(member=people["A003"], course=course)
    Enrolment.objects.filter(pk=started.pk).update(started_at=at(D(2026, 7, 1), 10))
    question = question_ask(member=people["A001"], course=course, body="熱中症の時の連絡先は？")
    question_answer(
        question=question, answer="事務局 03-0000-0000 へ。", user=make_staff(username="answerer")
    )
    staff = lms_staff("staff-a", [organisation])
    assignments_refresh(organisation=organisation, today=D(2026, 7, 1))
    exemption_grant(
        member=people["A005"], requirement=requirement, reason="診断書により免除", user=staff
    )
    member_withdraws(member=people["A006"], on=D(2026, 6, 15))
    assignments_refresh(organisation=organisation, today=D(2026, 8, 5))
    cycle = campaign.cycles.get(fiscal_year=2026)
    return dict(cycle=cycle, course=course, lesson=lesson, staff=staff, people=people)


def _sheet(workbook, index):
    rows = list(workbook.worksheets[index].iter_rows(values_only=True))
    return rows[0], rows[1:]


def _pack(tmp_path, **options):
    output = tmp_path / "pack.xlsx"
    out = io.StringIO()
    call_command(
        "evidence_pack",
        organisation="test-group",
        campaign="saigai-boshi",
        year=2026,
        output=str(output),
        stdout=out,
        **options,
    )
    return output, out.getvalue()


def _dashboard_figures(client, staff, cycle):
    client.force_login(staff)
    html = client.get(reverse("lms_reports:dashboard"), {"cycle": cycle.pk}).content.decode()
    figures = {}
    for testid in ("required", "completed", "completed-late", "rate"):
        cell = re.search(rf'data-testid="{testid}">(.*?)</td>', html, re.S).group(1)
        figures[testid] = re.sub(r"<[^>]+>|[%,\s]", "", cell)
    return figures


def test_the_pack_s_figures_equal_the_dashboard_s(cycle_world, tmp_path, client):
    output, printed = _pack(tmp_path)
    summary = dict((row[0], row[1]) for row in _sheet(load_workbook(output), 0)[1])
    dashboard = _dashboard_figures(client, cycle_world["staff"], cycle_world["cycle"])

    assert str(summary["受講対象者"]) == dashboard["required"] == "4"
    assert str(summary["期限内に修了"]) == dashboard["completed"] == "1"
    assert str(summary["期限後に修了"]) == dashboard["completed-late"] == "1"
    assert float(summary["修了率"]) == float(dashboard["rate"]) == 50.0
    assert summary["団体名"] == "テスト労災保険センター"
    assert summary["作成者"].startswith("manage.py evidence_pack")
    assert isinstance(summary["集計時点"], datetime.datetime)
    assert "4" in printed and "50.0%" in printed


def test_one_row_per_person_with_what_an_auditor_asks(cycle_world, tmp_path):
    output, _ = _pack(tmp_path)
    headings, rows = _sheet(load_workbook(output), 1)
    assert headings[:5] == ("加入者番号", "氏名", "フリガナ", "生年月日", "団体名")
    people = {row[0]: dict(zip(headings, row, strict=True)) for row in rows}
    assert sorted(people) == ["A001", "A002", "A003", "A004", "A005", "A006"]

    on_time = people["A001"]
    assert on_time["フリガナ"] == "ヤマダ　タロウ"
    assert on_time["生年月日"] == datetime.datetime(1980, 5, 5)
    assert on_time["受講要件"] == "全員"
    assert on_time["期限"] == datetime.datetime(2026, 7, 31)
    assert on_time["開始"] == datetime.datetime(2026, 6, 2, 9, 0)  # JST
    assert on_time["修了"] == datetime.datetime(2026, 6, 2, 9, 45)
    assert on_time["期限内に修了"] == "はい"
    assert on_time["学習時間（分）"] == 25
    assert on_time["テストの得点（点）"] == 80
    assert on_time["テストの合否"] == "はい"
    assert re.fullmatch(r"2026-\w{4}-\w{4}", on_time["証明書番号"])
    assert on_time["修了の方法"] == "eラーニング"

    late = people["A002"]
    assert late["この受講要件の状態"] == "期限後に修了"
    assert late["期限内に修了"] == "いいえ"
    assert late["修了の方法"] == "セミナー"

    assert people["A003"]["この受講要件の状態"] == "期限切れ"
    assert people["A003"]["開始"] == datetime.datetime(2026, 7, 1, 10, 0)
    assert people["A004"]["開始"] is None
    assert people["A005"]["本人の状態（すべての受講要件）"] == "免除"
    assert people["A006"]["本人の状態（すべての受講要件）"] == "脱退"


def test_lessons_quizzes_scorm_and_questions(cycle_world, tmp_path):
    output, _ = _pack(tmp_path)
    workbook = load_workbook(output)
    assert [sheet.title for sheet in workbook.worksheets] == [
        "概要",
        "受講者",
        "レッスン",
        "テストの受験",
        "SCORM 受講記録",
        "質問",
    ]
    headings, rows = _sheet(workbook, 2)
    (lesson,) = [dict(zip(headings, row, strict=True)) for row in rows]
    assert lesson["加入者番号"] == "A001"
    assert lesson["初回表示"] == datetime.datetime(2026, 6, 2, 9, 0)
    assert lesson["学習時間（分）"] == 25
    assert lesson["動画の視聴率（%）"] == 50.0
    assert lesson["文字起こしを選んだ日時"] == datetime.datetime(2026, 6, 2, 9, 20)
    assert lesson["完了の方法"] == "文字起こしとテスト"
    assert str(cycle_world["lesson"].live_revision_id) in lesson["学習したページの版"]

    headings, rows = _sheet(workbook, 3)
    (quiz,) = [dict(zip(headings, row, strict=True)) for row in rows]
    assert (
        quiz["確認テスト"] == "修了テスト" and quiz["得点（点）"] == 80 and quiz["合格"] == "はい"
    )
    assert "脚立の天板に乗ってよいか → 乗らない ○" in quiz["出題と解答"]

    headings, rows = _sheet(workbook, 4)
    (scorm,) = [dict(zip(headings, row, strict=True)) for row in rows]
    assert scorm["SCO"] == "脚立の点検" and scorm["得点（点）"] == 90
    assert scorm["教材が報告した時間（分）"] == 10
    assert scorm["最終保存"] == datetime.datetime(2026, 6, 2, 9, 39)

    headings, rows = _sheet(workbook, 5)
    (question,) = [dict(zip(headings, row, strict=True)) for row in rows]
    assert question["質問内容"] == "熱中症の時の連絡先は？"
    assert question["回答"] == "事務局 03-0000-0000 へ。"
    assert isinstance(question["質問日時"], datetime.datetime)
    assert isinstance(question["回答日時"], datetime.datetime)


def test_with_certificates_the_pack_is_a_zip(cycle_world, tmp_path):
    output = tmp_path / "pack.zip"
    call_command(
        "evidence_pack",
        organisation="test-group",
        campaign="saigai-boshi",
        year=2026,
        output=str(output),
        with_certificates=True,
        stdout=io.StringIO(),
    )
    with zipfile.ZipFile(output) as archive:
        names = archive.namelist()
        (workbook,) = [n for n in names if n.endswith(".xlsx")]
        certificates = sorted(n for n in names if n.startswith("certificates/"))
        assert [name[:29] for name in certificates] == [
            "certificates/A001-certificate",
            "certificates/A002-certificate",
        ]  # the completions that count: on time and late
        assert all(archive.read(name).startswith(b"%PDF") for name in certificates)
        load_workbook(io.BytesIO(archive.read(workbook)))


def test_an_unknown_cycle_is_a_usage_error(cycle_world):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError) as error:
        call_command("evidence_pack", organisation="test-group", campaign="saigai-boshi", year=2031)
    assert error.value.returncode == 2
    assert "2031" in str(error.value)


def test_staff_make_and_download_it_from_the_admin(cycle_world, client, other_organisation):
    cycle, staff = cycle_world["cycle"], cycle_world["staff"]
    client.force_login(staff)
    dashboard = client.get(reverse("lms_reports:dashboard"), {"cycle": cycle.pk}).content.decode()
    add_url = reverse("lms_evidence_pack:add") + f"?cycle={cycle.pk}"
    assert add_url in dashboard.replace("&amp;", "&")
    form = client.get(add_url).content.decode()
    assert f'<option value="{cycle.pk}" selected>' in form

    response = client.post(add_url, {"cycle": cycle.pk}, follow=True)
    pack = EvidencePack.objects.get()
    assert pack.file.storage.__class__.__name__ == "PrivateFileSystemStorage"
    assert pack.created_by == staff and pack.figures["required"] == 4
    download = reverse("members_private_file", args=["lms.evidencepack", pack.pk])
    assert download in response.content.decode()  # in the message and the list

    file = client.get(download)
    assert file.status_code == 200
    assert "no-store" in file["Cache-Control"]
    workbook = load_workbook(io.BytesIO(b"".join(file.streaming_content)))
    summary = dict((row[0], row[1]) for row in _sheet(workbook, 0)[1])
    assert summary["作成者"] == "staff-a"
    actions = list(
        AuditEvent.objects.filter(object_type="lms.evidencepack").values_list("action", "user")
    )
    assert actions.count(("evidence_pack", staff.pk)) == 2  # made, then downloaded

    # another organisation's staff neither see nor download it, nor pick the cycle
    other = lms_staff("staff-b", [other_organisation])
    client.force_login(other)
    assert client.get(download).status_code == 404
    assert pack.file_name not in client.get(reverse("lms_evidence_pack:index")).content.decode()
    refused = client.post(reverse("lms_evidence_pack:add"), {"cycle": cycle.pk})
    assert refused.status_code == 200 and EvidencePack.objects.count() == 1


def test_timestamps_are_tokyo_time(cycle_world, tmp_path):
    moment = timezone.make_aware(datetime.datetime(2026, 8, 5, 23, 30), datetime.UTC)
    from lms.services import evidence_pack_create

    pack = evidence_pack_create(cycle=cycle_world["cycle"], generated_by="test", as_of=moment)
    with pack.file.open("rb") as handle:
        summary = dict(
            (row[0], row[1]) for row in _sheet(load_workbook(io.BytesIO(handle.read())), 0)[1]
        )
    assert summary["集計時点"] == datetime.datetime(2026, 8, 6, 8, 30)
    assert pack.file_name.endswith("-20260806-0830.xlsx")


def test_a_closed_cycle_s_pack_states_the_frozen_results(cycle_world, tmp_path, client):
    """After 確定 a late completion changes the records but neither the dashboard's figures
    nor the pack's: both read the frozen rows."""
    from lms.services import cycle_close

    cycle, people = cycle_world["cycle"], cycle_world["people"]
    cycle_close(cycle=cycle, user=cycle_world["staff"], today=D(2026, 8, 5))
    complete_course(member=people["A004"], course=cycle_world["course"], on=D(2026, 8, 20))
    assignments_refresh(organisation=people["A004"].organisation, today=D(2026, 8, 21))

    output, _ = _pack(tmp_path)
    workbook = load_workbook(output)
    summary = dict((row[0], row[1]) for row in _sheet(workbook, 0)[1])
    dashboard = _dashboard_figures(client, cycle_world["staff"], cycle)
    assert str(summary["受講対象者"]) == dashboard["required"] == "4"
    assert float(summary["修了率"]) == float(dashboard["rate"]) == 50.0
    cycle.refresh_from_db()
    closed = timezone.localtime(cycle.closed_at).replace(tzinfo=None)
    assert abs((summary["集計時点"] - closed).total_seconds()) < 1
    headings, rows = _sheet(workbook, 1)
    people_rows = {row[0]: dict(zip(headings, row, strict=True)) for row in rows}
    assert people_rows["A004"]["この受講要件の状態"] == "期限切れ"  # as frozen
    assert people_rows["A004"]["修了"] is None
