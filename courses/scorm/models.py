"""SCORM 1.2 lessons: the page, its package (files and items), and each member's runtime data.

``ScormLessonPage`` is a ``LessonPage`` (multi-table inheritance), so everything that counts
lessons — progress rows, study time, course completion, reports — counts it without knowing
about SCORM. Its package is imported (never typed in): "Add child page" on a course leads to
the upload (see wagtail_hooks.py).

Runtime data (``ScormState``) hangs off the member's ``LessonProgress`` of the attempt (the
course's attempt of that year), one row per SCO, keyed by the item's identifier so that a new
version of the same package keeps the member's place.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.admin.panels import FieldPanel, HelpPanel
from wagtail.models import Page
from wagtail.search import index

from ..models import CoursePage, LessonPage, LessonProgress
from .storage import package_storage

MAX_PATH_LENGTH = 512
# A launch URL with its parameters: 2,000 characters is the longest URL every browser takes.
MAX_LAUNCH_LENGTH = 2000


class ScormLessonPage(LessonPage):
    """A lesson played from a SCORM 1.2 package (bought e-learning)."""

    content_panels = Page.content_panels + [
        FieldPanel("summary"),
        FieldPanel("is_required"),
        FieldPanel("min_study_seconds"),
        HelpPanel(
            template="courses/scorm/admin/package_panel.html",
            heading=_("SCORM package"),
        ),
    ]
    search_fields = Page.search_fields + [index.SearchField("summary")]
    parent_page_types = ["courses.CoursePage"]
    subpage_types = []

    class Meta:
        verbose_name = _("SCORM lesson")
        verbose_name_plural = _("SCORM lessons")

    def get_template(self, request, *args, **kwargs):
        return "courses/scorm_lesson_page.html"

    def serve(self, request, *args, **kwargs):
        from .views import serve_scorm_lesson

        return serve_scorm_lesson(request, self)

    def serve_preview(self, request, mode_name):
        from .views import serve_scorm_lesson

        return serve_scorm_lesson(request, self, preview=True)

    @property
    def package(self):
        """The current package (the latest version), or None."""
        if not hasattr(self, "_current_package"):
            self._current_package = self.packages.order_by("-version").first()
        return self._current_package


class ScormPackage(models.Model):
    """One uploaded version of a lesson's package. Files live in the SCORM storage under
    ``scorm/<lesson id>/<version>-<random>/`` (``storage_prefix``); deleting the package (or
    its lesson) deletes them after the transaction commits."""

    lesson = models.ForeignKey(
        ScormLessonPage, on_delete=models.CASCADE, related_name="packages", verbose_name=_("lesson")
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    scorm_version = models.CharField(_("SCORM version"), max_length=16, default="1.2")
    identifier = models.CharField(_("manifest identifier"), max_length=255, blank=True)
    title = models.CharField(_("title"), max_length=255)
    original_filename = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    file_count = models.PositiveIntegerField(_("files"), default=0)
    total_bytes = models.BigIntegerField(_("unpacked bytes"), default=0)
    storage_prefix = models.CharField(_("storage folder"), max_length=255)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("SCORM package")
        verbose_name_plural = _("SCORM packages")
        ordering = ["lesson", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["lesson", "version"], name="uniq_scorm_package_version")
        ]

    def __str__(self):
        return f"{self.title} (v{self.version})"

    @property
    def launchable_items(self):
        return [item for item in self.items.all() if item.launch]


class ScormItem(models.Model):
    """An item of the package's default organisation: a SCO or an asset to launch, or a
    heading that groups them (no launch)."""

    class Kind(models.TextChoices):
        SCO = "sco", _("SCO")
        ASSET = "asset", _("Asset")
        HEADING = "", _("Heading")

    package = models.ForeignKey(ScormPackage, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(_("position"))
    identifier = models.CharField(_("identifier"), max_length=255)
    title = models.CharField(_("title"), max_length=255)
    depth = models.PositiveSmallIntegerField(_("depth"), default=1)
    scorm_type = models.CharField(_("type"), max_length=8, choices=Kind.choices, blank=True)
    launch = models.CharField(_("launch URL"), max_length=MAX_LAUNCH_LENGTH, blank=True)
    launch_file = models.CharField(_("launch file"), max_length=MAX_PATH_LENGTH, blank=True)
    is_visible = models.BooleanField(_("visible"), default=True)
    mastery_score = models.DecimalField(
        _("mastery score"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    launch_data = models.TextField(_("launch data"), blank=True)
    max_time_allowed = models.CharField(_("time allowed"), max_length=32, blank=True)
    time_limit_action = models.CharField(_("time limit action"), max_length=32, blank=True)
    prerequisites = models.CharField(_("prerequisites (not enforced)"), max_length=1000, blank=True)

    class Meta:
        verbose_name = _("SCORM item")
        verbose_name_plural = _("SCORM items")
        ordering = ["package", "position"]
        constraints = [
            models.UniqueConstraint(fields=["package", "position"], name="uniq_scorm_item_position")
        ]

    def __str__(self):
        return self.title


class ScormFile(models.Model):
    """A file of a package: what the content origin may serve, with its type and size."""

    package = models.ForeignKey(ScormPackage, on_delete=models.CASCADE, related_name="files")
    path = models.CharField(_("path"), max_length=MAX_PATH_LENGTH)
    path_key = models.CharField(max_length=MAX_PATH_LENGTH, editable=False)  # casefolded
    size = models.BigIntegerField(_("size"))
    content_type = models.CharField(_("content type"), max_length=100)

    class Meta:
        verbose_name = _("SCORM file")
        verbose_name_plural = _("SCORM files")
        constraints = [
            models.UniqueConstraint(fields=["package", "path"], name="uniq_scorm_file_path")
        ]
        indexes = [models.Index(fields=["package", "path_key"], name="scorm_file_key")]

    def __str__(self):
        return self.path


class ScormState(models.Model):
    """A member's runtime data of one SCO in one attempt (the cmi values that persist)."""

    class LessonStatus(models.TextChoices):
        # SCORM's cmi.core.lesson_status vocabulary, as a member or staff reads it
        NOT_ATTEMPTED = "not attempted", pgettext_lazy("SCORM status", "Not attempted")
        INCOMPLETE = "incomplete", pgettext_lazy("SCORM status", "Incomplete")
        COMPLETED = "completed", pgettext_lazy("SCORM status", "Completed")
        PASSED = "passed", pgettext_lazy("SCORM status", "Passed")
        FAILED = "failed", pgettext_lazy("SCORM status", "Failed")
        BROWSED = "browsed", pgettext_lazy("SCORM status", "Browsed")

    wagtail_reference_index_ignore = True  # per-member rows, not usage of pages

    progress = models.ForeignKey(
        LessonProgress, on_delete=models.CASCADE, related_name="scorm_states"
    )
    item_identifier = models.CharField(_("SCO identifier"), max_length=255)
    title = models.CharField(_("SCO"), max_length=255)
    lesson_status = models.CharField(
        _("status"), max_length=16, choices=LessonStatus.choices, default=LessonStatus.NOT_ATTEMPTED
    )
    lesson_location = models.CharField(_("bookmark"), max_length=255, blank=True)
    score_raw = models.DecimalField(
        _("score"), max_digits=9, decimal_places=4, null=True, blank=True
    )
    score_min = models.DecimalField(
        _("lowest score"), max_digits=9, decimal_places=4, null=True, blank=True
    )
    score_max = models.DecimalField(
        _("highest score"), max_digits=9, decimal_places=4, null=True, blank=True
    )
    exit = models.CharField(_("exit"), max_length=16, blank=True)
    suspend_data = models.TextField(_("suspend data"), blank=True)
    data = models.JSONField(
        _("other data"),
        default=dict,
        blank=True,
        help_text=_("Comments, preferences, objectives and interactions as the content sent them."),
    )
    closed_seconds = models.PositiveIntegerField(default=0, editable=False)
    session_key = models.CharField(max_length=32, blank=True, editable=False)
    session_seconds = models.PositiveIntegerField(default=0, editable=False)
    launch_count = models.PositiveIntegerField(_("launches"), default=0)
    commit_count = models.PositiveIntegerField(_("commits"), default=0)
    first_launched_at = models.DateTimeField(_("first launched"), default=timezone.now)
    last_launched_at = models.DateTimeField(_("last launched"), default=timezone.now)
    last_commit_at = models.DateTimeField(_("last commit"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("SCORM attempt")
        verbose_name_plural = _("SCORM attempts")
        ordering = ["-last_launched_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["progress", "item_identifier"], name="uniq_scorm_state_item"
            )
        ]
        indexes = [models.Index(fields=["last_commit_at"], name="scorm_state_commit")]

    def __str__(self):
        return f"{self.progress_id} / {self.item_identifier}"

    @property
    def reported_seconds(self) -> int:
        """The time the content reported (cmi.core.total_time): not the study clock."""
        return self.closed_seconds + self.session_seconds

    # --- for staff listings and exports (select_related progress__enrolment__member, lesson)

    @property
    def member_no(self) -> str:
        return self.progress.enrolment.member.member_no

    @property
    def member_name(self) -> str:
        return self.progress.enrolment.member.name

    @property
    def member_display(self) -> str:
        return f"{self.member_no} {self.member_name}"

    @property
    def course_title(self) -> str:
        return self.progress.enrolment.course.title

    @property
    def lesson_title(self) -> str:
        return self.progress.lesson.title

    @property
    def attempt_display(self) -> str:
        enrolment = self.progress.enrolment
        return _("Attempt %(n)s (started %(year)s)") % {
            "n": enrolment.attempt,
            "year": timezone.localtime(enrolment.started_at).year,
        }

    @property
    def score_display(self) -> str:
        from .cmi import _decimal_text

        if self.score_raw is None:
            return "—"
        text = _("%(score)s points") % {"score": _decimal_text(self.score_raw)}
        if self.score_max is not None:
            text += " / " + _decimal_text(self.score_max)
        return text

    @property
    def credited_seconds(self) -> int:
        """Study time on the member's clock for the whole lesson (all its SCOs)."""
        return self.progress.active_seconds

    @property
    def reported_display(self) -> str:
        return _duration(self.reported_seconds)

    @property
    def credited_display(self) -> str:
        return _duration(self.credited_seconds)


def _duration(seconds) -> str:
    seconds = int(seconds or 0)
    return _("%(minutes)s min %(seconds)s s") % {"minutes": seconds // 60, "seconds": seconds % 60}


class ScormImport(models.Model):
    """A package uploaded in the admin: checked, then imported into a new lesson."""

    class Status(models.TextChoices):
        CHECKED = "checked", _("Checked")
        REFUSED = "refused", _("Refused")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    course = models.ForeignKey(
        CoursePage, on_delete=models.CASCADE, related_name="+", verbose_name=_("course")
    )
    title = models.CharField(_("lesson title"), max_length=255, blank=True)
    file = models.FileField(_("package"), storage=package_storage, upload_to="uploads/", blank=True)
    original_filename = models.CharField(_("file name"), max_length=255)
    size = models.BigIntegerField(_("size"), default=0)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    problems = models.JSONField(_("problems"), default=list, blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    lesson = models.ForeignKey(
        ScormLessonPage,
        verbose_name=_("lesson"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("SCORM upload")
        verbose_name_plural = _("SCORM uploads")
        ordering = ["-created_at"]

    def __str__(self):
        return self.original_filename
