"""Celery tasks: take ids, re-read, call one service. Both are idempotent (status guards)."""

from celery import shared_task
from django.contrib.auth import get_user_model

from .models import RosterImport
from .services import roster_import_apply, roster_import_preview

# A 100,000-row roster takes about 10 s (bench/roster_import.py): 20 minutes means stuck.
IMPORT_LIMITS = {"soft_time_limit": 20 * 60, "time_limit": 21 * 60}


@shared_task(**IMPORT_LIMITS)
def roster_import_preview_task(import_id: int) -> None:
    import_ = RosterImport.objects.filter(pk=import_id).first()
    if import_ is not None:
        roster_import_preview(import_=import_)


@shared_task(**IMPORT_LIMITS)
def roster_import_apply_task(import_id: int, user_id: int | None = None) -> None:
    import_ = RosterImport.objects.filter(pk=import_id).first()
    if import_ is not None:
        user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
        roster_import_apply(import_=import_, user=user)


@shared_task
def private_files_purge_task() -> int:
    """Daily: delete uploaded files whose retention period is over (members.storage)."""
    from .storage import private_files_purge

    return private_files_purge()


@shared_task
def audit_log_purge_task() -> int:
    """Daily: remove audit events older than MEMBERS_AUDIT_RETENTION_DAYS."""
    from .audit import audit_log_purge

    return audit_log_purge()


@shared_task
def signin_failure_alert_task(*, count: int, minutes: int, kind: str) -> int:
    """Tell the superusers that sign-in failures spiked (members.signin_alerts)."""
    from .signin_alerts import send_alert

    return send_alert(count=count, minutes=minutes, kind=kind)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_email_task(*, subject, body, from_email, to, alternatives=()) -> None:
    """Send one message rendered elsewhere (the sign-in code: members.adapters); a mail
    server that does not answer is tried again with growing pauses."""
    from django.core.mail import EmailMultiAlternatives

    message = EmailMultiAlternatives(subject, body, from_email, to)
    for content, mimetype in alternatives:
        message.attach_alternative(content, mimetype)
    message.send()


@shared_task
def monthly_reports_task() -> int:
    """Daily: from MEMBERS_MONTHLY_REPORT_DAY on, queue last month's report of every
    organisation that has not had it (members.monthly_report)."""
    from .monthly_report import monthly_reports_due

    due = monthly_reports_due()
    for organisation_id, month in due:
        monthly_report_send_task.delay(organisation_id, month.isoformat())
    return len(due)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def monthly_report_send_task(organisation_id: int, month: str) -> bool:
    """Mail one organisation's report of one month to its staff, once (a delivery row per
    organisation and month); a mail server that does not answer is tried again."""
    import datetime

    from .models import Organisation
    from .monthly_report import monthly_report_send

    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None:
        return False
    month_day = datetime.date.fromisoformat(month)
    return monthly_report_send(organisation=organisation, month=month_day) is not None


@shared_task
def anonymise_withdrawn_task() -> int:
    """Nightly: anonymise former members whose organisation's retention period is over
    (members.privacy). Idempotent: an anonymised member is never touched again."""
    from .privacy import withdrawn_members_anonymise

    return withdrawn_members_anonymise()
