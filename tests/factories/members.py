"""Test data builders, in one place. Plain functions with sensible defaults."""

import datetime
import itertools
from pathlib import Path

from django.contrib.auth import get_user_model

from members.constants import Category
from members.models import Member, Membership, Occupation, Organisation

_seq = itertools.count(1)


def make_organisation(
    *, name="テスト労災保険センター", slug="test-group", **fields
) -> Organisation:
    fields.setdefault("postal_address", "〒100-0001 東京都千代田区千代田1-1")
    fields.setdefault("contact_email", "office@example.jp")
    return Organisation.objects.create(name=name, slug=slug, **fields)


def make_member(
    *,
    organisation,
    member_no=None,
    name="山田　太郎",
    email=None,
    joined_on=datetime.date(2025, 4, 1),
    withdrawn_on=None,
    category=Category.SECOND_FREELANCE,
    **fields,
) -> Member:
    n = next(_seq)
    member_no = member_no or f"T{n:05d}"
    email = f"member{n}@example.jp" if email is None else email
    member = Member.objects.create(
        organisation=organisation,
        member_no=member_no,
        name=name,
        email=email,
        joined_on=joined_on,
        withdrawn_on=withdrawn_on,
        category=category,
        **fields,
    )
    Membership.objects.create(
        member=member, joined_on=joined_on, withdrawn_on=withdrawn_on, category=category
    )
    return member


def make_staff(*, username="staff", organisations=(), password="pw-staff-123"):
    """A user in the staff group (研修事務局, with its roster permissions) of ``organisations``."""
    from members.services import staff_group_setup

    user = get_user_model().objects.create_user(
        username=username, email=f"{username}@example.jp", password=password
    )
    user.groups.add(staff_group_setup())
    for organisation in organisations:
        organisation.staff.add(user)
    return user


ROSTER_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "roster"


def roster_fixture(name: str) -> Path:
    return ROSTER_FIXTURES / name


def import_roster_fixture(*, organisation, name: str, dry_run=False, **options):
    """Run the real importer on a fixture file; returns (report, RosterImport or None)."""
    from members.roster.pipeline import Options
    from members.services import roster_import_file

    path = roster_fixture(name)
    return roster_import_file(
        organisation=organisation,
        data=path.read_bytes(),
        file_name=path.name,
        options=Options(**options),
        dry_run=dry_run,
    )


def make_occupations(*, organisation, names=("デザイナー", "社労士", "管理人"), aliases=None):
    aliases = aliases or {"管理人": "マンション管理人\nビル管理人"}
    return [
        Occupation.objects.create(
            organisation=organisation, name=name, aliases=aliases.get(name, ""), sort_order=i
        )
        for i, name in enumerate(names)
    ]
