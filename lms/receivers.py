"""Signal receivers, connected in LmsConfig.ready(). Wiring only: each calls one task."""

from django.db import transaction


def on_course_completed(sender, enrolment, **kwargs):
    from .tasks import record_completion

    transaction.on_commit(lambda: record_completion.delay(enrolment.pk))


def on_roster_imported(sender, organisation, **kwargs):
    from .services import refresh_enqueue

    refresh_enqueue(organisation_id=organisation.pk)
