"""Wagtail's site-history report (and its CSV/XLSX), limited to the user's organisations.

Wagtail shows a user every log entry of every content type they hold any permission on: the
staff of organisation B saw organisation A's audiences, suppressions and mailings. Here a
superuser still sees everything; anyone else sees page entries as Wagtail decides (page
permissions) and entries of other models only for objects of their own organisations
(models with an ``organisation`` field, and the organisations themselves). Entries of
models that belong to no organisation (users, groups, collections ...) are for superusers.
The project's URLconf mounts this view over Wagtail's ``reports/site-history/``.
"""

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db.models import CharField, IntegerField, Q, Value
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import ContentTypeFilter
from wagtail.admin.views.reports.audit_logging import LogEntriesView, SiteHistoryReportFilterSet
from wagtail.log_actions import registry as log_action_registry
from wagtail.models import PageLogEntry

from ..exports import SafeSpreadsheetExportMixin
from ..models import Organisation
from ..selectors import organisations_for_staff


def _scoped_object_ids(model, organisations):
    if model is Organisation:
        queryset = organisations
    else:
        try:
            model._meta.get_field("organisation")
        except FieldDoesNotExist:
            return None
        queryset = model._default_manager.filter(organisation__in=organisations)
    return queryset.annotate(_pk_text=Cast("pk", CharField())).values("_pk_text")


def log_entries_for_user(log_model, user):
    """The entries of one log model that ``user`` may see in the site history."""
    entries = log_model.objects.viewable_by_user(user)
    if user.is_superuser or issubclass(log_model, PageLogEntry):
        return entries
    organisations = organisations_for_staff(user=user)
    allowed = Q(pk__in=[])
    for content_type_id in entries.values_list("content_type_id", flat=True).distinct():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        ids = _scoped_object_ids(model, organisations) if model is not None else None
        if ids is not None:
            allowed |= Q(content_type_id=content_type_id, object_id__in=ids)
    return entries.filter(allowed)


def _scoped_content_types(request):
    ids = set()
    for model in log_action_registry.get_log_entry_models():
        ids.update(log_entries_for_user(model, request.user).get_content_type_ids())
    return ContentType.objects.filter(pk__in=ids).order_by("model")


class ScopedSiteHistoryFilterSet(SiteHistoryReportFilterSet):
    object_type = ContentTypeFilter(
        label=_("Type"), method="filter_object_type", queryset=_scoped_content_types
    )

    def _entries(self):
        return [
            log_entries_for_user(model, self.request.user)
            for model in log_action_registry.get_log_entry_models()
        ]

    def get_user_choices(self):
        ids = set()
        for entries in self._entries():
            ids.update(entries.get_user_ids())
        User = get_user_model()
        return User.objects.filter(pk__in=ids).order_by(User.USERNAME_FIELD)

    def get_action_choices(self):
        actions = set()
        for entries in self._entries():
            actions.update(entries.get_actions())
        return [choice for choice in log_action_registry.get_choices() if choice[0] in actions]


class SiteHistoryView(SafeSpreadsheetExportMixin, LogEntriesView):
    """Wagtail's view with one change: each log model's entries come from
    ``log_entries_for_user`` instead of ``viewable_by_user`` (see LogEntriesView)."""

    filterset_class = ScopedSiteHistoryFilterSet

    def get_filtered_queryset(self):
        queryset = None
        self.log_models = list(log_action_registry.get_log_entry_models())
        for index, log_model in enumerate(self.log_models):
            entries = (
                log_entries_for_user(log_model, self.request.user)
                .values("pk", "timestamp")
                .annotate(log_model_index=Value(index, output_field=IntegerField()))
            )
            entries = self.filter_queryset(entries).order_by()
            queryset = entries if queryset is None else queryset.union(entries, all=True)
        return queryset.order_by("-timestamp")
