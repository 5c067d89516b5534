"""One study clock per member: the only way study time is credited.

``study_clock_credit`` adds up to the claimed seconds to one lesson of one attempt, bounded by

- the member's clock: the time since their last credit *anywhere* (any lesson, course, tab or
  SCORM package), so that the time credited over any interval never exceeds its wall-clock
  length: a second tab keeps its page alive but adds nothing;
- the lesson's own clock: the time since its last credit or since the page was opened;
- ``COURSES_HEARTBEAT_MAX_CREDIT``: however long the page was left alone.

Each credit is the interval that ends at the moment it is made, so credits never overlap.
Whole seconds are credited; when the member's clock is the bound, it moves on by exactly the
seconds credited (the fraction left over is not lost), otherwise to now. The lesson's clock
moves on the same way, and may lag by a second (it only keeps time from before the page was
opened out; the member's clock alone keeps the promise above).

On PostgreSQL the credit is one statement (the member's clock, the lesson's progress and the
attempt's total are locked and updated together); elsewhere the same rule runs in Python in a
transaction (SQLite serialises writers).
"""

from __future__ import annotations

import datetime
import math

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Subquery
from django.utils import timezone

from . import conf
from .models import Enrolment, LessonProgress, StudyClock


def _claimed_seconds(seconds) -> int:
    try:
        value = float(seconds)
    except (TypeError, ValueError):
        return 0
    if not math.isfinite(value) or value <= 0:
        return 0
    return min(math.ceil(value), 24 * 3600)  # fractions of a visible second count as one


def credit_rule(
    *, claimed, now, clock_until, lesson_since
) -> tuple[int, datetime.datetime, datetime.datetime]:
    """(seconds credited, the member's clock after, the lesson's clock after)."""
    lesson_elapsed = max(0, math.floor((now - lesson_since).total_seconds()))
    clock_elapsed = (
        None if clock_until is None else max(0, math.floor((now - clock_until).total_seconds()))
    )
    seconds = min(claimed, conf.heartbeat_max_credit(), lesson_elapsed)
    if clock_elapsed is not None:
        seconds = min(seconds, clock_elapsed)
    step = datetime.timedelta(seconds=seconds)
    clock_after = (
        clock_until + step if clock_elapsed is not None and seconds == clock_elapsed else now
    )
    # the lesson's clock may lag a second behind: when the member's clock was the bound, the
    # lesson's fraction of a second is kept too (else the two would lose one in turns)
    lesson_after = lesson_since + step if lesson_elapsed - seconds <= 1 else now
    return seconds, clock_after, lesson_after


_CREDIT_SQL_POSTGRESQL = """
WITH clock AS (
    SELECT member_id, credited_until FROM courses_studyclock
    WHERE member_id = (SELECT member_id FROM courses_enrolment WHERE id = %(enrolment)s)
    FOR UPDATE
), progress AS (
    SELECT id, COALESCE(last_heartbeat_at, last_activity_at) AS since
    FROM courses_lessonprogress
    WHERE enrolment_id = %(enrolment)s AND lesson_id = %(lesson)s
    FOR UPDATE
), span AS (
    SELECT clock.member_id, clock.credited_until, progress.id AS progress_id, progress.since,
        GREATEST(0, FLOOR(EXTRACT(EPOCH FROM (%(now)s - progress.since))))::integer
            AS lesson_elapsed,
        CASE WHEN clock.credited_until IS NULL THEN NULL  -- never credited: no bound yet
        ELSE GREATEST(0, FLOOR(EXTRACT(EPOCH FROM (%(now)s - clock.credited_until))))::integer
        END AS clock_elapsed
    FROM clock, progress
), credit AS (
    SELECT span.*,
        LEAST(%(claimed)s, %(cap)s, lesson_elapsed, COALESCE(clock_elapsed, lesson_elapsed))
            AS seconds
    FROM span
), moved_clock AS (
    UPDATE courses_studyclock AS c SET credited_until = CASE
        WHEN credit.clock_elapsed IS NOT NULL AND credit.seconds = credit.clock_elapsed
        THEN credit.credited_until + make_interval(secs => credit.seconds)
        ELSE %(now)s END
    FROM credit WHERE c.member_id = credit.member_id
    RETURNING c.member_id
), moved_progress AS (
    UPDATE courses_lessonprogress AS p SET
        active_seconds = p.active_seconds + credit.seconds,
        last_heartbeat_at = CASE WHEN credit.lesson_elapsed - credit.seconds <= 1
            THEN credit.since + make_interval(secs => credit.seconds) ELSE %(now)s END,
        last_activity_at = %(now)s
    FROM credit WHERE p.id = credit.progress_id
    RETURNING p.*
), moved_enrolment AS (
    UPDATE courses_enrolment AS e SET credited_seconds = e.credited_seconds + credit.seconds
    FROM credit WHERE e.id = %(enrolment)s
    RETURNING e.credited_seconds, e.completed_at
)
SELECT moved_progress.*, credit.seconds AS credited_now,
    moved_enrolment.credited_seconds AS enrolment_credited_seconds,
    moved_enrolment.completed_at AS enrolment_completed_at
FROM moved_progress, credit, moved_enrolment, moved_clock
"""


def _credit_postgresql(*, enrolment_id, lesson_id, claimed, now):
    params = {
        "enrolment": enrolment_id,
        "lesson": lesson_id,
        "claimed": claimed,
        "cap": conf.heartbeat_max_credit(),
        "now": now,
    }
    rows = list(LessonProgress.objects.raw(_CREDIT_SQL_POSTGRESQL, params))
    return rows[0] if rows else None


def _credit_python(*, enrolment_id, lesson_id, claimed, now):
    with transaction.atomic():
        progress = (
            LessonProgress.objects.select_for_update()
            .filter(enrolment_id=enrolment_id, lesson_id=lesson_id)
            .annotate(
                member_id=F("enrolment__member_id"),
                enrolment_credited_seconds=F("enrolment__credited_seconds"),
                enrolment_completed_at=F("enrolment__completed_at"),
                clock_exists=Exists(
                    StudyClock.objects.filter(member_id=OuterRef("enrolment__member_id"))
                ),
                clock_until=Subquery(
                    StudyClock.objects.filter(member_id=OuterRef("enrolment__member_id")).values(
                        "credited_until"
                    )[:1]
                ),
            )
            .first()
        )
        if progress is None or not progress.clock_exists:
            return None
        seconds, clock_after, lesson_after = credit_rule(
            claimed=claimed,
            now=now,
            clock_until=progress.clock_until,
            lesson_since=progress.last_heartbeat_at or progress.last_activity_at,
        )
        StudyClock.objects.filter(member_id=progress.member_id).update(credited_until=clock_after)
        progress.active_seconds += seconds
        progress.last_heartbeat_at = lesson_after
        progress.last_activity_at = now
        LessonProgress.objects.filter(pk=progress.pk).update(
            active_seconds=F("active_seconds") + seconds,
            last_heartbeat_at=lesson_after,
            last_activity_at=now,
        )
        Enrolment.objects.filter(pk=enrolment_id).update(
            credited_seconds=F("credited_seconds") + seconds
        )
    progress.credited_now = seconds
    progress.enrolment_credited_seconds += seconds
    return progress


def clock_start(*, member_id) -> None:
    """Create the member's study clock if it does not exist (one statement)."""
    StudyClock.objects.bulk_create([StudyClock(member_id=member_id)], ignore_conflicts=True)


def _start(*, enrolment_id, lesson_id) -> None:
    """Create the member's clock and the lesson's progress row if they do not exist yet."""
    from .services import _progress_get_or_create

    member_id = Enrolment.objects.filter(pk=enrolment_id).values_list("member_id", flat=True).get()
    clock_start(member_id=member_id)
    _progress_get_or_create(enrolment_id=enrolment_id, lesson_id=lesson_id)


def study_clock_credit(*, enrolment_id, lesson_id, seconds, now=None) -> LessonProgress:
    """Credit up to ``seconds`` of study (what the client says it saw) to a lesson of an
    attempt, on the member's one study clock.

    The contract, for every kind of lesson (pages, videos, SCORM packages):
    - call it whenever the client reports time (heartbeats, a SCORM runtime's commit);
      ``seconds`` is a claim, never trusted beyond the bounds in this module's docstring;
    - it returns the lesson's progress row as it is now, with ``credited_now`` (seconds this
      call added), ``enrolment_credited_seconds`` (the attempt's total) and
      ``enrolment_completed_at``; it does not complete anything (the caller decides);
    - it is one statement once the member's clock and the progress row exist (created here
      on the first call), and concurrent calls take turns on the member's clock row.
    """
    claimed = _claimed_seconds(seconds)
    now = now or timezone.now()
    credit = _credit_postgresql if connection.vendor == "postgresql" else _credit_python
    progress = credit(enrolment_id=enrolment_id, lesson_id=lesson_id, claimed=claimed, now=now)
    if progress is None:
        _start(enrolment_id=enrolment_id, lesson_id=lesson_id)
        progress = credit(enrolment_id=enrolment_id, lesson_id=lesson_id, claimed=claimed, now=now)
    return progress
