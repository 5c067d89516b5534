"""No export a staff member can download makes a spreadsheet execute somebody's data.

Every admin view with Wagtail's SpreadsheetExportMixin (ModelViewSet / SnippetViewSet index
views given ``list_export``, ReportViews) is discovered from the URL configuration, so a new
export is covered without editing this file: each is downloaded as CSV and XLSX from a world
where a member, a course, a campaign, a question, a mailing ... carry formula-like text
(``=cmd|' /C calc'!A0``, ``+``, ``-``, ``@``, tab, CR and the full-width ``＝＋－＠``).

* CSV: no cell may start with one of those (members.exports puts an apostrophe in front;
  numbers such as ``-3`` are allowed).
* XLSX: no cell is a formula, and formula-like text carries Excel's quote prefix.
* Every export of our apps uses members.exports.SafeSpreadsheetExportMixin and actually
  carries the hostile data (so the checks are not vacuous).
The management commands' CSV (roster_report, completion_report) follow the same rule.
"""

from __future__ import annotations

import csv
import datetime
import io
import re

import pytest
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from members.exports import (
    FORMULA_STARTS,
    SafeSpreadsheetExportMixin,
    is_formula_like,
    neutralise_formula,
    safe_csv_row,
)

FORMULA = "=cmd|' /C calc'!A0"
OUR_APPS = ("members.", "courses.", "lms.", "mailings.")
NUMBER = re.compile(r"^-?\d+(\.\d+)?%?$")
# Text that only the hostile world contains: an export of ours must carry one of them.
MARKERS = ("cmd|", "HYPERLINK", "SUM(", "＝危険", "-2+3")


def _walk(patterns, namespace=None):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield name, entry


def _list_export(pattern):
    """list_export of a view: on the class (ReportView) or given to as_view() (viewsets)."""
    callback = pattern.callback
    view_class = getattr(callback, "view_class", None)
    initkwargs = getattr(callback, "view_initkwargs", None) or {}
    return initkwargs.get("list_export") or getattr(view_class, "list_export", None)


def export_views() -> dict[str, type]:
    """{URL name: view class} of every spreadsheet export without URL arguments."""
    from wagtail.admin.views.mixins import SpreadsheetExportMixin

    found = {}
    for name, pattern in _walk(get_resolver().url_patterns):
        view_class = getattr(pattern.callback, "view_class", None)
        if not (view_class and issubclass(view_class, SpreadsheetExportMixin)):
            continue
        if pattern.pattern.regex.groups or not name or name.endswith("_results"):
            continue
        if not _list_export(pattern):
            continue
        found[name] = view_class
    return dict(sorted(found.items()))


EXPORTS = export_views()
OUR_EXPORTS = [n for n, cls in EXPORTS.items() if cls.__module__.startswith(OUR_APPS)]
# Query strings that put the hostile rows in range of a report's default filters.
PARAMS = {"members_movements": {"month_from": "2024-04", "month_to": "2024-04"}}


@pytest.fixture
def hostile_world(db):
    """One organisation where everything typed by a member or by staff is hostile."""
    from courses.models import Certificate
    from courses.services import certificate_issue, question_ask
    from lms.services import assignments_refresh
    from mailings.models import ReminderDelivery, ReminderSchedule, Suppression
    from tests.factories import make_member, make_organisation
    from tests.factories.lms import complete_course, make_campaign, make_course, make_requirement
    from tests.factories.mailings import make_notice_mailing
    from tests.factories.quality import make_office_staff

    org = make_organisation(slug="inject")
    member = make_member(
        organisation=org,
        member_no="@000001",
        name=FORMULA,
        name_kana="+カナ",
        email="inject@example.jp",
        occupation="-2+3",
        business_name="@SUM(1+1)*cmd|' /C calc'!A0",
        address="\t=1+1",
        work_type="\r=1+1",
        phone="＝危険",
        joined_on=datetime.date(2024, 4, 1),
    )
    staff = make_office_staff(username="exporter", organisations=[org])
    staff.is_superuser = True
    staff.save()

    late = make_member(  # never starts: overdue and not-started lists
        organisation=org, name="+HYPERLINK 二郎", email="late@example.jp",
        joined_on=datetime.date(2024, 4, 1),
    )  # fmt: skip
    course = make_course(
        title='=HYPERLINK("http://evil.example/","研修")', organisation=org, issues_certificate=True
    )
    campaign = make_campaign(
        organisation=org, name="+HYPERLINK キャンペーン", today=datetime.date(2026, 6, 1)
    )
    requirement = make_requirement(campaign=campaign, courses=[course], name="-HYPERLINK 必須")
    assignments_refresh(organisation=org, today=datetime.date(2026, 6, 1))
    enrolment = complete_course(member=member, course=course, on=datetime.date(2026, 6, 10))
    if not Certificate.objects.filter(enrolment=enrolment).exists():
        certificate_issue(enrolment=enrolment)
    # joined late in the window, still within their own due date on Aug 3: the not-started
    # and in-progress lists of people
    for name, starts in (("=HYPERLINK 三郎", False), ("+HYPERLINK 四郎", True)):
        joiner = make_member(
            organisation=org, name=name, email=f"{starts}@example.jp",
            joined_on=datetime.date(2026, 7, 20),
        )  # fmt: skip
        if starts:
            from courses.services import enrolment_start

            enrolment_start(member=joiner, course=course)
    assignments_refresh(organisation=org, today=datetime.date(2026, 8, 3))
    assert requirement.assignments.filter(member=late, status="overdue").exists()
    question_ask(member=member, body="@SUM(1+1) 質問", course=course)
    _scorm_attempt(course=course, enrolment=enrolment)

    mailing = make_notice_mailing(
        organisation=org, members=[member], subject="=HYPERLINK 研修のお知らせ"
    )
    Suppression.objects.create(
        organisation=org, email="bounce@example.jp", reason="bounce", source="import",
        detail="=cmd|' /C calc'!A0",
    )  # fmt: skip
    ReminderSchedule.objects.get_or_create(campaign=campaign)
    ReminderDelivery.objects.create(
        assignment=requirement.assignments.first(),
        step="before_due:7",
        state="skipped",
        reason="＝危険 skipped",
        recipient=mailing.recipients.first(),
    )
    from members.audit import AuditEvent, audit_log

    audit_log(user=staff, action=AuditEvent.Action.VIEW_MEMBER, obj=member)
    from members.models import PersonalDataRequest

    PersonalDataRequest.objects.create(
        organisation=org, member=member, kind=PersonalDataRequest.Kind.CORRECTION,
        details="=HYPERLINK 住所の訂正", staff_notes="+cmd 回答済み",
    )  # fmt: skip
    return staff


def _scorm_attempt(*, course, enrolment):
    """A SCORM lesson whose SCO is titled by the package's vendor, played by the member."""
    from courses.scorm.services import scorm_launch, scorm_lesson_create, scorm_package_check
    from tests.factories import scorm

    manifest = scorm.manifest_xml(
        items=scorm.item_xml("SCO1", "=HYPERLINK(1) 教材", ref="RES1"),
        resources=scorm.resource_xml("RES1", "index.html"),
    )
    data = scorm.single_sco_package(manifest=manifest)
    lesson = scorm_lesson_create(
        course=course, checked=scorm_package_check(fileobj=io.BytesIO(data), file_name="x.zip")
    )
    scorm_launch(enrolment=enrolment, lesson=lesson, item=lesson.package.items.get())


def _content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _csv_cells(content: bytes):
    text = content.decode("utf-8-sig")
    for row in csv.reader(io.StringIO(text)):
        yield from row


def _xlsx_cells(content: bytes):
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            yield from row


# --- the helper ------------------------------------------------------------------------------


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_formula_like_text_gets_an_apostrophe(start):
    assert neutralise_formula(f"{start}1+1") == f"'{start}1+1"


@pytest.mark.parametrize(
    "value", ["山田", "", "1+1", "'=1", " =1", None, -3, 2.5, datetime.date.today()]
)
def test_other_values_are_left_alone(value):
    assert neutralise_formula(value) == value


def test_full_width_signs_are_formula_like():
    assert [is_formula_like(s) for s in ("＝SUM(A1)", "＋1", "－1", "＠x", "ａ")] == [
        True, True, True, True, False,
    ]  # fmt: skip
    assert safe_csv_row(["=1", 3, "x"]) == ["'=1", 3, "x"]


# --- every export view ------------------------------------------------------------------


def test_exports_are_discovered():
    """The discovery sees the viewsets' exports (list_export given to as_view) and reports."""
    for name in ("member:index", "lms_reports:learners", "mailings_suppression:index"):
        assert name in EXPORTS, sorted(EXPORTS)


@pytest.mark.parametrize("name", OUR_EXPORTS)
def test_our_exports_use_the_shared_neutraliser(name):
    assert issubclass(EXPORTS[name], SafeSpreadsheetExportMixin), (
        f"{name} ({EXPORTS[name].__module__}.{EXPORTS[name].__qualname__}) exports a spreadsheet "
        "without members.exports.SafeSpreadsheetExportMixin"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(EXPORTS))
def test_exports_never_start_a_cell_with_a_formula(client, hostile_world, name):
    client.force_login(hostile_world)
    url = reverse(name)
    params = PARAMS.get(name, {})
    response = client.get(url, {**params, "export": "csv"})
    if response.status_code != 200 and name not in OUR_EXPORTS:
        pytest.skip(f"{url}?export=csv answered {response.status_code} without filters")
    assert response.status_code == 200, url
    cells = list(_csv_cells(_content(response)))
    bad = [c for c in cells if c.startswith(FORMULA_STARTS) and not NUMBER.match(c)]
    assert not bad, f"{url}?export=csv has cells a spreadsheet would execute: {bad[:5]}"
    if name in OUR_EXPORTS:
        assert any(m in c for c in cells for m in MARKERS), (
            f"{url}?export=csv carries none of the hostile data: the check would be vacuous"
        )
        assert any(c.startswith("'") for c in cells), f"{url}?export=csv neutralised nothing"

    response = client.get(url, {**params, "export": "xlsx"})
    assert response.status_code == 200
    cells = list(_xlsx_cells(_content(response)))
    formulas = [c.coordinate for c in cells if c.data_type == "f"]
    assert not formulas, f"{url}?export=xlsx has formula cells: {formulas[:5]}"
    unquoted = [
        (c.coordinate, c.value)
        for c in cells
        if is_formula_like(c.value) and not (c.data_type == "s" and c.quotePrefix)
    ]
    assert not unquoted, f"{url}?export=xlsx has formula-like text without quote prefix"
    if name in OUR_EXPORTS:
        texts = [c.value for c in cells if isinstance(c.value, str)]
        assert any(m in t for t in texts for m in MARKERS), f"{url}?export=xlsx is vacuous"


@pytest.mark.django_db
def test_the_member_export_keeps_the_hostile_name_readable(client, hostile_world):
    """Neutralised, not mangled: the CSV cell is the name behind one apostrophe."""
    client.force_login(hostile_world)
    response = client.get(reverse("member:index"), {"export": "csv"})
    content = _content(response)
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM for Japanese Excel
    cells = list(_csv_cells(content))
    assert "'" + FORMULA in cells
    assert "'＝危険" in cells
    response = client.get(reverse("member:index"), {"export": "xlsx"})
    values = [c.value for c in _xlsx_cells(_content(response))]
    assert FORMULA in values


@pytest.mark.django_db
def test_wagtails_own_exports_are_neutralised_too(client, hostile_world):
    """Wagtail's site history lists the hostile course title an editor typed."""
    client.force_login(hostile_world)
    url = reverse("wagtailadmin_reports:site_history")
    cells = list(_csv_cells(_content(client.get(url, {"export": "csv"}))))
    assert any(c.startswith("'=HYPERLINK") for c in cells), cells[:20]
    values = [c.value for c in _xlsx_cells(_content(client.get(url, {"export": "xlsx"})))]
    assert any(str(v).startswith("=HYPERLINK") for v in values)


# --- management commands --------------------------------------------------------------------


@pytest.mark.django_db
def test_roster_report_csv_is_neutralised(hostile_world):
    out = io.StringIO()
    call_command("roster_report", organisation="inject", month="2024-04", format="csv", stdout=out)
    cells = list(csv.reader(io.StringIO(out.getvalue())))
    flat = [c for row in cells for c in row]
    assert "'" + FORMULA in flat
    assert not [c for c in flat if c.startswith(FORMULA_STARTS) and not NUMBER.match(c)]


@pytest.mark.django_db
def test_completion_report_csv_is_neutralised(hostile_world):
    from lms.models import Campaign

    campaign = Campaign.objects.get(organisation__slug="inject")
    out = io.StringIO()
    call_command(
        "completion_report",
        organisation="inject",
        campaign=campaign.slug,
        year="2026",
        by="occupation",
        format="csv",
        stdout=out,
    )
    flat = [c for row in csv.reader(io.StringIO(out.getvalue())) for c in row]
    assert "'-2+3" in flat, flat
    assert not [c for c in flat if c.startswith(FORMULA_STARTS) and not NUMBER.match(c)]
