"""Writes: consent, suppression, mailings and their life cycle. Keyword-only functions."""

import datetime
import logging
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import get_connection
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import BigIntegerField, Case, CharField, IntegerField, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.admin_scoping import require_staff_of
from members.models import Member
from members.uploads import UploadError, read_table

from . import conf, engine
from .mime import MessageFactory, read_unsubscribe_token, sample_values
from .models import (
    ERROR_MAX_CHARS,
    ConsentWording,
    Mailing,
    MailingRecipient,
    NewsletterConsent,
    Suppression,
)
from .rendering import render_newsletter
from .selectors import annotate_delivery, audience_members

logger = logging.getLogger(__name__)
State = MailingRecipient.State

DEFAULT_CONSENT_WORDING = (
    "安全衛生メールマガジン（熱中症・墜落転落・交通事故などの災害防止情報、研修のお知らせ）を"
    "メールで受け取ります。配信はいつでも、メール内のリンクまたは配信設定ページから停止できます。"
)


# --- consent ----------------------------------------------------------------------------


def consent_wording_current(*, organisation) -> ConsentWording:
    wording = ConsentWording.objects.filter(organisation=organisation).order_by("-version").first()
    if wording is None:
        wording, _created = ConsentWording.objects.get_or_create(
            organisation=organisation, version=1, defaults={"text": DEFAULT_CONSENT_WORDING}
        )
    return wording


def consent_wording_publish(*, organisation, text: str, user=None) -> ConsentWording:
    """A new version of the opt-in wording; earlier consents keep the wording they saw."""
    with transaction.atomic():
        last = (
            ConsentWording.objects.select_for_update()
            .filter(organisation=organisation)
            .order_by("-version")
            .first()
        )
        if last and last.text == text:
            return last
        return ConsentWording.objects.create(
            organisation=organisation,
            version=(last.version + 1) if last else 1,
            text=text,
            created_by=user,
        )


def newsletter_subscribe(*, member, method, wording=None, user=None, at=None) -> NewsletterConsent:
    """Record an opt-in (idempotent: an active consent is returned unchanged)."""
    with transaction.atomic():
        Member.objects.select_for_update().filter(pk=member.pk).first()
        active = member.newsletter_consents.filter(withdrawn_at__isnull=True).first()
        if active:
            return active
        return NewsletterConsent.objects.create(
            member=member,
            wording=wording or consent_wording_current(organisation=member.organisation),
            given_at=at or timezone.now(),
            method=method,
            recorded_by=user if user and user.is_authenticated else None,
        )


def newsletter_unsubscribe(*, member, method, at=None) -> bool:
    """Withdraw the newsletter consent at once. True when something changed."""
    changed = NewsletterConsent.objects.filter(member=member, withdrawn_at__isnull=True).update(
        withdrawn_at=at or timezone.now(), withdrawal_method=method
    )
    return bool(changed)


def unsubscribe_by_token(*, token: str, method) -> Member | None:
    """The member a signed token names, unsubscribed; None for a bad or test token."""
    parsed = read_unsubscribe_token(token)
    if parsed is None or parsed[0] == 0:
        return None
    member = Member.objects.select_related("organisation").filter(pk=parsed[0]).first()
    if member is not None:
        newsletter_unsubscribe(member=member, method=method)
    return member


# --- suppression ------------------------------------------------------------------------


BOUNCE_LIST_MESSAGES = {
    "email": (
        gettext_lazy("%(value)r is not an e-mail address."),
        gettext_lazy("One address per line, or a CSV with an e-mail column (メールアドレス)."),
    )
}


@dataclass
class ImportResult:
    added: int = 0
    already: int = 0
    errors: list[UploadError] = field(default_factory=list)


BOUNCE_LIST_HEADERS = {"email": ("email", "e-mail", "メールアドレス", "address", "recipient")}


def suppression_import(*, organisation, data: bytes, filename: str, reason, user):
    """Import a bounce list: one address per line, or a CSV with an e-mail column.

    All lines are checked first; with any error nothing is written and every error is
    reported with its line number. Importing the same file twice adds nothing.
    """
    require_staff_of(user=user, organisation=organisation)
    result = ImportResult()
    try:
        table = read_table(data, file_name=filename)
    except UploadError as error:
        result.errors.append(error)
        return result
    rows = table.rows
    email_col = table.find_columns(BOUNCE_LIST_HEADERS).get("email")
    if email_col is None:
        email_col = 0  # no header: one address per line
    else:
        rows = rows[1:]
    emails = []
    for line_no, row in rows:
        if not any(str(c).strip() for c in row):
            continue
        value = str(row[email_col]).strip() if email_col < len(row) else ""
        try:
            validate_email(value)
        except ValidationError:
            result.errors.append(
                UploadError(
                    "email",
                    file_name=filename,
                    line=line_no,
                    column=table.column_ref(email_col),
                    value=value,
                    messages=BOUNCE_LIST_MESSAGES,
                )
            )
            continue
        emails.append(value.lower())
    if result.errors:
        return result
    with transaction.atomic():
        existing = set(
            Suppression.objects.filter(organisation=organisation, email__in=emails).values_list(
                "email", flat=True
            )
        )
        new = sorted(set(emails) - existing)
        Suppression.objects.bulk_create(
            [
                Suppression(
                    organisation=organisation,
                    email=e,
                    reason=reason,
                    source=Suppression.Source.IMPORT,
                    detail=filename,
                )
                for e in new
            ],
            ignore_conflicts=True,
        )
    result.added, result.already = len(new), len(set(emails) & existing)
    return result


TRACKING_STATES = {"bounced": State.BOUNCED, "complained": State.COMPLAINED}


def tracking_event_record(*, event) -> int:
    """An anymail tracking event: hard bounces and complaints suppress the address; a
    complaint also withdraws the newsletter consent. Returns suppressions added."""
    state = TRACKING_STATES.get(event.event_type)
    if state is None or not event.recipient:
        return 0
    email = event.recipient.strip().lower()
    recipient = None
    rid = (event.metadata or {}).get("mailing_recipient")
    if rid and str(rid).isdigit():
        recipient = MailingRecipient.objects.select_related("mailing").filter(pk=int(rid)).first()
    if recipient is None and event.message_id:
        recipient = (
            MailingRecipient.objects.select_related("mailing")
            .filter(email__iexact=email)
            .order_by("-pk")
            .first()
        )
    detail = (event.description or event.mta_response or "")[:ERROR_MAX_CHARS]
    if recipient is not None:
        MailingRecipient.objects.filter(pk=recipient.pk).update(state=state, error=detail)
        organisation_ids = [recipient.mailing.organisation_id]
    else:
        organisation_ids = list(
            Member.objects.filter(email__iexact=email)
            .values_list("organisation_id", flat=True)
            .distinct()
        )
    added = 0
    reason = Suppression.Reason.BOUNCE if state == State.BOUNCED else Suppression.Reason.COMPLAINT
    for org_id in organisation_ids:
        _obj, created = Suppression.objects.get_or_create(
            organisation_id=org_id,
            email=email,
            defaults={
                "reason": reason,
                "source": Suppression.Source.WEBHOOK,
                "detail": detail,
            },
        )
        added += created
        if state == State.COMPLAINED:
            for member in Member.objects.filter(organisation_id=org_id, email__iexact=email):
                newsletter_unsubscribe(member=member, method=NewsletterConsent.Withdrawal.COMPLAINT)
    return added


# --- mailings ---------------------------------------------------------------------------


def newsletter_mailing_create(*, page, audience, user) -> Mailing:
    """A draft mailing of the page's live version to an audience of the page's organisation."""
    organisation = page.organisation
    require_staff_of(user=user, organisation=organisation)
    if audience.organisation_id != organisation.pk:
        raise PermissionDenied(_("The audience belongs to another organisation."))
    if not page.live:
        raise ValidationError(_("Publish the newsletter before sending it."))
    page = page.specific
    revision = page.live_revision
    live = revision.as_object() if revision else page
    html_template, text_template = render_newsletter(live)
    return Mailing.objects.create(
        organisation=organisation,
        kind=Mailing.Kind.NEWSLETTER,
        title=live.title,
        newsletter=page,
        revision=revision,
        audience=audience,
        audience_name=audience.name,
        subject=live.email_subject,
        preheader=live.preheader,
        html_template=html_template,
        text_template=text_template,
        created_by=user,
    )


def mailing_send(*, mailing, user, at=None) -> Mailing:
    """Send now, or schedule for ``at``; the periodic task starts scheduled mailings."""
    require_staff_of(user=user, organisation=mailing.organisation)
    now = timezone.now()
    with transaction.atomic():
        updated = Mailing.objects.filter(
            pk=mailing.pk, state__in=(Mailing.State.DRAFT, Mailing.State.SCHEDULED)
        ).update(state=Mailing.State.SCHEDULED, scheduled_at=at if at and at > now else now)
        if not updated:
            raise ValidationError(_("This mailing has already started."))
        if not at or at <= now:
            _enqueue_start(mailing.pk)
    mailing.refresh_from_db()
    return mailing


def _enqueue_start(mailing_id: int) -> None:
    from .tasks import start_mailing

    transaction.on_commit(lambda: start_mailing.delay(mailing_id))


def _enqueue_sends(mailing_id: int, n: int | None = None) -> None:
    from .tasks import send_mailing

    def go():
        for _i in range(n or conf.parallel_tasks()):
            send_mailing.delay(mailing_id)

    transaction.on_commit(go)


def _snapshot(mailing) -> int:
    """Every member of the audience becomes one row, queued or excluded with a reason, in
    one INSERT … SELECT."""
    members = annotate_delivery(
        audience_members(audience=mailing.audience),
        organisation_id=mailing.organisation_id,
        kind=mailing.kind,
    )
    rows = members.annotate(
        r_mailing=Value(mailing.pk, output_field=BigIntegerField()),
        r_state=Case(
            When(mail_reason="", then=Value(State.QUEUED)),
            default=Value(State.SKIPPED),
            output_field=CharField(),
        ),
        r_error=Value("", output_field=CharField()),
        r_attempts=Value(0, output_field=IntegerField()),
    ).values_list("r_mailing", "id", "email", "name", "r_state", "mail_reason", "r_error",
                  "r_attempts")  # fmt: skip
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {MailingRecipient._meta.db_table} "
            "(mailing_id, member_id, email, name, state, reason, error, attempts) " + sql,
            params,
        )
        return cursor.rowcount


def mailing_start(*, mailing_id: int) -> bool:
    """Scheduled -> sending: snapshot the recipients (once) and start the send tasks."""
    with transaction.atomic():
        mailing = Mailing.objects.select_for_update().filter(pk=mailing_id).first()
        if mailing is None or mailing.state != Mailing.State.SCHEDULED:
            return False
        if mailing.scheduled_at and mailing.scheduled_at > timezone.now():
            return False
        if mailing.audience_id and not mailing.recipients.exists():
            _snapshot(mailing)
        now = timezone.now()
        Mailing.objects.filter(pk=mailing.pk).update(
            state=Mailing.State.SENDING, started_at=now, heartbeat_at=now
        )
        _enqueue_sends(mailing.pk)
    return True


def mailing_pause(*, mailing, user) -> bool:
    require_staff_of(user=user, organisation=mailing.organisation)
    return bool(
        Mailing.objects.filter(pk=mailing.pk, state=Mailing.State.SENDING).update(
            state=Mailing.State.PAUSED
        )
    )


def mailing_resume(*, mailing, user) -> bool:
    require_staff_of(user=user, organisation=mailing.organisation)
    with transaction.atomic():
        resumed = Mailing.objects.filter(pk=mailing.pk, state=Mailing.State.PAUSED).update(
            state=Mailing.State.SENDING, heartbeat_at=timezone.now()
        )
        if resumed:
            _enqueue_sends(mailing.pk)
    return bool(resumed)


def mailing_cancel(*, mailing, user) -> bool:
    """Stop for good: queued rows become cancelled; workers release what they claimed."""
    require_staff_of(user=user, organisation=mailing.organisation)
    with transaction.atomic():
        cancelled = Mailing.objects.filter(
            pk=mailing.pk,
            state__in=(
                Mailing.State.DRAFT,
                Mailing.State.SCHEDULED,
                Mailing.State.SENDING,
                Mailing.State.PAUSED,
            ),
        ).update(state=Mailing.State.CANCELLED, finished_at=timezone.now())
        if cancelled:
            MailingRecipient.objects.filter(mailing=mailing, state=State.QUEUED).update(
                state=State.CANCELLED
            )
    return bool(cancelled)


def mailing_unknown_resolve(*, mailing, user, decision: str, ids=None) -> int:
    """Staff decide about rows whose delivery is unknown: "sent" (assume delivered),
    "failed" (give up) or "resend" (queue again; the member may get it twice)."""
    require_staff_of(user=user, organisation=mailing.organisation)
    rows = MailingRecipient.objects.filter(mailing=mailing, state=State.UNKNOWN)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    if decision == "sent":
        return rows.update(state=State.SENT, sent_at=timezone.now())
    if decision == "failed":
        return rows.update(state=State.FAILED)
    if decision == "resend":
        with transaction.atomic():
            n = rows.update(state=State.QUEUED, claim=None, lease_expires_at=None)
            if n and mailing.state in (Mailing.State.DONE, Mailing.State.SENDING):
                Mailing.objects.filter(pk=mailing.pk).update(
                    state=Mailing.State.SENDING, finished_at=None, heartbeat_at=timezone.now()
                )
                _enqueue_sends(mailing.pk, 1)
        return n
    raise ValueError(decision)


def mailing_send_batch(*, mailing_id: int, time_budget=None):
    return engine.send_batch(mailing_id=mailing_id, time_budget=time_budget)


def mailings_tick(*, resume_all: bool = False) -> dict:
    """The periodic task: start due scheduled mailings, expire dead workers' leases, restart
    stalled sends and finish completed ones. ``resume_all`` (on worker start) restarts every
    sending mailing regardless of its heartbeat."""
    now = timezone.now()
    started = 0
    for mailing_id in Mailing.objects.filter(
        state=Mailing.State.SCHEDULED, scheduled_at__lte=now
    ).values_list("pk", flat=True):
        started += mailing_start(mailing_id=mailing_id)
    restarted = expired = 0
    stale = now - datetime.timedelta(seconds=conf.stall_seconds())
    for mailing in Mailing.objects.filter(
        state__in=(Mailing.State.SENDING, Mailing.State.PAUSED, Mailing.State.CANCELLED)
    ).only("pk", "state", "heartbeat_at"):
        unknown, requeued = engine.leases_expire(mailing_id=mailing.pk)
        expired += unknown + requeued
        if mailing.state == Mailing.State.CANCELLED:
            MailingRecipient.objects.filter(mailing=mailing, state=State.QUEUED).update(
                state=State.CANCELLED
            )
            continue
        if mailing.state != Mailing.State.SENDING:
            continue
        if resume_all or mailing.heartbeat_at is None or mailing.heartbeat_at < stale:
            Mailing.objects.filter(pk=mailing.pk).update(heartbeat_at=now)
            with transaction.atomic():
                _enqueue_sends(mailing.pk)
            restarted += 1
    return {"started": started, "restarted": restarted, "expired": expired}


def newsletter_test_send(*, page, user) -> str:
    """Send the newsletter's latest draft to the editor's own address, marked as a test."""
    if not user.email:
        raise ValidationError(_("Your account has no e-mail address to send a test to."))
    page = page.specific
    draft = page.get_latest_revision_as_object()
    html_template, text_template = render_newsletter(draft)
    factory = MessageFactory(
        organisation=draft.organisation,
        subject=_("[Test] %(subject)s") % {"subject": draft.email_subject},
        html_template=html_template,
        text_template=text_template,
    )
    values = sample_values(user=user, organisation=draft.organisation)
    message = factory.build(
        recipient_id=0, member_id=0, email_address=user.email, name=values["name"]
    )
    with get_connection() as conn:
        conn.send_messages([message])
    return user.email


def newsletter_ready_notify(*, page, revision=None) -> int:
    """Tell the organisation's staff that a newsletter issue is published and ready to send
    (editors write and publish; sending stays with staff). On its first publication only."""
    from django.conf import settings
    from django.core.mail import EmailMessage
    from django.template.loader import render_to_string
    from django.urls import reverse
    from django.utils import translation
    from wagtail.models import PageLogEntry

    from members import mailheaders

    published_before = PageLogEntry.objects.filter(page=page, action="wagtail.publish").exclude(
        revision=revision
    )
    if published_before.exists():
        return 0  # staff were told then
    published_by = getattr(revision, "user", None)
    organisation = page.organisation
    staff = organisation.staff.filter(is_active=True).exclude(email="")
    if published_by is not None:
        staff = staff.exclude(pk=published_by.pk)
    recipients = [user.email for user in staff]
    if not recipients:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "page": page,
            "organisation": organisation,
            "published_by": published_by,
            "send_url": conf.site_url() + reverse("mailings_admin:send", args=[page.pk]),
        }
        subject = _("Newsletter ready to send: %(title)s") % {"title": page.title}
        body = render_to_string("mailings/email/newsletter_ready.txt", context)
    message = EmailMessage(
        subject=mailheaders.header_value(subject, name="Subject"),
        body=body,
        from_email=mailheaders.header_value(
            organisation.mail_from or settings.DEFAULT_FROM_EMAIL, name="From"
        ),
        to=recipients,
    )
    transaction.on_commit(message.send)
    return len(recipients)
