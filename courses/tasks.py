"""Celery tasks: take ids, re-read, call one service; idempotent."""

from celery import shared_task


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def question_answer_notify(question_id: int) -> bool:
    from .services import question_notify

    return question_notify(question_id=question_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def question_office_notify(question_ids: list[int]) -> int:
    """New questions of an organisation that wants each at once."""
    from .questions import office_notify

    return office_notify(question_ids=question_ids)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def question_office_digest() -> int:
    """The daily digest: every question the office has not been told of yet."""
    from .questions import office_notify

    return office_notify()


# storing a large package (up to COURSES_SCORM_MAX_BYTES) to S3 can take a while; a stuck one
# is stopped, rolled back and marked failed
@shared_task(acks_late=True, soft_time_limit=30 * 60, time_limit=32 * 60)
def scorm_import_run(import_id: int) -> None:
    from .scorm.services import scorm_upload_import

    scorm_upload_import(import_id=import_id)
