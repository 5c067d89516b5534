"""Courses as Wagtail pages, and the evidence of who studied them.

Organisations: a ``CoursePage`` with no ``organisation`` is open to the members of every
organisation on the site; with one, only that organisation's members may study it (others
get a 404). Staff see the records of members of their own organisations only
(members.selectors.organisations_for_staff).

Progress is kept per *attempt* (``Enrolment``): the same course is taken again every year,
and earlier attempts and their completions stay as they are.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.admin.panels import FieldPanel, HelpPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from members.fields import JapaneseDateField
from members.publishing import EditorsPublishChildrenMixin, EditorsPublishMixin
from members.storage import PrivateUploadTo, private_storage

from .blocks import COURSE_BLOCKS, FINAL_QUIZ_BLOCKS, LESSON_BLOCKS
from .panels import CourseTimePanel, StudyTimePanel
from .survey import SURVEY_BLOCK_COUNTS, SURVEY_BLOCKS


class CourseIndexPage(EditorsPublishChildrenMixin, Page):
    """The list of courses (研修一覧)."""

    intro = RichTextField(_("introduction"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    search_fields = Page.search_fields + [index.SearchField("intro")]
    subpage_types = ["courses.CoursePage"]

    class Meta:
        verbose_name = _("course index page")

    def get_context(self, request, *args, **kwargs):
        from .selectors import course_index_rows

        context = super().get_context(request, *args, **kwargs)
        context.update(course_index_rows(user=request.user, index=self))
        return context


class CoursePage(EditorsPublishMixin, Page):
    """A course: ordered lessons (the child pages), an optional final quiz, a certificate."""

    summary = models.TextField(_("summary"), blank=True)
    audience_note = models.TextField(
        _("who this course is for"),
        blank=True,
        help_text=_("e.g. 'All members, every year' or 'Members working at heights'."),
    )
    estimated_minutes = models.PositiveSmallIntegerField(
        _("stated duration (minutes)"),
        default=30,
        help_text=_(
            "所要時間 shown to members. A member completes the course only when their credited "
            "study time reaches the share of it set by COURSES_REQUIRED_TIME_SHARE (0.8 by "
            "default); 0 = no time requirement."
        ),
    )
    organisation = models.ForeignKey(
        "members.Organisation",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="courses",
        help_text=_("Blank: open to the members of every organisation on this site."),
    )
    body = StreamField(
        COURSE_BLOCKS, blank=True, use_json_field=True, verbose_name=_("introduction")
    )
    final_quiz = StreamField(
        FINAL_QUIZ_BLOCKS,
        blank=True,
        use_json_field=True,
        max_num=1,
        verbose_name=_("final quiz"),
        help_text=_("Optional. Taken after the required lessons; uses the pass mark below."),
    )
    pass_mark = models.PositiveSmallIntegerField(
        _("final quiz pass mark (%)"), default=80, help_text=_("0–100.")
    )
    issues_certificate = models.BooleanField(
        _("issues a certificate"),
        default=True,
        help_text=_("Issue a certificate of completion (修了証) when a member completes."),
    )

    class SurveyMode(models.TextChoices):
        NONE = "none", _("No survey")
        OPTIONAL = "optional", _("Optional")
        REQUIRED = "required", _("Required before the certificate")

    survey_mode = models.CharField(
        _("post-course survey"),
        max_length=16,
        choices=SurveyMode.choices,
        default=SurveyMode.NONE,
        help_text=_(
            "Asked once per attempt when a member completes the course. Required: the "
            "certificate can be downloaded only after the member has answered."
        ),
    )
    survey = StreamField(
        SURVEY_BLOCKS,
        blank=True,
        use_json_field=True,
        block_counts=SURVEY_BLOCK_COUNTS,
        verbose_name=_("survey questions"),
        help_text=_(
            "A short survey: the 5-point 'meaningful' scale, a few choice questions, free text."
        ),
    )

    content_panels = Page.content_panels + [
        FieldPanel("summary"),
        FieldPanel("audience_note"),
        FieldPanel("estimated_minutes"),
        CourseTimePanel(),
        FieldPanel("organisation"),
        FieldPanel("body"),
        MultiFieldPanel(
            [FieldPanel("final_quiz"), FieldPanel("pass_mark"), FieldPanel("issues_certificate")],
            heading=_("Completion"),
        ),
        MultiFieldPanel(
            [FieldPanel("survey_mode"), FieldPanel("survey")],
            heading=_("Post-course survey"),
        ),
        HelpPanel(
            content=_(
                "Lessons are the child pages of this course, in the order of the page tree. "
                "A course is complete when its required lessons are, and its final quiz (if any) "
                "is passed."
            )
        ),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("summary"),
        index.SearchField("audience_note"),
    ]
    parent_page_types = ["courses.CourseIndexPage"]
    subpage_types = ["courses.LessonPage", "courses.ScormLessonPage"]

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")

    def get_template(self, request, *args, **kwargs):
        return "courses/course_page.html"

    def serve(self, request, *args, **kwargs):
        from .views.player import serve_course

        return serve_course(request, self)

    def serve_preview(self, request, mode_name):
        from .views.player import serve_course

        return serve_course(request, self, preview=True)


class LessonPage(EditorsPublishMixin, Page):
    summary = models.TextField(_("summary"), blank=True)
    is_required = models.BooleanField(
        _("required"), default=True, help_text=_("Optional lessons do not count for completion.")
    )
    min_study_seconds = models.PositiveIntegerField(
        _("minimum study time (seconds)"),
        null=True,
        blank=True,
        help_text=_(
            "Blank: worked out from the content (its text at the reading speed of the "
            "settings, plus the length of its videos). Enter a number to raise or lower it; "
            "0 = none."
        ),
    )
    body = StreamField(
        LESSON_BLOCKS,
        use_json_field=True,
        block_counts={"quiz": {"max_num": 1}},
        verbose_name=_("body"),
    )

    content_panels = Page.content_panels + [
        FieldPanel("summary"),
        FieldPanel("is_required"),
        FieldPanel("min_study_seconds"),
        StudyTimePanel(),
        FieldPanel("body"),
    ]
    search_fields = Page.search_fields + [index.SearchField("summary"), index.SearchField("body")]
    parent_page_types = ["courses.CoursePage"]
    subpage_types = []

    class Meta:
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")

    def publishing_organisation(self):
        """A lesson is published as its course is: the course's organisation decides."""
        parent = self.get_parent() if self.pk else None
        return getattr(parent.specific, "organisation", None) if parent else None

    def get_template(self, request, *args, **kwargs):
        return "courses/lesson_page.html"

    def serve(self, request, *args, **kwargs):
        from .views.player import serve_lesson

        return serve_lesson(request, self)

    def serve_preview(self, request, mode_name):
        from .views.player import serve_lesson

        return serve_lesson(request, self, preview=True)


class Enrolment(models.Model):
    """One attempt of a member at a course (受講). Completed when ``completed_at`` is set."""

    wagtail_reference_index_ignore = True  # per-member rows: not usage of pages (4 queries a save)

    class Source(models.TextChoices):
        ELEARNING = "elearning", _("E-learning")
        SEMINAR = "seminar", _("Seminar")
        PAPER = "paper", _("Paper test")

    member = models.ForeignKey(
        "members.Member",
        on_delete=models.CASCADE,
        related_name="enrolments",
        verbose_name=_("member"),
    )
    course = models.ForeignKey(
        CoursePage, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("course")
    )
    attempt = models.PositiveIntegerField(_("attempt"), default=1)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    credited_seconds = models.PositiveIntegerField(
        _("credited study seconds"),
        default=0,
        help_text=_("The study clock's time credited to this attempt's lessons (their sum)."),
    )
    source = models.CharField(
        pgettext_lazy("completion", "source"),
        max_length=16,
        choices=Source.choices,
        default=Source.ELEARNING,
    )
    completed_revision = models.ForeignKey(
        "wagtailcore.Revision",
        verbose_name=_("course revision completed"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    evidence_note = models.TextField(_("evidence"), blank=True)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["member", "course", "attempt"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "course", "attempt"], name="uniq_enrolment_attempt"
            ),
            models.CheckConstraint(
                condition=models.Q(attempt__gte=1), name="enrolment_attempt_gte_1"
            ),
        ]
        indexes = [models.Index(fields=["course", "completed_at"])]

    def __str__(self):
        return f"{self.member} / {self.course_id} #{self.attempt}"

    @property
    def is_complete(self) -> bool:
        return self.completed_at is not None


class LessonProgress(models.Model):
    """Evidence of study of one lesson within one attempt."""

    class Path(models.TextChoices):
        VIDEO = "video", _("Watched the video")
        TRANSCRIPT = "transcript", _("Transcript and quiz")
        READING = "reading", _("Reading")
        MANUAL = "manual", _("Recorded by staff")
        SCORM = "scorm", _("SCORM package")

    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.CASCADE, related_name="lesson_progress"
    )
    lesson = models.ForeignKey(
        LessonPage, on_delete=models.PROTECT, related_name="progress", verbose_name=_("lesson")
    )
    first_opened_at = models.DateTimeField(_("first opened"), default=timezone.now)
    last_activity_at = models.DateTimeField(_("last activity"), default=timezone.now)
    last_heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    active_seconds = models.PositiveIntegerField(_("credited study seconds"), default=0)
    video_coverage = models.JSONField(
        _("video coverage"),
        default=dict,
        blank=True,
        help_text=_(
            "Per video block: its duration and the watched seconds as [start, end) ranges."
        ),
    )
    video_reported_at = models.DateTimeField(null=True, blank=True, editable=False)
    transcript_chosen_at = models.DateTimeField(_("chose the transcript"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completion_path = models.CharField(
        _("completed through"), max_length=16, choices=Path.choices, blank=True
    )
    completed_revision = models.ForeignKey(
        "wagtailcore.Revision",
        verbose_name=_("lesson revision completed"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("lesson progress")
        verbose_name_plural = _("lesson progress")
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "lesson"], name="uniq_lesson_progress")
        ]

    def __str__(self):
        return f"{self.enrolment_id} / {self.lesson_id}"


class StudyClock(models.Model):
    """One per member: the moment up to which their study time has been credited.

    Every credit of study time, whatever the lesson, course or tab, moves this clock on
    (courses.clock), so the time credited over any interval never exceeds its wall-clock
    length.
    """

    member = models.OneToOneField(
        "members.Member",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="study_clock",
        verbose_name=_("member"),
    )
    credited_until = models.DateTimeField(_("credited until"), null=True, blank=True)

    class Meta:
        verbose_name = _("study clock")
        verbose_name_plural = _("study clocks")

    def __str__(self):
        return f"{self.member_id}: {self.credited_until}"


class QuizAttempt(models.Model):
    """One submitted quiz: the answers given, the score and the time. ``lesson`` null = final quiz."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="quiz_attempts")
    lesson = models.ForeignKey(
        LessonPage,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="quiz_attempts",
        verbose_name=_("lesson"),
    )
    submission_key = models.UUIDField(default=uuid.uuid4, editable=False)
    answers = models.JSONField(_("answers"), default=dict)
    questions = models.JSONField(
        _("questions shown"),
        default=list,
        blank=True,
        help_text=_(
            "The questions this attempt showed, in order, each with its choices as shown, the "
            "correct ones, the ones answered and whether it was answered right."
        ),
    )
    score = models.PositiveSmallIntegerField(_("score"), default=0)
    passed = models.BooleanField(_("passed"), default=False)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    revision = models.ForeignKey(
        "wagtailcore.Revision",
        verbose_name=_("page revision"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("quiz attempt")
        verbose_name_plural = _("quiz attempts")
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment", "submission_key"], name="uniq_quiz_submission"
            ),
            models.CheckConstraint(condition=models.Q(score__lte=100), name="quiz_score_lte_100"),
        ]

    def __str__(self):
        return f"{self.enrolment_id} / {self.lesson_id or 'final'}: {self.score}"


class Certificate(models.Model):
    """修了証. The printed facts are kept as issued, so later renames do not change it."""

    enrolment = models.OneToOneField(
        Enrolment, on_delete=models.PROTECT, related_name="certificate"
    )
    number = models.CharField(_("certificate number"), max_length=32, unique=True)
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    member_name = models.CharField(pgettext_lazy("person", "name"), max_length=120)
    course_title = models.CharField(_("course"), max_length=255)
    organisation_name = models.CharField(_("organisation"), max_length=200)
    completed_on = JapaneseDateField(_("completed on"))

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-issued_at"]

    def __str__(self):
        return self.number


class Question(models.Model):
    """A member's question to the office, answered by staff; good answers become FAQ entries."""

    wagtail_reference_index_ignore = True  # per-member rows: not usage of pages (4 queries a save)

    member = models.ForeignKey(
        "members.Member",
        on_delete=models.CASCADE,
        related_name="course_questions",
        verbose_name=_("member"),
    )
    course = models.ForeignKey(
        CoursePage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="questions",
        verbose_name=_("course"),
    )
    lesson = models.ForeignKey(
        LessonPage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="questions",
        verbose_name=_("lesson"),
    )
    body = models.TextField(_("question"))
    created_at = models.DateTimeField(_("asked at"), default=timezone.now)
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    answer_notified_at = models.DateTimeField(_("answer e-mailed at"), null=True, blank=True)
    office_notified_at = models.DateTimeField(
        _("office notified at"), null=True, blank=True, editable=False
    )
    faq_published = models.BooleanField(
        _("published as FAQ"),
        default=False,
        help_text=_(
            "Show this question and answer, without the member's name, on the course page."
        ),
    )
    faq_question = models.TextField(
        _("FAQ question"), blank=True, help_text=_("Blank uses the member's question as asked.")
    )
    faq_answer = models.TextField(
        _("FAQ answer"), blank=True, help_text=_("Blank uses the answer.")
    )

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["course", "faq_published"])]

    def __str__(self):
        return self.body[:40]

    @property
    def is_answered(self) -> bool:
        return bool(self.answered_at)


class QuestionSettings(models.Model):
    """How an organisation's office hears of members' new questions."""

    class Notify(models.TextChoices):
        IMMEDIATE = "immediate", _("At once: one e-mail per question")
        DAILY = "daily", _("Once a day: a digest of the questions not yet notified")

    organisation = models.OneToOneField(
        "members.Organisation",
        on_delete=models.CASCADE,
        related_name="question_settings",
        verbose_name=_("organisation"),
    )
    notify = models.CharField(
        _("notify the office"), max_length=16, choices=Notify.choices, default=Notify.IMMEDIATE
    )
    notify_email = models.EmailField(
        _("office address for questions"),
        blank=True,
        help_text=_("Blank uses the organisation's contact e-mail."),
    )

    class Meta:
        verbose_name = _("question notification")
        verbose_name_plural = _("question notifications")

    def __str__(self):
        return str(self.organisation)


class SurveyResponse(models.Model):
    """A member's answers to a course's post-course survey, one per attempt (the enrolment of
    that year: the cycle's assignment points at the same enrolment)."""

    wagtail_reference_index_ignore = True  # per-member rows

    enrolment = models.OneToOneField(
        Enrolment,
        on_delete=models.CASCADE,
        related_name="survey_response",
        verbose_name=_("attempt"),
    )
    member = models.ForeignKey(
        "members.Member",
        on_delete=models.CASCADE,
        related_name="survey_responses",
        verbose_name=_("member"),
    )
    course = models.ForeignKey(
        CoursePage,
        on_delete=models.CASCADE,
        related_name="survey_responses",
        verbose_name=_("course"),
    )
    questions = models.JSONField(_("questions as shown"), default=list)
    answers = models.JSONField(_("answers"), default=dict)
    meaningful = models.PositiveSmallIntegerField(_("meaningful (1-5)"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        ordering = ["-submitted_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(meaningful__isnull=True)
                | models.Q(meaningful__gte=1, meaningful__lte=5),
                name="survey_meaningful_1_to_5",
            )
        ]

    def __str__(self):
        return f"{self.enrolment_id}: {self.meaningful or '-'}"


class AttendanceImport(models.Model):
    """An attendance list (seminar or paper test) imported by staff: preview, then apply."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("Previewed")
        APPLIED = "applied", _("Applied")

    organisation = models.ForeignKey(
        "members.Organisation", on_delete=models.PROTECT, verbose_name=_("organisation")
    )
    course = models.ForeignKey(CoursePage, on_delete=models.PROTECT, verbose_name=_("course"))
    source = models.CharField(
        pgettext_lazy("completion", "source"), max_length=16, choices=Enrolment.Source.choices
    )
    completed_on = JapaneseDateField(_("completed on"))
    evidence_note = models.TextField(_("evidence"), blank=True)
    file = models.FileField(
        _("file"),
        storage=private_storage,
        upload_to=PrivateUploadTo("attendance"),
        max_length=255,
        blank=True,
    )
    original_filename = models.CharField(_("file name"), max_length=255)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PREVIEWED
    )
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)

    class Meta:
        verbose_name = _("attendance import")
        verbose_name_plural = _("attendance imports")
        ordering = ["-created_at"]

    def __str__(self):
        return self.original_filename


def _forget_media_duration(sender, instance, **kwargs):
    """Lesson requirements cache media durations (services.media_durations)."""
    from .services import forget_media_duration

    forget_media_duration(instance.pk)


_MEDIA_MODEL = getattr(settings, "WAGTAILMEDIA", {}).get("MEDIA_MODEL", "wagtailmedia.Media")
post_save.connect(_forget_media_duration, sender=_MEDIA_MODEL, dispatch_uid="courses_media_saved")
post_delete.connect(
    _forget_media_duration, sender=_MEDIA_MODEL, dispatch_uid="courses_media_deleted"
)


# SCORM lessons and their runtime data live in courses/scorm/models.py (registered here)
from .scorm.models import (  # noqa: E402, F401
    ScormFile,
    ScormImport,
    ScormItem,
    ScormLessonPage,
    ScormPackage,
    ScormState,
)
