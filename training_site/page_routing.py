"""Wagtail's page view, with each page's route remembered in the cache.

Wagtail finds the page of a URL by walking the tree from the site's root: the site (one
query), then a query or two per level. A lesson is four levels down, so on the morning of
June 1 every member's first lesson cost six queries before the lesson itself was looked at.
Here the answer (the site, the page's id and type) is remembered per host and path, and a
remembered route costs one query: the page itself, which is then checked to still be live
and still at this path. Any other answer (a page unpublished, moved, renamed or deleted) falls
back to Wagtail's own routing, and so does everything Wagtail does after routing: the
``before_serve_page`` and ``on_serve_page`` hooks (view restrictions), previews, 404s.

Only plain routes are remembered: a page reached with no extra arguments (not a
RoutablePage's sub-route). Sites are remembered with the routes, so a change to any site
forgets every route (a generation, as in courses/study_context.py).

Needed on the June-1 load: bench/profile_endpoints.py (bench/load.py's seed and settings)
measures the lesson page at 14 queries and 40-43 ms of CPU with it, 18 queries and 53 ms with
Wagtail's ``serve`` as it is. It relies on Wagtail's ``RouteResult`` and
``request._wagtail_route_for_request``/``_wagtail_site`` (what ``Page.route_for_request``
sets); tests/test_page_routing.py checks the answers stay Wagtail's.
"""

from __future__ import annotations

import hashlib

from django.apps import apps
from django.core.cache import cache
from wagtail import views as wagtail_views
from wagtail.models import Page, Site
from wagtail.url_routing import RouteResult

from courses.cache import move_generation_on

GENERATION_KEY = "lms:routes:generation"
TIMEOUT = 24 * 3600


def _key(request, path: str) -> str:
    where = f"{request._get_raw_host()}|{request.get_port()}|{path}"
    return "lms:route:" + hashlib.sha1(where.encode()).hexdigest()


def _recall(request, path: str, key: str, found: dict) -> RouteResult | None:
    remembered = found.get(key)
    if not remembered or remembered["generation"] != found.get(GENERATION_KEY, 0):
        return None
    model = apps.get_model(remembered["model"])
    page = model.objects.filter(pk=remembered["page_id"]).first()
    if page is None or not page.live or page.url_path != remembered["root_url_path"] + path:
        return None  # unpublished, moved, renamed or deleted since: route it again
    request._wagtail_site = remembered["site"]
    return RouteResult(page)


def _remember(request, key: str, result, generation: int) -> None:
    site = getattr(request, "_wagtail_site", None)
    if result is None or site is None or result[1] or result[2]:
        return  # not found, or a sub-route of a RoutablePage: not remembered
    page = result[0]
    root_url_path = site.root_page.url_path
    if not page.url_path.startswith(root_url_path):
        return
    bare_site = Site(**{f.attname: getattr(site, f.attname) for f in Site._meta.concrete_fields})
    bare_site._state.adding, bare_site._state.db = False, site._state.db  # not its root page
    value = {
        "generation": generation,
        "site": bare_site,
        "root_url_path": root_url_path,
        "page_id": page.pk,
        "model": page._meta.label_lower,
    }
    cache.set(key, value, TIMEOUT)


def serve(request, path):
    """``wagtail.views.serve``, routed from the cache when the route is remembered."""
    key = _key(request, path)
    found = cache.get_many([key, GENERATION_KEY])
    route = _recall(request, path, key, found)
    if route is not None:
        request._wagtail_route_for_request = route
    else:
        result = Page.route_for_request(request, path)
        _remember(request, key, result, found.get(GENERATION_KEY, 0))
    return wagtail_views.serve(request, path)


def forget_all(**kwargs) -> None:
    """Forget every remembered route (a site was changed). Usable as a signal receiver."""
    move_generation_on(GENERATION_KEY)


def connect_signals() -> None:
    from django.db.models.signals import post_delete, post_save

    post_save.connect(forget_all, sender=Site, dispatch_uid="lms_routes_site_saved")
    post_delete.connect(forget_all, sender=Site, dispatch_uid="lms_routes_site_deleted")
