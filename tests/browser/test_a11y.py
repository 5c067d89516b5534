"""axe-core over the member pages in a real browser: 0 violations at WCAG 2.1 AA.

The site is the demo (``seed_demo``: the real courses, lessons with video and quizzes, the
newsletter archive), seeded once per module and signed in as the demo member. A page of PAGES
that cannot be found (no URL, no such demo page) fails the test; add a page by adding a line.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable

import pytest
from django.urls import NoReverseMatch, reverse

from tests.browser.conftest import PHONE

pytestmark = pytest.mark.django_db(transaction=True)

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
DEMO_MEMBER_EMAIL = "demo.member@example.jp"


@dataclasses.dataclass(frozen=True)
class Target:
    name: str
    signed_in: bool
    url_names: tuple = ()  # the first that reverses is used
    page_type: str = ""  # or the first live page of this type …
    page_filter: Callable | None = None  # … that passes this filter


def _has_block(block_type):
    def check(page):
        return any(block.block_type == block_type for block in getattr(page, "body", []) or [])

    return check


PAGES = [
    Target("home", False, ("wagtail_serve",)),
    Target("sign-in", False, ("account_request_login_code",)),
    Target("home-signed-in", True, ("wagtail_serve",)),
    Target("my-training", True, ("lms:my_training",)),
    Target("course-index", True, page_type="courses.CourseIndexPage"),
    Target("course", True, page_type="courses.CoursePage"),
    Target("lesson", True, page_type="courses.LessonPage"),
    Target(
        "lesson-with-video", True, page_type="courses.LessonPage", page_filter=_has_block("video")
    ),
    Target("quiz", True, page_type="courses.LessonPage", page_filter=_has_block("quiz")),
    Target("my-questions", True, ("courses:my_questions",)),
    # よくある質問・お問い合わせ (the demo's published answers, the search, a general enquiry)
    Target("faq-and-enquiries", True, ("courses:faq",)),
    Target("certificate-verification", False, ("courses:verify",)),
    Target("newsletter-archive", True, page_type="mailings.NewsletterIndexPage"),
    Target("newsletter", True, page_type="mailings.NewsletterPage"),
    Target("preferences", True, ("mailings:preferences",)),
]


@pytest.fixture
def demo_site(transactional_db, live_server):
    """The demo site, signed-in session of the demo member (seeded once per test: ~15 s)."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client, override_settings

    from members.services import member_login_user

    name = str(connection.settings_dict["NAME"])
    assert "test" in name or "memory" in name, f"refusing to seed a non-test database: {name}"
    from django.contrib.auth.models import Group
    from wagtail.models import Collection

    # an earlier transactional test's flush removed what Wagtail's migrations create
    Group.objects.get_or_create(name="Editors")
    if not Collection.objects.exists():
        Collection.add_root(name="Root")
    with override_settings(DEBUG=True):
        call_command("seed_demo", force=True, stdout=io.StringIO())
    user = member_login_user(email=DEMO_MEMBER_EMAIL)
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return {
        "url": live_server.url,
        "session": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "cookie": settings.SESSION_COOKIE_NAME,
    }


def _url_for(target: Target) -> str:
    if target.url_names:
        if target.url_names == ("wagtail_serve",):
            return "/"
        for name in target.url_names:
            try:
                return reverse(name)
            except NoReverseMatch:
                continue
        pytest.skip(f"{target.name}: not built yet (no URL named any of {list(target.url_names)})")
    from django.apps import apps

    try:
        model = apps.get_model(target.page_type)
    except LookupError:
        pytest.skip(f"{target.name}: not built yet (no page type {target.page_type})")
    for page in model.objects.live().order_by("path"):
        page = page.specific
        if target.page_filter is None or target.page_filter(page):
            return page.url
    pytest.skip(f"{target.name}: the demo has no live {target.page_type} matching the filter")


def _check(page, where: str):
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page, options={"runOnly": {"type": "tag", "values": WCAG_AA}, "resultTypes": ["violations"]}
    )
    assert results.violations_count == 0, f"axe on {where}:\n{results.generate_report()}"


@pytest.fixture
def open_page(demo_site, browser):
    # demo_site first: the database connection must exist before Playwright starts its event loop
    contexts = []

    def _open(*, signed_in, viewport):
        context = browser.new_context(
            base_url=demo_site["url"],
            viewport=viewport or {"width": 1280, "height": 900},
            locale="ja-JP",
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        if signed_in:
            context.add_cookies(
                [
                    {
                        "name": demo_site["cookie"],
                        "value": demo_site["session"],
                        "url": demo_site["url"],
                    }
                ]
            )
        return context.new_page()

    yield _open
    for context in contexts:
        context.close()


def test_member_pages_have_no_wcag_aa_violations(open_page, screenshot):
    """Every page of PAGES that exists, at 375 px and on a desktop; one sweep (one demo seed)."""
    failures, skipped, checked = [], [], []
    for target in PAGES:
        try:
            url = _url_for(target)
        except pytest.skip.Exception as exc:
            skipped.append(str(exc))
            continue
        for label, viewport in (("phone-375", PHONE), ("desktop", None)):
            page = open_page(signed_in=target.signed_in, viewport=viewport)
            try:
                response = page.goto(url)
            except Exception as exc:  # e.g. an empty error response
                failures.append(f"{target.name}: GET {url} failed: {exc}".splitlines()[0])
                continue
            if response.status != 200:
                failures.append(f"{target.name}: GET {url} answered {response.status}")
                continue
            screenshot(page, f"{target.name}-{label}")
            try:
                _check(page, f"{target.name} {label} ({url})")
            except AssertionError as exc:
                failures.append(str(exc))
            checked.append(f"{target.name}-{label}")
            page.context.close()
    failures += [f"not checked: {reason}" for reason in skipped]
    assert not failures, "\n\n".join(failures)
    assert checked, "no member page could be checked"


@pytest.mark.parametrize("viewport", [PHONE], ids=["phone-375"])
def test_sign_in_code_entry_and_its_error_state_have_no_violations(open_page, viewport, screenshot):
    page = open_page(signed_in=False, viewport=viewport)
    page.goto(reverse("account_request_login_code"))
    page.get_by_label("団体に登録したメールアドレス").fill(DEMO_MEMBER_EMAIL)
    page.get_by_role("button", name="サインインコードを送る").click()
    page.get_by_role("heading", name="サインインコードを入力").wait_for()
    screenshot(page, "code-entry")
    _check(page, "code entry")
    page.get_by_label("コード").fill("000000")
    page.get_by_role("button", name="サインイン").click()
    page.wait_for_load_state()
    screenshot(page, "code-entry-error")
    _check(page, "code entry after a wrong code")
