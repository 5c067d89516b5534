"""Members' pages: マイ研修 (My training)."""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from courses.selectors import enrolments_of_user
from members.selectors import (
    members_of_user,
    recently_withdrawn_members_of_user,
    withdrawn_signin_until,
)

from .. import selectors
from ..models import Assignment, fiscal_year_of


@dataclass
class CourseLine:
    course: object
    percent: int
    done: bool
    started: bool


@dataclass
class RequiredItem:
    assignment: Assignment
    lines: list
    next_course: object | None

    @property
    def percent(self) -> int:
        if self.assignment.is_done:
            return 100
        if not self.lines:
            return 0
        if self.assignment.requirement.completion_rule == "all":
            return sum(line.percent for line in self.lines) // len(self.lines)
        return max(line.percent for line in self.lines)


def _required_items(training) -> list[RequiredItem]:
    items = []
    for assignment in training.required:
        lines = []
        for course in assignment.requirement.courses.all():
            progress = training.progress.get(course.pk)
            enrolment = progress.enrolment if progress else None
            # an attempt from before this cycle does not count: it starts again at 0
            counts = bool(
                enrolment and timezone.localdate(enrolment.started_at) >= assignment.starts_on
            )
            lines.append(
                CourseLine(
                    course=course,
                    percent=progress.percent if counts else 0,
                    done=bool(counts and progress.completed),
                    started=counts,
                )
            )
        pending = [line for line in lines if not line.done]
        pending.sort(key=lambda line: not line.started)
        next_course = None if assignment.is_done or not pending else pending[0].course
        items.append(RequiredItem(assignment=assignment, lines=lines, next_course=next_course))
    return items


def _history_by_year(user) -> dict[int, list]:
    """{member id: [(fiscal year, [attempt, …]), …]}, newest year first; an attempt belongs
    to the year it was completed in (else started in)."""
    years: dict[int, dict[int, list]] = {}
    for enrolment in enrolments_of_user(user=user):
        day = timezone.localdate(enrolment.completed_at or enrolment.started_at)
        years.setdefault(enrolment.member_id, {}).setdefault(fiscal_year_of(day), []).append(
            enrolment
        )
    return {pk: sorted(by_year.items(), reverse=True) for pk, by_year in years.items()}


@require_safe
@never_cache
@login_required
def my_training(request):
    members = list(members_of_user(user=request.user).select_related("organisation"))
    withdrawn = not members
    if withdrawn:  # a former member: their records only (members.middleware)
        members = list(
            recently_withdrawn_members_of_user(user=request.user).select_related("organisation")
        )
    sections = []
    history = _history_by_year(request.user)
    for member in members:
        section = {"member": member, "history": history.get(member.pk, [])}
        if not withdrawn:
            training = selectors.my_training(member=member)
            items = _required_items(training)
            section |= {
                "training": training,
                "items": items,
                "continue_item": next((i for i in items if i.next_course), None),
                "electives": [
                    (course, training.progress.get(course.pk)) for course in training.electives
                ],
            }
        sections.append(section)
    return render(
        request,
        "lms/my_training.html",
        {
            "sections": sections,
            "withdrawn": withdrawn,
            "signin_until": withdrawn_signin_until(members) if withdrawn else None,
            "today": timezone.localdate(),
            "Status": Assignment.Status,
        },
    )
