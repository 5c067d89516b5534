"""Organisation scoping of staff: the one way every admin view, report, export, permission
policy and service keeps organisation B's staff away from organisation A's rows.

``scope_to_staff(queryset, user=..., organisation_path=...)`` filters any queryset;
``require_staff_of(user=..., organisation=...)`` refuses a write for another organisation
(there is no "no user" that skips it: a task acting for nobody calls a service that takes no
user). Model views:

A viewset names the path from its model to the organisation (``organisation_path``, e.g.
``"organisation"`` or ``"campaign__organisation"``); its index lists only rows of the staff
user's organisations (members.selectors.organisations_for_staff), and every view that takes a
primary key (edit, delete, copy, inspect, history, usage) answers 404 for another
organisation's object, as if it did not exist.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet

from .exports import SafeSpreadsheetExportMixin
from .selectors import organisations_for_staff


def scope_to_staff(queryset, *, user, organisation_path: str = "organisation"):
    """The rows of ``queryset`` that belong to the organisations ``user`` may see."""
    organisations = organisations_for_staff(user=user)
    return queryset.filter(**{f"{organisation_path}__in": organisations})


def is_staff_of(*, user, organisation_id) -> bool:
    return organisations_for_staff(user=user).filter(pk=organisation_id).exists()


def require_staff_of(*, user, organisation) -> None:
    """PermissionDenied unless ``user`` is staff of ``organisation`` (or a superuser)."""
    if not is_staff_of(user=user, organisation_id=organisation.pk):
        raise PermissionDenied(_("You do not manage this organisation."))


class OrganisationScopedMixin:
    organisation_path = "organisation"  # set per viewset through get_common_view_kwargs

    def scoped_queryset(self, model=None):
        model = model or self.model
        return scope_to_staff(
            model._default_manager.all(),
            user=self.request.user,
            organisation_path=self.organisation_path,
        )


class ScopedIndexMixin(OrganisationScopedMixin):
    def get_base_queryset(self):
        return super().get_base_queryset().filter(pk__in=self.scoped_queryset().values("pk"))


class ScopedObjectMixin(OrganisationScopedMixin):
    def get_object(self, *args, **kwargs):
        obj = super().get_object(*args, **kwargs)
        if not self.scoped_queryset(type(obj)).filter(pk=obj.pk).exists():
            raise Http404
        return obj


class ScopedIndexView(ScopedIndexMixin, SafeSpreadsheetExportMixin, generic.IndexView):
    pass


class ScopedEditView(ScopedObjectMixin, generic.EditView):
    pass


class ScopedDeleteView(ScopedObjectMixin, generic.DeleteView):
    pass


class ScopedCopyView(ScopedObjectMixin, generic.CopyView):
    pass


class ScopedInspectView(ScopedObjectMixin, generic.InspectView):
    pass


class ScopedHistoryView(ScopedObjectMixin, generic.HistoryView):
    pass


class ScopedUsageView(ScopedObjectMixin, generic.UsageView):
    pass


class OrganisationScopedViewSet(ModelViewSet):
    """A ModelViewSet whose every view is scoped to the staff user's organisations."""

    organisation_path = "organisation"
    index_view_class = ScopedIndexView
    edit_view_class = ScopedEditView
    delete_view_class = ScopedDeleteView
    copy_view_class = ScopedCopyView
    inspect_view_class = ScopedInspectView
    history_view_class = ScopedHistoryView
    usage_view_class = ScopedUsageView
    copy_view_enabled = False

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(organisation_path=self.organisation_path, **kwargs)


class ScopedOrganisationForm(WagtailAdminModelForm):
    """A model form whose ``organisation`` choices are the staff user's organisations."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "organisation" in self.fields:
            self.fields["organisation"].queryset = organisations_for_staff(user=self.for_user)
