"""Wagtail's own strings that showed in English on staff screens read in Japanese."""

import json

import pytest
from django.urls import reverse
from wagtail.models import Workflow

from tests.factories import make_staff

pytestmark = pytest.mark.django_db


def test_admin_home_and_javascript_strings_are_japanese(client, organisation):
    client.force_login(make_staff(organisations=[organisation]))
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "すべてのページを検索…" in home and "Search all pages" not in home


def test_the_default_workflow_has_a_japanese_name():
    assert Workflow.objects.filter(name="管理者の承認").exists()
    assert not Workflow.objects.filter(name="Moderators approval").exists()


def test_the_sidebar_reports_and_media_are_japanese(admin_client):
    home = admin_client.get(reverse("wagtailadmin_home")).content.decode()
    for english, japanese in [
        ("Aging pages", "更新されていないページ"),
        ("Page types usage", "ページの種類ごとの使用状況"),
        ('"Media"', "メディア"),
        ("editor guide", "編集ガイド（英語）"),
    ]:
        # the sidebar's menu is JSON in the page (non-ASCII escaped), the rest HTML
        shown = japanese in home or json.dumps(japanese)[1:-1] in home
        assert shown and english not in home, english


def test_wagtails_strings_on_staff_screens_read_in_japanese(client, organisation):
    """The menu's ヘルプ, a list's 絞り込み and 「N 件見つかりました」, a create view's
    「新規: …」, and the admin JavaScript's 「すべて折りたたむ」 (Wagtail's own catalogue lacks
    them; training_site's catalogues give them)."""
    from django.contrib.auth.models import Permission

    from tests.factories import make_member

    make_member(organisation=organisation, member_no="000001", name="山田　太郎")
    staff = make_staff(organisations=[organisation])
    staff.groups.first().permissions.add(*Permission.objects.filter(content_type__app_label="lms"))
    client.force_login(staff)
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    # the sidebar menu is JSON in the page: "ヘルプ" as \\u escapes
    assert '"label": "\\u30d8\\u30eb\\u30d7"' in home and '"label": "Help"' not in home
    members = client.get(reverse("member:index"), {"q": "山田"}).content.decode()
    assert "1 件見つかりました" in members and "There is 1 match" not in members
    assert "絞り込み" in members and "Filter by" not in members
    add = client.get(reverse("lms_exemption:add")).content.decode()
    assert "新規: " in add and "New: " not in add
    catalogue = client.get(reverse("wagtailadmin_javascript_catalog")).content.decode()
    for japanese in ("すべて折りたたむ", "メインメニュー"):
        assert japanese in catalogue or json.dumps(japanese)[1:-1] in catalogue
