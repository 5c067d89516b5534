"""Celery tasks: take ids, re-read, call one service. Every one is idempotent."""

from celery import shared_task

from members.models import Organisation


# One organisation's refresh of 100,000 members takes seconds (bench/assignments.py); the
# nightly run does every organisation. The limits stop a stuck run, not a slow one.
@shared_task(name="lms.refresh_assignments", soft_time_limit=15 * 60, time_limit=16 * 60)
def refresh_assignments(organisation_id: int, requirement_id: int | None = None) -> dict:
    from .models import Requirement
    from .services import assignments_refresh

    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None:
        return {}
    requirement = None
    if requirement_id is not None:
        requirement = Requirement.objects.filter(pk=requirement_id).first()
        if requirement is None:
            return {}
    result = assignments_refresh(organisation=organisation, requirement=requirement)
    return {"upserted": result.upserted, "removed": result.removed, **result.status_changes}


@shared_task(name="lms.nightly_refresh", soft_time_limit=50 * 60, time_limit=55 * 60)
def nightly_refresh() -> dict:
    """Create upcoming cycles, refresh every organisation's assignments (overdue etc.), then
    close (確定) the cycles whose due date and grace period have passed."""
    from .services import assignments_refresh_all, cycles_close_due, cycles_ensure_all

    created = cycles_ensure_all()
    results = assignments_refresh_all()
    closed = cycles_close_due()
    return {"cycles_created": created, "organisations": len(results), "closed": len(closed)}


@shared_task(name="lms.record_completion")
def record_completion(enrolment_id: int) -> dict:
    from courses.models import Enrolment

    from .services import assignment_record_completion

    enrolment = Enrolment.objects.select_related("member").filter(pk=enrolment_id).first()
    if enrolment is None or enrolment.completed_at is None:
        return {}
    return assignment_record_completion(enrolment=enrolment).status_changes
