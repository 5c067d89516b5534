"""The site's menu: every member feature one tap away from every page.

The project wires the apps together, so the menu lives here (the apps' templates only fill
``{% block content %}``). Its links are the apps' named URLs and the first live index page of
each listing type under the request's site; the page lookups happen only when a template
renders the menu, and their answer is remembered per site and host until a page is
published, unpublished, moved or deleted, or a site changes (a generation, as in
training_site/page_routing.py): the menu costs no query on a member's every page.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.urls import NoReverseMatch, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page, Site

from courses.cache import move_generation_on

GENERATION_KEY = "lms:menu:generation"
TIMEOUT = 24 * 3600


@dataclass(frozen=True)
class MenuItem:
    key: str
    label: str
    url: str
    current: bool = False


# (key, label, URL name or "app_label.PageModel"); the order members see
MEMBER_MENU = [
    ("my", _("My training"), "lms:my_training"),
    ("courses", _("Courses"), "courses.CourseIndexPage"),
    ("newsletters", _("Newsletter"), "mailings.NewsletterIndexPage"),
    ("questions", _("FAQ and questions"), "courses:my_questions"),
    ("mail", _("Mail settings"), "mailings:preferences"),
]
# what a signed-out visitor can open
PUBLIC_MENU = ["courses", "newsletters"]
# what a withdrawn member can still open (their transcript and certificates, on マイ研修)
WITHDRAWN_MENU = ["my"]


def _index_urls(request) -> dict[str, str]:
    """URL of the first live page of each index type under the request's site (remembered)."""
    site = Site.find_for_request(request)
    key = f"lms:menu:{site.pk if site else 0}:{request.get_host()}"
    found = cache.get_many([key, GENERATION_KEY])
    generation = found.get(GENERATION_KEY, 0)
    remembered = found.get(key)
    if remembered and remembered["generation"] == generation:
        return remembered["urls"]
    urls = _find_index_urls(request, site)
    cache.set(key, {"generation": generation, "urls": urls}, TIMEOUT)
    return urls


def _find_index_urls(request, site) -> dict[str, str]:
    from courses.models import CourseIndexPage
    from mailings.models import NewsletterIndexPage

    pages = Page.objects.live().type(CourseIndexPage, NewsletterIndexPage)
    if site is not None:
        pages = pages.descendant_of(site.root_page, inclusive=True)
    urls: dict[str, str] = {}
    for page in pages.select_related("content_type").order_by("path"):
        label = f"{page.content_type.app_label}.{page.content_type.model_class().__name__}"
        urls.setdefault(label, page.get_url(request=request))
    return urls


def menu_items(request, *, keys=None) -> list[MenuItem]:
    index_urls = None
    items = []
    for key, label, target in MEMBER_MENU:
        if keys is not None and key not in keys:
            continue
        if ":" in target:
            try:
                url = reverse(target)
            except NoReverseMatch:
                continue
        else:
            if index_urls is None:
                index_urls = _index_urls(request)
            url = index_urls.get(target)
            if not url:
                continue
        current = request.path == url or (url != "/" and request.path.startswith(url))
        items.append(MenuItem(key=key, label=str(label), url=url, current=current))
    return items


def menu_for(request) -> list[MenuItem]:
    """The menu of the person asking: members see every feature, withdrawn members their
    records only, visitors the public listings."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return menu_items(request, keys=PUBLIC_MENU)
    from members.selectors import is_withdrawn_only

    if is_withdrawn_only(user=user):
        return menu_items(request, keys=WITHDRAWN_MENU)
    return menu_items(request)


def site_menu(request) -> dict:
    """Context processor: ``site_menu`` (evaluated only by a template that shows it)."""
    return {"site_menu": SimpleLazyObject(lambda: menu_for(request))}


def forget_all(**kwargs) -> None:
    """Work the menu's page links out again (usable as a signal receiver)."""
    move_generation_on(GENERATION_KEY)


def _index_types():
    from courses.models import CourseIndexPage
    from mailings.models import NewsletterIndexPage

    return (CourseIndexPage, NewsletterIndexPage)


def _may_hold_an_index(model, seen=frozenset()) -> bool:
    """Whether a page of ``model`` is, or may have below it, an index page of the menu (a
    lesson or a newsletter cannot: publishing one leaves the menu as it is)."""
    if issubclass(model, _index_types()):
        return True
    seen = seen | {model}
    return any(
        _may_hold_an_index(sub, seen) for sub in model.allowed_subpage_models() if sub not in seen
    )


def _forget_for_page(sender, instance=None, **kwargs) -> None:
    if instance is None or _may_hold_an_index(type(instance.specific_deferred)):
        forget_all()


def connect_signals() -> None:
    from django.db.models.signals import post_delete, post_save
    from wagtail.signals import page_published, page_unpublished, post_page_move

    uid = "lms_menu_{}".format
    page_published.connect(_forget_for_page, dispatch_uid=uid("published"))
    page_unpublished.connect(_forget_for_page, dispatch_uid=uid("unpublished"))
    post_page_move.connect(_forget_for_page, dispatch_uid=uid("moved"))
    post_delete.connect(forget_all, sender=Page, dispatch_uid=uid("page_deleted"))
    post_save.connect(forget_all, sender=Site, dispatch_uid=uid("site_saved"))
    post_delete.connect(forget_all, sender=Site, dispatch_uid=uid("site_deleted"))
