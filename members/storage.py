"""Private storage for files with personal data, and the one way to hand them out.

Rosters, attendance lists, exemption evidence and evidence packs name, date and locate
people. They never go to MEDIA_ROOT (which a web server may serve) nor under their original
names: they live in ``STORAGES["private"]`` (a folder outside the media root by default,
``PRIVATE_MEDIA_ROOT``; a private S3 bucket or prefix with short-lived signed links when
``AWS_PRIVATE_STORAGE_BUCKET_NAME`` or ``AWS_STORAGE_BUCKET_NAME`` is set), under random
names, and are downloaded only through a view that checks the user's organisation and
writes the audit log. After a retention period (``MEMBERS_PRIVATE_FILE_RETENTION_DAYS``,
90 days by default) a periodic task deletes them.

How another app stores such a file (a model of its own, e.g. exemption evidence)::

    from members.storage import PrivateUploadTo, private_storage

    class ExemptionEvidence(models.Model):
        organisation = models.ForeignKey("members.Organisation", ...)
        file = models.FileField(storage=private_storage, upload_to=PrivateUploadTo("exemptions"))
        file_name = models.CharField(max_length=255)  # the name the user gave, for downloads

and, once, in its ``AppConfig.ready()``::

    from members.storage import register_private_file

    register_private_file(
        ExemptionEvidence,
        permission="lms.view_exemptionevidence",   # a model permission the viewer must hold
        organisation_path="organisation",         # or e.g. "assignment__member__organisation"
        file_name_field="file_name",
        retention_from=F("decided_at"),           # optional: purge N days after this
    )

Then ``private_file_url(obj)`` is the link to put in a template: the download view
(``/admin/private-files/<app>.<model>/<pk>/``) answers 404 to anyone without the permission
or outside the object's organisation, writes ``AuditEvent(action="download")`` and streams
the file (or redirects to a signed URL valid for ``PRIVATE_URL_EXPIRE`` seconds on S3). A view
of your own can call ``private_file_response(request, obj)`` after its own checks instead.
"""

from __future__ import annotations

import dataclasses
import datetime
import mimetypes
import secrets
from pathlib import PurePath

from django.core.files.storage import FileSystemStorage, storages
from django.db import models
from django.http import FileResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.deconstruct import deconstructible


class PrivateFileSystemStorage(FileSystemStorage):
    """A folder that has no URL: its files are only read by the download view."""

    def __init__(self, location=None, **kwargs):
        kwargs.pop("base_url", None)
        super().__init__(location=location, base_url=None, **kwargs)

    def url(self, name):
        raise ValueError(
            "Private files have no public URL; link to members.storage.private_file_url(obj)."
        )


def private_storage():
    """``STORAGES["private"]``; pass the function itself: ``FileField(storage=private_storage)``
    (migrations then name this function, not one deployment's storage)."""
    return storages["private"]


@deconstructible
class PrivateUploadTo:
    """``upload_to`` giving ``<prefix>/<organisation id>/<random>.<ext>``: the stored name says
    nothing about the person or the file's original name (kept in a field of the model)."""

    def __init__(self, prefix: str, organisation_field: str = "organisation_id"):
        self.prefix = prefix.strip("/")
        self.organisation_field = organisation_field

    def __call__(self, instance, filename):
        suffix = PurePath(filename).suffix.lower()[:10]
        if not suffix[1:].isalnum():
            suffix = ""
        owner = getattr(instance, self.organisation_field, None) or "shared"
        return f"{self.prefix}/{owner}/{secrets.token_urlsafe(24)}{suffix}"

    def __eq__(self, other):
        return isinstance(other, PrivateUploadTo) and (self.prefix, self.organisation_field) == (
            other.prefix,
            other.organisation_field,
        )


# --- registry of downloadable private files ------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PrivateFile:
    model: type[models.Model]
    field: str
    permission: str
    organisation_path: str
    file_name_field: str | None
    retention_from: models.Expression | models.F | None
    audit_action: str = "download"

    @property
    def key(self) -> str:
        return self.model._meta.label_lower

    def organisation_id(self, obj):
        value = obj
        for part in self.organisation_path.split("__"):
            value = getattr(value, part, None)
            if value is None:
                return None
        return value.pk

    def download_name(self, obj) -> str:
        name = getattr(obj, self.file_name_field, "") if self.file_name_field else ""
        return name or PurePath(getattr(obj, self.field).name).name


_REGISTRY: dict[str, PrivateFile] = {}


def register_private_file(
    model,
    *,
    permission: str,
    field: str = "file",
    organisation_path: str = "organisation",
    file_name_field: str | None = None,
    retention_from=None,
    audit_action: str = "download",
) -> None:
    """Make ``model.<field>`` downloadable through the permission-checked view, and (with
    ``retention_from``, an expression giving when the retention period starts) purged by
    ``private_files_purge`` once it is over; ``audit_action`` is what a download is logged as
    (an ``AuditEvent.Action``, e.g. ``"evidence_pack"``). Call from ``AppConfig.ready()``."""
    entry = PrivateFile(
        model, field, permission, organisation_path, file_name_field, retention_from, audit_action
    )
    _REGISTRY[entry.key] = entry


def registered_private_files() -> list[PrivateFile]:
    return list(_REGISTRY.values())


def private_file_entry(model_or_key) -> PrivateFile | None:
    key = model_or_key if isinstance(model_or_key, str) else model_or_key._meta.label_lower
    return _REGISTRY.get(key)


def private_file_url(obj) -> str:
    """The download link for a registered object's file."""
    return reverse("members_private_file", args=[obj._meta.label_lower, obj.pk])


def private_file_response(request, obj, *, entry: PrivateFile | None = None):
    """Hand out ``obj``'s private file (after the caller's permission check): a download
    streamed from disk, or a redirect to a signed link that expires shortly. Never cached."""
    entry = entry or private_file_entry(type(obj))
    file = getattr(obj, entry.field)
    name = entry.download_name(obj)
    if isinstance(file.storage, FileSystemStorage):
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        response = FileResponse(
            file.storage.open(file.name, "rb"),
            as_attachment=True,
            filename=name,
            content_type=content_type,
        )
    else:
        response = HttpResponseRedirect(
            file.storage.url(
                file.name,
                parameters={"ResponseContentDisposition": _attachment(name)},
            )
        )
    response["Cache-Control"] = "private, no-store"
    return response


def _attachment(name: str) -> str:
    from django.utils.http import content_disposition_header

    return content_disposition_header(True, name)


# --- retention ------------------------------------------------------------------------------


def private_files_purge(*, now: datetime.datetime | None = None, days: int | None = None) -> int:
    """Delete the stored files whose retention period is over; the records stay (name,
    checksum, counts), with the file field emptied. Returns how many files were deleted."""
    from . import conf
    from .audit import AuditEvent, audit_log

    days = conf.private_file_retention_days() if days is None else days
    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    deleted = 0
    for entry in registered_private_files():
        if entry.retention_from is None:
            continue
        due = (
            entry.model._default_manager.exclude(**{entry.field: ""})
            .exclude(**{f"{entry.field}__isnull": True})
            .annotate(_retention_from=entry.retention_from)
            .filter(_retention_from__lt=cutoff)
        )
        for obj in due.iterator():
            file = getattr(obj, entry.field)
            file.storage.delete(file.name)
            entry.model._default_manager.filter(pk=obj.pk).update(**{entry.field: ""})
            audit_log(
                user=None,
                action=AuditEvent.Action.FILE_DELETED,
                organisation=entry.organisation_id(obj),
                obj=obj,
                detail=f"retention {days} days",
            )
            deleted += 1
    return deleted


# --- moving files that were stored before ---------------------------------------------------


def move_to_private_storage(model, *, field="file", upload_to: PrivateUploadTo, source=None):
    """Move a model's files from the public media storage into the private one under random
    names (for data migrations: ``model`` may be a historical model). Files already moved are
    left; a row whose file is in neither storage has its field emptied."""
    from django.core.files.storage import default_storage

    source = source or default_storage
    target = private_storage()
    moved = 0
    for obj in model._default_manager.exclude(**{field: ""}).iterator():
        name = getattr(obj, field).name
        if target.exists(name) and not source.exists(name):
            continue
        if not source.exists(name):
            model._default_manager.filter(pk=obj.pk).update(**{field: ""})
            continue
        with source.open(name, "rb") as handle:
            new_name = target.save(upload_to(obj, name), handle)
        model._default_manager.filter(pk=obj.pk).update(**{field: new_name})
        source.delete(name)
        moved += 1
    return moved
