"""The post-course survey (受講後アンケート): what editors attach to a course, the form a
member fills in once per attempt (the course's enrolment of that year), and the figures staff
read.

Editors write the questions as a StreamField on the course (``CoursePage.survey``): one
5-point 有意義 scale, choice questions and free-text questions. A response keeps the questions
as they were shown (their block ids, wording and choices), so later edits never change what a
member answered. ``CoursePage.survey_mode`` makes it optional or required before the
certificate can be downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django import forms
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail import blocks

MEANINGFUL = "meaningful"
CHOICE = "choice"
TEXT = "text"

# The 5-point scale, best first. "有意義" = the top two answers.
SCALE = [
    (5, _("Very meaningful")),
    (4, _("Meaningful")),
    (3, _("Neither")),
    (2, _("Not very meaningful")),
    (1, _("Not meaningful")),
]
MEANINGFUL_VALUES = (5, 4)
TEXT_MAX_LENGTH = 2000


class MeaningfulBlock(blocks.StructBlock):
    question = blocks.CharBlock(
        label=_("Question"), max_length=200, default="この研修は有意義でしたか。"
    )

    class Meta:
        icon = "pick"
        label = _("Meaningful? (5-point scale)")


class ChoiceQuestionBlock(blocks.StructBlock):
    question = blocks.CharBlock(label=_("Question"), max_length=200)
    choices = blocks.ListBlock(
        blocks.CharBlock(label=_("Choice"), max_length=120), label=_("Choices"), min_num=2
    )
    multiple = blocks.BooleanBlock(label=_("Several answers allowed"), required=False)
    required = blocks.BooleanBlock(label=_("Answer required"), required=False, default=True)

    class Meta:
        icon = "list-ul"
        label = _("Choice question")


class TextQuestionBlock(blocks.StructBlock):
    question = blocks.CharBlock(label=_("Question"), max_length=200)
    required = blocks.BooleanBlock(label=_("Answer required"), required=False)

    class Meta:
        icon = "edit"
        label = _("Free text")


SURVEY_BLOCKS = [
    (MEANINGFUL, MeaningfulBlock()),
    (CHOICE, ChoiceQuestionBlock()),
    (TEXT, TextQuestionBlock()),
]
SURVEY_BLOCK_COUNTS = {MEANINGFUL: {"max_num": 1}}


def survey_questions(course) -> list[dict]:
    """The course's questions as plain data: id, kind, question, choices, multiple, required."""
    questions = []
    for block in course.survey or []:
        value = block.value
        question = {"id": block.id, "kind": block.block_type, "question": value["question"]}
        if block.block_type == MEANINGFUL:
            question.update(
                choices=[[v, str(label)] for v, label in SCALE], multiple=False, required=True
            )
        elif block.block_type == CHOICE:
            question.update(
                choices=[[i, str(c)] for i, c in enumerate(value["choices"], start=1)],
                multiple=bool(value["multiple"]),
                required=bool(value["required"]),
            )
        else:
            question.update(choices=[], multiple=False, required=bool(value["required"]))
        questions.append(question)
    return questions


def has_survey(course) -> bool:
    return course.survey_mode != course.SurveyMode.NONE and bool(course.survey)


class SurveyForm(forms.Form):
    """One field per question, named by the question's block id."""

    def __init__(self, *args, questions: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        for q in questions:
            name = f"q_{q['id']}"
            choices = [(str(v), label) for v, label in q["choices"]]
            if q["kind"] == TEXT:
                self.fields[name] = forms.CharField(
                    label=q["question"],
                    required=q["required"],
                    max_length=TEXT_MAX_LENGTH,
                    widget=forms.Textarea(attrs={"rows": 5}),
                )
            elif q["multiple"]:
                self.fields[name] = forms.MultipleChoiceField(
                    label=q["question"],
                    required=q["required"],
                    choices=choices,
                    widget=forms.CheckboxSelectMultiple,
                )
            else:
                self.fields[name] = forms.ChoiceField(
                    label=q["question"],
                    required=q["required"],
                    choices=choices,
                    widget=forms.RadioSelect,
                )
            self.fields[name].question = q

    def answers(self) -> dict:
        """{question id: 4 | [1, 3] | "text"}; unanswered optional questions are left out."""
        out = {}
        for q in self.questions:
            value = self.cleaned_data.get(f"q_{q['id']}")
            if value in (None, "", []):
                continue
            if q["kind"] == TEXT:
                out[q["id"]] = value.strip()
            elif q["multiple"]:
                out[q["id"]] = [int(v) for v in value]
            else:
                out[q["id"]] = int(value)
        return out


def survey_submit(*, enrolment, answers: dict, questions: list[dict]):
    """Record the member's answers for this attempt, once: a second submission (a double
    click, a second tab) returns the first response unchanged. Returns (response, created)."""
    from .models import SurveyResponse

    meaningful = next((answers.get(q["id"]) for q in questions if q["kind"] == MEANINGFUL), None)
    try:
        with transaction.atomic():
            response = SurveyResponse.objects.create(
                enrolment=enrolment,
                member_id=enrolment.member_id,
                course_id=enrolment.course_id,
                questions=questions,
                answers=answers,
                meaningful=meaningful,
                submitted_at=timezone.now(),
            )
        return response, True
    except IntegrityError:
        return SurveyResponse.objects.get(enrolment=enrolment), False


def survey_state(enrolment, course=None, *, known_current=False) -> str:
    """ "" (no survey, not complete, or an earlier year's attempt), "pending", "required"
    (pending and the certificate waits for it) or "done". ``course``: the enrolment's course
    when the caller has it; ``known_current``: the caller knows it is this year's attempt."""
    if enrolment is None or not enrolment.completed_at:
        return ""
    course = course or enrolment.course
    if not has_survey(course):
        return ""
    if hasattr(enrolment, "survey_response"):
        return "done"
    if not known_current and not is_current_attempt(enrolment, course):
        return ""  # last year's certificate is not held back by this year's survey
    return "required" if course.survey_mode == course.SurveyMode.REQUIRED else "pending"


def is_current_attempt(enrolment, course) -> bool:
    from .selectors import attempt_starts_after

    starts_after = attempt_starts_after(member=enrolment.member, course=course)
    return starts_after is None or enrolment.started_at >= starts_after


def certificate_waits_for_survey(enrolment) -> bool:
    return survey_state(enrolment) == "required"


# --- results ---------------------------------------------------------------------------------


@dataclass
class QuestionResult:
    question: dict
    rows: list = field(default_factory=list)  # [{"label", "count", "share"}] for choices
    texts: list = field(default_factory=list)  # free-text answers
    answered: int = 0


@dataclass
class SurveyResults:
    completed: int
    responses: int
    meaningful_answers: int
    meaningful_top_two: int
    questions: list

    @property
    def response_rate(self):
        return round(100 * self.responses / self.completed, 1) if self.completed else None

    @property
    def meaningful_share(self):
        if not self.meaningful_answers:
            return None
        return round(100 * self.meaningful_top_two / self.meaningful_answers, 1)


def survey_results(*, course, responses, completed: int) -> SurveyResults:
    """Figures of a course's responses (a queryset or list of SurveyResponse): the questions
    are the course's current ones, plus any that only older responses saw."""
    responses = list(responses)
    questions = {q["id"]: q for q in survey_questions(course)}
    for response in responses:
        for q in response.questions:
            questions.setdefault(q["id"], q)
    results = []
    for q in questions.values():
        result = QuestionResult(question=q)
        answers = [r.answers.get(q["id"]) for r in responses if q["id"] in r.answers]
        if q["kind"] == TEXT:
            result.texts = [a for a in answers if a]
        else:
            counts = {}
            for a in answers:
                for v in a if isinstance(a, list) else [a]:
                    counts[v] = counts.get(v, 0) + 1
            for v, label in q["choices"]:
                count = counts.get(v, 0)
                result.rows.append(
                    {
                        "value": v,
                        "label": label,
                        "count": count,
                        "share": round(100 * count / len(answers), 1) if answers else 0,
                    }
                )
            result.answered = len(answers)
        results.append(result)
    scored = [r.meaningful for r in responses if r.meaningful]
    return SurveyResults(
        completed=completed,
        responses=len(responses),
        meaningful_answers=len(scored),
        meaningful_top_two=sum(1 for v in scored if v in MEANINGFUL_VALUES),
        questions=results,
    )
