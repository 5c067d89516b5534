"""Celery tasks: take ids, re-read, call one service. Both are idempotent (status guards)."""

from celery import shared_task
from django.contrib.auth import get_user_model

from .models import RosterImport
from .services import roster_import_apply, roster_import_preview


@shared_task
def roster_import_preview_task(import_id: int) -> None:
    import_ = RosterImport.objects.filter(pk=import_id).first()
    if import_ is not None:
        roster_import_preview(import_=import_)


@shared_task
def roster_import_apply_task(import_id: int, user_id: int | None = None) -> None:
    import_ = RosterImport.objects.filter(pk=import_id).first()
    if import_ is not None:
        user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
        roster_import_apply(import_=import_, user=user)
