"""Reads on courses and progress. Members see only their own rows: every read that takes an
id from a URL also takes the member, and a row of anyone else is simply not found (404)."""

from dataclasses import dataclass

from django.db.models import Count, Q
from django.db.models.functions import Substr
from django.utils.module_loading import import_string

from members.selectors import members_of_user, organisations_for_staff

from . import conf
from .models import Certificate, CoursePage, Enrolment, LessonPage, LessonProgress, Question


@dataclass
class CourseProgress:
    enrolment: Enrolment | None
    percent: int
    completed_lessons: int
    required_lessons: int
    completed: bool


def member_for_course(*, user, course):
    """The member record of ``user`` that may study ``course``, or None.

    A course with an organisation is open only to that organisation's members; one without
    is open to every member (the user's first member record is used).
    """
    members = list(members_of_user(user=user).select_related("organisation").order_by("pk"))
    for member in members:
        if course.organisation_id is None or member.organisation_id == course.organisation_id:
            return member
    return None


def courses_for_member(*, member):
    return (
        CoursePage.objects.live()
        .public()
        .filter(Q(organisation__isnull=True) | Q(organisation=member.organisation_id))
        .order_by("path")
    )


def lessons_of(course):
    """Live lessons of a course, in page-tree order (one query)."""
    return LessonPage.objects.child_of(course).live().order_by("path")


def attempt_starts_after(*, member, course):
    path = conf.attempt_starts_after_path()
    if not path:
        return None
    return import_string(path)(member=member, course=course)


def latest_enrolment(*, member, course):
    return Enrolment.objects.filter(member=member, course=course).order_by("-attempt").first()


def current_enrolment(*, member, course):
    """The attempt that counts now: the latest one, unless the attempt policy says a fresh
    attempt is due (then None: the next lesson opened starts it)."""
    enrolment = latest_enrolment(member=member, course=course)
    if enrolment is None:
        return None
    starts_after = attempt_starts_after(member=member, course=course)
    if starts_after is not None and enrolment.started_at < starts_after:
        return None
    return enrolment


def course_progress(*, member, courses) -> dict:
    """{course_id: CourseProgress} for the latest attempt at each course, in three queries.

    ``courses`` are CoursePage instances (or a queryset of them). Lessons counted are the
    live, required lessons; a course completed at a seminar or on paper is 100%.
    """
    courses = list(courses)
    if not courses:
        return {}
    by_path = {c.path: c for c in courses}
    latest = {}
    for enrolment in Enrolment.objects.filter(member=member, course__in=courses).order_by(
        "course_id", "-attempt"
    ):
        latest.setdefault(enrolment.course_id, enrolment)
    steplen = LessonPage.steplen
    lesson_filter = Q()
    for course in courses:
        lesson_filter |= Q(path__startswith=course.path, depth=course.depth + 1)
    required = (
        {
            row["parent_path"]: row["n"]
            for row in LessonPage.objects.live()
            .filter(lesson_filter, is_required=True)
            .annotate(parent_path=Substr("path", 1, (courses[0].depth) * steplen))
            .order_by()
            .values("parent_path")
            .annotate(n=Count("pk"))
        }
        if len({c.depth for c in courses}) == 1
        else _required_by_course(courses)
    )
    done = (
        dict(
            LessonProgress.objects.filter(
                enrolment__in=[e.pk for e in latest.values()],
                completed_at__isnull=False,
                lesson__is_required=True,
                lesson__live=True,
            )
            .order_by()
            .values_list("enrolment_id")
            .annotate(n=Count("pk"))
        )
        if latest
        else {}
    )
    result = {}
    for path, course in by_path.items():
        enrolment = latest.get(course.pk)
        n_required = required.get(path, 0)
        n_done = done.get(enrolment.pk, 0) if enrolment else 0
        completed = bool(enrolment and enrolment.completed_at)
        if completed:
            percent = 100
        elif n_required:
            percent = min(99, 100 * n_done // n_required)
        else:
            percent = 0
        result[course.pk] = CourseProgress(
            enrolment=enrolment,
            percent=percent,
            completed_lessons=min(n_done, n_required),
            required_lessons=n_required,
            completed=completed,
        )
    return result


def course_index_rows(*, user, index) -> dict:
    """The courses listed on a course index page, for ``user``: {"rows": [...], "member": ...}.

    Anonymous visitors and staff see every live, public course under the index. A signed-in
    member sees the courses open to them (no organisation, or one of theirs) with the
    progress of their latest attempt; each row is {"course", "progress"} (progress None
    when not signed in as a member).
    """
    courses = list(CoursePage.objects.child_of(index).live().public().order_by("path"))
    members = list(members_of_user(user=user).order_by("pk"))
    if not members:
        return {"rows": [{"course": c, "progress": None} for c in courses], "member": None}
    by_member: dict = {}
    for course in courses:
        member = next(
            (
                m
                for m in members
                if course.organisation_id is None or m.organisation_id == course.organisation_id
            ),
            None,
        )
        if member is not None:
            by_member.setdefault(member, []).append(course)
    progress = {}
    for member, own in by_member.items():
        progress.update(course_progress(member=member, courses=own))
    rows = [{"course": c, "progress": progress[c.pk]} for c in courses if c.pk in progress]
    return {"rows": rows, "member": members[0]}


def _required_by_course(courses) -> dict:
    return {
        c.path: lessons_of(c).filter(is_required=True).count() for c in courses
    }  # courses at different depths: rare (one query each)


# --- member's own records --------------------------------------------------------------


def enrolments_of_user(*, user):
    return (
        Enrolment.objects.filter(member__in=members_of_user(user=user))
        .select_related("course", "member", "certificate")
        .order_by("-started_at")
    )


def enrolment_for_user(*, user, pk):
    return enrolments_of_user(user=user).get(pk=pk)


def certificates_of_user(*, user):
    return (
        Certificate.objects.filter(enrolment__member__in=members_of_user(user=user))
        .select_related("enrolment__course", "enrolment__member")
        .order_by("-issued_at")
    )


def questions_of_user(*, user):
    return (
        Question.objects.filter(member__in=members_of_user(user=user))
        .select_related("course", "lesson")
        .order_by("-created_at")
    )


def faq_for_course(*, course):
    return Question.objects.filter(course=course, faq_published=True, answered_at__isnull=False)


# --- staff --------------------------------------------------------------------------------


def enrolments_for_staff(*, user):
    return Enrolment.objects.filter(member__organisation__in=organisations_for_staff(user=user))


def certificates_for_staff(*, user):
    return Certificate.objects.filter(
        enrolment__member__organisation__in=organisations_for_staff(user=user)
    )


def questions_for_staff(*, user):
    return Question.objects.filter(member__organisation__in=organisations_for_staff(user=user))


def verify_certificate(*, number: str):
    number = (number or "").strip().upper()
    if not number:
        return None
    return Certificate.objects.filter(number=number).first()
