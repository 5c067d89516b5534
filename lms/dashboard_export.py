"""The campaign dashboard as an Excel workbook: people, requirements and each breakdown on
named sheets, the same figures as the page (lms.views.admin.dashboard_context)."""

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from members.xlsx import Col, add_table_sheet

from .models import Assignment

Status = Assignment.Status


def dashboard_workbook(context) -> Workbook:
    cycle = context["cycle"]
    book = Workbook(write_only=True)
    as_of = timezone.localtime(cycle.closed_at) if cycle.is_closed else timezone.localtime()
    heading = (
        cycle.campaign.organisation.name,
        f"{cycle.campaign.name} {cycle.name} {_('Campaign dashboard')}",
        as_of,
    )
    _people_sheet(book, heading=heading, summary=context["summary"], tiles=context["tiles"])
    columns = _requirement_columns()
    add_table_sheet(
        book,
        title=_("Requirements"),
        heading=heading,
        columns=columns,
        rows=[
            (
                r.label,
                r.required,
                r.completed,
                r.n(Status.IN_PROGRESS),
                r.n(Status.ASSIGNED),
                r.n(Status.OVERDUE),
                r.rate,
            )  # fmt: skip
            for r in context["requirements"]
        ],
    )
    for _key, label, rows in context["breakdowns"]:
        add_table_sheet(
            book,
            title=label,
            heading=heading,
            columns=[Col(label), Col(_("People required"), "int"), *columns[2:]],
            rows=[(row["label"], *(n for n, _u in row["cells"]), row["rate"]) for row in rows],
        )
    changes = context.get("changes")
    if changes is not None:
        add_table_sheet(
            book,
            title=_("Changes after closing"),
            heading=heading,
            columns=[Col(_("Figure")), Col(_("People"), "int")],
            rows=[
                (str(_("Withdrew after the due date")), changes.withdrawn),
                (str(_("Completed after the due date")), changes.completed),
            ],
        )
    return book


def _people_sheet(book, *, heading, summary, tiles) -> None:
    required = summary.required

    def share(n):
        return round(100.0 * n / required, 1) if required else None

    add_table_sheet(
        book,
        title=_("People"),
        heading=heading,
        columns=[
            Col(_("Figure")),
            Col(_("People"), "int"),
            Col(_("Share of required"), "percent"),
        ],
        rows=[
            *((str(label), n, share(n)) for _t, label, n, _u in tiles),
            (str(_("Completed (on time or late)")), summary.completed, summary.rate),
        ],
    )


def _requirement_columns() -> list[Col]:
    return [
        Col(_("Requirement")),
        Col(_("Assigned requirements"), "int"),
        Col(_("Completed"), "int"),
        Col(_("In progress"), "int"),
        Col(_("Not started"), "int"),
        Col(_("Overdue"), "int"),
        Col(_("Rate"), "percent"),
    ]
