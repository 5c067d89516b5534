"""Post-course survey results per course and cycle, for staff.

A response belongs to the attempt (enrolment) it was given for; the cycle is the one whose
assignment that attempt completed (``Assignment.enrolment``). "Completed" is the number of
distinct attempts completing the cycle's assignments for the course: the response rate's
denominator.
"""

from dataclasses import dataclass

from django.db.models import Count, Q

from courses.models import CoursePage, SurveyResponse
from courses.survey import MEANINGFUL_VALUES

from .models import Assignment, Cycle

WITH_SURVEY = Q(enrolment__course__survey_mode__in=["optional", "required"])


@dataclass
class SurveyRow:
    cycle: Cycle
    course: CoursePage
    completed: int
    responses: int
    scored: int
    meaningful: int

    @property
    def response_rate(self):
        return round(100 * self.responses / self.completed, 1) if self.completed else None

    @property
    def meaningful_share(self):
        return round(100 * self.meaningful / self.scored, 1) if self.scored else None


def _done(cycles):
    return Assignment.objects.filter(cycle__in=cycles, status__in=Assignment.DONE).filter(
        WITH_SURVEY
    )


def survey_rows(*, cycles) -> list[SurveyRow]:
    """One row per cycle and surveyed course with completions, in one aggregate query."""
    response = "enrolment__survey_response"
    counts = (
        _done(cycles)
        .values("cycle", "enrolment__course")
        .annotate(
            completed=Count("enrolment", distinct=True),
            responses=Count(response, distinct=True),
            scored=Count(response, filter=Q(**{f"{response}__meaningful__isnull": False}),
                         distinct=True),
            meaningful=Count(response, filter=Q(**{f"{response}__meaningful__in":
                                                   MEANINGFUL_VALUES}), distinct=True),
        )
        .order_by()
    )  # fmt: skip
    counts = list(counts)
    cycles_by_id = Cycle.objects.select_related("campaign").in_bulk({c["cycle"] for c in counts})
    courses = CoursePage.objects.in_bulk({c["enrolment__course"] for c in counts})
    rows = [
        SurveyRow(
            cycle=cycles_by_id[c["cycle"]],
            course=courses[c["enrolment__course"]],
            completed=c["completed"],
            responses=c["responses"],
            scored=c["scored"],
            meaningful=c["meaningful"],
        )
        for c in counts
    ]
    return sorted(rows, key=lambda r: (-r.cycle.opens_on.toordinal(), r.course.path))


def cycle_course_responses(*, cycle, course):
    """The responses given for attempts that completed ``cycle``'s assignments of ``course``,
    and how many such attempts there are."""
    attempts = _done([cycle]).filter(enrolment__course=course).values("enrolment")
    completed = attempts.order_by().values("enrolment").distinct().count()
    responses = (
        SurveyResponse.objects.filter(enrolment__in=attempts)
        .select_related("member", "enrolment")
        .order_by("submitted_at", "pk")
    )
    return responses, completed
