"""The 労働局 evidence pack: one workbook that answers an auditor about one campaign cycle.

Sheets: the summary (the dashboard's figures for the cycle, as of a moment, and who made the
pack), one row per person and requirement, one per lesson studied, the quiz attempts, the
SCORM attempts, and the questions asked with their answers. Every figure comes from the
selectors the admin's reports use (``selectors.cycle_summary``, ``with_evidence``,
``with_study_time``), so the pack and the dashboard cannot disagree.

People and their statuses are the dashboard's: one status per person by its precedence, and
per requirement the assignment, or for a closed cycle (確定) the frozen rows. Which attempts
belong to the cycle: the one that satisfied a requirement, and every attempt at a required
course started on or after the day the requirement counts from.

``evidence_workbook`` writes the workbook (openpyxl in write-only mode: rows are streamed, not
held) and returns the summary it wrote; ``lms.services.evidence_pack_create`` stores it as
personal data.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable, Iterator

from django.db.models import Exists, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from courses.models import Enrolment, LessonProgress, QuizAttempt
from courses.scorm.selectors import scorm_states_of_enrolments
from courses.selectors import with_study_time
from members.exports import is_formula_like

from . import selectors
from .models import Assignment, RequirementResult

Status = Assignment.Status
CHUNK = 2000
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
MAX_CELL_CHARS = 32000  # Excel keeps at most 32,767 characters in a cell


@dataclasses.dataclass
class Sheet:
    title: str
    headings: list[str]
    rows: Iterable[list]
    widths: dict = dataclasses.field(default_factory=dict)  # column index -> width


# --- the attempts of the cycle ----------------------------------------------------------------


def requirement_rows(cycle):
    """Each person's result per requirement: the frozen rows of a closed cycle (確定), else its
    assignments as they stand; the dashboard reads the same."""
    if cycle.is_closed:
        return RequirementResult.objects.filter(
            organisation_id=cycle.campaign.organisation_id, cycle=cycle
        )
    return Assignment.objects.filter(cycle=cycle)


def cycle_assignments(cycle):
    """The cycle's requirement rows with the person's status (``person_status``, the
    dashboard's precedence over all their requirements) and the attempt each row is judged
    by: the completion that satisfied it, else the member's latest attempt at one of its
    courses begun since it counts (``evidence_enrolment_id``; none when nothing was started)."""
    latest = (
        Enrolment.objects.filter(
            member=OuterRef("member_id"),
            course__requirements=OuterRef("requirement_id"),
            started_at__date__gte=OuterRef("starts_on"),
        )
        .order_by("-started_at", "-pk")
        .values("pk")[:1]
    )
    person = selectors.person_statuses(cycle=cycle).filter(member_id=OuterRef("member_id"))
    return (
        requirement_rows(cycle)
        .annotate(
            evidence_enrolment_id=Coalesce(
                "enrolment_id", Subquery(latest, output_field=IntegerField())
            ),
            person_status=Subquery(person.values("status")[:1]),
        )
        .select_related("member__organisation", "requirement")
        .order_by("member__member_no", "requirement__sort_order", "requirement_id")
    )


def cycle_enrolments(cycle):
    """Every attempt that belongs to the cycle (see the module)."""
    in_cycle = requirement_rows(cycle).filter(
        member_id=OuterRef("member_id"),
        requirement__courses=OuterRef("course_id"),
        starts_on__lte=OuterRef("started_on"),
    )
    proofs = requirement_rows(cycle).filter(enrolment_id=OuterRef("pk"))
    return Enrolment.objects.annotate(started_on=TruncDate("started_at")).filter(
        Q(Exists(in_cycle)) | Q(Exists(proofs))
    )


# --- cells ------------------------------------------------------------------------------------


def _local(value):
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def _minutes(seconds) -> int:
    return round((seconds or 0) / 60)


def _yes_no(value) -> str:
    if value is None:
        return ""
    return _("Yes") if value else _("No")


def video_coverage_percent(progress: LessonProgress) -> float | None:
    """Share of the lesson's videos watched (unique seconds over their lengths read on the
    server), in percent; None for a lesson without a tracked video."""
    from courses import coverage

    entries = [e for e in (progress.video_coverage or {}).values() if isinstance(e, dict)]
    length = sum(float(e.get("d") or 0) for e in entries)
    if length <= 0:
        return None
    watched = sum(min(coverage.seconds(e.get("r", [])), float(e.get("d") or 0)) for e in entries)
    return round(100.0 * watched / length, 1)


def _revision(revision) -> str:
    if revision is None:
        return ""
    return _("Revision %(id)s of %(when)s") % {
        "id": revision.pk,
        "when": timezone.localtime(revision.created_at).strftime("%Y-%m-%d %H:%M"),
    }


# --- sheets -----------------------------------------------------------------------------------


def summary_rows(*, cycle, summary, as_of, generated_by) -> list[list]:
    campaign = cycle.campaign
    return [
        [_("Organisation name"), campaign.organisation.name, ""],
        [_("Campaign"), campaign.name, ""],
        [_("Cycle"), cycle.name, ""],
        [_("Fiscal year"), cycle.fiscal_year, ""],
        [_("Opens on"), cycle.opens_on, ""],
        [_("Due on"), cycle.due_on, ""],
        [_("People required"), summary.required, _("people")],
        [_("Completed on time"), summary.n(Status.COMPLETED), _("people")],
        [_("Completed late"), summary.n(Status.COMPLETED_LATE), _("people")],
        [_("In progress"), summary.n(Status.IN_PROGRESS), _("people")],
        [_("Not started"), summary.n(Status.ASSIGNED), _("people")],
        [_("Overdue"), summary.n(Status.OVERDUE), _("people")],
        [_("Exempt"), summary.n(Status.EXEMPT), _("people")],
        [_("Withdrawn"), summary.n(Status.WITHDRAWN), _("people")],
        [_("Completion rate"), summary.rate, "%"],
        [_("Closed (確定) at"), _local(cycle.closed_at) or _("Not closed"), _("JST")],
        [_("As of"), _local(cycle.closed_at or as_of), _("JST")],
        [_("Made at"), _local(as_of), _("JST")],
        [_("Generated by"), generated_by, ""],
    ]


def _enrolment_facts(cycle) -> dict:
    """{attempt id: its facts for the person sheet}, one query."""
    from courses.models import Certificate

    number = Certificate.objects.filter(enrolment=OuterRef("pk")).values("number")[:1]
    rows = (
        with_study_time(selectors.with_evidence(cycle_enrolments(cycle)))
        .annotate(certificate_number=Subquery(number))
        .values(
            "pk",
            "course__title",
            "attempt",
            "started_at",
            "completed_at",
            "source",
            "total_active_seconds",
            "best_score",
            "best_passed",
            "fast",
            "certificate_number",
        )
    )
    return {row["pk"]: row for row in rows.iterator(chunk_size=CHUNK)}


def person_rows(cycle) -> Iterator[list]:
    facts = _enrolment_facts(cycle)
    sources = dict(Enrolment.Source.choices)
    for assignment in cycle_assignments(cycle).iterator(chunk_size=CHUNK):
        member = assignment.member
        attempt = facts.get(assignment.evidence_enrolment_id) or {}
        done = assignment.status in Assignment.DONE
        yield [
            member.member_no,
            member.name,
            member.name_kana,
            member.birth_date,
            member.organisation.name,
            assignment.requirement.name,
            assignment.starts_on,
            assignment.due_on,
            str(Status(assignment.person_status).label) if assignment.person_status else "",
            str(Status(assignment.status).label),
            attempt.get("course__title", ""),
            _local(attempt.get("started_at")),
            _local(assignment.completed_at),
            _yes_no(assignment.status == Status.COMPLETED) if done else "",
            _minutes(attempt.get("total_active_seconds")) if attempt else None,
            _yes_no(attempt.get("fast")) if done and attempt else "",
            attempt.get("best_score"),
            _yes_no(attempt.get("best_passed")),
            attempt.get("certificate_number") or "",
            str(sources.get(attempt.get("source"), "")) if done else "",
        ]


def lesson_rows(cycle) -> Iterator[list]:
    progress_rows = (
        LessonProgress.objects.filter(enrolment__in=cycle_enrolments(cycle))
        .select_related("enrolment__member", "enrolment__course", "lesson", "completed_revision")
        .order_by("enrolment__member__member_no", "enrolment_id", "lesson__path")
    )
    for progress in progress_rows.iterator(chunk_size=CHUNK):
        enrolment = progress.enrolment
        yield [
            enrolment.member.member_no,
            enrolment.member.name,
            enrolment.course.title,
            enrolment.attempt,
            progress.lesson.title,
            _local(progress.first_opened_at),
            _local(progress.completed_at),
            _minutes(progress.active_seconds),
            progress.active_seconds,
            video_coverage_percent(progress),
            _local(progress.transcript_chosen_at),
            progress.get_completion_path_display(),
            _revision(progress.completed_revision),
        ]


def _answers_text(questions) -> str:
    lines = []
    for number, question in enumerate(questions or [], start=1):
        texts = {c.get("id"): c.get("text", "") for c in question.get("choices", [])}
        answered = "、".join(texts.get(i, str(i)) for i in question.get("answered_ids") or [])
        mark = "○" if question.get("is_correct") else "×"
        lines.append(f"{number}. {question.get('text', '')} → {answered or '—'} {mark}")
    return "\n".join(lines)[:MAX_CELL_CHARS]


def quiz_rows(cycle) -> Iterator[list]:
    attempts = (
        QuizAttempt.objects.filter(enrolment__in=cycle_enrolments(cycle))
        .select_related("enrolment__member", "enrolment__course", "lesson", "revision")
        .order_by("enrolment__member__member_no", "enrolment_id", "submitted_at", "pk")
    )
    for attempt in attempts.iterator(chunk_size=CHUNK):
        enrolment = attempt.enrolment
        questions = attempt.questions or []
        yield [
            enrolment.member.member_no,
            enrolment.member.name,
            enrolment.course.title,
            enrolment.attempt,
            attempt.lesson.title if attempt.lesson_id else _("Final quiz"),
            _local(attempt.started_at),
            _local(attempt.submitted_at),
            attempt.score,
            _yes_no(attempt.passed),
            len(questions) or None,
            sum(1 for q in questions if q.get("is_correct")) if questions else None,
            _answers_text(questions),
            _revision(attempt.revision),
        ]


def scorm_rows(cycle) -> Iterator[list]:
    states = scorm_states_of_enrolments(
        cycle_enrolments(cycle).values_list("pk", flat=True)
    ).select_related("progress__enrolment__course")
    for state in states.iterator(chunk_size=CHUNK):
        enrolment = state.progress.enrolment
        yield [
            enrolment.member.member_no,
            enrolment.member.name,
            enrolment.course.title,
            enrolment.attempt,
            state.progress.lesson.title,
            state.title,
            state.get_lesson_status_display(),
            state.score_raw,
            state.score_max,
            _minutes(state.reported_seconds),
            _minutes(state.credited_seconds),
            _local(state.first_launched_at),
            _local(state.last_commit_at),
            _local(state.completed_at),
            state.launch_count,
            state.commit_count,
        ]


def question_rows(cycle) -> Iterator[list]:
    """Questions the cycle's people asked about its courses from its opening day on."""
    from courses.models import Question

    opened = timezone.make_aware(datetime.datetime.combine(cycle.opens_on, datetime.time()))
    questions = (
        Question.objects.filter(
            member__in=requirement_rows(cycle).values("member_id"),
            course__requirements__campaign=cycle.campaign_id,
            created_at__gte=opened,
        )
        .select_related("member", "course", "lesson", "answered_by")
        .distinct()
        .order_by("member__member_no", "created_at", "pk")
    )
    for question in questions.iterator(chunk_size=CHUNK):
        answerer = question.answered_by
        yield [
            question.member.member_no,
            question.member.name,
            question.course.title if question.course_id else "",
            question.lesson.title if question.lesson_id else "",
            _local(question.created_at),
            question.body[:MAX_CELL_CHARS],
            _local(question.answered_at),
            question.answer[:MAX_CELL_CHARS],
            (answerer.get_full_name() or answerer.get_username()) if answerer else "",
        ]


def evidence_sheets(*, cycle, summary, as_of, generated_by) -> list[Sheet]:
    member_no, name = _("Member number"), _("Name")
    return [
        Sheet(
            _("Summary"),
            [_("Item"), _("Value"), _("Unit")],
            summary_rows(cycle=cycle, summary=summary, as_of=as_of, generated_by=generated_by),
            widths={0: 24, 1: 40},
        ),
        Sheet(
            pgettext("evidence pack sheet", "People"),
            [
                member_no,
                name,
                _("Name (kana)"),
                _("Birth date"),
                _("Organisation name"),
                _("Requirement"),
                _("Counts from"),
                _("Due on"),
                _("Person status (all requirements)"),
                _("Status of this requirement"),
                _("Course"),
                _("Started"),
                _("Completed"),
                _("Completed on time"),
                _("Credited study minutes"),
                _("Completed in less than the course's time"),
                _("Quiz score (points)"),
                _("Quiz passed"),
                _("Certificate number"),
                _("Completion source"),
            ],
            person_rows(cycle),
        ),
        Sheet(
            _("Lessons"),
            [
                member_no,
                name,
                _("Course"),
                _("Attempt"),
                _("Lesson"),
                _("First opened"),
                _("Completed"),
                _("Credited study minutes"),
                _("Credited study seconds"),
                _("Video watched (%)"),
                _("Chose the transcript"),
                _("Completed through"),
                _("Page revision studied"),
            ],
            lesson_rows(cycle),
        ),
        Sheet(
            _("Quiz attempts"),
            [
                member_no,
                name,
                _("Course"),
                _("Attempt"),
                _("Quiz"),
                _("Started"),
                _("Submitted"),
                _("Score (points)"),
                _("Passed"),
                _("Questions shown"),
                _("Answered correctly"),
                _("Questions and answers"),
                _("Page revision"),
            ],
            quiz_rows(cycle),
        ),
        Sheet(
            _("SCORM attempts"),
            [
                member_no,
                name,
                _("Course"),
                _("Attempt"),
                _("Lesson"),
                _("SCO"),
                _("Status"),
                _("Score (points)"),
                _("Highest score (points)"),
                _("Time reported by the content (minutes)"),
                _("Credited study minutes (lesson)"),
                _("First launched"),
                _("Last commit"),
                _("Completed"),
                _("Launches"),
                _("Commits"),
            ],
            scorm_rows(cycle),
        ),
        Sheet(
            _("Questions"),
            [
                member_no,
                name,
                _("Course"),
                _("Lesson"),
                _("Asked at"),
                _("Question asked"),
                _("Answered at"),
                _("Answer"),
                _("Answered by"),
            ],
            question_rows(cycle),
        ),
    ]


# --- the workbook -----------------------------------------------------------------------------


def _cell(sheet, value, bold: Font | None = None):
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, datetime.datetime):
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, datetime.date):
        cell.number_format = DATE_FORMAT
    elif is_formula_like(value):  # text from members or editors is never a formula
        cell.data_type = "s"
        cell.quotePrefix = True
    if bold is not None:
        cell.font = bold
    return cell


def write_workbook(sheets: list[Sheet], output) -> None:
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for spec in sheets:
        sheet = workbook.create_sheet(title=spec.title[:31])
        sheet.freeze_panes = "A2"
        for index, width in spec.widths.items():
            sheet.column_dimensions[chr(ord("A") + index)].width = width
        sheet.append([_cell(sheet, heading, bold) for heading in spec.headings])
        for row in spec.rows:
            sheet.append([_cell(sheet, value) for value in row])
    workbook.save(output)


def evidence_workbook(*, cycle, output, generated_by: str, as_of=None):
    """Write the pack of ``cycle`` to ``output`` (a path or a binary file); return the summary
    its first sheet states."""
    as_of = as_of or timezone.now()
    summary = selectors.cycle_summary(cycle=cycle)
    sheets = evidence_sheets(cycle=cycle, summary=summary, as_of=as_of, generated_by=generated_by)
    write_workbook(sheets, output)
    return summary
