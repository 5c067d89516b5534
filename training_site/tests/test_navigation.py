"""Every member feature is one tap away: the menu on every page, and what a visitor sees."""

import re

import pytest
from django.urls import reverse

from tests.factories import make_newsletter
from tests.factories.lms import make_course_index
from tests.factories.mailings import make_newsletter_index

pytestmark = pytest.mark.django_db


def menu(html) -> dict:
    nav = re.search(r'<nav id="site-menu".*?</nav>', html, re.S).group(0)
    return dict(re.findall(r'data-menu="(\w+)" href="([^"]+)"', nav))


@pytest.fixture
def site_pages(organisation):
    import io

    from training_site.demo import seed_site

    seed_site(stdout=io.StringIO())
    index = make_course_index()
    archive = make_newsletter_index()
    make_newsletter(organisation=organisation)
    return {"courses": index.url, "newsletters": archive.url}


@pytest.fixture
def signed_in(client, member):
    from courses.tests.conftest import login_member

    login_member(client, member)
    return client


def test_a_member_finds_every_feature_in_the_menu_of_every_page(signed_in, site_pages):
    expected = {
        "my": reverse("lms:my_training"),
        "courses": site_pages["courses"],
        "newsletters": site_pages["newsletters"],
        "questions": reverse("courses:my_questions"),
        "mail": reverse("mailings:preferences"),
    }
    for url in [*expected.values(), "/"]:
        html = signed_in.get(url).content.decode()
        assert menu(html) == expected, url
        assert f'action="{reverse("account_logout")}"' in html and "サインアウト" in html
    html = signed_in.get(reverse("mailings:preferences")).content.decode()
    assert 'data-menu="mail" href="/mail/preferences/" aria-current="page"' in html


def test_the_menu_is_a_labelled_landmark_with_a_button_for_phones(signed_in, site_pages):
    html = signed_in.get("/").content.decode()
    assert '<nav id="site-menu" class="site-menu" aria-label="メインメニュー"' in html
    assert 'aria-controls="site-menu"' in html and 'aria-expanded="false"' in html
    labels = re.findall(r'data-menu="\w+" href="[^"]+"[^>]*>([^<]+)<', html)
    assert labels == [
        "マイ研修",
        "研修一覧",
        "メルマガ",
        "よくある質問・お問い合わせ",
        "メール設定",
    ]


def test_a_visitor_reads_what_the_site_is_and_finds_sign_in_and_the_archive(client, site_pages):
    html = client.get("/").content.decode()
    assert "修了証をダウンロードできます" in html
    assert f'href="{reverse("account_request_login_code")}"' in html
    assert menu(html) == {
        "courses": site_pages["courses"],
        "newsletters": site_pages["newsletters"],
    }
    assert client.get(site_pages["newsletters"]).status_code == 200


def test_the_old_my_courses_address_opens_the_section_of_my_training(signed_in):
    response = signed_in.get("/learn/my/")
    assert response["Location"] == reverse("lms:my_training") + "#history"


def test_the_menu_follows_the_pages_editors_publish_and_unpublish(
    signed_in, site_pages, django_assert_max_num_queries
):
    from courses.models import CourseIndexPage

    assert menu(signed_in.get("/").content.decode())["courses"] == site_pages["courses"]
    with django_assert_max_num_queries(50) as ctx:  # the links are remembered: no page lookup
        signed_in.get("/")
    assert not [q for q in ctx.captured_queries if "courses_courseindexpage" in q["sql"]]

    index = CourseIndexPage.objects.get()
    parent = index.get_parent()
    index.unpublish()
    assert "courses" not in menu(signed_in.get("/").content.decode())

    other = parent.add_child(instance=CourseIndexPage(title="研修のご案内", slug="annai"))
    other.save_revision().publish()
    assert menu(signed_in.get("/").content.decode())["courses"] == other.url
