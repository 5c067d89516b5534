"""What a heartbeat needs to know, remembered for a few minutes: the member's attempt and
what the lesson requires.

Working it out takes six queries and building two Wagtail pages (the live lesson, its course,
the member active today, the latest attempt and the attempt policy); on the morning of June 1
that is most of the server's time, at one heartbeat per member every 15 seconds. The lesson
page works it out anyway, so it remembers the answer in the cache (Redis in production) under
the user and the lesson, and each heartbeat of the next ``COURSES_STUDY_CONTEXT_SECONDS``
(300) reads it back in one cache round trip.

A remembered context is only used on the day it was worked out (membership and cycle dates
are days) and while the *generation* it was worked out in is current. The generation moves
on, forgetting every context at once, whenever an answer could change: a course or lesson
published, unpublished, moved or deleted; a user or a member changed or deleted (not created,
not a sign-in's last_login); a membership saved or deleted; an attempt or a quiz attempt
deleted; a roster import applied; assignments refreshed (a new cycle). Answering a lesson's
quiz forgets that member's context of the lesson. New attempts need no signal: they are all
started by services.enrolment_start, where the context came from. What is left to the time limit is only what changes without any of these (none known).
A context is keyed by the session's user and holds the session auth hash Django verified when
it was worked out, so a heartbeat needs no query for the user either, and a context never
lets anyone study as someone else.
"""

from __future__ import annotations

import dataclasses
import datetime

from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.core.cache import cache
from django.utils import timezone

from courses.cache import move_generation_on

from . import conf

GENERATION_KEY = "courses:study:generation"


@dataclasses.dataclass(frozen=True)
class StudyContext:
    user_id: int
    session_auth_hash: str  # of the session Django authenticated when this was worked out
    lesson_id: int
    enrolment_id: int
    requirements: object  # services.LessonRequirements, without the quiz's block value
    quiz_passed: bool  # the lesson's quiz, in this attempt (forgotten when a quiz is answered)
    day: datetime.date
    generation: int


def _key(user_id, lesson_id) -> str:
    return f"courses:study:v2:{user_id}:{lesson_id}"  # v2: requirements with study times


def generation() -> int:
    """The current generation (0 when the cache has none yet)."""
    return cache.get(GENERATION_KEY, 0)


def session_user_id(request) -> int | None:
    """The user id the session was signed in as, read from the session alone (no query)."""
    try:
        return int(request.session[SESSION_KEY])
    except (KeyError, TypeError, ValueError):
        return None


def recall(*, request, lesson_id) -> tuple[StudyContext | None, int]:
    """(the remembered context of the session's user for the lesson or None, the current
    generation). One cache round trip, and no query: not even for the user.

    A context counts only for the session's user and the same session auth hash Django checked
    when it was worked out (a password change, a deactivation or a deletion of the user moves
    the generation on). Pass the generation to ``remember`` after working the context out.
    """
    user_id = session_user_id(request)
    if user_id is None:
        return None, 0
    key = _key(user_id, lesson_id)
    found = cache.get_many([key, GENERATION_KEY])
    current = found.get(GENERATION_KEY, 0)
    context = found.get(key)
    if (
        not isinstance(context, StudyContext)
        or context.generation != current
        or context.day != timezone.localdate()
        or context.user_id != user_id
        or context.session_auth_hash != request.session.get(HASH_SESSION_KEY, "")
    ):
        return None, current
    return context, current


def remember(
    *, request, lesson, enrolment, requirements, quiz_passed: bool, generation: int
) -> StudyContext:
    """Remember what was worked out for ``request.user`` (authenticated by Django) in
    ``generation``: read *before* working it out, so that a change made meanwhile makes the
    context stale instead of being missed."""
    context = StudyContext(
        user_id=request.user.pk,
        session_auth_hash=request.session.get(HASH_SESSION_KEY, ""),
        lesson_id=lesson.pk,
        enrolment_id=enrolment.pk,
        requirements=requirements.without_quiz_value(),
        quiz_passed=quiz_passed,
        day=timezone.localdate(),
        generation=generation,
    )
    cache.set(_key(request.user.pk, lesson.pk), context, conf.study_context_seconds())
    return context


def forget(*, user, lesson_id) -> None:
    """Forget one member's context of one lesson (a quiz was answered)."""
    cache.delete(_key(user.pk, lesson_id))


def forget_all(**kwargs) -> None:
    """Move the generation on: every remembered context is worked out again. Usable as a
    signal receiver."""
    move_generation_on(GENERATION_KEY)


def _forget_on_change(sender, created=False, update_fields=None, **kwargs):
    """Not for a new user or member (nobody studied as them yet: on the morning of June 1 a
    first sign-in creates a user every few seconds), nor for a sign-in's last_login."""
    if created or (update_fields is not None and set(update_fields) <= {"last_login"}):
        return
    forget_all()


def _forget_for_course_pages(sender, instance=None, **kwargs):
    from .models import CoursePage, LessonPage

    if isinstance(instance, (CoursePage, LessonPage)):
        forget_all()


def connect_signals() -> None:
    """Wire the changes that can change a study context (called from CoursesConfig.ready)."""
    from django.contrib.auth import get_user_model
    from django.db.models.signals import post_delete, post_save
    from wagtail.models import Page
    from wagtail.signals import page_published, page_unpublished, post_page_move

    from members.models import Member, Membership
    from members.signals import roster_imported

    from .models import Enrolment, QuizAttempt

    uid = "courses_study_{}".format
    page_published.connect(_forget_for_course_pages, dispatch_uid=uid("published"))
    page_unpublished.connect(_forget_for_course_pages, dispatch_uid=uid("unpublished"))
    post_page_move.connect(_forget_for_course_pages, dispatch_uid=uid("moved"))
    post_delete.connect(forget_all, sender=Page, dispatch_uid=uid("page_deleted"))
    user_model = get_user_model()
    for model in (user_model, Member):
        post_save.connect(_forget_on_change, sender=model, dispatch_uid=uid(f"{model}_saved"))
    for model in (user_model, Member, Membership):
        post_delete.connect(forget_all, sender=model, dispatch_uid=uid(f"{model}_deleted"))
    # a new membership period can make an earlier member record of the user the active one
    post_save.connect(forget_all, sender=Membership, dispatch_uid=uid("membership_saved"))
    post_delete.connect(forget_all, sender=Enrolment, dispatch_uid=uid("attempt_deleted"))
    post_delete.connect(forget_all, sender=QuizAttempt, dispatch_uid=uid("quiz_deleted"))
    roster_imported.connect(forget_all, dispatch_uid=uid("roster_imported"))
