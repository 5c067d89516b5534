"""No export a staff member can download makes a spreadsheet execute a member's data.

Every admin view with Wagtail's SpreadsheetExportMixin (ModelViewSet / SnippetViewSet index
views with list_export, ReportViews) is discovered from the URL configuration and downloaded
as CSV and XLSX while a member is called ``=cmd|' /C calc'!A0`` (and other fields start with
+, -, @, tab and CR). CSV: no cell may start with = + - @ TAB CR (a leading apostrophe or a
space neutralises it). XLSX: no cell may be a formula (Wagtail stores such text as a string).
"""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
FORMULA = "=cmd|' /C calc'!A0"


def _walk(patterns, prefix="", namespace=None):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield name, entry


def export_views():
    from wagtail.admin.views.mixins import SpreadsheetExportMixin

    found = []
    try:
        patterns = list(_walk(get_resolver().url_patterns))
    except Exception:  # the URL configuration does not import: test_permission_matrix says so
        return found
    for name, pattern in patterns:
        view_class = getattr(pattern.callback, "view_class", None)
        if not (view_class and issubclass(view_class, SpreadsheetExportMixin)):
            continue
        if pattern.pattern.regex.groups or not name or name.endswith("_results"):
            continue
        if not getattr(view_class, "list_export", None) and not hasattr(
            view_class, "get_list_export"
        ):
            continue
        found.append(name)
    return sorted(set(found))


EXPORTS = export_views()


@pytest.fixture
def hostile_world(db):
    from tests.factories import make_member, make_organisation
    from tests.factories.quality import make_office_staff

    org = make_organisation(slug="inject")
    make_member(
        organisation=org,
        member_no="@000001",
        name=FORMULA,
        name_kana="+カナ",
        email="inject@example.jp",
        occupation="-2+3",
        business_name="@SUM(1+1)*cmd|' /C calc'!A0",
        address="\t=1+1",
        work_type="\r=1+1",
        joined_on=datetime.date(2024, 4, 1),
    )
    staff = make_office_staff(username="exporter", organisations=[org])
    staff.is_superuser = True
    staff.save()
    return staff


def _cells_csv(content: bytes):
    text = content.decode("utf-8-sig")
    for row in csv.reader(io.StringIO(text)):
        yield from row


@pytest.mark.django_db
@pytest.mark.parametrize("name", EXPORTS or ["(none)"])
def test_exports_never_start_a_cell_with_a_formula(client, hostile_world, name):
    from django.urls import reverse

    if name == "(none)":
        pytest.skip("no spreadsheet export view is registered in the admin yet")
    client.force_login(hostile_world)
    url = reverse(name)
    response = client.get(url, {"export": "csv"})
    if response.status_code != 200:
        pytest.skip(f"{url}?export=csv answered {response.status_code} without filters")
    content = b"".join(response.streaming_content) if response.streaming else response.content
    bad = [c for c in _cells_csv(content) if c.startswith(DANGEROUS)]
    assert not bad, f"{url}?export=csv has cells a spreadsheet would execute: {bad[:5]}"

    response = client.get(url, {"export": "xlsx"})
    assert response.status_code == 200
    from openpyxl import load_workbook

    content = b"".join(response.streaming_content) if response.streaming else response.content
    book = load_workbook(io.BytesIO(content))
    formulas = [
        cell.coordinate
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]
    assert not formulas, f"{url}?export=xlsx has formula cells: {formulas[:5]}"


@pytest.mark.django_db
def test_the_member_export_contains_the_hostile_member(client, hostile_world):
    """The check above is not vacuous: the members list export does carry the hostile name."""
    from django.urls import reverse

    member_exports = [n for n in EXPORTS if "member" in n and "index" in n]
    if not member_exports:
        pytest.skip("no members list export yet (members viewset with list_export)")
    client.force_login(hostile_world)
    response = client.get(reverse(member_exports[0]), {"export": "csv"})
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert "cmd|" in content.decode("utf-8-sig")
