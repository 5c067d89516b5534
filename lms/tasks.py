"""Celery tasks: take ids, re-read, call one service. Every one is idempotent."""

from celery import shared_task

from members.models import Organisation


@shared_task(name="lms.refresh_assignments")
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


@shared_task(name="lms.nightly_refresh")
def nightly_refresh() -> dict:
    """Create upcoming cycles, then refresh every organisation's assignments (overdue etc.)."""
    from .services import assignments_refresh_all, cycles_ensure_all

    created = cycles_ensure_all()
    results = assignments_refresh_all()
    return {"cycles_created": created, "organisations": len(results)}


@shared_task(name="lms.record_completion")
def record_completion(enrolment_id: int) -> dict:
    from courses.models import Enrolment

    from .services import assignment_record_completion

    enrolment = Enrolment.objects.select_related("member").filter(pk=enrolment_id).first()
    if enrolment is None or enrolment.completed_at is None:
        return {}
    return assignment_record_completion(enrolment=enrolment).status_changes
