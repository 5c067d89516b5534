"""Newsletters, audiences, consent, and the per-recipient state of every send."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, HelpPanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index

from members.fields import JapaneseDateField
from members.mailheaders import validate_single_line
from members.models import Member, Organisation
from members.publishing import EditorsPublishChildrenMixin, EditorsPublishMixin

from . import conf
from .blocks import NEWSLETTER_BLOCKS
from .panels import MergeTagWarningPanel
from .rendering import validate_mail_text

# An SMTP reply or an ESP's event description is kept up to this many characters: every
# server's reply fits whole, and one that answers with a page of HTML cannot fill the table.
ERROR_MAX_CHARS = 2000


class OrganisationMailSettings(models.Model):
    """Mail settings of one organisation beyond those on ``Organisation`` itself.

    From, Reply-To, the postal address and contact point of the footer come from
    ``Organisation``; these add the List-Id, the unsubscribe mailbox, a footer note and
    the sending rate.
    """

    organisation = models.OneToOneField(
        Organisation,
        on_delete=models.CASCADE,
        related_name="mail_settings",
        verbose_name=_("organisation"),
    )
    list_id = models.CharField(
        _("List-Id"),
        max_length=200,
        blank=True,
        validators=[validate_single_line],
        help_text=_('e.g. "newsletter.example.jp"; blank derives one from the organisation.'),
    )
    unsubscribe_mailto = models.EmailField(
        _("unsubscribe mailbox"),
        blank=True,
        help_text=_(
            "Address for the mailto: List-Unsubscribe header; blank uses the Reply-To or "
            "contact address."
        ),
    )
    footer_note = models.TextField(
        _("footer note"),
        blank=True,
        help_text=_("Added to the footer of every mail, after the required details."),
    )
    rate_per_minute = models.PositiveIntegerField(
        _("sending rate (messages per minute)"),
        null=True,
        blank=True,
        help_text=_("Shared by all workers. Blank uses the site default; 0 means no limit."),
    )

    class Meta:
        verbose_name = _("mail settings")
        verbose_name_plural = _("mail settings")

    def __str__(self):
        return str(self.organisation)

    def effective_rate_per_minute(self) -> int:
        if self.rate_per_minute is None:
            return conf.default_rate_per_minute()
        return self.rate_per_minute


class ConsentWording(models.Model):
    """The exact wording shown when a member opts in to the newsletter. Versioned, never edited."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="consent_wordings"
    )
    version = models.PositiveIntegerField(_("version"))
    text = models.TextField(_("wording"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("consent wording")
        verbose_name_plural = _("consent wordings")
        ordering = ["organisation", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "version"], name="uniq_consent_wording_version"
            )
        ]

    def __str__(self):
        return f"v{self.version}: {self.text[:40]}"


class NewsletterConsent(models.Model):
    """One opt-in to the newsletter: when, how, the wording shown, and its withdrawal."""

    class Method(models.TextChoices):
        WEB = "web", _("Preferences page")
        PAPER = "paper", _("Paper form")
        ENROLMENT = "enrolment", _("Enrolment form")
        STAFF = "staff", _("Recorded by staff")

    class Withdrawal(models.TextChoices):
        ONE_CLICK = "one_click", _("One-click unsubscribe (mail client)")
        LINK = "link", _("Unsubscribe link")
        PREFERENCES = "preferences", _("Preferences page")
        MAILTO = "mailto", _("Unsubscribe e-mail")
        STAFF = "staff", _("Recorded by staff")
        COMPLAINT = "complaint", _("Spam complaint")

    member = models.ForeignKey(
        Member,
        on_delete=models.CASCADE,
        related_name="newsletter_consents",
        verbose_name=_("member"),
    )
    wording = models.ForeignKey(
        ConsentWording, on_delete=models.PROTECT, related_name="consents", verbose_name=_("wording")
    )
    given_at = models.DateTimeField(_("given at"))
    method = models.CharField(_("how"), max_length=20, choices=Method.choices)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawal_method = models.CharField(
        _("how withdrawn"), max_length=20, choices=Withdrawal.choices, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("newsletter consent")
        verbose_name_plural = _("newsletter consents")
        ordering = ["member", "-given_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(withdrawn_at__isnull=True),
                name="one_active_newsletter_consent",
            )
        ]

    def __str__(self):
        return f"{self.member_id} {self.given_at:%Y-%m-%d}"


class Suppression(models.Model):
    """An address mail must not go to: a hard bounce, a complaint, or a staff decision."""

    wagtail_reference_index_ignore = True  # per-member rows: not usage of pages (4 queries a save)

    class Reason(models.TextChoices):
        BOUNCE = "bounce", _("Bounced")
        COMPLAINT = "complaint", _("Spam complaint")
        MANUAL = "manual", _("Added by staff")

    class Source(models.TextChoices):
        WEBHOOK = "webhook", _("ESP webhook")
        IMPORT = "import", _("Bounce list import")
        STAFF = "staff", _("Staff")

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="mail_suppressions",
        verbose_name=_("organisation"),
    )
    email = models.EmailField(_("e-mail"))
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    detail = models.TextField(_("detail"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")
        ordering = ["organisation", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "email"], name="uniq_suppression")
        ]

    def __str__(self):
        return self.email


class Audience(models.Model):
    """A saved segment of one organisation's members, built from roster facts.

    Every filter left blank matches everyone; members no longer enrolled are listed as
    excluded ("withdrawn") when a mailing starts, never silently dropped.
    """

    class Completion(models.TextChoices):
        COMPLETED = "completed", _("Has completed")
        NOT_COMPLETED = "not_completed", _("Has not completed")

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="audiences",
        verbose_name=_("organisation"),
    )
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    categories = models.JSONField(_("categories"), default=list, blank=True)
    work_types = models.JSONField(_("business / work types"), default=list, blank=True)
    occupations = models.JSONField(_("occupations"), default=list, blank=True)
    prefectures = models.JSONField(_("prefectures"), default=list, blank=True)
    joined_from = JapaneseDateField(_("joined on or after"), null=True, blank=True)
    joined_to = JapaneseDateField(_("joined on or before"), null=True, blank=True)
    cycle = models.ForeignKey(
        "lms.Cycle",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("training cycle"),
        help_text=_("For the training filters below, e.g. 2026年度 of the June–July training."),
    )
    requirement = models.ForeignKey(
        "lms.Requirement",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requirement"),
        help_text=_("Blank: any requirement of the cycle's campaign."),
    )
    completion = models.CharField(
        _("training status"),
        max_length=20,
        choices=Completion.choices,
        blank=True,
        help_text=_(
            "Completed: every matching requirement is done. Not completed: required and not yet "
            "done (exempt and withdrawn members are not counted)."
        ),
    )
    overdue_only = models.BooleanField(
        _("only overdue members"), default=False, help_text=_("Past the due date and not done.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("audience")
        verbose_name_plural = _("audiences")
        ordering = ["organisation", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="uniq_audience_name")
        ]

    def __str__(self):
        return self.name


class Mailing(models.Model):
    """One send of a newsletter or a notice to an audience."""

    class Kind(models.TextChoices):
        NEWSLETTER = "newsletter", _("Newsletter")
        NOTICE = "notice", _("Administrative notice")
        REMINDER = "reminder", _("Training reminder")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        PAUSED = "paused", _("Paused")
        CANCELLED = "cancelled", _("Cancelled")
        DONE = "done", _("Done")

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="mailings",
        verbose_name=_("organisation"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.DRAFT, db_index=True
    )
    title = models.CharField(_("title"), max_length=255)
    newsletter = models.ForeignKey(
        "mailings.NewsletterPage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="mailings",
        verbose_name=_("newsletter"),
    )
    revision = models.ForeignKey(
        "wagtailcore.Revision",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("page revision sent"),
    )
    audience = models.ForeignKey(
        Audience,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="mailings",
        verbose_name=_("audience"),
    )
    audience_name = models.CharField(_("audience"), max_length=200, blank=True)
    subject = models.CharField(_("subject"), max_length=255, validators=[validate_single_line])
    preheader = models.CharField(_("preheader"), max_length=255, blank=True)
    html_template = models.TextField(_("HTML body"), blank=True)
    text_template = models.TextField(_("plain-text body"), blank=True)
    scheduled_at = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last activity"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("mailing")
        verbose_name_plural = _("mailings")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "scheduled_at"])]

    def __str__(self):
        return self.title

    @property
    def is_newsletter(self) -> bool:
        return self.kind == self.Kind.NEWSLETTER


class MailingRecipient(models.Model):
    """One member in one mailing, with the address used and the state of the send.

    queued -> claimed (in a worker's chunk) -> sending (handed to SMTP/ESP) -> sent | failed.
    A row still "sending" after its lease expired becomes "unknown": staff decide.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        CLAIMED = "claimed", _("Claimed by a worker")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Excluded")
        UNKNOWN = "unknown", _("Unknown (worker stopped)")
        CANCELLED = "cancelled", _("Cancelled")
        BOUNCED = "bounced", _("Bounced")
        COMPLAINED = "complained", _("Complained")

    class Reason(models.TextChoices):
        NO_EMAIL = "no_email", _("No e-mail address")
        NOT_SUBSCRIBED = "not_subscribed", _("Not subscribed to the newsletter")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
        SUPPRESSED = "suppressed", _("Bounced or complained before")
        WITHDRAWN = "withdrawn", _("No longer enrolled")

    mailing = models.ForeignKey(
        Mailing, on_delete=models.CASCADE, related_name="recipients", verbose_name=_("mailing")
    )
    member = models.ForeignKey(
        Member,
        on_delete=models.PROTECT,
        related_name="mailing_recipients",
        verbose_name=_("member"),
    )
    email = models.CharField(_("e-mail"), max_length=254, blank=True)
    name = models.CharField(_("name"), max_length=120, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=State.choices)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    claim = models.UUIDField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    context = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")
        ordering = ["mailing", "id"]
        constraints = [
            models.UniqueConstraint(fields=["mailing", "member"], name="uniq_mailing_member")
        ]
        indexes = [
            models.Index(fields=["mailing", "state", "id"], name="mailings_recipient_claim_idx"),
            models.Index(fields=["claim"]),
            models.Index(fields=["email"]),
        ]

    def __str__(self):
        return f"{self.email} ({self.state})"

    def message_id(self, domain: str) -> str:
        return f"<m{self.mailing_id}.r{self.pk}@{domain}>"


class NewsletterIndexPage(EditorsPublishChildrenMixin, Page):
    """安全衛生メールマガジン: the archive of published newsletters."""

    intro = models.TextField(_("introduction"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    subpage_types = ["mailings.NewsletterPage"]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("newsletter archive")

    def get_context(self, request, *args, **kwargs):
        from .selectors import newsletters_visible_to

        context = super().get_context(request, *args, **kwargs)
        context["newsletters"] = newsletters_visible_to(user=request.user, index=self)
        return context


class StaffSendPanel(HelpPanel):
    """Shown to those who write an issue but do not send it (editors): who sends it."""

    class BoundPanel(HelpPanel.BoundPanel):
        def is_shown(self):
            user = self.request.user if self.request else None
            return bool(user) and not user.has_perm("mailings.add_mailing") and super().is_shown()


class NewsletterPage(EditorsPublishMixin, Page):
    """One issue of the safety newsletter, written once, sent by e-mail and archived."""

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Anyone")
        MEMBERS = "members", _("Signed-in members of the organisation")

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="newsletters",
        verbose_name=_("organisation"),
    )
    subject = models.CharField(
        _("e-mail subject"),
        max_length=200,
        blank=True,
        help_text=_("Blank uses the title."),
        validators=[validate_single_line],
    )
    preheader = models.CharField(
        _("preheader"),
        max_length=200,
        blank=True,
        help_text=_("The short summary mail apps show after the subject."),
    )
    greeting = models.CharField(
        _("greeting"),
        max_length=200,
        default="{{ name }} 様",
        blank=True,
        help_text=_("First line of the mail. {{ name }} becomes the member's name."),
    )
    body = StreamField(
        NEWSLETTER_BLOCKS,
        use_json_field=True,
        verbose_name=_("body"),
        help_text=_(
            "Greet the member in the greeting field, not here: merge tags such as {{ name }} "
            "are not shown on the web archive."
        ),
    )
    archive_visibility = models.CharField(
        _("web archive"),
        max_length=20,
        choices=Visibility.choices,
        default=Visibility.MEMBERS,
        help_text=_("Who may read this issue on the site."),
    )

    content_panels = [
        StaffSendPanel(
            content=_(
                "Sending is done by the office. When you publish this issue, the "
                "organisation's staff are told it is ready to send."
            ),
            heading=_("Sending is done by the office"),
        ),
        *Page.content_panels,
        FieldPanel("organisation"),
        MultiFieldPanel(
            [FieldPanel("subject"), FieldPanel("preheader"), FieldPanel("greeting")],
            heading=_("E-mail"),
        ),
        MergeTagWarningPanel(),
        FieldPanel("body"),
        FieldPanel("archive_visibility"),
    ]
    search_fields = Page.search_fields + [index.SearchField("body")]
    parent_page_types = ["mailings.NewsletterIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("safety newsletter")
        verbose_name_plural = _("safety newsletters")

    @property
    def email_subject(self) -> str:
        return self.subject or self.title

    def clean(self):
        super().clean()
        if not self.subject:  # the title becomes the subject: one line too
            try:
                validate_single_line(self.title)
            except ValidationError as error:
                raise ValidationError({"title": error.messages})

    preview_modes = [
        ("", _("Web archive")),
        ("email", _("E-mail (HTML)")),
        ("text", _("E-mail (plain text)")),
    ]

    def serve_preview(self, request, mode_name):
        if mode_name in ("email", "text"):
            from .rendering import preview_response

            return preview_response(page=self, user=request.user, mode=mode_name)
        return super().serve_preview(request, mode_name)

    def serve(self, request, *args, **kwargs):
        from .selectors import newsletter_readable_by

        if not newsletter_readable_by(page=self, user=request.user):
            from django.contrib.auth.views import redirect_to_login
            from django.http import Http404

            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            raise Http404
        return super().serve(request, *args, **kwargs)


WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


def default_days_before():
    return list(conf.reminder_days_before())


class ReminderSchedule(models.Model):
    """When a campaign's members are told and reminded, editable by staff per campaign."""

    campaign = models.OneToOneField(
        "lms.Campaign",
        on_delete=models.CASCADE,
        related_name="reminder_schedule",
        verbose_name=_("campaign"),
    )
    enabled = models.BooleanField(_("send reminders"), default=True)
    announce_on_open = models.BooleanField(_("announcement when the window opens"), default=True)
    days_before = models.JSONField(
        _("reminders, days before the due date"),
        default=default_days_before,
        blank=True,
        help_text=_("e.g. 14, 7, 1"),
    )
    overdue_notice = models.BooleanField(_("overdue notice the day after"), default=True)
    weekly_overdue = models.BooleanField(_("then weekly until done"), default=True)
    staff_digest = models.BooleanField(_("weekly digest of overdue members to staff"), default=True)
    digest_weekday = models.PositiveSmallIntegerField(
        _("digest weekday"), choices=WEEKDAYS, default=0
    )

    class Meta:
        verbose_name = _("reminder schedule")
        verbose_name_plural = _("reminder schedules")

    def __str__(self):
        return str(self.campaign)


class ReminderTemplate(models.Model):
    """The editable text of one reminder step of one organisation."""

    class Step(models.TextChoices):
        ANNOUNCEMENT = "announcement", _("Announcement (window opens)")
        BEFORE_DUE = "before_due", _("Reminder before the due date")
        OVERDUE = "overdue", _("Overdue notice")
        WEEKLY = "weekly", _("Weekly overdue reminder")

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="reminder_templates",
        verbose_name=_("organisation"),
    )
    step = models.CharField(_("step"), max_length=20, choices=Step.choices)
    subject = models.CharField(
        _("subject"), max_length=200, validators=[validate_single_line, validate_mail_text]
    )
    body = models.TextField(
        _("text"),
        validators=[validate_mail_text],
        help_text=_(
            "Placeholders: {{ name }}, {{ campaign }}, {{ cycle }}, {{ due_date }}, "
            "{{ days_left }}, {{ courses }} (list with links and progress), {{ progress }}."
        ),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("reminder text")
        verbose_name_plural = _("reminder texts")
        ordering = ["organisation", "step"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "step"], name="uniq_reminder_template")
        ]

    def __str__(self):
        return self.get_step_display()


class ReminderDelivery(models.Model):
    """One reminder step for one assignment: mailed once, or skipped with the reason."""

    wagtail_reference_index_ignore = True  # per-member rows: not usage of pages (4 queries a save)

    class State(models.TextChoices):
        MAILED = "mailed", _("Mailed")
        SKIPPED = "skipped", _("Skipped")

    class Reason(models.TextChoices):
        COMPLETED = "completed", _("Completed")
        EXEMPT = "exempt", _("Exempt")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        COVERED = "covered", _("Covered by another mail the same day")

    assignment = models.ForeignKey(
        "lms.Assignment",
        on_delete=models.CASCADE,
        related_name="reminder_deliveries",
        verbose_name=_("assignment"),
    )
    step = models.CharField(_("step"), max_length=32)
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices, blank=True)
    recipient = models.ForeignKey(
        MailingRecipient,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reminder_deliveries",
        verbose_name=_("mail"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reminder delivery")
        verbose_name_plural = _("reminder deliveries")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "step"], name="uniq_reminder_step")
        ]

    def __str__(self):
        return f"{self.assignment_id} {self.step} {self.state}"


class StaffDigest(models.Model):
    """The weekly overdue digest of one campaign cycle, sent once per week."""

    cycle = models.ForeignKey(
        "lms.Cycle", on_delete=models.CASCADE, related_name="+", verbose_name=_("cycle")
    )
    week_of = JapaneseDateField(_("week of"))
    overdue_count = models.PositiveIntegerField(_("overdue"), default=0)
    recipients = models.TextField(_("sent to"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("staff digest")
        verbose_name_plural = _("staff digests")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "week_of"], name="uniq_staff_digest")
        ]

    def __str__(self):
        return f"{self.cycle_id} {self.week_of}"


class StaffReminder(models.Model):
    """A reminder (督促メール) staff sent from a list of people: who sent which text to how
    many, from which list. ``key`` comes from the confirmation page, so submitting it twice
    sends once. Each member's mail is logged in ``ReminderDelivery`` with the step
    ``staff-<id>``, like the scheduled reminders."""

    key = models.UUIDField(_("confirmation key"), unique=True)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="staff_reminders",
        verbose_name=_("organisation"),
    )
    list_name = models.CharField(_("list"), max_length=32)
    step = models.CharField(
        _("reminder text"), max_length=20, choices=ReminderTemplate.Step.choices
    )
    members = models.PositiveIntegerField(_("members"), default=0)
    mailed = models.PositiveIntegerField(_("mailed"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reminder sent by staff")
        verbose_name_plural = _("reminders sent by staff")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_step_display()} ({self.members})"

    @property
    def delivery_step(self) -> str:
        return f"staff-{self.pk}"
