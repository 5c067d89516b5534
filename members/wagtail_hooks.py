"""Wiring only: the roster menu (members, imports) and the two reports."""

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.permissions import policy_registry

from .models import AuditEvent, Member
from .views import twofactor
from .views.audit import AuditLogReportView
from .views.downloads import private_file_download
from .views.reports import (
    MembershipStatisticsView,
    MovementsReportView,
    monthly_report_download,
)
from .views.roster import RosterViewSetGroup


@hooks.register("register_permissions")
def staff_permissions_in_the_group_editor():
    """The permissions the apps declare for staff, so that the group editor shows them (view
    permissions of lists without an inspect view among them)."""
    from .selectors import staff_permissions

    return staff_permissions()


@hooks.register("register_admin_viewset")
def register_roster_viewsets():
    return RosterViewSetGroup()


@hooks.register("register_admin_urls")
def register_report_urls():
    return [
        path(
            "reports/membership-statistics/",
            MembershipStatisticsView.as_view(),
            name="members_statistics",
        ),
        path(
            "reports/membership-statistics/results/",
            MembershipStatisticsView.as_view(results_only=True),
            name="members_statistics_results",
        ),
        path("reports/joins-withdrawals/", MovementsReportView.as_view(), name="members_movements"),
        path(
            "reports/joins-withdrawals/results/",
            MovementsReportView.as_view(results_only=True),
            name="members_movements_results",
        ),
        path(
            "reports/joins-withdrawals/monthly.xlsx",
            monthly_report_download,
            name="members_monthly_report",
        ),
        path("reports/audit-log/", AuditLogReportView.as_view(), name="members_audit_log"),
        path(
            "reports/audit-log/results/",
            AuditLogReportView.as_view(results_only=True),
            name="members_audit_log_results",
        ),
        path(
            "private-files/<str:key>/<int:pk>/",
            private_file_download,
            name="members_private_file",
        ),
        path(
            "2fa/",
            include(
                (
                    [
                        path("setup/", twofactor.setup, name="setup"),
                        path("verify/", twofactor.verify, name="verify"),
                        path("recovery-codes/", twofactor.recovery_codes, name="recovery_codes"),
                    ],
                    "members_twofactor",
                )
            ),
        ),
    ]


@hooks.register("register_account_menu_item")
def register_twofactor_account_item(request):
    return {
        "url": reverse("members_twofactor:recovery_codes"),
        "label": _("Two-step sign-in"),
        "help_text": _("Your authenticator app and recovery codes."),
    }


class MemberReportMenuItem(MenuItem):
    def is_shown(self, request):
        return policy_registry.get_by_type(Member).user_has_permission(request.user, "view")


@hooks.register("register_reports_menu_item")
def register_statistics_menu_item():
    return MemberReportMenuItem(
        _("Membership statistics"), reverse("members_statistics"), icon_name="table", order=500
    )


@hooks.register("register_reports_menu_item")
def register_movements_menu_item():
    return MemberReportMenuItem(
        _("Joins and withdrawals"), reverse("members_movements"), icon_name="table", order=510
    )


class AuditLogMenuItem(MenuItem):
    def is_shown(self, request):
        return policy_registry.get_by_type(AuditEvent).user_has_permission(request.user, "view")


@hooks.register("register_reports_menu_item")
def register_audit_log_menu_item():
    return AuditLogMenuItem(
        _("Audit log"), reverse("members_audit_log"), icon_name="history", order=1050
    )


@hooks.register("construct_homepage_panels")
def office_home_roster(request, panels):
    """This month's roster import: due by the 10th, a warning from the 11th if none."""
    from django.utils.formats import date_format
    from django.utils.timezone import localdate

    from .panels import Figure, OfficePanel
    from .selectors import ROSTER_DUE_DAY, roster_imports_due

    if not policy_registry.get_by_type(Member).user_has_permission(request.user, "view"):
        return
    figures = []
    for due in roster_imports_due(user=request.user):
        if due.done_this_month:
            value = _("Imported this month")
        elif due.overdue:
            value = _("Not imported this month (due by the %(day)sth)") % {"day": ROSTER_DUE_DAY}
        else:
            value = _("Due by the %(day)sth") % {"day": ROSTER_DUE_DAY}
        last = (
            date_format(localdate(due.last_applied_at), "DATE_FORMAT")
            if due.last_applied_at
            else _("never")
        )
        figures.append(
            Figure(
                label=_("%(organisation)s (last import: %(date)s)")
                % {"organisation": due.organisation.name, "date": last},
                value=value,
                url=reverse("rosterimport:add"),
                warning=due.overdue,
                testid=f"roster-due-{due.organisation.slug}",
            )
        )
    if figures:
        panels.append(
            OfficePanel(name="roster", heading=_("This month's roster"), figures=figures, order=10)
        )
