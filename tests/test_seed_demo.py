import datetime
import io

import pytest
from django.core.management import call_command
from django.db.models import Count

from members.constants import PREFECTURE_NAMES
from members.demo import AGE_BANDS, PREFECTURE_COUNTS, REPORT_DATE, TOP_OCCUPATIONS
from members.models import Member, Membership, Organisation


def counts():
    from django.contrib.auth import get_user_model
    from wagtail.models import Page

    return {
        "organisations": Organisation.objects.count(),
        "members": Member.objects.count(),
        "memberships": Membership.objects.count(),
        "users": get_user_model().objects.count(),
        "pages": Page.objects.count(),
    }


@pytest.mark.django_db
def test_seed_demo_twice_leaves_the_same_counts(settings):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    first = counts()
    call_command("seed_demo", stdout=io.StringIO())
    assert counts() == first
    assert first["organisations"] == 2
    assert "demo-staff-pass" in out.getvalue()  # accounts are printed with their passwords


@pytest.mark.django_db
def test_demo_group_has_the_distributions_of_the_groups_report(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    active = Member.objects.active_on(REPORT_DATE).filter(organisation__slug="freelance-center")
    assert active.count() == 331
    genders = dict(active.values_list("gender").annotate(n=Count("id")))
    assert genders == {"M": 251, "F": 78, "X": 2}
    bands = {}
    for born in active.values_list("birth_date", flat=True):
        age = (
            REPORT_DATE.year
            - born.year
            - ((REPORT_DATE.month, REPORT_DATE.day) < (born.month, born.day))
        )
        band = min(age // 10 * 10, 70)
        bands[band] = bands.get(band, 0) + 1
    assert bands == AGE_BANDS
    by_pref = dict(active.values_list("prefecture").annotate(n=Count("id")))
    for code, name in enumerate(PREFECTURE_NAMES, start=1):
        assert by_pref.get(f"{code:02d}", 0) == PREFECTURE_COUNTS[name], name
    by_occ = dict(active.values_list("occupation").annotate(n=Count("id")))
    for occupation, n in TOP_OCCUPATIONS.items():
        assert by_occ[occupation] == n
    assert max(n for o, n in by_occ.items() if o not in TOP_OCCUPATIONS) < 17
    # the second, small organisation keeps multi-organisation honest
    assert Member.objects.filter(organisation__slug="hokuto-kensetsu").count() > 0
    assert Member.objects.active_on(datetime.date(2026, 1, 1)).count() < Member.objects.count()


@pytest.mark.django_db
def test_seed_demo_refuses_to_run_with_debug_off(settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", stdout=io.StringIO())


@pytest.mark.django_db
def test_seed_demo_recreates_wagtails_groups_after_a_flush(settings):
    """A transactional test's flush deletes the groups Wagtail's migrations made; the seed
    must not depend on them (it used Group.objects.get("Editors"))."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from wagtail.models import GroupPagePermission

    settings.DEBUG = True
    Group.objects.filter(name__in=["Editors", "Moderators"]).delete()
    call_command("seed_demo", stdout=io.StringIO())
    editor = get_user_model().objects.get(username="editor")
    assert editor.groups.filter(name="Editors").exists()
    assert editor.has_perm("wagtailadmin.access_admin")
    assert GroupPagePermission.objects.filter(
        group__name="Editors", permission__codename="change_page"
    ).exists()
    assert Group.objects.filter(name="Moderators").exists()
    call_command("seed_demo", stdout=io.StringIO())  # and again: nothing duplicated
    assert Group.objects.filter(name="Editors").count() == 1
