"""Site pages, and the compliance domain: campaigns, cycles, requirements, assignments."""

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
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from courses.blocks import HOME_BLOCKS
from members.constants import PREFECTURE_CHOICES, Category

from . import conf


class HomePage(Page):
    intro = RichTextField(_("introduction"), blank=True)
    body = StreamField(HOME_BLOCKS, blank=True, use_json_field=True, verbose_name=_("body"))

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("body")]
    search_fields = Page.search_fields + [index.SearchField("intro")]
    parent_page_types = ["wagtailcore.Page"]
    max_count = None

    class Meta:
        verbose_name = _("home page")


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
    first_opens_on = models.DateField(
        _("opens on (first cycle)"),
        help_text=_("Rolling campaigns: the first day of joining that the first cycle covers."),
    )
    first_due_on = models.DateField(
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
    opens_on = models.DateField(_("opens on"))
    due_on = models.DateField(_("due on"))
    closes_on = models.DateField(
        _("records final after"),
        null=True,
        blank=True,
        help_text=_(
            "Late completions are recorded until this day; afterwards the cycle is history and "
            "never changes. Blank: open-ended."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = CycleQuerySet.as_manager()

    class Meta:
        verbose_name = _("cycle")
        verbose_name_plural = _("cycles")
        ordering = ["campaign", "-opens_on"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "opens_on"], name="uniq_cycle_opening"),
            models.CheckConstraint(
                condition=Q(due_on__gte=models.F("opens_on")), name="cycle_due_after_opening"
            ),
        ]

    def __str__(self):
        return f"{self.campaign.name} {self.name}"

    def is_current(self, day: datetime.date | None = None) -> bool:
        day = day or timezone.localdate()
        return self.opens_on <= day and (self.closes_on is None or day <= self.closes_on)


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

    class Meta:
        verbose_name = _("exemption")
        verbose_name_plural = _("exemptions")
        ordering = ["-granted_at"]

    def __str__(self):
        return f"{self.member} – {self.requirement}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


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
    starts_on = models.DateField(
        _("counts from"), help_text=_("Completions from this day on satisfy the requirement.")
    )
    due_on = models.DateField(_("due on"))
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
