"""Reads for SCORM lessons: what the player shows, whether a lesson's SCOs are done, and the
runtime records staff (and the evidence pack) see."""

from __future__ import annotations

import dataclasses

from django.db.models import Count, Exists, OuterRef, Q, Subquery

from members.admin_scoping import scope_to_staff

from .models import ScormItem, ScormPackage, ScormState


def scorm_lesson_done(*, enrolment_id, lesson_id) -> bool:
    """Every SCO and asset of the lesson's current package is complete in this attempt.

    One query (heartbeats of an unfinished SCORM lesson ask it)."""
    latest = ScormPackage.objects.filter(lesson_id=lesson_id).order_by("-version").values("pk")[:1]
    complete = ScormState.objects.filter(
        progress__enrolment_id=enrolment_id,
        progress__lesson_id=lesson_id,
        item_identifier=OuterRef("identifier"),
        completed_at__isnull=False,
    )
    counts = (
        ScormItem.objects.filter(package_id=Subquery(latest))
        .exclude(launch="")
        .aggregate(total=Count("pk"), done=Count("pk", filter=Q(Exists(complete))))
    )
    return counts["total"] > 0 and counts["done"] == counts["total"]


@dataclasses.dataclass
class PlayerRow:
    item: ScormItem
    state: ScormState | None

    @property
    def complete(self) -> bool:
        return self.state is not None and self.state.completed_at is not None

    @property
    def launchable(self) -> bool:
        return bool(self.item.launch)


def player_rows(*, package: ScormPackage, progress) -> list[PlayerRow]:
    """The package's items in order (headings included), each with the member's runtime data
    in this attempt (``progress`` None: a preview)."""
    items = list(package.items.all())
    states = {}
    if progress is not None:
        states = {
            state.item_identifier: state
            for state in ScormState.objects.filter(progress=progress).only(
                "item_identifier", "lesson_status", "score_raw", "completed_at", "last_launched_at"
            )
        }
    return [PlayerRow(item=item, state=states.get(item.identifier)) for item in items]


def start_row(rows: list[PlayerRow]) -> PlayerRow | None:
    """Where the player starts: the SCO last opened if it is not complete, else the first
    incomplete one, else the first (what Moodle and SCORM Cloud do)."""
    launchable = [row for row in rows if row.launchable]
    if not launchable:
        return None
    opened = [row for row in launchable if row.state is not None]
    if opened:
        last = max(opened, key=lambda row: row.state.last_launched_at)
        if not last.complete:
            return last
    return next((row for row in launchable if not row.complete), launchable[0])


def scorm_states_for_staff(*, user):
    """The SCORM runtime records of the members of ``user``'s organisations."""
    return scope_to_staff(
        ScormState.objects.all(),
        user=user,
        organisation_path="progress__enrolment__member__organisation",
    )


def scorm_states_of_enrolments(enrolment_ids):
    """Runtime records of these attempts, for reports and the evidence pack (one query)."""
    return (
        ScormState.objects.filter(progress__enrolment_id__in=list(enrolment_ids))
        .select_related("progress__lesson", "progress__enrolment__member")
        .order_by("progress__enrolment_id", "progress__lesson__path", "first_launched_at")
    )
