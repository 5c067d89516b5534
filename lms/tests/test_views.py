"""マイ研修, the staff screens and reports, and the command line: what users see."""

import csv
import datetime
import io
import json

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from lms.models import Assignment, Elective, Requirement
from lms.services import assignments_refresh
from members.models import Occupation
from tests.factories import make_member, make_staff
from tests.factories.lms import complete_course, make_campaign, make_course, make_requirement

D = datetime.date
pytestmark = pytest.mark.django_db


def lms_staff(username, organisations):
    user = make_staff(username=username, organisations=organisations)
    user.groups.first().permissions.add(*Permission.objects.filter(content_type__app_label="lms"))
    return user


@pytest.fixture
def site(db):
    from training_site.demo import seed_site

    return seed_site(stdout=io.StringIO())


@pytest.fixture
def world(site, organisation, other_organisation, django_user_model):
    """Org A and org B, each with a 2026 campaign, a requirement and two members."""
    out = {}
    for key, org in (("A", organisation), ("B", other_organisation)):
        course = make_course(title=f"災害防止研修{key}", slug=f"saigai-{key.lower()}")
        campaign = make_campaign(organisation=org, slug="saigai-boshi", today=D(2026, 6, 1))
        requirement = make_requirement(campaign=campaign, courses=[course], name=f"全員{key}")
        done = make_member(
            organisation=org, name=f"修了　{key}", member_no=f"{key}001", joined_on=D(2024, 4, 1),
            prefecture="13",
        )  # fmt: skip
        todo = make_member(
            organisation=org, name=f"未受講　{key}", member_no=f"{key}002", joined_on=D(2024, 4, 1),
            prefecture="27",
        )  # fmt: skip
        complete_course(member=done, course=course, on=D(2026, 6, 10))
        assignments_refresh(organisation=org, today=D(2026, 8, 5))
        cycle = campaign.cycles.get(fiscal_year=2026)
        out[key] = dict(
            org=org, course=course, campaign=campaign, requirement=requirement, done=done,
            todo=todo, cycle=cycle, staff=lms_staff(f"staff-{key.lower()}", [org]),
        )  # fmt: skip
    return out


# --- マイ研修 -------------------------------------------------------------------------------


def member_client(client, member, django_user_model):
    user = django_user_model.objects.create_user(username=f"u{member.pk}", email=member.email)
    member.user = user
    member.save()
    client.force_login(user)
    return client


def test_my_training_needs_sign_in(client):
    response = client.get("/my/")
    assert response.status_code == 302
    assert "/accounts/login" in response["Location"]


def test_my_training_shows_what_is_required_and_a_continue_button(client, world, django_user_model):
    a = world["A"]
    carpenter = Occupation.objects.create(organisation=a["org"], name="大工")
    a["todo"].occupation = "大工"
    a["todo"].save()
    elective = make_course(title="足場の安全")
    Elective.objects.create(organisation=a["org"], course=elective).occupations.add(carpenter)
    make_course(title="他の職種向け")  # not offered
    member_client(client, a["todo"], django_user_model)
    response = client.get("/my/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "全員A" in html and "期限切れ" in html  # overdue on Aug 5
    assert 'data-testid="continue"' in html and a["course"].url in html
    assert "足場の安全" in html and "他の職種向け" not in html
    assert "全員B" not in html


def test_every_link_on_my_training_opens_for_the_member(client, world, django_user_model):
    """No dead end: each link of マイ研修 (the questions section's 「質問する」 once answered
    405 to a click) opens a page for the member who sees it."""
    import re

    a = world["A"]
    from courses.services import question_ask

    question_ask(member=a["todo"], body="修了証はいつ届きますか", course=None)
    member_client(client, a["todo"], django_user_model)
    html = client.get("/my/").content.decode()
    main = html[html.index("<main") : html.index("</main>")]
    links = {h.split("#")[0] for h in re.findall(r'<a [^>]*href="(/[^"]*)"', main)}
    assert reverse("courses:faq") in links and a["course"].url in links
    for url in sorted(links):
        response = client.get(url)
        assert response.status_code == 200, f"{url} answers {response.status_code}"


def test_my_training_lists_completions_by_year(client, world, django_user_model):
    a = world["A"]
    complete_course(member=a["done"], course=make_course(title="昨年の研修"), on=D(2025, 6, 10))
    member_client(client, a["done"], django_user_model)
    html = client.get("/my/").content.decode()
    assert "2026年度" in html and "2025年度" in html and "昨年の研修" in html
    assert "修了" in html


def test_my_training_query_count_does_not_grow(client, world, django_user_model):
    a = world["A"]
    member_client(client, a["done"], django_user_model)
    client.get("/my/")  # warm the site-root cache
    with CaptureQueriesContext(connection) as few:
        assert client.get("/my/").status_code == 200
    # more courses, more requirements and more years of completions
    for year in (2022, 2023, 2024, 2025):
        course = make_course()
        complete_course(member=a["done"], course=course, on=D(year, 6, 10))
        make_requirement(campaign=a["campaign"], courses=[course, make_course()], name=str(year))
        Elective.objects.create(organisation=a["org"], course=make_course())
    assignments_refresh(organisation=a["org"], today=D(2026, 8, 5))
    with CaptureQueriesContext(connection) as many:
        assert client.get("/my/").status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


# --- admin: preview, scope ------------------------------------------------------------------


def test_staff_preview_the_audience_before_saving(client, world):
    a = world["A"]
    client.force_login(a["staff"])
    url = reverse("lms_requirement:add")
    data = {
        "campaign": a["campaign"].pk,
        "name": "東京都の加入者",
        "description": "",
        "courses": [a["course"].pk],
        "completion_rule": "any",
        "is_active": "on",
        "sort_order": "0",
        "rules-TOTAL_FORMS": "1",
        "rules-INITIAL_FORMS": "0",
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "1000",
        "rules-0-prefectures": ["13"],
        "rules-0-work_types": "",
        "rules-0-ORDER": "1",
        "rules-0-id": "",
        "rules-0-DELETE": "",
        "preview_audience": "1",
    }
    response = client.post(url, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "1 人が該当します" in html
    assert "修了　A" in html and "未受講　A" not in html and "修了　B" not in html
    assert not Requirement.objects.filter(name="東京都の加入者").exists()
    del data["preview_audience"]
    response = client.post(url, data)
    assert response.status_code == 302
    saved = Requirement.objects.get(name="東京都の加入者")
    assert list(saved.rules.values_list("prefectures", flat=True)) == [["13"]]


def test_staff_of_a_cannot_open_b(client, world):
    a, b = world["A"], world["B"]
    client.force_login(a["staff"])
    assert (
        client.get(reverse("lms_requirement:edit", args=[b["requirement"].pk])).status_code == 404
    )
    assert client.get(reverse("lms_campaign:edit", args=[b["campaign"].pk])).status_code == 404
    assert client.get(reverse("lms_reports:transcript", args=[b["done"].pk])).status_code == 404
    assert client.get(reverse("lms_reports:transcript", args=[a["done"].pk])).status_code == 200
    listing = client.get(reverse("lms_requirement:index")).content.decode()
    assert "全員A" in listing and "全員B" not in listing
    # B's cycle in the dashboard's query string is not a valid choice: A's own is shown
    html = client.get(reverse("lms_reports:dashboard"), {"cycle": b["cycle"].pk}).content.decode()
    assert "全員B" not in html


def test_exports_are_scoped_and_parse(client, world):
    a = world["A"]
    client.force_login(a["staff"])
    url = reverse("lms_reports:assignments")
    response = client.get(url, {"export": "csv"})
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0][0] == "加入者番号"
    numbers = {r[0] for r in rows[1:]}
    assert numbers == {"A001", "A002"}
    statuses = {r[0]: r[10] for r in rows[1:]}
    assert statuses == {"A001": "修了", "A002": "期限切れ"}
    response = client.get(reverse("lms_reports:overdue"), {"export": "xlsx"})
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook["期限切れ"]
    rows = list(sheet.values)
    organisation, report, as_of = rows[0][:3]
    assert (organisation, report) == (a["org"].name, "期限切れ")
    assert isinstance(as_of, datetime.datetime)
    assert rows[1][:2] == ("加入者番号", "氏名")
    assert [r[0] for r in rows[2:]] == ["A002"]
    assert sheet.freeze_panes == "A3" and sheet.auto_filter.ref == "A2:I3"
    assert sheet.column_dimensions["B"].width >= 12
    due = rows[1].index("期限")
    assert rows[2][due] == datetime.datetime(2026, 7, 31)  # a real date, not text
    assert sheet.cell(row=3, column=due + 1).number_format == "yyyy/mm/dd"
    learners = client.get(reverse("lms_reports:learners"), {"export": "csv", "fiscal_year": 2026})
    text = b"".join(learners.streaming_content).decode("utf-8")
    assert "A001" in text and "B001" not in text and "セミナー" in text


def test_dashboard_numbers(client, world):
    a = world["A"]
    client.force_login(a["staff"])
    response = client.get(reverse("lms_reports:dashboard"), {"cycle": a["cycle"].pk})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="required">2<' in html
    assert 'data-testid="rate"><strong>50.0%' in html
    assert "東京都" in html and "<polyline" in html


def test_other_staff_without_organisation_see_nothing(client, world):
    nobody = lms_staff("nobody", [])
    client.force_login(nobody)
    response = client.get(reverse("lms_reports:assignments"), {"export": "csv"})
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.count("\n") == 1  # the heading only


# --- command line -------------------------------------------------------------------------


def test_completion_report_command_has_the_dashboards_numbers(world):
    out = io.StringIO()
    call_command(
        "completion_report", organisation="test-group", campaign="saigai-boshi", year=2026,
        by="prefecture", format="json", stdout=out,
    )  # fmt: skip
    data = json.loads(out.getvalue())
    total = data["rows"][0]
    assert (total["required"], total["completed"], total["overdue"], total["rate"]) == (
        2, 1, 1, 50.0,
    )  # fmt: skip
    assert {r["label"] for r in data["rows"][1:]} == {"東京都", "大阪府"}
    assert [(r["label"], r["required"]) for r in data["requirements"]] == [("全員A", 2)]
    assert Assignment.objects.count() == 4  # B's rows exist but are not counted


def test_completion_report_unknown_cycle_is_a_clear_error(world):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="2031"):
        call_command(
            "completion_report", organisation="test-group", campaign="saigai-boshi", year=2031
        )


def test_staff_type_cycle_dates_in_wareki_in_the_admin(client, organisation):
    campaign = make_campaign(organisation=organisation, cycles=False)
    client.force_login(lms_staff("wareki-staff", [organisation]))
    response = client.post(
        reverse("lms_cycle:add"),
        {
            "campaign": campaign.pk,
            "name": "2027年度",
            "fiscal_year": 2027,
            "opens_on": "令和9年6月1日",
            "due_on": "R9.7.31",
            "closes_on": "2028/3/31",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    cycle = campaign.cycles.get(name="2027年度")
    assert (cycle.opens_on, cycle.due_on, cycle.closes_on) == (
        D(2027, 6, 1),
        D(2027, 7, 31),
        D(2028, 3, 31),
    )
    response = client.post(
        reverse("lms_cycle:add"),
        {"campaign": campaign.pk, "name": "x", "fiscal_year": 2027, "opens_on": "令和9年2月30日"},
    )
    assert response.status_code == 200
    assert "R8.6.10 のように日付を入力してください" in response.content.decode()


def test_the_course_list_shows_this_years_status_as_my_training_does(
    client, world, django_user_model
):
    a = world["A"]
    complete_course(member=a["todo"], course=a["course"], on=D(2025, 6, 10))  # last year's
    member_client(client, a["todo"], django_user_model)
    my_training = client.get("/my/").content.decode()
    assert "期限切れ" in my_training and "0% 完了" in my_training.replace("\n", "")
    listing = client.get(a["course"].get_parent().url)
    row = next(r for r in listing.context["rows"] if r["course"].pk == a["course"].pk)
    assert not row["progress"].completed and row["progress"].percent == 0
    html = listing.content.decode()
    assert "前回の修了日：2025年6月10日" in html
    assert "今年度の受講はこれからです" in html
