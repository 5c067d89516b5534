"""Celery tasks: take ids, re-read, call one service; idempotent."""

from celery import shared_task


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def question_answer_notify(question_id: int) -> bool:
    from .services import question_notify

    return question_notify(question_id=question_id)
