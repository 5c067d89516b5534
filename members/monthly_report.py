"""The monthly report mailed to each organisation's staff: last month's joins and withdrawals,
the 12-month totals and the membership statistics at the month's end, as one Excel workbook.

The figures are those of the admin reports 加入・脱退 and 加入者統計 (members.selectors); the
workbook is built with members.xlsx. A daily task (``monthly_reports_task``) mails it on
``MEMBERS_MONTHLY_REPORT_DAY`` (the 11th; a missed day is caught up later in the month) to the
organisation's staff (Organisation → staff, the relation ``organisations_for_staff`` scopes
with; superusers see every organisation and are not mailed every one). One
``MonthlyReportDelivery`` per organisation and month makes a repeat send nothing. The list of
joiners and withdrawers names people, so every workbook that leaves the site is audit-logged.

    python manage.py monthly_report --organisation SLUG --month 2026-11 [--email] [--output FILE]
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime
import io

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import conf, mailheaders
from .audit import AuditEvent, audit_log
from .models import MonthlyReportDelivery, Organisation
from .selectors import (
    MembershipStatistics,
    MonthTotals,
    Movement,
    add_months,
    membership_movements,
    membership_statistics,
    month_start,
    monthly_movement_totals,
)
from .xlsx import XLSX_TYPE


def month_end(month: datetime.date) -> datetime.date:
    return add_months(month_start(month), 1) - datetime.timedelta(days=1)


def previous_month(day: datetime.date) -> datetime.date:
    return add_months(month_start(day), -1)


def report_day(day: datetime.date) -> int:
    """The sending day in ``day``'s month (the setting, or the month's last day)."""
    return min(conf.monthly_report_day(), calendar.monthrange(day.year, day.month)[1])


@dataclasses.dataclass
class MonthlyReport:
    organisation: Organisation
    month: datetime.date  # first day
    movements: list[Movement]
    totals: list[MonthTotals]  # the twelve months ending with ``month``
    statistics: MembershipStatistics  # on the month's last day

    @property
    def joined(self) -> int:
        return self.totals[-1].joined

    @property
    def withdrawn(self) -> int:
        return self.totals[-1].withdrawn

    @property
    def file_name(self) -> str:
        return f"monthly-report-{self.organisation.slug}-{self.month:%Y%m}.xlsx"

    @property
    def month_label(self) -> str:
        return f"{self.month.year}年{self.month.month}月"


def monthly_report(*, organisation, month: datetime.date) -> MonthlyReport:
    """The month's figures (five statistics queries, two for the list, two for the totals)."""
    month = month_start(month)
    return MonthlyReport(
        organisation=organisation,
        month=month,
        movements=membership_movements(
            organisation=organisation, start=month, end=add_months(month, 1)
        ),
        totals=monthly_movement_totals(
            organisation=organisation, first_month=add_months(month, -11), last_month=month
        ),
        statistics=membership_statistics(organisation=organisation, day=month_end(month)),
    )


def monthly_report_workbook(*, report: MonthlyReport) -> bytes:
    """The report as an XLSX file: a summary, the list, the 12-month totals and the statistics,
    each on a named sheet with the title row (organisation, report, as-of date)."""
    from openpyxl import Workbook

    from .xlsx import Col, add_table_sheet

    book = Workbook(write_only=True)
    title = _("Monthly membership report")
    heading = (
        report.organisation.name,
        f"{title} {report.month_label}",
        month_end(report.month),
    )
    add_table_sheet(
        book,
        title=_("Summary"),
        heading=heading,
        columns=[Col(_("Item")), Col(_("Count"), "int")],
        rows=[
            (_("Joined"), report.joined),
            (_("Withdrew"), report.withdrawn),
            (_("Net"), report.joined - report.withdrawn),
            (_("Members at the end of the month"), report.statistics.total),
        ],
    )
    add_table_sheet(
        book,
        title=_("Joins and withdrawals"),
        heading=heading,
        columns=[
            Col(_("Date"), "date"),
            Col(_("Movement")),
            Col(_("Member number")),
            Col(_("Name")),
            Col(_("Category")),
            Col(_("Withdrawal reason")),
        ],
        rows=[
            (m.on, m.kind_label, m.member_no, m.name, m.category_label, m.reason)
            for m in report.movements
        ],
    )
    add_table_sheet(
        book,
        title=_("12-month totals"),
        heading=heading,
        columns=[
            Col(_("Month"), "date"),
            Col(_("Joined"), "int"),
            Col(_("Withdrew"), "int"),
            Col(_("Net"), "int"),
        ],
        rows=[
            *((t.month, t.joined, t.withdrawn, t.net) for t in report.totals),
            (
                _("Total"),
                sum(t.joined for t in report.totals),
                sum(t.withdrawn for t in report.totals),
                sum(t.net for t in report.totals),
            ),
        ],
    )
    add_table_sheet(
        book,
        title=_("Membership statistics"),
        heading=heading,
        columns=[
            Col(_("Table")),
            Col(_("Item")),
            Col(_("Members"), "int"),
            Col(_("Share"), "percent"),
        ],
        rows=[
            (str(label), row.label, row.count, round(row.share, 1))
            for label, rows in report.statistics.sections
            for row in rows
        ],
    )
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def monthly_report_recipients(*, organisation) -> list[str]:
    """The addresses of the organisation's active staff users."""
    return sorted(
        set(
            organisation.staff.filter(is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )


def monthly_report_send(*, organisation, month: datetime.date) -> MonthlyReportDelivery | None:
    """Mail the month's report to the organisation's staff, once: None when it was sent before
    (or there is nobody to send it to). The delivery row is written in the same transaction as
    the send, so a failed send leaves no row and a retry sends it."""
    month = month_start(month)
    recipients = monthly_report_recipients(organisation=organisation)
    if not recipients:
        return None
    with transaction.atomic():
        delivery, created = MonthlyReportDelivery.objects.select_for_update().get_or_create(
            organisation=organisation, month=month, defaults={"recipients": len(recipients)}
        )
        if not created:
            return None
        with translation.override("ja"):
            report = monthly_report(organisation=organisation, month=month)
            content = monthly_report_workbook(report=report)
            subject = _("Monthly membership report %(month)s: %(organisation)s") % {
                "month": report.month_label,
                "organisation": organisation.name,
            }
            body = render_to_string(
                "members/email/monthly_report.txt",
                {
                    "report": report,
                    "organisation": organisation,
                    "as_of": month_end(month),
                    "reports_url": conf.site_url() + reverse("members_movements"),
                },
            )
        message = EmailMessage(
            subject=mailheaders.header_value(subject, name="Subject"),
            body=body,
            from_email=mailheaders.header_value(
                organisation.mail_from or settings.DEFAULT_FROM_EMAIL, name="From"
            ),
            to=recipients,
        )
        message.attach(report.file_name, content, XLSX_TYPE)
        message.send()
        delivery.joined, delivery.withdrawn = report.joined, report.withdrawn
        delivery.sent_at = timezone.now()
        delivery.save(update_fields=["joined", "withdrawn", "sent_at"])
        audit_log(
            user=None,
            action=AuditEvent.Action.EXPORT,
            organisation=organisation,
            obj=delivery,
            detail=f"{report.file_name} mailed to {', '.join(recipients)}",
        )
    return delivery


def monthly_reports_due(*, today: datetime.date | None = None) -> list[tuple[int, datetime.date]]:
    """(organisation id, month) of the reports to send today: from the report day on, last
    month's report of every organisation with staff that has not had it yet."""
    today = today or timezone.localdate()
    if today.day < report_day(today):
        return []
    month = previous_month(today)
    organisations = (
        Organisation.objects.filter(staff__is_active=True)
        .exclude(monthly_report_deliveries__month=month)
        .distinct()
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return [(pk, month) for pk in organisations]
