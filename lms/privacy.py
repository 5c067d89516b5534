"""The campaigns' part of a member's disclosure file (members.privacy): what was required of
the member each cycle, its status and completion, and exemptions. Kept after anonymisation
as the evidence of the training (no names or addresses are stored here)."""

from members.privacy import DisclosureSheet
from members.xlsx import Col

from .models import Assignment, Exemption


def _label(model, name):
    return str(model._meta.get_field(name).verbose_name)


def disclosure_sheets(member):
    assignments = Assignment.objects.filter(member=member).select_related("cycle", "requirement")
    exemptions = Exemption.objects.filter(member=member).select_related("cycle", "requirement")
    return [
        DisclosureSheet(
            title=str(Assignment._meta.verbose_name_plural),
            columns=[
                Col(_label(Assignment, "cycle")),
                Col(_label(Assignment, "requirement")),
                Col(_label(Assignment, "starts_on"), "date"),
                Col(_label(Assignment, "due_on"), "date"),
                Col(_label(Assignment, "status")),
                Col(_label(Assignment, "completed_at"), "datetime"),
            ],
            rows=[
                [
                    a.cycle.name,
                    a.requirement.name,
                    a.starts_on,
                    a.due_on,
                    a.get_status_display(),
                    a.completed_at,
                ]
                for a in assignments.order_by("cycle__opens_on", "requirement__name", "pk")
            ],  # fmt: skip
        ),
        DisclosureSheet(
            title=str(Exemption._meta.verbose_name_plural),
            columns=[
                Col(_label(Exemption, "cycle")),
                Col(_label(Exemption, "requirement")),
                Col(_label(Exemption, "reason")),
                Col(_label(Exemption, "granted_at"), "datetime"),
                Col(_label(Exemption, "revoked_at"), "datetime"),
            ],
            rows=[
                [
                    e.cycle.name if e.cycle_id else "",
                    e.requirement.name if e.requirement_id else "",
                    e.reason,
                    e.granted_at,
                    e.revoked_at,
                ]
                for e in exemptions.order_by("granted_at", "pk")
            ],  # fmt: skip
        ),
    ]
