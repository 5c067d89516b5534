"""Questions to the office beyond the answer: the office's notification of new questions (at
once or in a daily digest, per organisation) and the organisation's FAQ with its search.

Search is a plain substring match over text normalised the way Japanese is typed: NFKC
(full-width letters and digits, half-width kana), case-folded, katakana as hiragana, so
「ﾖｳﾂｳ」「ようつう」「ヨウツウ」 find each other; every word of the query must appear.
"""

from __future__ import annotations

import logging
import unicodedata

from django.db import transaction
from django.utils import timezone

from . import conf

logger = logging.getLogger(__name__)

_KATAKANA = {code: code - 0x60 for code in range(ord("ァ"), ord("ヶ") + 1)}


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").casefold().translate(_KATAKANA)


def faq_search(entries, query: str) -> list:
    """The entries (FAQ questions) whose question or answer holds every word of ``query``."""
    words = normalise(query).split()
    if not words:
        return list(entries)
    found = []
    for entry in entries:
        haystack = normalise(
            f"{entry.faq_question or entry.body}\n{entry.faq_answer or entry.answer}"
        )
        if all(word in haystack for word in words):
            found.append(entry)
    return found


# --- the office's notification -------------------------------------------------------------


def notification_settings(organisation):
    from .models import QuestionSettings

    return QuestionSettings.objects.filter(organisation=organisation).first() or QuestionSettings(
        organisation=organisation
    )


def office_address(organisation) -> str:
    settings_ = notification_settings(organisation)
    return settings_.notify_email or organisation.contact_email


def question_asked(question) -> None:
    """After a new question: tell the office at once when the organisation wants that (the
    daily digest picks up the others)."""
    from .models import QuestionSettings
    from .tasks import question_office_notify

    organisation = question.member.organisation
    if notification_settings(organisation).notify == QuestionSettings.Notify.IMMEDIATE:
        pk = question.pk
        transaction.on_commit(lambda: question_office_notify.delay([pk]))


def _send(organisation, questions) -> bool:
    from django.core.mail import EmailMessage
    from django.template.loader import render_to_string
    from django.urls import reverse
    from django.utils import translation

    from members import mailheaders

    to = office_address(organisation)
    if not to:
        logger.warning("questions: organisation %s has no office address", organisation.pk)
        return False
    with translation.override("ja"):
        context = {
            "organisation": organisation,
            "questions": [
                (q, conf.site_url() + reverse("question:edit", args=[q.pk])) for q in questions
            ],
            "count": len(questions),
        }
        subject = render_to_string("courses/email/office_subject.txt", context).strip()
        body = render_to_string("courses/email/office_body.txt", context)
    EmailMessage(
        subject=mailheaders.header_value(subject, name="Subject"),
        body=body,
        from_email=mailheaders.header_value(organisation.mail_from, name="From") or None,
        to=[to],
    ).send()
    return True


def office_notify(*, question_ids=None) -> int:
    """E-mail the office about questions not yet notified: the given ones (an organisation
    that wants each question at once), or without ids every waiting question, one digest per
    organisation (the daily run; it also catches up an immediate e-mail that failed). Each
    question is notified once: rows are locked and marked in the same transaction. Returns
    how many questions were notified."""
    from .models import Question

    notified = 0
    with transaction.atomic():
        rows = Question.objects.select_for_update(of=("self",)).filter(
            office_notified_at__isnull=True
        )
        if question_ids is not None:
            rows = rows.filter(pk__in=question_ids)
        by_org: dict = {}
        for question in rows.select_related("member__organisation", "course").order_by(
            "created_at", "pk"
        ):
            by_org.setdefault(question.member.organisation, []).append(question)
        now = timezone.now()
        for organisation, questions in by_org.items():
            if _send(organisation, questions):
                Question.objects.filter(pk__in=[q.pk for q in questions]).update(
                    office_notified_at=now
                )
                notified += len(questions)
    return notified
