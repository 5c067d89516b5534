"""Wiring only: the roster menu (members, imports) and the two reports."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.permissions import policy_registry

from .models import Member
from .views.reports import MembershipStatisticsView, MovementsReportView
from .views.roster import RosterViewSetGroup


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
    ]


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
