"""Writes on courses and progress. Plain functions with keyword-only arguments.

Every endpoint of the player calls one of these; they are idempotent (a repeated call
changes nothing) and safe under concurrent tabs (rows are locked with select_for_update,
unique constraints catch the rest).
"""

import dataclasses
import datetime
import math
import secrets
from dataclasses import dataclass, field

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import conf, coverage, study_time
from . import quiz as quizlib
from .clock import clock_start, study_clock_credit
from .models import (
    Certificate,
    CoursePage,
    Enrolment,
    LessonPage,
    LessonProgress,
    Question,
    QuizAttempt,
)
from .selectors import attempt_starts_after, latest_enrolment, lessons_of
from .signals import course_completed
from .study_time import StudyMinimum

# --- attempts -------------------------------------------------------------------------------


def enrolment_start(*, member, course) -> Enrolment:
    """The enrolment (attempt) to study ``course`` in.

    The latest attempt, unless ``settings.COURSES_ATTEMPT_STARTS_AFTER`` says a moment
    after it started; then a fresh attempt (attempt + 1) is created. Earlier attempts and
    their completions are kept as they are.
    """
    latest = latest_enrolment(member=member, course=course)
    if latest is None:
        return _enrolment_get_or_create(member=member, course=course, attempt=1)
    starts_after = attempt_starts_after(member=member, course=course)
    if starts_after is not None and latest.started_at < starts_after:
        return _enrolment_get_or_create(member=member, course=course, attempt=latest.attempt + 1)
    return latest


def _enrolment_get_or_create(*, member, course, attempt) -> Enrolment:
    enrolment, created = _insert_or_get(
        Enrolment, {"member": member, "course": course, "attempt": attempt}, stamp="started_at"
    )
    if created:  # the member's study clock, which every credit of this attempt moves on
        clock_start(member_id=member.pk)
    return enrolment


def _insert_or_get(model, lookup: dict, *, stamp: str, values=None) -> tuple:
    """(the row of ``model`` matching ``lookup``, whether this call inserted it).

    For rows the caller has just looked for and not found. The row is inserted with
    ``ON CONFLICT DO NOTHING`` (another tab may insert it at the same moment: then that row is
    read), in one statement instead of get_or_create's savepoint dance. ``stamp`` names a
    timestamp field with a ``timezone.now`` default: equal on the row read back only when this
    call inserted it. No post_save signal is sent; the models used here have no receivers.
    """
    new = model(**lookup, **(values or {}))
    model.objects.bulk_create([new], ignore_conflicts=True)
    row = model.objects.get(**lookup)
    return row, getattr(row, stamp) == getattr(new, stamp)


# --- lessons: what they require -----------------------------------------------------------


@dataclass
class VideoInfo:
    block_id: str
    tracked: bool  # an uploaded video (one without a readable length can only be studied
    # through its transcript)
    allow_seeking: bool
    duration: float  # seconds, read on the server (courses.media); never the browser's


@dataclass
class LessonRequirements:
    videos: list[VideoInfo] = field(default_factory=list)
    quiz: object = None  # the quiz block's StructValue
    quiz_block_id: str = ""
    minimum: StudyMinimum = field(default_factory=StudyMinimum)
    course_seconds: int = 0  # credited seconds the whole course needs (its 所要時間's share)
    scorm: bool = False  # a SCORM lesson: complete when its package's SCOs are

    @property
    def tracked_videos(self):
        return [v for v in self.videos if v.tracked]

    @property
    def has_quiz(self) -> bool:
        return bool(self.quiz_block_id)

    def min_seconds(self, path) -> int:
        """The lesson's minimum study time when completed through ``path``."""
        if path == LessonProgress.Path.TRANSCRIPT:
            return self.minimum.transcript_path_seconds
        return self.minimum.video_path_seconds

    def without_quiz_value(self) -> "LessonRequirements":
        """A copy that can be kept in the cache (what completing takes, not the questions)."""
        return dataclasses.replace(self, quiz=None)


def lesson_requirements(lesson: LessonPage, *, course=None) -> LessonRequirements:
    """What completing ``lesson`` takes, read from its body without rendering it.

    Video blocks are read from the raw stream data (their media's durations come from
    ``media_durations``, cached), and only the quiz blocks are converted: a heartbeat costs no
    query for the body's choosers (media, captions, documents, images). ``course``: the
    lesson's course when the caller has it (for the course's required time; else read).
    """
    req = LessonRequirements(scorm=_is_scorm_lesson(lesson))
    body = lesson.body
    videos = []
    for i, raw in enumerate(body.raw_data):
        kind = raw.get("type")
        if kind == "video":
            videos.append(raw)
        elif kind == "quiz" and req.quiz is None:
            block = body[i]  # converts the quiz blocks only
            req.quiz, req.quiz_block_id = block.value, str(block.id)
    if videos:
        values = [raw.get("value") or {} for raw in videos]
        durations = media_durations([v.get("media") for v in values if v.get("media")])
        for raw, value in zip(videos, values, strict=True):
            media = value.get("media")
            duration = durations.get(int(media)) if media else None  # None: none, or gone
            req.videos.append(
                VideoInfo(
                    block_id=str(raw.get("id")),
                    tracked=duration is not None,
                    allow_seeking=bool(value.get("allow_seeking")),
                    duration=duration or 0.0,
                )
            )
    chars = study_time.body_characters(body.raw_data)
    req.minimum = StudyMinimum(
        characters=chars,
        reading_seconds=study_time.reading_seconds(chars),
        video_seconds=math.ceil(sum(v.duration for v in req.tracked_videos)),
        override=lesson.min_study_seconds,
    )
    if lesson.pk and lesson.depth:
        if course is None:
            course = (
                CoursePage.objects.filter(path=lesson.path[: -lesson.steplen])
                .only("estimated_minutes")
                .first()
            )
        req.course_seconds = study_time.course_required_seconds(course) if course else 0
    return req


def _is_scorm_lesson(lesson) -> bool:
    from .scorm.models import ScormLessonPage

    return issubclass(lesson.specific_class or LessonPage, ScormLessonPage)


def scorm_done(*, enrolment_id, lesson_id) -> bool:
    from .scorm.selectors import scorm_lesson_done

    return scorm_lesson_done(enrolment_id=enrolment_id, lesson_id=lesson_id)


MEDIA_DURATION_CACHE_SECONDS = 3600


def _media_duration_key(pk) -> str:
    return f"courses:media-duration:{pk}"


def media_durations(ids) -> dict:
    """{media id: duration in seconds (0.0 = unknown)} of the media that exist, through the
    cache (forgotten when a media item is saved or deleted: see models.py)."""
    from django.core.cache import cache
    from wagtailmedia.models import get_media_model

    keys = {_media_duration_key(pk): pk for pk in {int(pk) for pk in ids}}
    if not keys:
        return {}
    found = cache.get_many(list(keys))
    result = {keys[key]: value for key, value in found.items() if value is not None}
    missing = [pk for key, pk in keys.items() if key not in found]
    if missing:
        rows = dict(get_media_model().objects.filter(pk__in=missing).values_list("pk", "duration"))
        fresh = {pk: float(rows[pk] or 0) if pk in rows else None for pk in missing}
        # a media item that does not exist is remembered as None: only found items count
        cache.set_many(
            {_media_duration_key(pk): value for pk, value in fresh.items()},
            MEDIA_DURATION_CACHE_SECONDS,
        )
        result.update({pk: value for pk, value in fresh.items() if value is not None})
    return result


def forget_media_duration(pk) -> None:
    from django.core.cache import cache

    cache.delete(_media_duration_key(pk))


def video_watched_ratio(progress: LessonProgress, video: VideoInfo) -> float:
    duration = video.duration  # read on the server: the browser's figure is never used
    if duration <= 0:
        return 0.0
    watched = coverage.seconds(progress.video_coverage.get(video.block_id, {}).get("r", []))
    return min(1.0, watched / duration)


def video_is_watched(progress, video) -> bool:
    return video_watched_ratio(progress, video) >= conf.video_watched_ratio()


@dataclass
class LessonStatus:
    missing: list[str]  # "reading" (study time), "video", "quiz"
    path: str  # completion path the lesson would be completed through
    reading_left: int = 0  # seconds of study time still needed on this lesson
    auto: bool = False  # completes without the explicit button
    min_seconds: int = 0  # the lesson's minimum study time on this path
    credited_seconds: int = 0  # credited so far on this lesson


def lesson_status(
    *, lesson, progress, quiz_passed: bool, req=None, scorm_done: bool = False
) -> LessonStatus:
    req = req or lesson_requirements(lesson)
    missing, path = [], LessonProgress.Path.READING
    if req.scorm:
        path = LessonProgress.Path.SCORM
        if not scorm_done:
            missing.append("scorm")
    tracked = req.tracked_videos
    if tracked:
        if progress and all(video_is_watched(progress, v) for v in tracked):
            path = LessonProgress.Path.VIDEO
        elif progress and progress.transcript_chosen_at:
            path = LessonProgress.Path.TRANSCRIPT
        else:
            missing.append("video")
    minimum = req.min_seconds(path)
    credited = progress.active_seconds if progress else 0
    reading_left = max(0, minimum - credited)
    if reading_left:
        missing.insert(0, "reading")
    if req.has_quiz and not quiz_passed:
        missing.append("quiz")
    auto = req.has_quiz or path in (LessonProgress.Path.VIDEO, LessonProgress.Path.SCORM)
    return LessonStatus(
        missing=missing,
        path=path,
        reading_left=reading_left,
        auto=auto,
        min_seconds=minimum,
        credited_seconds=credited,
    )


# --- lessons: evidence --------------------------------------------------------------------


def lesson_open(*, enrolment, lesson) -> LessonProgress:
    """Record that the lesson page was opened. Restarts the clocks that bound heartbeats.

    Two statements: a SELECT and an UPDATE once the row exists, a SELECT, an INSERT and a
    SELECT for the first open (no transaction needed: see ``_progress_get_or_create``).
    """
    now = timezone.now()
    clocks = {"last_activity_at": now, "last_heartbeat_at": now, "video_reported_at": now}
    progress, created = _progress_get_or_create(
        enrolment_id=enrolment.pk, lesson_id=lesson.pk, first=clocks
    )
    if not created:
        LessonProgress.objects.filter(pk=progress.pk).update(**clocks)
        for name, value in clocks.items():
            setattr(progress, name, value)
    return progress


def _progress_get_or_create(*, enrolment_id, lesson_id, first=None) -> tuple[LessonProgress, bool]:
    """(the progress row, whether this call created it). ``first``: field values of a new row.

    The row exists after the first open: one SELECT. A missing row is inserted with
    ``ON CONFLICT DO NOTHING`` (another tab may insert it at the same moment), then read.
    """
    ids = {"enrolment_id": enrolment_id, "lesson_id": lesson_id}
    progress = LessonProgress.objects.filter(**ids).first()
    if progress is not None:
        return progress, False
    return _insert_or_get(LessonProgress, ids, stamp="first_opened_at", values=first)


def lesson_heartbeat(*, enrolment, lesson, seconds) -> LessonProgress:
    """``study_heartbeat`` for an attempt and a lesson at hand."""
    return study_heartbeat(
        enrolment_id=enrolment.pk,
        lesson_id=lesson.pk,
        requirements=lesson_requirements(lesson),
        seconds=seconds,
    )


def study_heartbeat(
    *, enrolment_id, lesson_id, requirements, seconds, quiz_passed=None
) -> LessonProgress:
    """Credit the seconds the page was visible on the member's study clock
    (``clock.study_clock_credit``: never more than the wall-clock time since their last credit
    anywhere, nor since this lesson's last one), and complete what that completes.

    Takes ids, the lesson's requirements and whether its quiz is passed (study_context.py
    remembers them between heartbeats; None: look it up). One statement on PostgreSQL once the
    clock and the progress row exist. The returned progress is current, and completed when
    this heartbeat completed the lesson; its ``lesson_status`` attribute is the LessonStatus,
    ``enrolment_credited_seconds`` the attempt's credited total and ``course_seconds`` what
    the course needs.
    """
    progress = study_clock_credit(enrolment_id=enrolment_id, lesson_id=lesson_id, seconds=seconds)
    if quiz_passed is None:
        quiz_passed = requirements.has_quiz and lesson_quiz_passed(
            enrolment_id=enrolment_id, lesson_id=lesson_id
        )
    status = lesson_status(
        lesson=None,
        progress=progress,
        quiz_passed=quiz_passed,
        req=requirements,
        scorm_done=requirements.scorm
        and progress.completed_at is None
        and scorm_done(enrolment_id=enrolment_id, lesson_id=lesson_id),
    )
    credited_total = progress.enrolment_credited_seconds
    enrolment_completed_at = progress.enrolment_completed_at
    if progress.completed_at is None and not status.missing and status.auto:
        # only now are the attempt and the page needed (the completion records the revision)
        progress, status = lesson_try_complete(
            enrolment=Enrolment.objects.select_related("member").get(pk=enrolment_id),
            lesson=LessonPage.objects.get(pk=lesson_id),
        )
        enrolment_completed_at = (
            Enrolment.objects.filter(pk=enrolment_id).values_list("completed_at", flat=True).get()
        )
    elif (
        enrolment_completed_at is None
        and requirements.course_seconds
        and credited_total - progress.credited_now < requirements.course_seconds <= credited_total
    ):  # this credit reached the course's required time: the course may be complete now
        enrolment = Enrolment.objects.get(pk=enrolment_id)
        enrolment_try_complete(enrolment=enrolment)
        enrolment_completed_at = enrolment.completed_at
    progress.lesson_status = status
    progress.enrolment_credited_seconds = credited_total
    progress.enrolment_completed_at = enrolment_completed_at
    progress.course_seconds = requirements.course_seconds
    return progress


def lesson_quiz_passed(*, enrolment_id, lesson_id) -> bool:
    return QuizAttempt.objects.filter(
        enrolment_id=enrolment_id, lesson_id=lesson_id, passed=True
    ).exists()


def lesson_video_report(*, enrolment, lesson, block_id, played) -> LessonProgress:
    """Merge the seconds the player saw into the video's coverage.

    Coverage can grow by at most (wall-clock seconds since the last report) x the fastest
    playback rate, so a forged report cannot claim a video that was not played. When the
    editor forbids skipping ahead, only seconds contiguous from the start count.
    """
    req = lesson_requirements(lesson)
    video = next((v for v in req.videos if v.block_id == str(block_id)), None)
    if video is None or not video.tracked:
        raise LookupError("no tracked video with this id in the lesson")
    _progress_get_or_create(enrolment_id=enrolment.pk, lesson_id=lesson.pk)
    with transaction.atomic():
        progress = LessonProgress.objects.select_for_update().get(
            enrolment=enrolment, lesson=lesson
        )
        now = timezone.now()
        entry = dict(progress.video_coverage.get(video.block_id, {"d": 0, "r": []}))
        entry["d"] = video.duration  # the server's figure; the browser's is never used
        known = entry.get("r", [])
        incoming = coverage.from_played(played or [], duration=float(entry["d"] or 0))
        new = coverage.difference(incoming, known)
        since = progress.video_reported_at or progress.last_activity_at
        budget = int(
            ((now - since).total_seconds() * conf.max_playback_rate() + 1) * coverage.SCALE
        )
        merged = coverage.union(known, coverage.take(new, max(0, budget)))
        if not video.allow_seeking:
            merged = coverage.prefix(merged)
        entry["r"] = merged
        progress.video_coverage = {**progress.video_coverage, video.block_id: entry}
        progress.video_reported_at = now
        progress.last_activity_at = now
        progress.save(update_fields=["video_coverage", "video_reported_at", "last_activity_at"])
    if progress.completed_at is None:
        lesson_try_complete(enrolment=enrolment, lesson=lesson)
        progress.refresh_from_db()
    return progress


def lesson_choose_transcript(*, enrolment, lesson) -> LessonProgress:
    """The member studies the video through its transcript (and the lesson's quiz)."""
    progress, _ = _progress_get_or_create(enrolment_id=enrolment.pk, lesson_id=lesson.pk)
    LessonProgress.objects.filter(pk=progress.pk, transcript_chosen_at__isnull=True).update(
        transcript_chosen_at=timezone.now()
    )
    lesson_try_complete(enrolment=enrolment, lesson=lesson)
    progress.refresh_from_db()
    return progress


def lesson_try_complete(
    *, enrolment, lesson, explicit=False
) -> tuple[LessonProgress, LessonStatus]:
    """Complete the lesson when its required parts are done.

    Lessons with a quiz or a tracked video complete by themselves; text lessons need the
    member's explicit 「学習を完了する」 (``explicit=True``). Idempotent: a completed lesson keeps
    its first completion time, path and revision.
    """
    progress, _ = _progress_get_or_create(enrolment_id=enrolment.pk, lesson_id=lesson.pk)
    if progress.completed_at:
        return progress, LessonStatus(missing=[], path=progress.completion_path)
    quiz_passed = QuizAttempt.objects.filter(
        enrolment=enrolment, lesson=lesson, passed=True
    ).exists()
    req = lesson_requirements(lesson)
    status = lesson_status(
        lesson=lesson,
        progress=progress,
        quiz_passed=quiz_passed,
        req=req,
        scorm_done=req.scorm and scorm_done(enrolment_id=enrolment.pk, lesson_id=lesson.pk),
    )
    if status.missing or not (explicit or status.auto):
        return progress, status
    with transaction.atomic():
        updated = LessonProgress.objects.filter(pk=progress.pk, completed_at__isnull=True).update(
            completed_at=timezone.now(),
            completion_path=status.path,
            completed_revision_id=lesson.live_revision_id,
        )
        if updated:
            enrolment_try_complete(enrolment=enrolment)
    progress.refresh_from_db()
    return progress, status


# --- quizzes ------------------------------------------------------------------------------

QUIZ_SALT = "courses.quiz"


def quiz_token(*, enrolment, lesson=None, question_ids=None, seed="") -> str:
    """Signed hidden field: who may submit, for which quiz, when it was shown, which questions
    it showed (``question_ids``, in order; None: all of them) with the ``seed`` that ordered
    their choices, and a key that makes a double submission of the same form harmless."""
    import uuid

    return signing.dumps(
        {
            "k": str(uuid.uuid4()),
            "e": enrolment.pk,
            "l": lesson.pk if lesson else 0,
            "t": int(timezone.now().timestamp()),
            "q": list(question_ids) if question_ids is not None else None,
            "s": seed,
        },
        salt=QUIZ_SALT,
    )


class QuizError(Exception):
    pass


class QuizRefused(QuizError):
    """The quiz's limits do not allow an attempt now. ``reason``: "cooldown", "daily" or
    "used_up"; ``until``: when the next attempt is allowed (None: not in this attempt)."""

    def __init__(self, reason, until=None):
        super().__init__(reason)
        self.reason, self.until = reason, until


class QuizResubmitted(QuizError):
    """This form was already submitted, with other answers (the member pressed Back and
    answered again): ``attempt`` is the one recorded then. A fresh form makes a new attempt."""

    def __init__(self, attempt):
        super().__init__("already submitted")
        self.attempt = attempt


def quiz_seed(*, enrolment, lesson=None, attempts: int | None = None) -> str:
    """``attempts``: the number of this quiz's attempts in the enrolment, when already known.
    The same until an attempt is submitted: reloading the page shows the same questions."""
    n = (
        QuizAttempt.objects.filter(enrolment=enrolment, lesson=lesson).count()
        if attempts is None
        else attempts
    )
    return f"{enrolment.pk}:{lesson.pk if lesson else 'final'}:{n}"


@dataclass
class QuizSettings:
    show_answers: str
    attempts_per_day: int
    max_attempts: int
    cooldown_seconds: int

    @classmethod
    def of(cls, quiz_value) -> "QuizSettings":
        from .blocks import SHOW_ANSWERS_AFTER_PASSING

        return cls(
            show_answers=quiz_value.get("show_answers") or SHOW_ANSWERS_AFTER_PASSING,
            attempts_per_day=quiz_value.get("attempts_per_day") or 0,
            max_attempts=quiz_value.get("max_attempts") or 0,
            cooldown_seconds=quiz_value.get("cooldown_seconds") or 0,
        )


@dataclass
class QuizState:
    """Where a member stands with one quiz in one attempt of a course."""

    settings: QuizSettings
    passed: bool
    attempts: int  # in this course attempt
    attempts_today: int
    next_allowed_at: datetime.datetime | None  # None: now
    refused: str = ""  # why no attempt is allowed now ("cooldown", "daily", "used_up")

    @property
    def attempts_left_today(self) -> int | None:
        if not self.settings.attempts_per_day:
            return None
        return max(0, self.settings.attempts_per_day - self.attempts_today)

    @property
    def no_attempt_left(self) -> bool:
        """No further attempt is allowed: all attempts used, or (without a total) today's."""
        if self.settings.max_attempts:
            return self.attempts >= self.settings.max_attempts
        left = self.attempts_left_today
        return left is not None and left == 0

    @property
    def answers_visible(self) -> bool:
        from .blocks import SHOW_ANSWERS_AFTER_LAST_ATTEMPT, SHOW_ANSWERS_AFTER_PASSING

        mode = self.settings.show_answers
        if mode == SHOW_ANSWERS_AFTER_PASSING:
            return self.passed
        if mode == SHOW_ANSWERS_AFTER_LAST_ATTEMPT:
            return self.passed or self.no_attempt_left
        return False


def quiz_state(*, enrolment, lesson=None, quiz_value, attempts=None, now=None) -> QuizState:
    """The member's attempts at this quiz and what its settings allow now. ``attempts``: this
    quiz's QuizAttempt rows in the enrolment when the caller has them (else read)."""
    settings = QuizSettings.of(quiz_value)
    if attempts is None:
        attempts = list(
            QuizAttempt.objects.filter(enrolment=enrolment, lesson=lesson).only(
                "submitted_at", "passed"
            )
        )
    now = now or timezone.now()
    today = timezone.localdate(now)
    today_count = sum(1 for a in attempts if timezone.localdate(a.submitted_at) == today)
    last = max((a.submitted_at for a in attempts), default=None)
    state = QuizState(
        settings=settings,
        passed=any(a.passed for a in attempts),
        attempts=len(attempts),
        attempts_today=today_count,
        next_allowed_at=None,
    )
    if settings.max_attempts and len(attempts) >= settings.max_attempts:
        state.refused = "used_up"
    elif settings.attempts_per_day and today_count >= settings.attempts_per_day:
        state.refused = "daily"
        tomorrow = datetime.datetime.combine(
            today + datetime.timedelta(days=1),
            datetime.time.min,
            tzinfo=timezone.get_current_timezone(),
        )
        state.next_allowed_at = tomorrow
    elif last and settings.cooldown_seconds:
        until = last + datetime.timedelta(seconds=settings.cooldown_seconds)
        if until > now:
            state.refused, state.next_allowed_at = "cooldown", until
    return state


def quiz_submit(*, enrolment, token: str, submitted: dict, lesson=None) -> QuizAttempt:
    """Grade a lesson quiz (``lesson``) or the course's final quiz (``lesson=None``).

    ``submitted``: {question_id: [choice_id, ...]}. Only the questions the form showed are
    graded, and the attempt keeps them as shown with the answers. The same form submitted twice
    with the same answers returns the first attempt (a double click); with other answers it
    raises QuizResubmitted. The quiz's limits (attempts per day and in all, the wait between
    attempts) raise QuizRefused.
    """
    try:
        data = signing.loads(token, salt=QUIZ_SALT, max_age=conf.quiz_token_seconds())
    except signing.BadSignature as exc:
        raise QuizError("stale or invalid form") from exc
    if data.get("e") != enrolment.pk or data.get("l") != (lesson.pk if lesson else 0):
        raise QuizError("form of another quiz")
    course = enrolment.course
    if lesson is not None:
        req = lesson_requirements(lesson, course=course)
        if req.quiz is None:
            raise QuizError("this lesson has no quiz")
        quiz_value, pass_mark, revision = req.quiz, req.quiz["pass_mark"], lesson.live_revision_id
    else:
        if not course.final_quiz:
            raise QuizError("this course has no final quiz")
        quiz_value, pass_mark = course.final_quiz[0].value, course.pass_mark
        revision = course.live_revision_id
    if data.get("q") is None:  # a form that showed every question
        shown = quizlib.questions_of(quiz_value)
    else:
        shown = quizlib.presented(quiz_value, question_ids=data["q"], seed=data.get("s", ""))
    result = quizlib.grade(quiz_value, submitted, pass_mark=pass_mark, questions=shown)
    existing = QuizAttempt.objects.filter(enrolment=enrolment, submission_key=data["k"]).first()
    if existing:
        if existing.answers == result.answers:
            return existing
        raise QuizResubmitted(existing)
    started = datetime.datetime.fromtimestamp(data["t"], tz=datetime.UTC)
    try:
        with transaction.atomic():
            # one member's submissions of one quiz take turns on the attempt row, so that two
            # at once cannot both pass the limits
            Enrolment.objects.select_for_update().filter(pk=enrolment.pk).order_by().values_list(
                "pk", flat=True
            ).first()
            state = quiz_state(enrolment=enrolment, lesson=lesson, quiz_value=quiz_value)
            if state.refused:
                raise QuizRefused(state.refused, state.next_allowed_at)
            attempt = QuizAttempt.objects.create(
                enrolment=enrolment,
                lesson=lesson,
                submission_key=data["k"],
                answers=result.answers,
                questions=quizlib.snapshot(shown, result.answers, result.correct),
                score=result.score,
                passed=result.passed,
                started_at=started,
                submitted_at=timezone.now(),
                revision_id=revision,
            )
    except IntegrityError:
        existing = QuizAttempt.objects.get(enrolment=enrolment, submission_key=data["k"])
        if existing.answers == result.answers:
            return existing
        raise QuizResubmitted(existing)
    if attempt.passed:
        if lesson is not None:
            lesson_try_complete(enrolment=enrolment, lesson=lesson)
        else:
            enrolment_try_complete(enrolment=enrolment)
    return attempt


# --- course completion --------------------------------------------------------------------


def course_missing(*, enrolment) -> dict:
    """What still stands between this attempt and completion: required lessons (ids), the
    final quiz, and the credited study seconds still needed (``time_left``)."""
    course = enrolment.course
    required = list(lessons_of(course).filter(is_required=True).values_list("pk", flat=True))
    done = set(
        LessonProgress.objects.filter(
            enrolment=enrolment, lesson_id__in=required, completed_at__isnull=False
        ).values_list("lesson_id", flat=True)
    )
    final_needed = (
        bool(course.final_quiz)
        and not QuizAttempt.objects.filter(
            enrolment=enrolment, lesson__isnull=True, passed=True
        ).exists()
    )
    time_left = max(0, study_time.course_required_seconds(course) - enrolment.credited_seconds)
    return {
        "lessons": [pk for pk in required if pk not in done],
        "final_quiz": final_needed,
        "time_left": time_left,
    }


def enrolment_try_complete(*, enrolment) -> bool:
    """Complete the attempt when its required lessons are complete, the final quiz (if any)
    is passed and the credited study time reaches the course's required share of its stated
    duration. Stores the time and the course revision; issues the certificate."""
    with transaction.atomic():
        locked = Enrolment.objects.select_for_update().select_related("course").get(pk=enrolment.pk)
        if locked.completed_at:
            return False
        missing = course_missing(enrolment=locked)
        if missing["lessons"] or missing["final_quiz"] or missing["time_left"]:
            return False
        _enrolment_mark_complete(
            enrolment=locked, completed_at=timezone.now(), source=Enrolment.Source.ELEARNING
        )
    enrolment.refresh_from_db()
    return True


def _enrolment_mark_complete(*, enrolment, completed_at, source, user=None, evidence_note=""):
    enrolment.completed_at = completed_at
    enrolment.source = source
    enrolment.completed_revision_id = enrolment.course.live_revision_id
    enrolment.recorded_by = user
    enrolment.evidence_note = evidence_note
    enrolment.save(
        update_fields=[
            "completed_at",
            "source",
            "completed_revision",
            "recorded_by",
            "evidence_note",
            "started_at",
        ]
    )
    if enrolment.course.issues_certificate:
        certificate_issue(enrolment=enrolment)
    transaction.on_commit(lambda: course_completed.send(sender=Enrolment, enrolment=enrolment))


def enrolment_record_external(
    *, member, course, source, completed_on: datetime.date, evidence_note="", user=None
) -> tuple[Enrolment, bool]:
    """Record a completion outside e-learning (seminar attendance, paper test).

    Returns (enrolment, created). Recording the same member, course, source and date again
    changes nothing, and neither does recording it for an attempt that is already complete.
    """
    if source not in (Enrolment.Source.SEMINAR, Enrolment.Source.PAPER):
        raise ValueError(f"not an external source: {source}")
    tz = timezone.get_current_timezone()
    day_start = datetime.datetime.combine(completed_on, datetime.time.min, tzinfo=tz)
    day_end = day_start + datetime.timedelta(days=1)
    with transaction.atomic():
        same = Enrolment.objects.filter(
            member=member,
            course=course,
            source=source,
            completed_at__gte=day_start,
            completed_at__lt=day_end,
        ).first()
        if same:
            return same, False
        enrolment = enrolment_start(member=member, course=course)
        enrolment = (
            Enrolment.objects.select_for_update().select_related("course").get(pk=enrolment.pk)
        )
        if enrolment.completed_at:
            return enrolment, False
        completed_at = datetime.datetime.combine(completed_on, datetime.time(12, 0), tzinfo=tz)
        if enrolment.started_at > completed_at and not enrolment.lesson_progress.exists():
            enrolment.started_at = completed_at
        _enrolment_mark_complete(
            enrolment=enrolment,
            completed_at=completed_at,
            source=source,
            user=user,
            evidence_note=evidence_note,
        )
    return enrolment, True


# --- certificates -------------------------------------------------------------------------

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def certificate_number(year: int) -> str:
    token = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"{year}-{token[:4]}-{token[4:]}"


def certificate_issue(*, enrolment) -> Certificate:
    """Issue (once) the certificate of a completed enrolment. Facts are copied as of today."""
    existing = Certificate.objects.filter(enrolment=enrolment).first()
    if existing:
        return existing
    if not enrolment.completed_at:
        raise ValueError("enrolment is not complete")
    member = enrolment.member
    completed_on = timezone.localtime(enrolment.completed_at).date()
    for _ in range(5):
        try:
            with transaction.atomic():
                return Certificate.objects.create(
                    enrolment=enrolment,
                    number=certificate_number(completed_on.year),
                    member_name=member.name,
                    course_title=enrolment.course.title,
                    organisation_name=member.organisation.name,
                    completed_on=completed_on,
                )
        except IntegrityError:
            existing = Certificate.objects.filter(enrolment=enrolment).first()
            if existing:
                return existing
    raise RuntimeError("could not find a free certificate number")


# --- questions ----------------------------------------------------------------------------


def question_ask(*, member, body: str, course=None, lesson=None) -> Question:
    """A member's question (about a course or lesson, or a general enquiry without either);
    the office is told at once or in the daily digest (courses/questions.py)."""
    from .questions import question_asked

    if lesson is not None and course is None:
        course = CoursePage.objects.filter(pk=lesson.get_parent().pk).first()
    question = Question.objects.create(
        member=member, body=body.strip(), course=course, lesson=lesson
    )
    question_asked(question)
    return question


def question_answer(*, question, answer: str, user, faq_published=None) -> Question:
    """Save the office's answer; the member is e-mailed once, after commit."""
    from .tasks import question_answer_notify

    first_answer = not question.answered_at
    question.answer = answer.strip()
    if question.answer and first_answer:
        question.answered_at = timezone.now()
        question.answered_by = user
    if faq_published is not None:
        question.faq_published = bool(faq_published) and bool(question.answer)
    question.save()
    if question.answer and question.answer_notified_at is None:
        pk = question.pk
        transaction.on_commit(lambda: question_answer_notify.delay(pk))
    return question


def question_notify(*, question_id: int) -> bool:
    """E-mail the member that their question has an answer. Once only."""
    from django.core.mail import EmailMessage
    from django.template.loader import render_to_string
    from django.urls import reverse
    from django.utils import translation

    from members import mailheaders

    with transaction.atomic():
        question = (
            Question.objects.select_for_update(of=("self",))
            .select_related("member__organisation", "course")
            .filter(pk=question_id, answer_notified_at__isnull=True, answered_at__isnull=False)
            .first()
        )
        if question is None or not question.member.email:
            return False
        organisation = question.member.organisation
        with translation.override("ja"):
            context = {
                "question": question,
                "organisation": organisation,
                "url": conf.site_url() + reverse("courses:question_detail", args=[question.pk]),
            }
            subject = render_to_string("courses/email/answer_subject.txt", context).strip()
            body = render_to_string("courses/email/answer_body.txt", context)
        message = EmailMessage(
            subject=mailheaders.header_value(subject, name="Subject"),
            body=body,
            from_email=mailheaders.header_value(organisation.mail_from, name="From") or None,
            to=[question.member.email],
            reply_to=[organisation.reply_to or organisation.contact_email]
            if (organisation.reply_to or organisation.contact_email)
            else None,
        )
        message.send()
        question.answer_notified_at = timezone.now()
        question.save(update_fields=["answer_notified_at"])
    return True


# --- attendance lists (seminar / paper test) ----------------------------------------------


def attendance_import_preview(
    *, organisation, course, source, completed_on, uploaded_file, user, evidence_note=""
):
    """Step 1: store the file and validate every row. Nothing is recorded yet."""
    from django.core.files.base import ContentFile

    from .attendance import parse
    from .models import AttendanceImport

    data = uploaded_file.read()
    name = getattr(uploaded_file, "name", "attendance.csv").rsplit("/", 1)[-1]
    parsed = parse(data, file_name=name, organisation=organisation)
    member_ids = [r.member_id for r in parsed.rows if r.member_id]
    already = _already_complete(
        member_ids=member_ids, course=course, source=source, day=completed_on
    )
    import_ = AttendanceImport(
        organisation=organisation,
        course=course,
        source=source,
        completed_on=completed_on,
        evidence_note=evidence_note,
        original_filename=name,
        created_by=user,
        errors=parsed.errors,
        counts={
            "rows": len(parsed.rows),
            "to_record": len(member_ids) - len(already),
            "unchanged": len(already),
            "rejected": len(parsed.errors),
            "member_ids": member_ids,
        },
    )
    import_.file.save(name, ContentFile(data), save=False)
    import_.save()
    return import_


def _already_complete(*, member_ids, course, source, day):
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)
    return set(
        Enrolment.objects.filter(
            member_id__in=member_ids,
            course=course,
            source=source,
            completed_at__gte=start,
            completed_at__lt=start + datetime.timedelta(days=1),
        ).values_list("member_id", flat=True)
    )


class ImportRefused(Exception):
    pass


def attendance_import_apply(*, import_, user):
    """Step 2: record every listed member's completion, all or nothing. Applying twice (or
    importing the same list again) records nothing new."""
    from members.models import Member

    from .models import AttendanceImport

    with transaction.atomic():
        import_ = AttendanceImport.objects.select_for_update().get(pk=import_.pk)
        if import_.status == AttendanceImport.Status.APPLIED:
            return import_
        if import_.errors:
            raise ImportRefused("the list has errors; fix the file and upload it again")
        recorded = unchanged = 0
        members = Member.objects.filter(
            pk__in=import_.counts.get("member_ids", []), organisation=import_.organisation
        ).select_related("organisation")
        for member in members:
            _, created = enrolment_record_external(
                member=member,
                course=import_.course,
                source=import_.source,
                completed_on=import_.completed_on,
                evidence_note=import_.evidence_note
                or f"{import_.get_source_display()}: {import_.original_filename}",
                user=user,
            )
            recorded += created
            unchanged += not created
        import_.status = AttendanceImport.Status.APPLIED
        import_.applied_at = timezone.now()
        import_.counts = {**import_.counts, "recorded": recorded, "unchanged": unchanged}
        import_.save(update_fields=["status", "applied_at", "counts"])
    return import_
