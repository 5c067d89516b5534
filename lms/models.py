"""The compliance domain: campaigns, cycles, requirements, assignments."""

import datetime

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrulestr
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.models import Orderable

from members.constants import PREFECTURE_CHOICES, Category
from members.fields import JapaneseDateField
from members.storage import PrivateUploadTo, private_storage

from . import conf


class ChoiceListField(models.JSONField):
    """A list of choice values stored as JSON (portable between SQLite and PostgreSQL),
    edited as checkboxes."""

    def __init__(self, *args, item_choices=(), **kwargs):
        self.item_choices = item_choices
        kwargs.setdefault("default", list)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        return name, "django.db.models.JSONField", args, kwargs

    def formfield(self, **kwargs):
        return forms.TypedMultipleChoiceField(
            choices=self.item_choices,
            required=not self.blank,
            label=self.verbose_name,
            help_text=self.help_text,
            widget=forms.CheckboxSelectMultiple,
        )


def fiscal_year_of(day: datetime.date) -> int:
    """年度: the fiscal year that contains ``day`` (April–March by default)."""
    return day.year if day.month >= conf.fiscal_year_start_month() else day.year - 1


class Campaign(models.Model):
    """A training campaign of one organisation, e.g. 「災害防止等に関する研修」 every June–July."""

    class Kind(models.TextChoices):
        WINDOW = "window", _("Calendar window (e.g. June 1 – July 31)")
        ROLLING = "rolling", _("Rolling: due a number of days after joining (onboarding)")

    organisation = models.ForeignKey(
        "members.Organisation",
        on_delete=models.PROTECT,
        related_name="campaigns",
        verbose_name=_("organisation"),
    )
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=64, allow_unicode=False)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.WINDOW)
    recurrence = models.CharField(
        _("recurrence"),
        max_length=200,
        blank=True,
        help_text=_(
            'An iCalendar RRULE counted from the first opening date, e.g. "FREQ=YEARLY" '
            "(every year on the same day). Blank: a one-off campaign with a single cycle."
        ),
    )
    first_opens_on = JapaneseDateField(
        _("opens on (first cycle)"),
        help_text=_("Rolling campaigns: the first day of joining that the first cycle covers."),
    )
    first_due_on = JapaneseDateField(
        _("due on (first cycle)"),
        help_text=_("Rolling campaigns: the last day of joining that the first cycle covers."),
    )
    days_after_joining = models.PositiveSmallIntegerField(
        _("days after joining"),
        default=conf.days_after_joining,
        help_text=_(
            "Rolling campaigns: due this many days after joining. Window campaigns: members who "
            "join during the window get at least this many days."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["organisation", "first_opens_on", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "slug"], name="uniq_campaign_slug_per_organisation"
            )
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.first_opens_on and self.first_due_on and self.first_due_on < self.first_opens_on:
            errors["first_due_on"] = _("The due date must not be before the opening date.")
        if self.recurrence:
            try:
                self.rrule()
            except (ValueError, TypeError) as exc:
                errors["recurrence"] = _("Not a valid RRULE (%(error)s).") % {"error": exc}
        if errors:
            raise ValidationError(errors)

    def rrule(self):
        start = datetime.datetime.combine(self.first_opens_on, datetime.time())
        return rrulestr(self.recurrence.removeprefix("RRULE:"), dtstart=start)

    def openings(self, *, until: datetime.date) -> list[datetime.date]:
        """Opening dates of every cycle from the first up to ``until`` (inclusive)."""
        if not self.recurrence:
            return [self.first_opens_on] if self.first_opens_on <= until else []
        end = datetime.datetime.combine(until, datetime.time())
        return [
            d.date()
            for d in self.rrule().between(
                datetime.datetime.combine(self.first_opens_on, datetime.time()), end, inc=True
            )
        ]

    def due_for(self, opens_on: datetime.date) -> datetime.date:
        """The due date of the cycle opening on ``opens_on``: the first cycle's due date moved
        by the same calendar shift (Feb 29 falls back to Feb 28)."""
        return self.first_due_on + relativedelta(opens_on, self.first_opens_on)

    def next_opening_after(self, opens_on: datetime.date) -> datetime.date | None:
        if not self.recurrence:
            return None
        after = self.rrule().after(datetime.datetime.combine(opens_on, datetime.time()))
        return after.date() if after else None


class CycleQuerySet(models.QuerySet):
    def current(self, day: datetime.date | None = None):
        """Cycles whose records may still change on ``day``: opened and not yet closed."""
        day = day or timezone.localdate()
        return self.filter(opens_on__lte=day).filter(
            Q(closes_on__isnull=True) | Q(closes_on__gte=day)
        )

    def history(self, day: datetime.date | None = None):
        day = day or timezone.localdate()
        return self.filter(closes_on__lt=day)


class Cycle(models.Model):
    """One year (or the only run) of a campaign: 2026年度, 2026-06-01 .. 2026-07-31."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="cycles", verbose_name=_("campaign")
    )
    name = models.CharField(_("name"), max_length=100)
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    opens_on = JapaneseDateField(_("opens on"))
    due_on = JapaneseDateField(_("due on"))
    closes_on = JapaneseDateField(
        _("records final after"),
        null=True,
        blank=True,
        help_text=_(
            "Late completions are recorded until this day; afterwards the cycle is history and "
            "never changes. Blank: open-ended."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    closed_at = models.DateTimeField(
        _("closed at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("確定: each person's result is frozen; the figures no longer move."),
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("closed by"),
    )
    reopened_at = models.DateTimeField(
        _("reopened at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("A reopened cycle is not closed again by the nightly task: staff close it."),
    )

    objects = CycleQuerySet.as_manager()

    class Meta:
        verbose_name = _("cycle")
        verbose_name_plural = _("cycles")
        ordering = ["campaign", "-opens_on"]
        permissions = [("close_cycle", _("Can close and reopen a cycle (確定)"))]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "opens_on"], name="uniq_cycle_opening"),
            models.CheckConstraint(
                condition=Q(due_on__gte=models.F("opens_on")), name="cycle_due_after_opening"
            ),
        ]

    def __str__(self):
        return f"{self.campaign.name} {self.name}"

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class Requirement(ClusterableModel):
    """Which course(s) satisfy a campaign's requirement, and who it applies to."""

    class CompletionRule(models.TextChoices):
        ANY = "any", _("Any one of the courses")
        ALL = "all", _("All of the courses")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="requirements", verbose_name=_("campaign")
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    courses = ParentalManyToManyField(
        "courses.CoursePage", related_name="requirements", verbose_name=_("courses")
    )
    completion_rule = models.CharField(
        _("satisfied by"),
        max_length=8,
        choices=CompletionRule.choices,
        default=CompletionRule.ANY,
        help_text=_("With a single course both mean: complete that course."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    panels = [
        FieldPanel("campaign"),
        FieldPanel("name"),
        FieldPanel("description"),
        MultiFieldPanel(
            [
                FieldPanel("courses", widget=forms.CheckboxSelectMultiple),
                FieldPanel("completion_rule"),
            ],
            heading=_("Courses"),
        ),
        InlinePanel(
            "rules",
            heading=_("Who it applies to"),
            label=_("Audience rule"),
            help_text=_(
                "Members enrolled on the opening date or joining during the window. Conditions "
                "within a rule must all hold (AND); a member matching any rule is included (OR). "
                "No rule: every member."
            ),
        ),
        FieldRowPanel([FieldPanel("is_active"), FieldPanel("sort_order")]),
    ]

    class Meta:
        verbose_name = _("requirement")
        verbose_name_plural = _("requirements")
        ordering = ["campaign", "sort_order", "name"]

    def __str__(self):
        return self.name


class AudienceRule(Orderable, ClusterableModel):
    """Conditions ANDed together; a requirement's rules are ORed. Empty condition = any."""

    requirement = ParentalKey(Requirement, on_delete=models.CASCADE, related_name="rules")
    categories = ChoiceListField(
        _("categories"),
        item_choices=Category.choices,
        help_text=_("A class (e.g. Class 2) also matches its sub-kinds."),
    )
    work_types = models.TextField(
        _("business / work types"), blank=True, help_text=_("One per line, as on the roster.")
    )
    occupations = ParentalManyToManyField(
        "members.Occupation", blank=True, related_name="+", verbose_name=_("occupations")
    )
    prefectures = ChoiceListField(_("prefectures"), item_choices=PREFECTURE_CHOICES)

    panels = [
        FieldPanel("categories"),
        FieldPanel("work_types"),
        FieldPanel("occupations", widget=forms.CheckboxSelectMultiple),
        FieldPanel("prefectures"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("audience rule")
        verbose_name_plural = _("audience rules")

    def __str__(self):
        return f"rule {self.pk}"

    def work_type_list(self) -> list[str]:
        return [line.strip() for line in self.work_types.splitlines() if line.strip()]


class Elective(models.Model):
    """A course offered (not required) to members of given occupations."""

    organisation = models.ForeignKey(
        "members.Organisation",
        on_delete=models.CASCADE,
        related_name="electives",
        verbose_name=_("organisation"),
    )
    course = models.ForeignKey(
        "courses.CoursePage",
        on_delete=models.CASCADE,
        related_name="electives",
        verbose_name=_("course"),
    )
    occupations = models.ManyToManyField(
        "members.Occupation",
        blank=True,
        related_name="electives",
        verbose_name=_("occupations"),
        help_text=_("Blank: offered to every member."),
    )
    note = models.CharField(_("note"), max_length=255, blank=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("elective")
        verbose_name_plural = _("electives")
        ordering = ["organisation", "sort_order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "course"], name="uniq_elective_course_per_organisation"
            )
        ]

    def __str__(self):
        return str(self.course)


class Exemption(models.Model):
    """A member need not complete a requirement (in one cycle, or in every cycle)."""

    member = models.ForeignKey(
        "members.Member",
        on_delete=models.CASCADE,
        related_name="exemptions",
        verbose_name=_("member"),
    )
    requirement = models.ForeignKey(
        Requirement,
        on_delete=models.CASCADE,
        related_name="exemptions",
        verbose_name=_("requirement"),
    )
    cycle = models.ForeignKey(
        Cycle,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="exemptions",
        verbose_name=_("cycle"),
        help_text=_("Blank: every cycle."),
    )
    reason = models.TextField(_("reason"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("granted by"),
    )
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )
    evidence = models.FileField(
        _("evidence document"),
        storage=private_storage,
        upload_to=PrivateUploadTo("exemptions"),
        blank=True,
        max_length=255,
        help_text=_(
            "Optional: the document behind the exemption (PDF or image). Kept in private "
            "storage; only staff of the organisation download it, and each download is logged."
        ),
    )
    evidence_name = models.CharField(_("evidence file name"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("exemption")
        verbose_name_plural = _("exemptions")
        ordering = ["-granted_at"]

    def __str__(self):
        return f"{self.member} – {self.requirement}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def organisation_id(self):
        """The member's organisation: where the evidence file is stored and whose audit log
        records its downloads."""
        return self.member.organisation_id if self.member_id else None


class AssignmentQuerySet(models.QuerySet):
    """Statuses by name, so other apps never retype their strings."""

    def open(self):
        """Still to do: not started, in progress or overdue."""
        return self.filter(status__in=Assignment.OPEN)

    def done(self):
        return self.filter(status__in=Assignment.DONE)

    def overdue(self, day: datetime.date | None = None):
        """Overdue on ``day``: marked so, or still open past its due date (the nightly refresh
        marks them; until it has run they are overdue all the same)."""
        day = day or timezone.localdate()
        return self.filter(
            Q(status=Assignment.Status.OVERDUE)
            | Q(
                status__in=(Assignment.Status.ASSIGNED, Assignment.Status.IN_PROGRESS),
                due_on__lt=day,
            )
        )


class Assignment(models.Model):
    """Member x requirement x cycle: what is required of whom, by when, and the proof."""

    class Status(models.TextChoices):
        ASSIGNED = "assigned", _("Not started")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        COMPLETED_LATE = "completed_late", _("Completed late")
        OVERDUE = "overdue", _("Overdue")
        EXEMPT = "exempt", _("Exempt")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    DONE = (Status.COMPLETED, Status.COMPLETED_LATE)
    OPEN = (Status.ASSIGNED, Status.IN_PROGRESS, Status.OVERDUE)

    member = models.ForeignKey(
        "members.Member",
        on_delete=models.CASCADE,
        related_name="assignments",
        verbose_name=_("member"),
    )
    requirement = models.ForeignKey(
        Requirement,
        on_delete=models.CASCADE,
        related_name="assignments",
        verbose_name=_("requirement"),
    )
    cycle = models.ForeignKey(
        Cycle, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("cycle")
    )
    starts_on = JapaneseDateField(
        _("counts from"), help_text=_("Completions from this day on satisfy the requirement.")
    )
    due_on = JapaneseDateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ASSIGNED
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    enrolment = models.ForeignKey(
        "courses.Enrolment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("completion"),
    )
    created_at = models.DateTimeField(_("assigned at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["cycle", "requirement", "member"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "requirement", "cycle"], name="uniq_assignment"
            )
        ]
        indexes = [
            models.Index(fields=["cycle", "status"]),
            models.Index(fields=["requirement", "cycle", "status"]),
        ]

    def __str__(self):
        return f"{self.member} – {self.requirement} ({self.cycle.name})"

    @property
    def is_done(self) -> bool:
        return self.status in self.DONE


# --- people: one status per person and cycle -------------------------------------------------

# A person's status in a cycle from all their requirements, strongest first: withdrawn >
# exempt > overdue (any requirement overdue) > not started > in progress > completed late >
# completed. The dashboard states it; every count of people and every list of people uses it.
PERSON_PRECEDENCE = (
    Assignment.Status.WITHDRAWN,
    Assignment.Status.EXEMPT,
    Assignment.Status.OVERDUE,
    Assignment.Status.ASSIGNED,
    Assignment.Status.IN_PROGRESS,
    Assignment.Status.COMPLETED_LATE,
    Assignment.Status.COMPLETED,
)
# Counted as required of a person: everyone but the withdrawn and the exempt.
PERSON_REQUIRED = PERSON_PRECEDENCE[2:]


class CycleResult(models.Model):
    """One person in one cycle: their status by the precedence above, with the roster facts the
    breakdowns group by. Kept up to date by the refresh while the cycle is open; frozen (never
    written again) once the cycle is closed, so a closed cycle's figures do not move."""

    organisation = models.ForeignKey(
        "members.Organisation", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    cycle = models.ForeignKey(
        Cycle, on_delete=models.CASCADE, related_name="results", verbose_name=_("cycle")
    )
    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, related_name="cycle_results",
        verbose_name=_("member"),
    )  # fmt: skip
    status = models.CharField(_("status"), max_length=16, choices=Assignment.Status.choices)
    requirements = models.PositiveSmallIntegerField(_("requirements"), default=0)
    due_on = JapaneseDateField(_("due on"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    member_no = models.CharField(_("member number"), max_length=32)
    name = models.CharField(_("name"), max_length=200)
    prefecture = models.CharField(_("prefecture"), max_length=2, blank=True)
    occupation = models.CharField(_("occupation"), max_length=200, blank=True)
    category = models.CharField(_("category"), max_length=8, blank=True)
    age_band = models.PositiveSmallIntegerField(_("age band"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("cycle result")
        verbose_name_plural = _("cycle results")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "member"], name="uniq_cycle_result")
        ]
        indexes = [
            models.Index(
                fields=["organisation", "cycle", "status"], name="lms_result_org_cycle_status"
            ),
        ]

    def __str__(self):
        return f"{self.member_no} {self.cycle_id} {self.status}"


class RequirementResult(models.Model):
    """A closed cycle's per-requirement record of one person: status and the completion
    evidence as they were when the cycle closed."""

    organisation = models.ForeignKey(
        "members.Organisation", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="requirement_results")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=Assignment.Status.choices)
    starts_on = JapaneseDateField(_("counts from"))
    due_on = JapaneseDateField(_("due on"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    enrolment = models.ForeignKey(
        "courses.Enrolment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("requirement result")
        verbose_name_plural = _("requirement results")
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "member", "requirement"], name="uniq_requirement_result"
            )
        ]
        indexes = [
            models.Index(
                fields=["organisation", "cycle", "requirement", "status"],
                name="lms_reqresult_org_cycle",
            ),
        ]

    def __str__(self):
        return f"{self.member_id} {self.requirement_id} {self.status}"


class EvidencePack(models.Model):
    """A 労働局 evidence pack as it was made (lms.evidence): a workbook of personal data, kept in
    private storage and handed out only through the permission-checked, audit-logged download.
    The figures it states are kept with it, so they can be read after the file is purged."""

    organisation = models.ForeignKey(
        "members.Organisation",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("organisation"),
    )
    cycle = models.ForeignKey(
        Cycle, on_delete=models.CASCADE, related_name="evidence_packs", verbose_name=_("cycle")
    )
    file = models.FileField(
        _("file"),
        storage=private_storage,
        upload_to=PrivateUploadTo("evidence_packs"),
        blank=True,
    )
    file_name = models.CharField(_("file name"), max_length=255)
    with_certificates = models.BooleanField(_("with the certificates (PDF)"), default=False)
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    as_of = models.DateTimeField(_("as of"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("generated by"),
    )
    created_by_label = models.CharField(_("generated by"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("evidence pack")
        verbose_name_plural = _("evidence packs")
        ordering = ["-as_of", "-pk"]
        default_permissions = ("add", "view")

    def __str__(self):
        return self.file_name
