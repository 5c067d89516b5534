"""Members' pages: マイ研修 (My training)."""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from members.selectors import members_of_user

from . import selectors
from .models import Assignment


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


@require_safe
@never_cache
@login_required
def my_training(request):
    members = list(members_of_user(user=request.user).select_related("organisation"))
    sections = []
    for member in members:
        training = selectors.my_training(member=member)
        items = _required_items(training)
        sections.append(
            {
                "member": member,
                "training": training,
                "items": items,
                "continue_item": next((i for i in items if i.next_course), None),
                "electives": [
                    (course, training.progress.get(course.pk)) for course in training.electives
                ],
            }
        )
    return render(
        request,
        "lms/my_training.html",
        {"sections": sections, "today": timezone.localdate(), "Status": Assignment.Status},
    )
