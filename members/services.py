"""Writes on people. Plain functions with keyword-only arguments."""

import secrets
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .audit import AuditEvent, audit_log
from .models import Member, RosterImport
from .selectors import member_only_users
from .signals import roster_imported


def member_login_user(*, email: str):
    """The login ``User`` for an active member with this roster e-mail, or ``None``.

    Only addresses on the roster of a member active today may sign in as a member, or of one
    withdrawn within MEMBERS_WITHDRAWN_SIGNIN_DAYS (who then sees only their own records);
    and only into a member account: never a staff, editor or superuser account, even one with
    the same address (the member gets an account of their own). The user is created (without
    a usable password) and linked on first use.
    """
    email = (email or "").strip()
    if not email:
        return None
    return _login_user_of(Member.objects.filter(email__iexact=email), email=email)


def _login_user_of(candidates, *, email: str = ""):
    """The login ``User`` of the active (else recently withdrawn) members among
    ``candidates``, created and linked on first use; ``None`` when there are none."""
    from .selectors import recently_withdrawn_among

    today = timezone.localdate()
    members = list(candidates.active_on(today).select_related("user").order_by("pk"))
    if not members:
        members = list(
            recently_withdrawn_among(candidates, today).select_related("user").order_by("pk")
        )
    if not members:
        return None
    # never a staff, editor or superuser account, even one with the same address
    linked = {m.user_id for m in members if m.user_id}
    match = Q(pk__in=linked) | Q(email__iexact=email) if email else Q(pk__in=linked)
    found = list(member_only_users().filter(is_active=True).filter(match).order_by("pk"))
    user = next((u for u in found if u.pk in linked), None) or next(iter(found), None)
    with transaction.atomic():
        if user is None:
            user = _new_member_user(member=members[0], email=email)
        Member.objects.filter(pk__in=[m.pk for m in members if m.user_id != user.pk]).update(
            user=user
        )
    return user


def _new_member_user(*, member, email: str):
    User = get_user_model()
    username = f"member-{member.pk}"
    if User.objects.filter(username=username).exists():  # taken, e.g. by a staff account
        username = f"{username}-{secrets.token_hex(4)}"
    user = User(username=username, email=email.lower(), first_name=member.name[:150])
    user.set_unusable_password()
    user.save()
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
    if status in RosterImport.FINISHED:
        import_.finished_at = timezone.now()
        fields.append("finished_at")
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
    try:
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
    except Exception:  # the time limit, a lost file: the import fails visibly, never hangs
        RosterImport.objects.filter(pk=import_.pk).update(
            status=RosterImport.Status.FAILED, finished_at=timezone.now()
        )
        raise
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
            audit_log(
                user=user,
                action=AuditEvent.Action.ROSTER_CHANGE,
                obj=import_,
                detail=", ".join(f"{k}={v}" for k, v in report.counts.items() if v),
            )
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
        RosterImport.objects.filter(pk=import_.pk).update(
            status=RosterImport.Status.FAILED, finished_at=timezone.now()
        )
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
        ).update(status=RosterImport.Status.CANCELLED, finished_at=timezone.now())
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

    The permissions are those the apps declare (members.selectors.staff_permissions).
    Permissions are only added, so what an administrator grants on top stays. Runs after
    every migrate when MEMBERS_SYNC_STAFF_GROUP is on, else from ``manage.py
    setup_staff_group``.
    """
    from django.contrib.auth.models import Group

    from . import conf
    from .selectors import staff_permissions

    group, _ = Group.objects.get_or_create(name=conf.staff_group_name())
    group.permissions.add(*staff_permissions())
    return group


def organisation_people_grant(*, organisation):
    """Give the organisation's staff the staff group and its editors the editor group, so that
    assigning them on the organisation's page is all a superuser does. Idempotent; nobody is
    removed from a group (they may belong to another organisation)."""
    from django.contrib.auth.models import Group

    from . import conf

    staff_group = staff_group_setup()
    editor_group, _ = Group.objects.get_or_create(name=conf.editor_group_name())
    staff_group.user_set.add(*organisation.staff.all())
    editor_group.user_set.add(*organisation.editors.all())


# --- sign-in letters (members without e-mail) ----------------------------------------------


def signin_letters_issue(*, members, user) -> list[tuple]:
    """Print letters: one new letter per member (the previous one is revoked), returned as
    [(letter, key)] for the PDF; the key exists only in that PDF. Audit-logged per
    organisation. Atomic: all letters or none."""
    import datetime

    from . import conf, letters
    from .audit import audit_log_many
    from .models import SignInLetter

    now = timezone.now()
    members = list(members.select_related("organisation").order_by("organisation", "member_no"))
    issued = []
    with transaction.atomic():
        SignInLetter.objects.filter(member__in=members, revoked_at__isnull=True).update(
            revoked_at=now
        )
        for member in members:
            key = letters.new_key()
            letter = SignInLetter.objects.create(
                member=member,
                key_hash=letters.key_hash(key),
                created_by=user if user and user.is_authenticated else None,
                expires_at=now + datetime.timedelta(days=conf.letter_valid_days()),
            )
            issued.append((letter, key))
        audit_log_many(
            user=user,
            action=AuditEvent.Action.EXPORT,
            organisations={m.organisation for m in members},
            detail=f"sign-in letters: {len(members)}",
        )
    return issued


def signin_letter_revoke(*, member, user=None) -> int:
    """Revoke the member's active letter (lost, or sent to the wrong address)."""
    from .models import SignInLetter

    return SignInLetter.objects.filter(member=member, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def signin_letter_user(*, key: str):
    """The login ``User`` of the member whose valid letter has this key (created and linked
    on first use, like a code sign-in), or ``None``: unknown, revoked or expired key, or a
    member who may no longer sign in."""
    from . import letters
    from .models import SignInLetter

    letter = (
        SignInLetter.objects.filter(
            key_hash=letters.key_hash(key), revoked_at__isnull=True, expires_at__gt=timezone.now()
        )
        .select_related("member")
        .first()
    )
    if letter is None:
        return None
    user = _login_user_of(Member.objects.filter(pk=letter.member_id), email=letter.member.email)
    if user is not None:
        SignInLetter.objects.filter(pk=letter.pk).update(last_used_at=timezone.now())
    return user


def member_email_set(*, user, email: str) -> int:
    """The address a member confirmed with a code, on their member records that have none.
    Returns how many records changed."""
    email = email.strip().lower()
    with transaction.atomic():
        changed = Member.objects.filter(user=user, email="").update(email=email)
        if changed and not user.email:
            user.email = email
            user.save(update_fields=["email"])
    return changed
