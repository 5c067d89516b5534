"""Writes on people. Plain functions with keyword-only arguments."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from .models import Member, RosterImport
from .signals import roster_imported


def member_login_user(*, email: str):
    """The login ``User`` for an active member with this roster e-mail, or ``None``.

    Only addresses on the roster of a member active today may sign in as a member.
    The user is created (without a usable password) and linked on first use.
    """
    email = (email or "").strip()
    if not email:
        return None
    members = list(
        Member.objects.active_on(timezone.localdate())
        .filter(email__iexact=email)
        .select_related("user")
        .order_by("pk")
    )
    if not members:
        return None
    user = next((m.user for m in members if m.user_id and m.user.is_active), None)
    with transaction.atomic():
        if user is None:
            User = get_user_model()
            user = User.objects.filter(email__iexact=email, is_active=True).order_by("pk").first()
            if user is None:
                user = User(username=f"member-{members[0].pk}", email=email.lower())
                user.first_name = members[0].name[:150]
                user.set_unusable_password()
                user.save()
        Member.objects.filter(pk__in=[m.pk for m in members if m.user_id != user.pk]).update(
            user=user
        )
    return user


# --- roster import ---------------------------------------------------------------


def roster_import_create(
    *,
    organisation,
    file_name: str,
    data: bytes,
    user=None,
    options=None,
    source="admin",
    keep_file=True,
) -> RosterImport:
    """Record an uploaded roster file (not yet checked). The admin keeps the file for step two."""
    from django.core.files.base import ContentFile

    from .roster.pipeline import Options, checksum

    options = options or Options()
    import_ = RosterImport(
        organisation=organisation,
        file_name=Path(file_name).name[:255],
        checksum=checksum(data),
        source=source,
        options=options.as_dict(),
        created_by=user if user and user.is_authenticated else None,
    )
    if keep_file:
        import_.file.save(Path(file_name).name, ContentFile(data), save=False)
    import_.save()
    return import_


def _progress_recorder(import_):
    def record(done, total):
        RosterImport.objects.filter(pk=import_.pk).update(progress_done=done, progress_total=total)

    return record


def _store_report(import_, report, *, status, user=None, applied=False):
    from . import conf

    import_.status = status
    import_.rows_total = report.rows_total
    for field, value in report.counts.items():
        setattr(import_, field, value)
    import_.report = report.as_dict(max_errors=conf.import_max_errors_stored())
    fields = ["status", "rows_total", "report", "progress_done", *report.counts]
    import_.progress_done = import_.progress_total
    if applied:
        import_.applied_at = timezone.now()
        import_.applied_by = user if user and user.is_authenticated else None
        fields += ["applied_at", "applied_by"]
    import_.save(update_fields=fields)


def roster_import_preview(*, import_):
    """Step one: check the stored file and store the preview. Does nothing if already checked."""
    from .roster.pipeline import Options, run

    claimed = RosterImport.objects.filter(
        pk=import_.pk, status=RosterImport.Status.UPLOADED
    ).update(status=RosterImport.Status.PREVIEWING)
    if not claimed:
        return None
    import_.refresh_from_db()
    with import_.file.open("rb") as f:
        data = f.read()
    report = run(
        organisation=import_.organisation,
        data=data,
        file_name=import_.file_name,
        options=Options.from_dict(import_.options),
        apply=False,
        progress=_progress_recorder(import_),
    )
    status = RosterImport.Status.REJECTED if report.rejected else RosterImport.Status.PREVIEWED
    _store_report(import_, report, status=status)
    return report


def roster_import_apply(*, import_, user=None):
    """Step two: apply a previewed import. Idempotent: only a previewed import is applied."""
    claimed = RosterImport.objects.filter(
        pk=import_.pk, status=RosterImport.Status.PREVIEWED
    ).update(status=RosterImport.Status.APPLYING, progress_done=0)
    if not claimed:
        return None
    import_.refresh_from_db()
    with import_.file.open("rb") as f:
        data = f.read()
    return _run_and_record(import_, data=data, user=user)


def _run_and_record(import_, *, data, user):
    from .roster.pipeline import Options, run

    def record(report):
        status = (
            RosterImport.Status.APPLIED if report.has_changes else RosterImport.Status.NO_CHANGES
        )
        _store_report(import_, report, status=status, user=user, applied=True)
        if report.has_changes:
            transaction.on_commit(
                lambda: roster_imported.send(
                    sender=RosterImport, organisation=import_.organisation, roster_import=import_
                )
            )

    try:
        report = run(
            organisation=import_.organisation,
            data=data,
            file_name=import_.file_name,
            options=Options.from_dict(import_.options),
            apply=True,
            roster_import=import_,
            progress=_progress_recorder(import_),
            on_commit=record,
        )
    except Exception:
        RosterImport.objects.filter(pk=import_.pk).update(status=RosterImport.Status.FAILED)
        raise
    if report.rejected:
        _store_report(import_, report, status=RosterImport.Status.REJECTED)
    return report


def roster_import_cancel(*, import_, user=None) -> bool:
    """Cancel an import that was checked but not applied. The roster is not touched."""
    return bool(
        RosterImport.objects.filter(
            pk=import_.pk,
            status__in=[RosterImport.Status.UPLOADED, RosterImport.Status.PREVIEWED],
        ).update(status=RosterImport.Status.CANCELLED)
    )


def roster_import_file(
    *,
    organisation,
    data: bytes,
    file_name: str,
    options=None,
    user=None,
    dry_run=False,
    source="command",
):
    """Check and apply a roster file in one go (command, demo). Returns (report, import_).

    A dry run writes nothing at all; otherwise the run is recorded as a RosterImport, also
    when the file is rejected (the roster itself is then left untouched).
    """
    from .roster.pipeline import Options, run

    options = options or Options()
    if dry_run:
        return run(
            organisation=organisation, data=data, file_name=file_name, options=options, apply=False
        ), None
    import_ = roster_import_create(
        organisation=organisation,
        file_name=file_name,
        data=data,
        user=user,
        options=options,
        source=source,
        keep_file=False,
    )
    RosterImport.objects.filter(pk=import_.pk).update(status=RosterImport.Status.APPLYING)
    return _run_and_record(import_, data=data, user=user), import_


# --- staff -------------------------------------------------------------------------


def staff_group_setup():
    """The staff group (研修事務局) with the permissions its screens need. Idempotent.

    Each app declares ``staff_permissions`` (codenames) on its AppConfig; admin access comes
    with the group. Permissions are only added, so what an administrator grants on top stays.
    Runs after every migrate (members.apps): a fresh install's staff can use their screens.
    """
    from django.apps import apps
    from django.contrib.auth.models import Group, Permission
    from django.db.models import Q

    from . import conf

    wanted = Q(content_type__app_label="wagtailadmin", codename="access_admin")
    for app_config in apps.get_app_configs():
        codenames = getattr(app_config, "staff_permissions", None)
        if codenames:
            wanted |= Q(content_type__app_label=app_config.label, codename__in=codenames)
    group, _ = Group.objects.get_or_create(name=conf.staff_group_name())
    group.permissions.add(*Permission.objects.filter(wanted))
    return group
