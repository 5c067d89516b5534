"""Staff screens for the roster: members list and detail, roster imports (upload -> preview ->
apply or cancel, with a progress bar), modelled on wagtail.contrib.redirects' import views.

Rows are scoped to the user's organisations by members.admin_scoping, the one mechanism of
every app; which actions the user may take comes from the model's permission policy.
"""

import csv
import datetime

import jaconv
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import FormView
from wagtail.admin import messages
from wagtail.admin.ui.tables import Column, DateColumn, StatusTagColumn, UserColumn
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.model import ViewSetGroup
from wagtail.permissions import policy_registry

from .. import conf
from ..admin_scoping import (
    OrganisationScopedViewSet,
    ScopedIndexView,
    ScopedInspectView,
    scope_to_staff,
)
from ..audit import AuditEvent, audit_log
from ..constants import PREFECTURE_CHOICES, Category, Gender
from ..exports import safe_csv_row
from ..filters import MemberFilterSet, RosterImportFilterSet
from ..forms import RosterUploadForm
from ..models import Member, RosterImport
from ..panels import member_page_sections
from ..roster.normalise import DATE_FIELDS, nfkc
from ..roster.pipeline import Options
from ..roster.report import COUNT_FIELDS, COUNT_LABELS, Issue
from ..selectors import organisations_for_staff, roster_import_same_file_applied
from ..services import roster_import_cancel, roster_import_create
from ..storage import private_file_url
from ..tasks import roster_import_apply_task, roster_import_preview_task
from .letters import SignInLetterViewSet
from .organisations import OrganisationViewSet
from .requests import PersonalDataRequestViewSet, member_disclosure

# --- members ------------------------------------------------------------------------------


class MemberIndexView(ScopedIndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("organisation")

    def search_queryset(self, queryset):
        if not self.is_searching:
            return queryset
        text = nfkc(self.search_query)
        variants = {
            self.search_query,
            text,
            jaconv.hira2kata(text),
            text.replace(" ", "\u3000"),
            jaconv.hira2kata(text).replace(" ", "\u3000"),
        }
        query = Q()
        for variant in variants:
            for field in self.search_fields:
                query |= Q(**{f"{field}__icontains": variant})
        return queryset.filter(query)


class MemberInspectView(ScopedInspectView):
    template_name = "members/admin/member_inspect.html"

    def get_field_display_value(self, field_name, field):
        value = super().get_field_display_value(field_name, field)
        return "—" if value in (None, "") else value

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        audit_log(user=self.request.user, action=AuditEvent.Action.VIEW_MEMBER, obj=self.object)
        context["periods"] = self.object.memberships.order_by("joined_on", "pk")
        context["sections"] = member_page_sections(request=self.request, member=self.object)
        context["can_disclose"] = self.request.user.has_perm("members.view_personaldatarequest")
        context["can_print_letter"] = not self.object.email and self.request.user.has_perm(
            "members.add_signinletter"
        )
        changes = list(
            self.object.changes.select_related(
                "roster_import", "roster_import__created_by"
            ).order_by("-created_at", "-pk")
        )
        for change in changes:
            change.rows = _change_rows(change.changes)
        context["changes"] = changes
        context["added_by"] = (
            RosterImport.objects.filter(
                organisation_id=self.object.organisation_id,
                applied_at__gte=self.object.created_at,
                status__in=[RosterImport.Status.APPLIED],
            )
            .order_by("applied_at")
            .first()
        )
        return context


def _field_label(field):
    try:
        return Member._meta.get_field(field).verbose_name
    except Exception:  # noqa: BLE001
        return field


def _display(field, value):
    """Labels for coded values (category 2F -> 第2種（特定フリーランス事業）); dates as people
    write them (1975年4月1日), however the file wrote them (S50.4.1)."""
    if value in (None, ""):
        return ""
    if field in DATE_FIELDS and isinstance(value, str):
        return date_format(datetime.date.fromisoformat(value), "DATE_FORMAT")
    choices = CHOICE_LABELS.get(field)
    return str(choices.get(value, value)) if choices else value


CHOICE_LABELS = {
    "category": dict(Category.choices),
    "gender": dict(Gender.choices),
    "prefecture": dict(PREFECTURE_CHOICES),
}


def _change_rows(changes: dict) -> list:
    return [
        (_field_label(field), _display(field, before), _display(field, after))
        for field, (before, after) in changes.items()
    ]


class MemberViewSet(OrganisationScopedViewSet):
    model = Member
    icon = "user"
    menu_label = gettext_lazy("Members")
    menu_order = 100
    index_view_class = MemberIndexView
    inspect_view_class = MemberInspectView
    inspect_view_enabled = True
    copy_view_enabled = False
    form_fields = ["name"]  # unused: members are changed by roster imports only
    filterset_class = MemberFilterSet
    search_fields = ["member_no", "name", "name_kana", "email"]
    list_per_page = 50
    ordering = ["organisation", "member_no"]
    list_display = [
        "member_no",
        "name",
        "name_kana",
        Column(
            "category",
            label=gettext_lazy("Category"),
            accessor="get_category_display",
            sort_key="category",
        ),
        "occupation",
        Column(
            "prefecture",
            label=gettext_lazy("Prefecture"),
            accessor="get_prefecture_display",
            sort_key="prefecture",
        ),
        "joined_on",
        "withdrawn_on",
        Column(
            "organisation",
            label=gettext_lazy("Organisation"),
            accessor="organisation",
            sort_key="organisation__name",
        ),
    ]
    list_export = [
        "organisation.name", "member_no", "name", "name_kana", "birth_date",
        "get_gender_display", "get_prefecture_display", "email", "phone",
        "get_category_display", "work_type", "occupation", "postcode", "address",
        "business_name", "daily_base", "joined_on", "withdrawn_on", "withdrawal_reason",
    ]  # fmt: skip
    export_headings = {
        "organisation.name": gettext_lazy("Organisation"),
        "name": gettext_lazy("Name"),
        "get_gender_display": gettext_lazy("Gender"),
        "get_prefecture_display": gettext_lazy("Prefecture"),
        "get_category_display": gettext_lazy("Category"),
    }
    export_filename = "members"
    inspect_view_fields = [
        "organisation", "member_no", "name", "name_kana", "birth_date", "gender", "prefecture",
        "email", "phone", "category", "work_type", "occupation", "postcode", "address",
        "business_name", "daily_base", "joined_on", "withdrawn_on", "withdrawal_reason",
        "anonymised_at", "created_at", "updated_at",
    ]  # fmt: skip

    def get_urlpatterns(self):
        from django.urls import path

        return super().get_urlpatterns() + [
            path("<int:pk>/disclosure.xlsx", member_disclosure, name="disclosure"),
        ]


# --- roster imports --------------------------------------------------------------------


class RosterImportIndexView(ScopedIndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("organisation", "created_by")


class RosterUploadView(PermissionCheckedMixin, WagtailAdminTemplateMixin, FormView):
    """Step one: upload. The file is stored and checked by a task; then the preview shows."""

    model = RosterImport
    form_class = RosterUploadForm
    permission_required = "add"
    template_name = "members/admin/import_upload.html"
    page_title = gettext_lazy("Import a roster")
    header_icon = "upload"
    index_url_name = None
    inspect_url_name = None

    @cached_property
    def permission_policy(self):
        return policy_registry.get_by_type(RosterImport)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(self.index_url_name), "label": _("Roster imports")},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["organisations"] = organisations_for_staff(user=self.request.user)
        return kwargs

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        options = Options(
            encoding=form.cleaned_data["encoding"],
            sheet=form.cleaned_data["sheet"] or None,
            as_of=form.cleaned_data["as_of"],
            withdraw_missing=form.cleaned_data["withdraw_missing"],
            skip_invalid=form.cleaned_data["skip_invalid"],
        )
        import_ = roster_import_create(
            organisation=form.cleaned_data["organisation"],
            file_name=upload.name,
            data=upload.read(),
            user=self.request.user,
            options=options,
        )
        transaction.on_commit(lambda: roster_import_preview_task.delay(import_.pk))
        return redirect(self.inspect_url_name, import_.pk)


class RosterImportInspectView(ScopedInspectView):
    """The preview (and, once applied, the report) of one import, with its progress."""

    template_name = "members/admin/import_detail.html"
    apply_url_name = None
    cancel_url_name = None
    progress_url_name = None
    errors_csv_url_name = None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        import_ = self.object
        report = import_.report or {}
        policy = policy_registry.get_by_type(RosterImport)
        may_run = policy.user_has_permission_for_instance(self.request.user, "add", import_)
        context.update(
            {
                "import": import_,
                "report": report,
                "counts": [(COUNT_LABELS[k], getattr(import_, k), k) for k in COUNT_FIELDS],
                "errors": _issues(report.get("errors", []), import_.file_name),
                "warnings": _issues(report.get("warnings", []), import_.file_name),
                "guards": _issues(report.get("guards", []), import_.file_name),
                "changes": [_change(c) for c in report.get("changes", [])],
                "same_file_applied": roster_import_same_file_applied(import_=import_),
                "errors_csv_url": reverse(self.errors_csv_url_name, args=[import_.pk]),
                "running": import_.status
                in {
                    RosterImport.Status.UPLOADED,
                    RosterImport.Status.PREVIEWING,
                    RosterImport.Status.APPLYING,
                },
                "can_apply": may_run and import_.status == RosterImport.Status.PREVIEWED,
                "can_cancel": may_run
                and import_.status in {RosterImport.Status.UPLOADED, RosterImport.Status.PREVIEWED},
                "apply_url": reverse(self.apply_url_name, args=[import_.pk]),
                "cancel_url": reverse(self.cancel_url_name, args=[import_.pk]),
                "progress_url": reverse(self.progress_url_name, args=[import_.pk]),
                "options": Options.from_dict(import_.options),
                "file_url": private_file_url(import_) if import_.file else "",
                "retention_days": conf.private_file_retention_days(),
            }
        )
        return context


def _issues(items, file_name):
    out = []
    for data in items:
        issue = Issue.from_dict(data)
        out.append({"issue": issue, "messages": issue.messages(file_name)})
    return out


def _change(change):
    return {**change, "rows": _change_rows(change.get("changes", {}))}


def _scoped_import(request, pk, action):
    """The import, if it is of the user's organisations (else 404) and they may ``action`` it."""
    import_ = get_object_or_404(
        scope_to_staff(RosterImport.objects.all(), user=request.user), pk=pk
    )
    if not policy_registry.get_by_type(RosterImport).user_has_permission(request.user, action):
        raise PermissionDenied
    return import_


class RosterImportViewSet(OrganisationScopedViewSet):
    model = RosterImport
    icon = "upload"
    menu_label = gettext_lazy("Roster imports")
    menu_order = 200
    index_view_class = RosterImportIndexView
    add_view_class = RosterUploadView
    inspect_view_class = RosterImportInspectView
    inspect_view_enabled = True
    copy_view_enabled = False
    form_fields = ["file_name"]  # unused: imports are created by upload only
    filterset_class = RosterImportFilterSet
    ordering = ["-created_at"]
    list_display = [
        "file_name",
        Column("organisation", label=gettext_lazy("Organisation"), accessor="organisation"),
        StatusTagColumn("status", label=gettext_lazy("Status"), accessor="get_status_display",
                        primary=lambda i: i.status == RosterImport.Status.APPLIED),
        "added", "changed", "withdrawn", "rejoined", "missing", "rejected",
        UserColumn("created_by", label=gettext_lazy("Uploaded by")),
        DateColumn("created_at", label=gettext_lazy("Uploaded at"), sort_key="created_at"),
    ]  # fmt: skip

    def get_add_view_kwargs(self, **kwargs):
        return {
            "index_url_name": self.get_url_name("index"),
            "inspect_url_name": self.get_url_name("inspect"),
            **kwargs,
        }

    @property
    def add_view(self):
        return self.construct_view(self.add_view_class, **self.get_add_view_kwargs())

    def get_inspect_view_kwargs(self, **kwargs):
        return super().get_inspect_view_kwargs(
            apply_url_name=self.get_url_name("apply"),
            cancel_url_name=self.get_url_name("cancel"),
            progress_url_name=self.get_url_name("progress"),
            errors_csv_url_name=self.get_url_name("errors_csv"),
            **kwargs,
        )

    def apply_view(self, request, pk):
        import_ = _scoped_import(request, pk, "add")
        needs_confirmation = bool((import_.report or {}).get("guards"))
        if needs_confirmation and not request.POST.get("confirm_large_change"):
            messages.error(
                request,
                _(
                    "This file changes an unusually large part of the roster: tick “I have "
                    "checked this file” to apply it."
                ),
            )
        elif import_.status == RosterImport.Status.PREVIEWED:
            if needs_confirmation:
                import_.options = {**import_.options, "confirm_large_change": True}
                import_.save(update_fields=["options"])
            user_id = request.user.pk
            transaction.on_commit(lambda: roster_import_apply_task.delay(import_.pk, user_id))
            messages.success(request, _("The import is being applied."))
        else:
            messages.warning(request, _("This import cannot be applied any more."))
        return redirect(self.get_url_name("inspect"), import_.pk)

    def cancel_view(self, request, pk):
        import_ = _scoped_import(request, pk, "add")
        if roster_import_cancel(import_=import_, user=request.user):
            messages.success(request, _("The import was cancelled; the roster was not changed."))
        return redirect(self.get_url_name("index"))

    def errors_csv_view(self, request, pk):
        """The import's errors and warnings as a CSV file (UTF-8 with BOM, for Excel)."""
        import_ = _scoped_import(request, pk, "view")
        report = import_.report or {}
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="roster-import-{pk}-errors.csv"'
        response.write("\ufeff")
        writer = csv.writer(response)
        writer.writerow([_("Severity"), _("Line"), _("Column"), _("Value"), "日本語", "English"])
        for key, severity in (("errors", _("Error")), ("warnings", _("Warning"))):
            for item in _issues(report.get(key, []), import_.file_name):
                issue = item["issue"]
                writer.writerow(
                    safe_csv_row(
                        [severity, issue.line or "", issue.column, issue.value,
                         item["messages"]["ja"], item["messages"]["en"]]
                    )
                )  # fmt: skip
        audit_log(
            user=request.user,
            action=AuditEvent.Action.EXPORT,
            obj=import_,
            detail="errors.csv",
        )
        return response

    def progress_view(self, request, pk):
        import_ = _scoped_import(request, pk, "view")
        return JsonResponse(
            {
                "status": import_.status,
                "status_label": import_.get_status_display(),
                "percent": import_.progress_percent,
                "done": import_.progress_done,
                "total": import_.progress_total,
                "finished": import_.status
                not in {
                    RosterImport.Status.UPLOADED,
                    RosterImport.Status.PREVIEWING,
                    RosterImport.Status.APPLYING,
                },
            }
        )

    def get_urlpatterns(self):
        from django.urls import path

        return super().get_urlpatterns() + [
            path("<int:pk>/apply/", require_POST(self.apply_view), name="apply"),
            path("<int:pk>/cancel/", require_POST(self.cancel_view), name="cancel"),
            path("<int:pk>/progress/", self.progress_view, name="progress"),
            path("<int:pk>/errors.csv", require_GET(self.errors_csv_view), name="errors_csv"),
        ]


class RosterViewSetGroup(ViewSetGroup):
    menu_label = gettext_lazy("Roster")
    menu_icon = "group"
    menu_order = 250
    items = (
        MemberViewSet,
        RosterImportViewSet,
        SignInLetterViewSet,
        PersonalDataRequestViewSet,
        OrganisationViewSet,
    )
