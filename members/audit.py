"""The audit log of personal data: who viewed, exported, downloaded or changed it.

Every app writes to it through one function::

    from members.audit import AuditEvent, audit_log

    audit_log(user=request.user, action=AuditEvent.Action.EVIDENCE_PACK,
              organisation=pack.organisation, obj=pack, detail="2026年度 災害防止研修")

``organisation`` defaults to ``obj.organisation`` when the object has one; ``detail`` is
free text for the reader of the report (the export's name and filters, the counts of an
import). Events are append-only (members.models.AuditEvent); staff read them in the admin's
report 監査ログ (members.views.audit), scoped to their organisations; superusers see all. The
periodic task removes events older than ``MEMBERS_AUDIT_RETENTION_DAYS`` (3 years).
"""

from __future__ import annotations

import datetime
import re

from django.utils import timezone

from .models import AuditEvent, Organisation

__all__ = ["AuditEvent", "audit_log", "audit_log_many", "audit_log_purge"]


def _organisation_id(organisation, obj):
    if organisation is not None:
        return organisation.pk if isinstance(organisation, Organisation) else int(organisation)
    if obj is not None:
        if isinstance(obj, Organisation):
            return obj.pk
        return getattr(obj, "organisation_id", None)
    return None


def _event(*, user, action, organisation, obj, detail, at=None) -> AuditEvent:
    user = user if user is not None and getattr(user, "is_authenticated", False) else None
    return AuditEvent(
        created_at=at or timezone.now(),
        user=user,
        user_label=user.get_username()[:150] if user else "",
        organisation_id=_organisation_id(organisation, obj),
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_label=str(obj)[:255] if obj is not None else "",
        detail=detail,
    )


def audit_log(*, user, action, organisation=None, obj=None, detail: str = "") -> AuditEvent:
    """Record one event. ``user`` None (or anonymous) means the system (a periodic task)."""
    event = _event(user=user, action=action, organisation=organisation, obj=obj, detail=detail)
    event.save()
    return event


def audit_log_many(*, user, action, organisations, obj=None, detail: str = "") -> int:
    """The same event once per organisation (an export that covered several)."""
    at = timezone.now()
    events = [
        _event(user=user, action=action, organisation=org, obj=obj, detail=detail, at=at)
        for org in organisations
    ] or [_event(user=user, action=action, organisation=None, obj=obj, detail=detail, at=at)]
    AuditEvent.objects.bulk_create(events)
    return len(events)


def audit_log_purge(*, now: datetime.datetime | None = None, days: int | None = None) -> int:
    """Remove events older than the retention period. Returns how many."""
    from . import conf

    days = conf.audit_retention_days() if days is None else days
    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    return AuditEvent.objects.purge_before(cutoff)


# --- Wagtail's own log: no personal data in labels ----------------------------------------------

EMAIL_RE = re.compile(r"[^\s<>@,;:\"']+@[^\s<>@,;:\"']+")


def personal_log_label(content_type, object_id, label: str) -> str:
    """The label Wagtail's history shows for an object: its type and id when the object's name
    is a person's (a model with ``log_label_is_personal = True``, e.g. Member, User) or
    holds an e-mail address (a suppression, a recipient); otherwise the label unchanged."""
    model = content_type.model_class() if content_type else None
    personal = getattr(model, "log_label_is_personal", False) or (
        model is not None and model._meta.label_lower == "auth.user"
    )
    if not personal and not EMAIL_RE.search(label or ""):
        return label
    name = str(model._meta.verbose_name) if model is not None else "object"
    return f"{name} #{object_id}"


def scrub_log_entry_label(sender, instance, **kwargs):
    """pre_save of Wagtail's ModelLogEntry (connected in MembersConfig.ready)."""
    if instance._state.adding:
        instance.label = personal_log_label(
            instance.content_type, instance.object_id, instance.label
        )
