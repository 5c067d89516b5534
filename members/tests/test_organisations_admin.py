"""Organisations in the admin: a superuser creates one and assigns its staff and editors, who
then get their groups; nobody else may."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from members import conf
from members.models import Organisation
from tests.factories import make_staff

pytestmark = pytest.mark.django_db


def test_a_superuser_creates_an_organisation_with_its_staff_and_editors(client, member):
    User = get_user_model()
    admin = User.objects.create_superuser("root", "root@example.jp", "pw")
    office = User.objects.create_user("office", "office@example.jp", "pw")
    writer = User.objects.create_user("writer", "writer@example.jp", "pw")
    member.user = User.objects.create_user("member-user", "m@example.jp")
    member.save()
    client.force_login(admin)
    menu = client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse("organisation:index") in menu
    form = client.get(reverse("organisation:add")).content.decode()
    assert "office@example.jp" in form and "m@example.jp" not in form  # no roster members
    response = client.post(
        reverse("organisation:add"),
        {"name": "東京建設組合", "slug": "tokyo", "staff": [office.pk], "editors": [writer.pk]},
    )
    assert response.status_code == 302
    tokyo = Organisation.objects.get(slug="tokyo")
    assert list(tokyo.staff.all()) == [office] and list(tokyo.editors.all()) == [writer]
    assert office.groups.filter(name=conf.staff_group_name()).exists()
    assert writer.groups.filter(name=conf.editor_group_name()).exists()
    listing = client.get(reverse("organisation:index")).content.decode()
    assert "東京建設組合" in listing


def test_staff_cannot_create_or_change_organisations(client, organisation):
    staff = make_staff(organisations=[organisation])
    client.force_login(staff)
    assert (
        reverse("organisation:index")
        not in client.get(reverse("wagtailadmin_home")).content.decode()
    )
    for url in (reverse("organisation:add"), reverse("organisation:edit", args=[organisation.pk])):
        assert client.get(url).status_code in (302, 403)
    response = client.post(reverse("organisation:add"), {"name": "X", "slug": "x"})
    assert response.status_code in (302, 403) and not Organisation.objects.filter(slug="x").exists()
