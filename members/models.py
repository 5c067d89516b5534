"""People: the special-enrollment group, its members, and their membership history."""

import datetime

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.fields import RichTextField

from .constants import PREFECTURE_CHOICES, Category, Gender
from .fields import JapaneseDateField
from .mailheaders import validate_single_line
from .querysets import MemberQuerySet, MembershipQuerySet, period_covers
from .storage import PrivateUploadTo, private_storage

# Five years: longer than the 3–5 years labour insurance records are kept (see README).
DEFAULT_ANONYMISE_AFTER_DAYS = 1826


class Organisation(models.Model):
    """特別加入団体. One deployment serves several groups; everything belongs to one."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    short_name = models.CharField(_("short name"), max_length=60, blank=True)
    postal_address = models.TextField(_("postal address"), blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    website = models.URLField(_("website"), blank=True)
    office_name = models.CharField(
        _("office name"),
        max_length=120,
        blank=True,
        help_text=_("The office members contact, e.g. 研修事務局; blank: the organisation's name."),
    )
    office_hours = models.CharField(
        _("office hours"), max_length=120, blank=True, help_text=_("e.g. 平日 9:00〜17:00")
    )
    representative = models.CharField(
        _("representative"),
        max_length=120,
        blank=True,
        help_text=_("Title and name printed on certificates, e.g. 理事長 山田 一郎."),
    )
    mail_from = models.CharField(
        _("From address for mail"),
        max_length=200,
        blank=True,
        validators=[validate_single_line],
        help_text=_('e.g. "Safety office <anzen@example.jp>"; blank uses the site default.'),
    )
    reply_to = models.EmailField(_("Reply-To address"), blank=True)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff"),
        related_name="staff_organisations",
        blank=True,
        help_text=_("Staff who may see and manage this organisation's members and reports."),
    )
    editors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("editors"),
        related_name="editor_organisations",
        blank=True,
        help_text=_("Editors who write and publish this organisation's courses and newsletters."),
    )
    publishing_approval = models.BooleanField(
        _("approval before publishing"),
        default=False,
        help_text=_(
            "On: the editors' courses, lessons and newsletters of this organisation are "
            "published when an approver approves them."
        ),
    )
    approvers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approvers"),
        related_name="approver_organisations",
        blank=True,
        help_text=_("Who approves before publishing (mailed once for each page submitted)."),
    )
    approval_workflow = models.ForeignKey(
        "wagtailcore.Workflow",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("approval workflow"),
    )
    privacy_notice = RichTextField(
        _("privacy notice"),
        blank=True,
        features=["h2", "h3", "bold", "ol", "ul", "link"],
        help_text=_(
            "個人情報の取扱い shown to members and visitors (purposes of use, sharing, contact "
            "for requests); blank shows the standard text with this organisation's contact."
        ),
    )
    anonymise_after_days = models.PositiveIntegerField(
        _("anonymise former members after (days)"),
        default=DEFAULT_ANONYMISE_AFTER_DAYS,
        validators=[MinValueValidator(365)],
        help_text=_(
            "Days after withdrawal before a former member's personal data is anonymised "
            "(default 1826: five years, longer than the 3–5 years labour insurance records "
            "are kept). The member number, completion dates and certificate numbers are kept "
            "as evidence of the training."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Occupation(models.Model):
    """An entry of the organisation's occupation list (職種); roster values map to it."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="occupations"
    )
    name = models.CharField(_("name"), max_length=120)
    aliases = models.TextField(
        _("aliases"), blank=True, help_text=_("Other spellings seen in rosters, one per line.")
    )
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("occupation")
        verbose_name_plural = _("occupations")
        ordering = ["organisation", "sort_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="uniq_occupation_name")
        ]

    def __str__(self):
        return self.name


class Member(models.Model):
    """加入者: one row per member number per organisation, holding the roster's current values."""

    wagtail_reference_index_ignore = True  # per-member rows: not usage of pages (4 queries a save)
    log_label_is_personal = True  # Wagtail's history names a member by id, not by name

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="members",
        verbose_name=_("organisation"),
    )
    member_no = models.CharField(_("member number"), max_length=32)
    name = models.CharField(_("full name"), max_length=120)
    name_kana = models.CharField(_("name (kana)"), max_length=160, blank=True)
    birth_date = JapaneseDateField(_("birth date"), null=True, blank=True)
    gender = models.CharField(
        _("gender"), max_length=1, choices=Gender.choices, blank=True, default=Gender.UNKNOWN
    )
    prefecture = models.CharField(
        _("prefecture"), max_length=2, choices=PREFECTURE_CHOICES, blank=True
    )
    email = models.EmailField(_("e-mail"), blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    category = models.CharField(_("category"), max_length=2, choices=Category.choices)
    work_type = models.CharField(_("business / work type"), max_length=120, blank=True)
    occupation = models.CharField(_("occupation"), max_length=120, blank=True, db_index=True)
    postcode = models.CharField(_("postcode"), max_length=8, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    business_name = models.CharField(_("business name"), max_length=160, blank=True)
    daily_base = models.PositiveIntegerField(_("daily benefit base (yen)"), null=True, blank=True)
    joined_on = JapaneseDateField(_("joined on"))
    withdrawn_on = JapaneseDateField(_("withdrawn on"), null=True, blank=True)
    withdrawal_reason = models.CharField(_("withdrawal reason"), max_length=255, blank=True)
    roster_fingerprint = models.CharField(
        _("roster fingerprint"),
        max_length=32,
        blank=True,
        editable=False,
        help_text=_("Hash of the raw roster cells last imported, so unchanged rows are skipped."),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("login user"),
    )
    anonymised_at = models.DateTimeField(
        _("anonymised at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "Set when the personal data was removed after the retention period; the member "
            "number, completion dates and certificate numbers are kept."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["organisation", "member_no"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "member_no"], name="uniq_member_no_per_organisation"
            )
        ]
        indexes = [models.Index(fields=["organisation", "joined_on"])]

    def __str__(self):
        return f"{self.member_no} {self.name}"

    def is_active_on(self, day: datetime.date | None = None) -> bool:
        day = day or timezone.localdate()
        return self.memberships.filter(period_covers(day)).exists()


class Membership(models.Model):
    """A period of enrollment under one category. Closed and reopened, never overwritten."""

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("member")
    )
    joined_on = JapaneseDateField(_("joined on"))
    withdrawn_on = JapaneseDateField(
        _("withdrawn on"),
        null=True,
        blank=True,
        help_text=_("First day no longer covered; blank while enrolled."),
    )
    category = models.CharField(_("category"), max_length=2, choices=Category.choices)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership period")
        verbose_name_plural = _("membership periods")
        ordering = ["member", "joined_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "joined_on", "category"], name="uniq_membership_period"
            ),
            models.CheckConstraint(
                condition=models.Q(withdrawn_on__isnull=True)
                | models.Q(withdrawn_on__gte=models.F("joined_on")),
                name="membership_withdrawn_after_joined",
            ),
        ]
        indexes = [models.Index(fields=["joined_on", "withdrawn_on"])]

    def __str__(self):
        return f"{self.member_id}: {self.joined_on} – {self.withdrawn_on or ''} ({self.category})"


def roster_upload_path(instance, filename):
    """Kept for migration 0001; files are now stored by ``PrivateUploadTo("roster_imports")``."""
    return f"roster_imports/{instance.organisation_id}/{timezone.now():%Y/%m}/{filename}"


class RosterImport(models.Model):
    """One run of the roster import: the file, who ran it, the options, the counts, the errors."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        PREVIEWING = "previewing", _("Checking")
        PREVIEWED = "previewed", _("Ready to apply")
        APPLYING = "applying", _("Applying")
        APPLIED = "applied", _("Applied")
        NO_CHANGES = "no_changes", _("No changes")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Failed")

    FINISHED = {Status.APPLIED, Status.NO_CHANGES, Status.REJECTED, Status.CANCELLED, Status.FAILED}

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="roster_imports",
        verbose_name=_("organisation"),
    )
    file = models.FileField(
        _("file"),
        storage=private_storage,
        upload_to=PrivateUploadTo("roster_imports"),
        max_length=255,
        blank=True,
    )
    file_name = models.CharField(_("file name"), max_length=255)
    checksum = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    source = models.CharField(_("source"), max_length=16, default="admin")
    options = models.JSONField(_("options"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.UPLOADED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("applied by"),
    )
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    finished_at = models.DateTimeField(
        _("finished at"),
        null=True,
        blank=True,
        help_text=_("When it was applied, cancelled or rejected; the file is deleted later."),
    )
    # progress of the running step, for the progress bar
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    added = models.PositiveIntegerField(_("added"), default=0)
    changed = models.PositiveIntegerField(_("changed"), default=0)
    withdrawn = models.PositiveIntegerField(_("withdrawn"), default=0)
    rejoined = models.PositiveIntegerField(_("rejoined"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    missing = models.PositiveIntegerField(_("missing"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    report = models.JSONField(
        _("report"),
        default=dict,
        blank=True,
        help_text=_("Encoding, unmatched columns, errors, warnings and the first changes."),
    )

    class Meta:
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return (
            f"{self.file_name} ({timezone.localtime(self.created_at):%Y-%m-%d %H:%M})"
            if self.created_at
            else self.file_name
        )

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def progress_percent(self) -> int:
        if self.is_finished or self.status == self.Status.PREVIEWED:
            return 100
        if not self.progress_total:
            return 0
        return min(100, int(100 * self.progress_done / self.progress_total))


class MemberChange(models.Model):
    """What one import changed on one member: the member's history, field by field."""

    class Kind(models.TextChoices):
        ADDED = "added", _("Added")
        CHANGED = "changed", _("Changed")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        REJOINED = "rejoined", _("Rejoined")

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="changes", verbose_name=_("member")
    )
    roster_import = models.ForeignKey(
        RosterImport,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="member_changes",
        verbose_name=_("roster import"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    changes = models.JSONField(
        _("changed fields"), default=dict, blank=True, help_text=_("{field: [before, after]}")
    )
    line = models.PositiveIntegerField(_("file line"), null=True, blank=True)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("member change")
        verbose_name_plural = _("member changes")
        ordering = ["member", "-created_at", "-pk"]
        indexes = [models.Index(fields=["member", "created_at"])]

    def __str__(self):
        return f"{self.member_id} {self.kind} {self.created_at:%Y-%m-%d}"


class AuditEventQuerySet(models.QuerySet):
    """Audit events are written once and never changed; only the retention task removes
    them (``purge_before``)."""

    def update(self, **kwargs):
        raise TypeError("Audit events are append-only.")

    def delete(self):
        raise TypeError("Audit events are append-only; see members.audit.audit_log_purge.")

    def purge_before(self, moment) -> int:
        return models.QuerySet.delete(self.filter(created_at__lt=moment))[0]


class AuditEvent(models.Model):
    """Who saw, exported, downloaded or changed personal data, and when (個人情報の取扱記録).

    Append-only: a row is never updated or deleted except by the retention task. The user and
    the organisation are kept as ids (no foreign-key constraint), with the user's name at the
    time, so deleting an account or a record never rewrites the history of who saw it.
    """

    class Action(models.TextChoices):
        VIEW_MEMBER = "view_member", _("Viewed a member")
        EXPORT = "export", _("Exported a list or report")
        DOWNLOAD = "download", _("Downloaded a file")
        EVIDENCE_PACK = "evidence_pack", _("Downloaded an evidence pack")
        ROSTER_CHANGE = "roster_change", _("Changed roster data")
        DISCLOSURE = "disclosure", _("Produced a disclosure file")
        CORRECTION = "correction", _("Recorded a correction request")
        ERASURE = "erasure", _("Anonymised a member")
        FILE_DELETED = "file_deleted", _("Deleted files after the retention period")
        CYCLE_CLOSE = "cycle_close", _("Closed a training cycle (確定)")
        CYCLE_REOPEN = "cycle_reopen", _("Reopened a closed training cycle")

    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    user_label = models.CharField(_("user name"), max_length=150, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    object_type = models.CharField(_("record type"), max_length=100, blank=True)
    object_id = models.CharField(_("record id"), max_length=64, blank=True)
    object_label = models.CharField(_("record"), max_length=255, blank=True)
    detail = models.TextField(_("detail"), blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "created_at"])]
        default_permissions = ("view",)

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.user_label} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Audit events are append-only.")


class SignInLetter(models.Model):
    """A printed sign-in letter (サインイン案内状) for a member without an e-mail address: a QR
    code and a short key that sign the member in until the letter expires or is revoked.

    Only a hash of the key is stored. One letter per member is active: printing a new one
    revokes the previous one.
    """

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="signin_letters", verbose_name=_("member")
    )
    key_hash = models.CharField(_("key (SHA-256)"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("printed at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("printed by"),
    )
    expires_at = models.DateTimeField(_("valid until"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sign-in letter")
        verbose_name_plural = _("sign-in letters")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=models.Q(revoked_at__isnull=True),
                name="one_unrevoked_signin_letter_per_member",
            )
        ]

    def __str__(self):
        return f"{self.member_id}: {self.created_at:%Y-%m-%d}"

    def is_valid(self, now=None) -> bool:
        return self.revoked_at is None and (now or timezone.now()) < self.expires_at


class MonthlyReportDelivery(models.Model):
    """One organisation's monthly report (joins, withdrawals, statistics) mailed to its staff:
    one row per organisation and month, so a retried task or a second run sends nothing
    twice (members.monthly_report)."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="monthly_report_deliveries",
        verbose_name=_("organisation"),
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month reported."))
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    recipients = models.PositiveIntegerField(_("number of recipients"), default=0)
    joined = models.PositiveIntegerField(_("joins"), default=0)
    withdrawn = models.PositiveIntegerField(_("withdrawals"), default=0)

    class Meta:
        verbose_name = _("monthly report sent")
        verbose_name_plural = _("monthly reports sent")
        ordering = ["-month", "organisation"]
        default_permissions = ("view",)
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "month"], name="uniq_monthly_report_per_month"
            )
        ]

    def __str__(self):
        return f"{self.organisation} {self.month:%Y-%m}"


class PersonalDataRequest(models.Model):
    """A member's request under the personal information protection act (個人情報保護法):
    disclosure (開示), correction (訂正) or stopping use / erasure (利用停止・消去), with the
    dates it was received and answered and who handled it."""

    class Kind(models.TextChoices):
        DISCLOSURE = "disclosure", _("Disclosure (開示)")
        CORRECTION = "correction", _("Correction (訂正)")
        STOP_OR_ERASE = "stop_erase", _("Stop using or erase (利用停止・消去)")

    class Status(models.TextChoices):
        RECEIVED = "received", pgettext_lazy("personal data request", "Received")
        IN_PROGRESS = "in_progress", pgettext_lazy("personal data request", "In progress")
        ANSWERED = "answered", pgettext_lazy("personal data request", "Answered")
        REFUSED = "refused", pgettext_lazy("personal data request", "Refused")

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="personal_data_requests",
        verbose_name=_("organisation"),
    )
    member = models.ForeignKey(
        Member,
        on_delete=models.PROTECT,
        related_name="personal_data_requests",
        verbose_name=_("member"),
    )
    kind = models.CharField(_("request"), max_length=16, choices=Kind.choices)
    received_on = JapaneseDateField(_("received on"), default=timezone.localdate)
    answered_on = JapaneseDateField(_("answered on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.RECEIVED
    )
    details = models.TextField(
        _("what was asked"),
        blank=True,
        help_text=_("e.g. which field is wrong and the correct value, or what should stop."),
    )
    staff_notes = models.TextField(
        _("staff notes"),
        blank=True,
        help_text=_(
            "How it was answered. A correction of roster data is made in the office's roster "
            "and arrives with the next import. Erasure: after the retention period the member "
            "is anonymised; the member number, completion dates and certificate numbers stay "
            "as evidence of the training."
        ),
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("personal data request")
        verbose_name_plural = _("personal data requests")
        ordering = ["-received_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(answered_on__isnull=True)
                | models.Q(answered_on__gte=models.F("received_on")),
                name="personal_data_request_answered_after_received",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"
