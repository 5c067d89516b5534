"""The one door to private files: permission, organisation, audit log, then the file.

Any model registered with ``members.storage.register_private_file`` is served here; see that
module for how another app registers its own files.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from ..audit import audit_log
from ..selectors import organisations_for_staff
from ..storage import private_file_entry, private_file_response


@require_safe
def private_file_download(request, key, pk):
    """A 404 (never a 403 that confirms the file exists) for a user without the model
    permission or outside the object's organisation, and for a file already deleted."""
    entry = private_file_entry(key)
    if entry is None or not request.user.has_perm(entry.permission):
        raise Http404
    scoped = entry.model._default_manager.filter(
        **{f"{entry.organisation_path}__in": organisations_for_staff(user=request.user)}
    )
    obj = get_object_or_404(scoped, pk=pk)
    if not getattr(obj, entry.field):
        raise Http404
    audit_log(
        user=request.user,
        action=entry.audit_action,
        organisation=entry.organisation_id(obj),
        obj=obj,
        detail=entry.download_name(obj),
    )
    return private_file_response(request, obj, entry=entry)
