"""Pages are routed from the cache (training_site/page_routing.py) and still answer as Wagtail would:
a page unpublished, renamed, moved or deleted, or a site changed, is never served from a
remembered route."""

import io

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageViewRestriction, Site

from tests.factories.courses import make_course_index, make_course_page, make_lesson

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(db):
    from training_site.demo import seed_site

    home = seed_site(stdout=io.StringIO())
    index = make_course_index(parent=home, slug="learn-courses")
    course = make_course_page(index=index, slug="safety")
    other = make_course_page(index=index, slug="other")
    lesson = make_lesson(course=course, title="整理・整頓", slug="seiri")
    return {"home": home, "index": index, "course": course, "other": other, "lesson": lesson}


def _routing_queries(client, url):
    """(status, the queries Wagtail's routing made: sites and page-tree lookups)."""
    with CaptureQueriesContext(connection) as ctx:
        status = client.get(url).status_code
    tree_sql = [q["sql"] for q in ctx.captured_queries if "wagtailcore_site" in q["sql"]]
    return status, len(ctx), tree_sql


def test_a_remembered_route_skips_the_walk_down_the_tree(client, tree):
    url = tree["course"].url
    first_status, first_count, first_sites = _routing_queries(client, url)
    again_status, again_count, again_sites = _routing_queries(client, url)
    assert first_status == again_status == 200
    assert first_sites and not again_sites  # the site is remembered with the route
    # the site, the home page (and its specific row), the index and the course: now the course
    assert again_count <= first_count - 3


@pytest.mark.parametrize("change", ["unpublish", "delete"])
def test_an_unpublished_or_deleted_page_is_not_served_from_its_remembered_route(
    client, tree, change
):
    url = tree["course"].url
    assert client.get(url).status_code == 200
    getattr(tree["course"], change)()
    assert client.get(url).status_code == 404


def test_a_renamed_page_moves_to_its_new_address(client, tree):
    course = tree["course"]
    old = course.url
    assert client.get(old).status_code == 200
    course.slug = "safety-2026"
    course.save_revision().publish()
    assert client.get(old).status_code == 404
    assert client.get(tree["index"].url + "safety-2026/").status_code == 200


def test_a_moved_lesson_is_found_under_its_new_course_only(client, tree, django_user_model):
    lesson = tree["lesson"]
    staff = django_user_model.objects.create_superuser("admin", "a@example.jp", "x")
    client.force_login(staff)  # staff may open any lesson without a member record
    old = lesson.url
    assert client.get(old).status_code == 200
    lesson.move(tree["other"], pos="last-child")
    new = tree["other"].url + "seiri/"
    response = client.get(old)  # Wagtail's automatic redirect, not the remembered route
    assert response.status_code == 301 and response["Location"] == new
    assert client.get(new).status_code == 200


def test_a_changed_site_root_routes_every_path_afresh(client, tree):
    url = tree["course"].url
    assert client.get(url).status_code == 200
    site = Site.objects.get(is_default_site=True)
    site.root_page = tree["index"]
    site.save()
    # the course is now at /safety/: its remembered address must not serve it any more
    assert client.get(url).status_code == 404
    assert client.get("/safety/").status_code == 200


def test_view_restrictions_added_later_still_apply(client, tree):
    url = tree["course"].url
    assert client.get(url).status_code == 200
    restriction = PageViewRestriction.objects.create(
        page=tree["course"], restriction_type=PageViewRestriction.GROUPS
    )
    restriction.groups.add(Group.objects.create(name="研修A"))
    response = client.get(url)
    assert response.status_code == 302 and "login" in response["Location"]
