"""Periodic tasks of members (merged into the beat schedule by the Celery app)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "members-private-files-purge": {
        "task": "members.tasks.private_files_purge_task",
        "schedule": crontab(hour=3, minute=10),
    },
    "members-audit-log-purge": {
        "task": "members.tasks.audit_log_purge_task",
        "schedule": crontab(hour=3, minute=20),
    },
    "members-monthly-report": {
        # daily; the task itself sends only from MEMBERS_MONTHLY_REPORT_DAY on (Asia/Tokyo)
        "task": "members.tasks.monthly_reports_task",
        "schedule": crontab(hour=7, minute=30),
    },
    "members-anonymise-withdrawn": {
        "task": "members.tasks.anonymise_withdrawn_task",
        "schedule": crontab(hour=3, minute=30),
    },
}
