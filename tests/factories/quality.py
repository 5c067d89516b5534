"""The shared "world" of the quality harnesses: two organisations, six roles, objects of each.

Roles (the columns of tests/permission_matrix.py):
  anonymous     nobody signed in
  member        a member of organisation A (owns the member-side objects of variant A)
  other_member  another member of organisation A
  member_b      a member of organisation B (owns the member-side objects of variant B)
  editor        Wagtail's "Editors" group; staff of no organisation
  staff_a       office staff of A (the 研修事務局 group, as members.services.staff_group_setup makes it)
  staff_b       the same kind of account, staff of B only

Objects are kept per organisation (``world.objects["A"]``, ``["B"]``) and global (``["*"]``),
so a URL whose kwargs name an organisation-owned object is tried against A's object and B's.
Builders for objects of apps that are still being written are guarded: a builder that fails
records why, and the matrix entries needing that object skip with that reason.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import io

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import Client

from .members import make_member, make_organisation

ROLES = ("anonymous", "member", "other_member", "member_b", "editor", "staff_a", "staff_b")


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
    """Staff as a fresh install sets them up: the office group (研修事務局) and its permissions."""
    from members.services import staff_group_setup

    user = get_user_model().objects.create_user(
        username=username, email=f"{username}@example.jp", password="pw-staff-123"
    )
    user.groups.add(staff_group_setup())
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
    from training_site.demo import seed_site

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
        found["personal_data_request"] = _guarded(
            missing,
            "personal_data_request",
            lambda org=org, found=found: _personal_data_request(org, found["member"]),
        )
        pages = _guarded(missing, "course", lambda org=org, key=key: _course(home, org, key))
        if pages:
            found.update(pages)
        news = _guarded(missing, "newsletter", lambda org=org, key=key: _newsletter(home, org, key))
        if news:
            found.update(news)
        staff = users["staff_a" if key == "A" else "staff_b"]
        for name, build in (
            ("course records", _course_records),
            ("scorm records", _scorm_records),
            ("compliance", _compliance),
            ("mailings", _mailings),
        ):
            built = _guarded(missing, name, functools.partial(build, found, org, staff))
            if built:
                found.update(built)
    files = _guarded(missing, "media", _player_files)
    if files:
        objects["*"].update(files)
    for name in ("course_index", "newsletter_index"):  # one per site, not per organisation
        for key in ("A", "B"):
            if name in objects[key]:
                objects["*"][name] = objects[key].pop(name)
    for scope in objects.values():
        for name in [n for n, v in scope.items() if v is None]:
            del scope[name]
    sessions = {role: _session_for(user) for role, user in users.items()}
    return World(users=users, sessions=sessions, objects=objects, missing=missing)


def _personal_data_request(org, member):
    from members.models import PersonalDataRequest

    return PersonalDataRequest.objects.create(
        organisation=org, member=member, kind=PersonalDataRequest.Kind.DISCLOSURE
    )


def _roster_import(org):
    from django.core.files.base import ContentFile

    from members.models import RosterImport

    import_ = RosterImport(
        organisation=org, file_name=f"{org.slug}-2026-05.csv", checksum="0" * 64, status="applied"
    )
    import_.file.save(import_.file_name, ContentFile("加入者番号,氏名\n"), save=False)
    import_.save()
    return import_


def _index(home, model, slug, **fields):
    existing = model.objects.child_of(home).first()
    if existing:
        return existing
    page = home.add_child(instance=model(title=slug, slug=slug, **fields))
    page.save_revision().publish()
    return page


def _course(home, org, key):
    from courses.models import CourseIndexPage, CoursePage, LessonPage
    from tests.factories.courses import survey_blocks

    index = _index(home, CourseIndexPage, "courses")
    course = index.add_child(
        instance=CoursePage(
            title=f"研修{key}",
            slug=f"course-{key.lower()}",
            organisation=org,
            survey_mode="optional",
            survey=survey_blocks(),
        )
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


def _course_records(found, org, staff):
    """An enrolment (an attempt: courses:attempt_detail) with a certificate, a question and an
    attendance import."""
    from django.core.files.base import ContentFile

    from courses.models import AttendanceImport, Certificate, QuestionSettings
    from courses.services import certificate_issue, enrolment_record_external, question_ask

    member, course = found["member"], found["course"]
    enrolment, _created = enrolment_record_external(
        member=member, course=course, source="seminar", completed_on=datetime.date(2026, 6, 10)
    )
    certificate = Certificate.objects.filter(enrolment=enrolment).first() or certificate_issue(
        enrolment=enrolment
    )
    question = question_ask(member=member, body="腰痛の予防について教えてください", course=course)
    question_settings, _created = QuestionSettings.objects.get_or_create(organisation=org)
    attendance = AttendanceImport(
        organisation=org,
        course=course,
        source="seminar",
        completed_on=datetime.date(2026, 6, 10),
        original_filename="attendance.csv",
        created_by=staff,
    )
    attendance.file.save(f"attendance-{org.slug}.csv", ContentFile("会員番号\n"), save=False)
    attendance.save()
    return {
        "enrolment": enrolment,
        "certificate": certificate,
        "question": question,
        "question_settings": question_settings,
        "attendance_import": attendance,
    }


def _scorm_records(found, org, staff):
    """A SCORM lesson in the course (imported from a package), the member's runtime data of its
    SCO, and a checked upload waiting to be imported."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile

    from courses.scorm.services import (
        scorm_launch,
        scorm_lesson_create,
        scorm_package_check,
        scorm_upload_check,
    )
    from tests.factories.scorm import single_sco_package

    package = single_sco_package()
    lesson = scorm_lesson_create(
        course=found["course"],
        checked=scorm_package_check(fileobj=io.BytesIO(package), file_name="scorm.zip"),
    )
    launched = scorm_launch(
        enrolment=found["enrolment"], lesson=lesson, item=lesson.package.items.get()
    )
    upload = scorm_upload_check(
        course=found["course"],
        uploaded_file=SimpleUploadedFile("scorm.zip", package, "application/zip"),
        user=staff,
    )
    return {"scorm_lesson": lesson, "scorm_state": launched.state, "scorm_import": upload}


def _compliance(found, org, staff):
    """A campaign with its cycle, a requirement and its assignments, an elective, an exemption,
    an evidence pack."""
    from lms.models import Assignment, Elective
    from lms.services import assignments_refresh, evidence_pack_create, exemption_grant
    from tests.factories.lms import make_campaign, make_requirement

    campaign = make_campaign(organisation=org, today=datetime.date(2026, 6, 1))
    requirement = make_requirement(campaign=campaign, courses=[found["course"]])
    assignments_refresh(organisation=org, today=datetime.date(2026, 6, 1))
    elective = Elective.objects.create(organisation=org, course=found["course"])
    exemption = exemption_grant(
        member=found["member"], requirement=requirement, reason="診断書により免除", user=staff
    )
    cycle = campaign.cycles.order_by("opens_on").first()
    return {
        "campaign": campaign,
        "cycle": cycle,
        "evidence_pack": evidence_pack_create(cycle=cycle, user=staff),
        "requirement": requirement,
        "assignment": Assignment.objects.filter(requirement=requirement).first(),
        "elective": elective,
        "exemption": exemption,
    }


def _mailings(found, org, staff):
    """Mail settings, consent wording, a suppression, an audience, a mailing, reminders."""
    from mailings.mime import unsubscribe_token
    from mailings.models import (
        ConsentWording,
        OrganisationMailSettings,
        ReminderDelivery,
        ReminderSchedule,
        ReminderTemplate,
        Suppression,
    )
    from tests.factories.mailings import make_audience, make_notice_mailing

    settings_, _created = OrganisationMailSettings.objects.get_or_create(organisation=org)
    mailing = make_notice_mailing(organisation=org, members=[found["member"]])
    objects = {
        "mail_settings": settings_,
        "consent_wording": ConsentWording.objects.create(organisation=org, version=1, text="同意"),
        "suppression": Suppression.objects.create(
            organisation=org,
            email=f"bounced@{org.slug}.example.jp",
            reason="bounce",
            source="import",
        ),
        "audience": make_audience(organisation=org),
        "mailing": mailing,
        "reminder_text": ReminderTemplate.objects.create(
            organisation=org, step="before_due", subject="受講のお願い", body="{{ name }}様"
        ),
        "unsubscribe_token": unsubscribe_token(member_id=found["member"].pk),
    }
    if "campaign" in found:
        objects["reminder_schedule"], _created = ReminderSchedule.objects.get_or_create(
            campaign=found["campaign"]
        )
        objects["reminder_log"] = ReminderDelivery.objects.create(
            assignment=found["assignment"],
            step="before_due:7",
            state="mailed",
            recipient=mailing.recipients.first(),
        )
    return objects


def _player_files():
    """A video and its caption track (as the course player serves them to signed-in users), and
    the objects Wagtail's own admin URLs name: an image, a document, a redirect, a collection,
    a group."""
    from django.contrib.auth.models import Group
    from django.core.files.images import ImageFile
    from PIL import Image as PILImage
    from wagtail.contrib.redirects.models import Redirect
    from wagtail.images import get_image_model
    from wagtail.models import Collection

    from tests.factories.courses import make_captions, make_video_media

    buffer = io.BytesIO()
    PILImage.new("RGB", (8, 8), "white").save(buffer, "PNG")
    image = get_image_model().objects.create(
        title="AED", file=ImageFile(buffer, name="aed.png"), width=8, height=8
    )
    captions = make_captions()
    root = Collection.get_first_root_node()
    return {
        "media": make_video_media(),
        "captions": captions,
        "document": captions,
        "doc": captions,
        "image": image,
        "redirect": Redirect.objects.create(old_path="/old-page", redirect_link="/"),
        "collection": root.add_child(name="研修資料"),
        "group": Group.objects.get_or_create(name="Editors")[0],
    }
