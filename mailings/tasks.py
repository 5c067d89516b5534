"""Celery tasks: take ids, re-read, call one service. Late acknowledgement everywhere: a
killed worker's task is redelivered, and the recipient row states make a repeat safe."""

import logging

from celery import shared_task

from . import engine, services

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def start_mailing(mailing_id: int) -> bool:
    return services.mailing_start(mailing_id=mailing_id)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_mailing(self, mailing_id: int) -> str:
    """Send for a while, then hand over to a fresh task (or come back when leases or
    retries are due). Any number of these may run for one mailing at once."""
    result = services.mailing_send_batch(mailing_id=mailing_id)
    logger.info(
        "mailing %s: %s sent, %s failed by this task (%s)",
        mailing_id, result.sent, result.failed, result.outcome,
    )  # fmt: skip
    if self.request.is_eager:
        # in-process (no broker): keep going here; waits are left to the periodic tick
        while result.outcome == engine.MORE:
            result = services.mailing_send_batch(mailing_id=mailing_id)
        return result.outcome
    if result.outcome == engine.MORE:
        send_mailing.delay(mailing_id)
    elif result.outcome == engine.WAIT:
        send_mailing.apply_async((mailing_id,), countdown=result.retry_in)
    return result.outcome


@shared_task(acks_late=True, ignore_result=True)
def tick(resume_all: bool = False) -> dict:
    return services.mailings_tick(resume_all=resume_all)


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=30 * 60, time_limit=32 * 60)
def send_reminders() -> dict:
    from .reminders import reminders_run

    return reminders_run()
