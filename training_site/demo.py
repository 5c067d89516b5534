"""Demo site: the home page as the Wagtail site root."""

from django.conf import settings
from wagtail.models import Locale, Page, Site

from .models import HomePage

HOME_INTRO = (
    "<p>労災保険の特別加入者のための安全衛生研修サイトです。"
    "毎年6月〜7月の「災害防止等に関する研修」や、業務別の研修、加入時のフォローアップを"
    "スマートフォンからいつでも受講できます。</p>"
)


def seed_site(*, stdout) -> HomePage:
    Locale.get_default() if Locale.objects.exists() else Locale.objects.create(
        language_code=settings.LANGUAGE_CODE
    )
    home = HomePage.objects.first()
    if home is None:
        # Wagtail's placeholder welcome page makes way for ours.
        Page.objects.filter(depth=2, content_type__model="page").delete()
        root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))
        home = root.add_child(
            instance=HomePage(title="安全衛生研修", slug="home", intro=HOME_INTRO)
        )
        home.save_revision().publish()
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        site = Site(is_default_site=True, hostname="localhost", port=80)
    site.root_page = home
    site.site_name = settings.WAGTAIL_SITE_NAME
    site.save()
    stdout.write(f"  home page: {home.title} (id {home.pk})")
    return home
