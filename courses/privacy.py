"""The courses' part of a member's disclosure file and of their anonymisation (members.privacy).

Kept after anonymisation, as the evidence of the training: enrolments with their start and
completion dates, and certificates with their numbers and dates. The name printed on a
certificate is replaced by the anonymised member's name.
"""

import json

from members.privacy import DisclosureSheet, anonymised_name
from members.xlsx import Col

from .models import Certificate, Enrolment, Question, SurveyResponse


def _label(model, name):
    return str(model._meta.get_field(name).verbose_name)


def disclosure_sheets(member):
    enrolments = Enrolment.objects.filter(member=member).select_related("course")
    certificates = Certificate.objects.filter(enrolment__member=member).order_by("issued_at")
    surveys = SurveyResponse.objects.filter(member=member).select_related("course")
    return [
        DisclosureSheet(
            title=str(Enrolment._meta.verbose_name_plural),
            columns=[
                Col(_label(Enrolment, "course")),
                Col(_label(Enrolment, "attempt"), "int"),
                Col(_label(Enrolment, "started_at"), "datetime"),
                Col(_label(Enrolment, "completed_at"), "datetime"),
                Col(_label(Enrolment, "source")),
                Col(_label(Enrolment, "credited_seconds"), "int"),
            ],
            rows=[
                [
                    e.course.title,
                    e.attempt,
                    e.started_at,
                    e.completed_at,
                    e.get_source_display(),
                    e.credited_seconds,
                ]
                for e in enrolments.order_by("started_at", "pk")
            ],  # fmt: skip
        ),
        DisclosureSheet(
            title=str(Certificate._meta.verbose_name_plural),
            columns=[
                Col(_label(Certificate, "number")),
                Col(_label(Certificate, "course_title")),
                Col(_label(Certificate, "member_name")),
                Col(_label(Certificate, "completed_on"), "date"),
                Col(_label(Certificate, "issued_at"), "datetime"),
            ],
            rows=[
                [c.number, c.course_title, c.member_name, c.completed_on, c.issued_at]
                for c in certificates
            ],
        ),
        DisclosureSheet(
            title=str(SurveyResponse._meta.verbose_name_plural),
            columns=[Col(_label(SurveyResponse, "course")), Col(_label(SurveyResponse, "answers"))],
            rows=[
                [s.course.title, json.dumps(s.answers, ensure_ascii=False)]
                for s in surveys.order_by("pk")
            ],
        ),
        DisclosureSheet(
            title=str(Question._meta.verbose_name_plural),
            columns=[
                Col(_label(Question, "created_at"), "datetime"),
                Col(_label(Question, "body")),
                Col(_label(Question, "answered_at"), "datetime"),
                Col(_label(Question, "answer")),
            ],
            rows=[
                [q.created_at, q.body, q.answered_at, q.answer]
                for q in Question.objects.filter(member=member).order_by("created_at", "pk")
            ],
        ),
    ]


def anonymise(member):
    Certificate.objects.filter(enrolment__member=member).update(member_name=anonymised_name(member))
