"""Query budgets of the sign-in by code (bench/load.py: 2,000 members sign in within 10
minutes). The budgets count the session reads and writes (database sessions in the test
settings) and the first sign-in, which creates the member's login user."""

import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

REQUEST = reverse("account_request_login_code")
CONFIRM = reverse("account_confirm_login_code")

# the page: Wagtail's Site of the request, the newsletter archive's page for the menu, the
# organisation's office contact (shown to everyone), and once per process the content types
REQUEST_PAGE_BUDGET = 4
REQUEST_CODE_BUDGET = 13
CONFIRM_CODE_BUDGET = 14


def _code(message) -> str:
    match = re.search(r"^\s+([0-9]{6})\s*$", message.body, re.MULTILINE)
    assert match, message.body
    return match.group(1)


@pytest.mark.django_db
@pytest.mark.parametrize("visit", ["first", "again"])
def test_sign_in_by_code_is_a_fixed_small_number_of_queries(client, member, visit):
    if visit == "again":  # the login user exists from an earlier sign-in
        client.post(REQUEST, {"email": member.email})
        client.post(CONFIRM, {"code": _code(mail.outbox[-1])})
        client.logout()
    with CaptureQueriesContext(connection) as page:
        assert client.get(REQUEST).status_code == 200
    with CaptureQueriesContext(connection) as request_code:
        assert client.post(REQUEST, {"email": member.email}).status_code == 302
    with CaptureQueriesContext(connection) as confirm:
        assert client.post(CONFIRM, {"code": _code(mail.outbox[-1])}).status_code == 302
    assert len(page) <= REQUEST_PAGE_BUDGET
    assert len(request_code) <= REQUEST_CODE_BUDGET, [
        q["sql"][:80] for q in request_code.captured_queries
    ]
    assert len(confirm) <= CONFIRM_CODE_BUDGET, [q["sql"][:80] for q in confirm.captured_queries]
