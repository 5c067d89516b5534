"""Reads on courses and progress. Members see only their own rows: every read that takes an
id from a URL also takes the member, and a row of anyone else is simply not found (404)."""

from dataclasses import dataclass

from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Substr
from django.utils.module_loading import import_string

from members.admin_scoping import scope_to_staff
from members.selectors import members_of_user, records_of_user

from . import conf
from .models import Certificate, CoursePage, Enrolment, LessonPage, LessonProgress, Question


@dataclass
class CourseProgress:
    enrolment: Enrolment | None
    percent: int
    completed_lessons: int
    required_lessons: int
    completed: bool
    # an attempt from before the current cycle (it no longer counts; shown as history)
    previous: Enrolment | None = None


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


def member_of_user(*, user):
    """The user's member record for what is not tied to a course (general enquiries, the FAQ):
    the first one active today, or None."""
    return members_of_user(user=user).select_related("organisation").order_by("pk").first()


def lessons_of(course):
    """Live lessons of a course, in page-tree order (one query)."""
    return LessonPage.objects.child_of(course).live().order_by("path")


@dataclass(frozen=True)
class CourseOutline:
    """A course's lessons as the lesson page lists them, seen from one of them."""

    lessons: list
    done_ids: frozenset
    position: int  # of the lesson being read, from 1
    next_lesson: LessonPage | None


def course_outline(*, course, lesson, enrolment) -> CourseOutline:
    """The live lessons of ``course`` by title only (bodies not loaded), each with whether
    ``enrolment`` has completed it, in one query; where ``lesson`` stands and what comes next."""
    lessons = []
    if course is not None:
        listed = lessons_of(course).defer("body")
        if enrolment is not None:
            listed = listed.annotate(
                completed_in_attempt=Exists(
                    LessonProgress.objects.filter(
                        enrolment=enrolment, lesson=OuterRef("pk"), completed_at__isnull=False
                    )
                )
            )
        lessons = list(listed)
    done = frozenset(x.pk for x in lessons if getattr(x, "completed_in_attempt", False))
    index = next((i for i, x in enumerate(lessons) if x.pk == lesson.pk), None)
    following = lessons[index + 1] if index is not None and index + 1 < len(lessons) else None
    return CourseOutline(
        lessons=lessons, done_ids=done, position=(index or 0) + 1, next_lesson=following
    )


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
    latest = {}
    for enrolment in Enrolment.objects.filter(member=member, course__in=courses).order_by(
        "course_id", "-attempt"
    ):
        latest.setdefault(enrolment.course_id, enrolment)
    required = required_lessons(courses)
    done = (
        dict(
            _lessons_done()
            .filter(enrolment__in=[e.pk for e in latest.values()])
            .values_list("enrolment_id")
            .annotate(n=Count("pk"))
        )
        if latest
        else {}
    )
    result = {}
    for course in courses:
        enrolment = latest.get(course.pk)
        n_required = required.get(course.pk, 0)
        n_done = done.get(enrolment.pk, 0) if enrolment else 0
        completed = bool(enrolment and enrolment.completed_at)
        result[course.pk] = CourseProgress(
            enrolment=enrolment,
            percent=progress_percent(
                completed=completed, lessons_done=n_done, lessons_required=n_required
            ),
            completed_lessons=min(n_done, n_required),
            required_lessons=n_required,
            completed=completed,
        )
    return result


def progress_percent(*, completed: bool, lessons_done: int, lessons_required: int) -> int:
    """A course's progress as members see it: 100 once completed, else the share of its
    required lessons done, at most 99 (the quiz or a lesson may still be missing)."""
    if completed:
        return 100
    if lessons_required:
        return min(99, 100 * lessons_done // lessons_required)
    return 0


def _lessons_done():
    """Completed, required, live lessons: the ones progress counts."""
    return LessonProgress.objects.filter(
        completed_at__isnull=False, lesson__is_required=True, lesson__live=True
    ).order_by()


def required_lessons(courses) -> dict:
    """{course_id: number of live, required lessons} in one query."""
    courses = list(courses)
    if not courses:
        return {}
    if len({c.depth for c in courses}) != 1:
        return _required_by_course(courses)
    lesson_filter = Q()
    for course in courses:
        lesson_filter |= Q(path__startswith=course.path, depth=course.depth + 1)
    by_path = {
        row["parent_path"]: row["n"]
        for row in LessonPage.objects.live()
        .filter(lesson_filter, is_required=True)
        .annotate(parent_path=Substr("path", 1, courses[0].depth * LessonPage.steplen))
        .order_by()
        .values("parent_path")
        .annotate(n=Count("pk"))
    }
    return {course.pk: by_path.get(course.path, 0) for course in courses}


def latest_attempts(*, members, courses):
    """The latest attempt of each of ``members`` (a queryset) at each of ``courses``, with
    ``lessons_done`` annotated: the rows :func:`progress_percent` needs, in one query."""
    later = Enrolment.objects.filter(
        member=OuterRef("member_id"), course=OuterRef("course_id"), attempt__gt=OuterRef("attempt")
    )
    done = (
        _lessons_done()
        .filter(enrolment=OuterRef("pk"))
        .values("enrolment")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Enrolment.objects.filter(member__in=members, course__in=courses)
        .exclude(Exists(later))
        .annotate(lessons_done=Coalesce(Subquery(done), 0))
    )


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
        progress.update(_this_cycle(member, own, course_progress(member=member, courses=own)))
    rows = [{"course": c, "progress": progress[c.pk]} for c in courses if c.pk in progress]
    return {"rows": rows, "member": members[0]}


def _this_cycle(member, courses, progress: dict) -> dict:
    """Progress as it counts now (as on マイ研修): an attempt begun before the attempt policy's
    start (the current cycle) is history, and the course starts again at 0%."""
    for course in courses:
        found = progress[course.pk]
        if found.enrolment is None:
            continue
        starts_after = attempt_starts_after(member=member, course=course)
        if starts_after is not None and found.enrolment.started_at < starts_after:
            progress[course.pk] = CourseProgress(
                enrolment=None,
                percent=0,
                completed_lessons=0,
                required_lessons=found.required_lessons,
                completed=False,
                previous=found.enrolment,
            )
    return progress


def _required_by_course(courses) -> dict:
    return {
        c.pk: lessons_of(c).filter(is_required=True).count() for c in courses
    }  # courses at different depths: rare (one query each)


# --- member's own records --------------------------------------------------------------


def enrolments_of_user(*, user):
    return (
        Enrolment.objects.filter(member__in=records_of_user(user=user))
        .select_related("course", "member", "certificate")
        .order_by("-started_at")
    )


def certificates_of_user(*, user):
    return (
        Certificate.objects.filter(enrolment__member__in=records_of_user(user=user))
        .select_related("enrolment__course", "enrolment__member")
        .order_by("-issued_at")
    )


def questions_of_user(*, user):
    return (
        Question.objects.filter(member__in=members_of_user(user=user))
        .select_related("course", "lesson")
        .order_by("-created_at")
    )


def faq_for_organisation(*, organisation):
    """The organisation's FAQ: answered questions of its members that staff published."""
    return (
        Question.objects.filter(
            member__organisation=organisation, faq_published=True, answered_at__isnull=False
        )
        .exclude(answer="")
        .select_related("course")
        .order_by("-answered_at", "-pk")
    )


def faq_for_course(*, course):
    return Question.objects.filter(course=course, faq_published=True, answered_at__isnull=False)


# --- staff --------------------------------------------------------------------------------


def enrolments_for_staff(*, user):
    return scope_to_staff(
        Enrolment.objects.all(), user=user, organisation_path="member__organisation"
    )


def certificates_for_staff(*, user):
    return scope_to_staff(
        Certificate.objects.all(), user=user, organisation_path="enrolment__member__organisation"
    )


def questions_for_staff(*, user):
    return scope_to_staff(
        Question.objects.all(), user=user, organisation_path="member__organisation"
    )


def verify_certificate(*, number: str):
    number = (number or "").strip().upper()
    if not number:
        return None
    return Certificate.objects.filter(number=number).first()


def with_study_time(enrolments):
    """Annotate attempts with ``required_seconds`` (the credited time their course asks for:
    COURSES_REQUIRED_TIME_SHARE of its stated duration) and ``fast`` (completed with less
    credited time than that: completions imported, granted, recorded from a seminar or a paper
    test, or earned before the clock existed). Staff reports flag them."""
    from django.db.models import BooleanField, Case, ExpressionWrapper, FloatField, When
    from django.db.models.functions import Ceil

    required = Ceil(
        ExpressionWrapper(
            F("course__estimated_minutes") * 60 * conf.required_time_share(),
            output_field=FloatField(),
        )
    )
    return enrolments.annotate(required_seconds=required).annotate(
        fast=Case(
            When(
                completed_at__isnull=False,
                credited_seconds__lt=F("required_seconds"),
                then=True,
            ),
            default=False,
            output_field=BooleanField(),
        )
    )


def lesson_study_rows(*, enrolment_ids) -> dict:
    """{attempt id: [LessonProgress with its lesson, in course order]}: credited time, video
    coverage and how each lesson was completed, for staff reports. One query."""
    rows: dict = {}
    for progress in (
        LessonProgress.objects.filter(enrolment_id__in=list(enrolment_ids))
        .select_related("lesson")
        .order_by("enrolment_id", "lesson__path")
    ):
        rows.setdefault(progress.enrolment_id, []).append(progress)
    return rows
