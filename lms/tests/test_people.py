"""Counting people: one status per person from all their requirements, figures that link to
exactly the rows they count, and the command line agreeing with the dashboard."""

import csv
import datetime
import io
import json
import re
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.urls import reverse

from lms import selectors
from lms.models import PERSON_PRECEDENCE, Assignment, CycleResult
from lms.services import assignments_refresh

from .test_views import lms_staff

D = datetime.date
Status = Assignment.Status
pytestmark = pytest.mark.django_db


def refresh(campaign, day):
    assignments_refresh(organisation=campaign.organisation, today=day)


def test_each_person_counted_once_by_the_precedence(campaign_of_two):
    campaign, cycle = campaign_of_two["campaign"], campaign_of_two["cycle"]
    refresh(campaign, D(2026, 7, 10))
    assert Assignment.objects.filter(cycle=cycle).count() == 12
    statuses = dict(selectors.person_statuses(cycle=cycle).values_list("member_no", "status"))
    assert statuses == {
        "001": Status.COMPLETED,
        "002": Status.ASSIGNED,  # not started > completed
        "003": Status.ASSIGNED,  # not started > in progress
        "004": Status.IN_PROGRESS,
        "005": Status.WITHDRAWN,
        "006": Status.ASSIGNED,
    }
    summary = selectors.cycle_summary(cycle=cycle)
    assert (summary.total, summary.required, summary.completed, summary.rate) == (6, 5, 1, 20.0)
    # after the due date: anyone with a requirement still open is overdue, and only overdue
    refresh(campaign, D(2026, 8, 5))
    summary = selectors.cycle_summary(cycle=cycle)
    assert summary.counts == {
        Status.COMPLETED: 1, Status.OVERDUE: 4, Status.WITHDRAWN: 1,
    }  # fmt: skip
    assert selectors.members_with_status(cycle=cycle, status=Status.OVERDUE).count() == 4
    assert not selectors.members_with_status(cycle=cycle, status=Status.ASSIGNED).exists()
    # per requirement, the other table: 12 requirements, not people
    rows = {r.label: r for r in selectors.requirement_summaries(cycle=cycle)}
    assert {label: r.total for label, r in rows.items()} == {"基礎研修": 6, "応用研修": 6}
    assert rows["基礎研修"].completed == 2 and rows["応用研修"].completed == 1


def test_precedence_is_documented_on_the_dashboard(client, campaign_of_two, organisation):
    refresh(campaign_of_two["campaign"], D(2026, 7, 10))
    client.force_login(lms_staff("people-staff", [organisation]))
    html = client.get(reverse("lms_reports:dashboard")).content.decode()
    labels = " &gt; ".join(str(Status(s).label) for s in PERSON_PRECEDENCE)
    assert labels in html
    assert (
        "脱退 &gt; 免除 &gt; 期限切れ &gt; 未受講 &gt; 受講中 &gt; 期限後に修了 &gt; 修了" in html
    )
    assert 'data-testid="required">5<' in html


class Links(HTMLParser):
    """Every link of the page that carries the figure it shows (data-count)."""

    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and "data-count" in attrs:
            self.links.append((attrs["href"], int(attrs["data-count"])))


def listed_member_numbers(client, url) -> list[str]:
    """The list's rows, read from its CSV export (the same queryset as the page)."""
    response = client.get(url + "&export=csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return [row[0] for row in list(csv.reader(io.StringIO(body)))[1:]]


@pytest.mark.parametrize("day", [D(2026, 7, 10), D(2026, 8, 5)])
def test_every_figure_links_to_exactly_the_rows_it_counts(
    client, campaign_of_two, organisation, day
):
    refresh(campaign_of_two["campaign"], day)
    client.force_login(lms_staff("links-staff", [organisation]))
    html = client.get(reverse("lms_reports:dashboard")).content.decode()
    parser = Links()
    parser.feed(html)
    assert len(parser.links) >= 8 + 4  # the people figures and some of the breakdowns
    for url, count in parser.links:
        url = url.replace("&amp;", "&")
        assert len(listed_member_numbers(client, url)) == count, url
        page = client.get(url).content.decode()
        # each row's name links to the person's training record
        assert len(set(re.findall(r'href="/admin/lms/reports/transcripts/(\d+)/"', page))) == count
        if count:  # the count under the list is of people, not of the rows' model
            assert re.search(rf'class="pagination__end">\s*{count} 人\s*<', page), url
    overdue = set(listed_member_numbers(client, reverse("lms_reports:overdue") + "?x=1"))
    not_started = set(listed_member_numbers(client, reverse("lms_reports:not_started") + "?x=1"))
    assert not overdue & not_started


def test_completion_report_counts_people(campaign_of_two):
    refresh(campaign_of_two["campaign"], D(2026, 8, 5))
    out = io.StringIO()
    call_command(
        "completion_report", organisation="test-group", campaign="saigai-boshi", year=2026,
        by="occupation", format="json", stdout=out,
    )  # fmt: skip
    data = json.loads(out.getvalue())
    total = data["rows"][0]
    assert total["label"] == "合計"
    people = CycleResult.objects.filter(cycle=campaign_of_two["cycle"]).count()
    statuses = [s for s in Status.values]
    assert sum(total[s] for s in statuses) == people == 6  # the status keys partition them
    assert total["required"] == people - total["withdrawn"] - total["exempt"] == 5
    by_occupation = {r["label"]: r["required"] for r in data["rows"][1:]}
    assert by_occupation == {"大工": 2, "電気工": 2, "不明": 1}
    assert {r["label"]: r["required"] for r in data["requirements"]} == {
        "基礎研修": 5, "応用研修": 5,
    }  # fmt: skip
