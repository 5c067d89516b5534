"""The shared "world" of the quality harnesses: two organisations, six roles, objects of each.

Roles (the columns of tests/permission_matrix.py):
  anonymous     nobody signed in
  member        a member of organisation A (owns the member-side objects of variant A)
  other_member  another member of organisation A
  member_b      a member of organisation B (owns the member-side objects of variant B)
  editor        Wagtail's "Editors" group; staff of no organisation
  staff_a       office staff (研修事務局 with every permission on our apps' models) of A
  staff_b       the same kind of account, staff of B only

Objects are kept per organisation (``world.objects["A"]``, ``["B"]``) and global (``["*"]``),
so a URL whose kwargs name an organisation-owned object is tried against A's object and B's.
Builders for objects of apps that are still being written are guarded: a builder that fails
records why, and the matrix entries needing that object skip with that reason.
"""

from __future__ import annotations

import dataclasses
import datetime
import io

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import Client

from .members import make_member, make_organisation

ROLES = ("anonymous", "member", "other_member", "member_b", "editor", "staff_a", "staff_b")
OUR_APPS = ("members", "courses", "lms", "mailings")
STAFF_GROUP = "研修事務局"


@dataclasses.dataclass
class World:
    users: dict  # role -> User (anonymous absent)
    sessions: dict  # role -> session key (anonymous absent)
    objects: dict  # "A" | "B" | "*" -> {name: object}
    missing: dict  # object name -> why it could not be built

    def client(self, role: str, **kwargs) -> Client:
        """A fresh test client signed in as ``role`` (cheap: reuses a stored session)."""
        client = Client(raise_request_exception=False, **kwargs)
        if role in self.sessions:
            client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[role]
        return client


def make_office_staff(*, username, organisations):
    """Staff as the office would set them up: admin access and every permission on our models."""
    user = get_user_model().objects.create_user(
        username=username, email=f"{username}@example.jp", password="pw-staff-123"
    )
    group, created = Group.objects.get_or_create(name=STAFF_GROUP)
    if created or not group.permissions.exists():
        group.permissions.add(
            Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"),
            *Permission.objects.filter(content_type__app_label__in=OUR_APPS),
        )
    user.groups.add(group)
    for organisation in organisations:
        organisation.staff.add(user)
    return user


def make_editor(*, username="editor"):
    user = get_user_model().objects.create_user(
        username=username, email=f"{username}@example.jp", password="pw-editor-123"
    )
    group = Group.objects.filter(name="Editors").first()
    if group is None:  # the transactional flush removes Wagtail's migrated groups
        group = Group.objects.create(name="Editors")
        group.permissions.add(
            Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
        )
    user.groups.add(group)
    return user


def member_with_login(*, organisation, member_no, email, name):
    from members.services import member_login_user

    member = make_member(
        organisation=organisation,
        member_no=member_no,
        email=email,
        name=name,
        joined_on=datetime.date(2024, 4, 1),
    )
    user = member_login_user(email=email)
    member.refresh_from_db()
    assert member.user_id == user.pk
    return member


def _session_for(user) -> str:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _guarded(missing, name, build):
    try:
        return build()
    except Exception as exc:  # an app still being written: record why, skip what needs it
        missing[name] = f"{exc.__class__.__name__}: {exc}"[:300]
        return None


def build_world() -> World:
    from lms.demo import seed_site

    home = seed_site(stdout=io.StringIO())
    org_a = make_organisation(name="団体A", slug="org-a")
    org_b = make_organisation(name="団体B", slug="org-b")
    member = member_with_login(
        organisation=org_a, member_no="A0001", email="member.a@example.jp", name="会員　一郎"
    )
    other = member_with_login(
        organisation=org_a, member_no="A0002", email="other.a@example.jp", name="会員　二郎"
    )
    member_b = member_with_login(
        organisation=org_b, member_no="B0001", email="member.b@example.jp", name="会員　三郎"
    )
    users = {
        "member": member.user,
        "other_member": other.user,
        "member_b": member_b.user,
        "editor": make_editor(),
        "staff_a": make_office_staff(username="staff-a", organisations=[org_a]),
        "staff_b": make_office_staff(username="staff-b", organisations=[org_b]),
    }
    objects = {
        "*": {"home": home, "site": home.get_site()},
        "A": {"organisation": org_a, "member": member, "user": member.user},
        "B": {"organisation": org_b, "member": member_b, "user": member_b.user},
    }
    missing: dict = {}
    for key, org in (("A", org_a), ("B", org_b)):
        found = objects[key]
        found["roster_import"] = _guarded(
            missing, "roster_import", lambda org=org: _roster_import(org)
        )
        pages = _guarded(missing, "course", lambda org=org, key=key: _course(home, org, key))
        if pages:
            found.update(pages)
        news = _guarded(missing, "newsletter", lambda org=org, key=key: _newsletter(home, org, key))
        if news:
            found.update(news)
    for name in ("course_index", "newsletter_index"):  # one per site, not per organisation
        for key in ("A", "B"):
            if name in objects[key]:
                objects["*"][name] = objects[key].pop(name)
    for scope in objects.values():
        for name in [n for n, v in scope.items() if v is None]:
            del scope[name]
    sessions = {role: _session_for(user) for role, user in users.items()}
    return World(users=users, sessions=sessions, objects=objects, missing=missing)


def _roster_import(org):
    from members.models import RosterImport

    return RosterImport.objects.create(
        organisation=org, file_name=f"{org.slug}-2026-05.csv", checksum="0" * 64, status="applied"
    )


def _index(home, model, slug, **fields):
    existing = model.objects.child_of(home).first()
    if existing:
        return existing
    page = home.add_child(instance=model(title=slug, slug=slug, **fields))
    page.save_revision().publish()
    return page


def _course(home, org, key):
    from courses.models import CourseIndexPage, CoursePage, LessonPage

    index = _index(home, CourseIndexPage, "courses")
    course = index.add_child(
        instance=CoursePage(title=f"研修{key}", slug=f"course-{key.lower()}", organisation=org)
    )
    course.save_revision().publish()
    lesson = course.add_child(
        instance=LessonPage(title=f"レッスン{key}", slug=f"lesson-{key.lower()}", body=[])
    )
    lesson.save_revision().publish()
    return {"course_index": index, "course": course.specific, "lesson": lesson.specific}


def _newsletter(home, org, key):
    from mailings.models import NewsletterIndexPage, NewsletterPage

    index = _index(home, NewsletterIndexPage, "newsletters")
    issue = index.add_child(
        instance=NewsletterPage(
            title=f"メルマガ{key}", slug=f"news-{key.lower()}", organisation=org, body=[]
        )
    )
    issue.save_revision().publish()
    return {"newsletter_index": index, "newsletter": issue.specific}
