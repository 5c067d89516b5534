"""People: the special-enrollment group, its members, and their membership history."""

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .constants import PREFECTURE_CHOICES, Category, Gender
from .querysets import MemberQuerySet, MembershipQuerySet, period_covers


class Organisation(models.Model):
    """特別加入団体. One deployment serves several groups; everything belongs to one."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    short_name = models.CharField(_("short name"), max_length=60, blank=True)
    postal_address = models.TextField(_("postal address"), blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    website = models.URLField(_("website"), blank=True)
    mail_from = models.CharField(
        _("From address for mail"),
        max_length=200,
        blank=True,
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

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="members",
        verbose_name=_("organisation"),
    )
    member_no = models.CharField(_("member number"), max_length=32)
    name = models.CharField(_("full name"), max_length=120)
    name_kana = models.CharField(_("name (kana)"), max_length=160, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
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
    joined_on = models.DateField(_("joined on"))
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
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
    joined_on = models.DateField(_("joined on"))
    withdrawn_on = models.DateField(
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
    file = models.FileField(_("file"), upload_to=roster_upload_path, blank=True)
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
