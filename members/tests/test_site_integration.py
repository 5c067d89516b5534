"""What a site installing the apps gets and must provide: system checks with hints, opt-in
effects on the whole admin, links from the Wagtail Site, one beat schedule, one staff
permission declaration."""

import datetime
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core import checks
from django.core.management import call_command
from django.db import models
from wagtail.admin.forms.models import formfield_for_dbfield
from wagtail.admin.forms.models import registry as override_registry
from wagtail.models import Site

from members import checks as site_checks
from members import conf
from members.beat import beat_schedule
from members.forms import WarekiDateField, register_wareki_date_fields
from members.selectors import staff_permissions


def _check_ids():
    return {message.id: message for message in checks.run_checks()}


def test_a_site_without_allauth_wagtailmedia_or_humanize_is_told_what_to_add(settings, monkeypatch):
    # (the settings a site would have, handed to the checks: changing INSTALLED_APPS itself
    # would reload every app of this process)
    host = SimpleNamespace(
        INSTALLED_APPS=[
            app
            for app in settings.INSTALLED_APPS
            if app not in {"wagtailmedia", "django.contrib.humanize"}
        ],
        MIDDLEWARE=[m for m in settings.MIDDLEWARE if "allauth" not in m],
    )
    monkeypatch.setattr(site_checks, "settings", host)
    messages = site_checks.required_apps() + site_checks.required_middleware()
    hints = {m.hint for m in messages}
    assert hints == {
        'Add "wagtailmedia" to INSTALLED_APPS.',
        'Add "django.contrib.humanize" to INSTALLED_APPS.',
        'Add "allauth.account.middleware.AccountMiddleware" to MIDDLEWARE, after '
        "AuthenticationMiddleware.",
    }


def test_sign_in_settings_are_checked_with_the_value_to_set(settings):
    settings.ACCOUNT_LOGIN_BY_CODE_ENABLED = False
    del settings.ACCOUNT_ADAPTER
    found = [m for m in checks.run_checks() if m.id == "members.E003"]
    assert {m.hint for m in found} == {
        "Set ACCOUNT_LOGIN_BY_CODE_ENABLED = True.",
        "Set ACCOUNT_ADAPTER = 'members.adapters.MemberAccountAdapter'.",
    }


def test_tasks_without_a_broker_or_eager_mode_are_an_error(settings):
    from celery import current_app

    eager, broker = current_app.conf.task_always_eager, current_app.conf.broker_url
    try:
        current_app.conf.task_always_eager, current_app.conf.broker_url = False, None
        assert "members.E005" in _check_ids()
        current_app.conf.broker_url = "redis://127.0.0.1:6379/0"
        assert "members.E005" not in _check_ids()
    finally:
        current_app.conf.task_always_eager, current_app.conf.broker_url = eager, broker


def test_this_projects_settings_pass_the_apps_checks():
    assert not [m for m in checks.run_checks() if m.id.startswith("members.") and m.is_serious()]


@pytest.mark.django_db
def test_links_use_the_wagtail_sites_address_when_site_url_is_not_set(settings):
    settings.SITE_URL = ""
    site = Site.objects.get(is_default_site=True)
    site.hostname, site.port = "lms.example.jp", 443
    site.save()  # forgets the remembered address
    assert conf.site_url() == "https://lms.example.jp"
    from courses.conf import site_url as courses_site_url
    from mailings.conf import site_url as mailings_site_url

    assert courses_site_url() == mailings_site_url() == "https://lms.example.jp"
    settings.SITE_URL = "https://training.example.jp/"
    assert conf.site_url() == "https://training.example.jp"


def test_the_beat_schedule_is_one_function_with_every_apps_periodic_tasks():
    tasks = {entry["task"] for entry in beat_schedule().values()}
    assert {"lms.nightly_refresh", "mailings.tasks.send_reminders", "mailings.tasks.tick"} <= tasks


def test_the_apps_dates_take_wareki_and_other_dates_only_when_the_site_asks(settings):
    own_date = apps.get_model("lms", "Cycle")._meta.get_field("due_on")
    other_date = models.DateField()
    saved = dict(override_registry.values_by_exact_class)
    try:
        override_registry.values_by_exact_class.pop(models.DateField, None)
        settings.MEMBERS_WAREKI_ADMIN_DATES = False
        register_wareki_date_fields()
        assert isinstance(formfield_for_dbfield(own_date), WarekiDateField)
        assert not isinstance(formfield_for_dbfield(other_date), WarekiDateField)
        assert formfield_for_dbfield(own_date).clean("R8.6.1") == datetime.date(2026, 6, 1)
        settings.MEMBERS_WAREKI_ADMIN_DATES = True
        register_wareki_date_fields()
        assert isinstance(formfield_for_dbfield(other_date), WarekiDateField)
    finally:
        override_registry.values_by_exact_class.clear()
        override_registry.values_by_exact_class.update(saved)


@pytest.mark.django_db
def test_staff_permissions_are_declared_once_and_granted_by_the_command(settings):
    Group.objects.filter(name=conf.staff_group_name()).delete()
    call_command("setup_staff_group", stdout=__import__("io").StringIO())
    group = Group.objects.get(name=conf.staff_group_name())
    granted = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
    declared = {
        f"{config.label}.{codename}"
        for config in apps.get_app_configs()
        for codename in getattr(config, "staff_permissions", ())
    }
    assert granted == declared | {"wagtailadmin.access_admin"}
    assert set(staff_permissions()) == set(group.permissions.all())
    # the group editor offers them (view permissions of lists without an inspect view too)
    from wagtail import hooks

    offered = set()
    for hook in hooks.get_hooks("register_permissions"):
        offered |= set(hook())
    assert set(group.permissions.all()) <= offered
