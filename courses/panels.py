"""Admin panels of the course pages."""

from django.utils.html import format_html
from django.utils.translation import gettext as _
from wagtail.admin.panels import HelpPanel


class StudyTimePanel(HelpPanel):
    """Shows the editor the minimum study time worked out from the lesson's saved content,
    so that an override is a decision made knowing the default."""

    class BoundPanel(HelpPanel.BoundPanel):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.content = self._content()

        def _content(self):
            from .services import lesson_requirements
            from .study_time import format_duration

            lesson = self.instance
            if lesson is None or not lesson.pk:
                return format_html(
                    "<p>{}</p>",
                    _("The minimum study time is worked out from the content once it is saved."),
                )
            minimum = lesson_requirements(lesson).minimum
            return format_html(
                "<p>{}</p><p>{}</p>",
                _(
                    "From the saved content: reading %(reading)s (%(chars)s characters) + "
                    "videos %(video)s = %(total)s."
                )
                % {
                    "reading": format_duration(minimum.reading_seconds),
                    "chars": minimum.characters,
                    "video": format_duration(minimum.video_seconds),
                    "total": format_duration(minimum.from_content),
                },
                _("Through the transcript instead of the video: %(total)s.")
                % {"total": format_duration(minimum.transcript_path_seconds)},
            )


class CourseTimePanel(HelpPanel):
    """Shows the editor the sum of the lessons' minimum study times next to the stated
    duration, and what a member must reach to complete."""

    class BoundPanel(HelpPanel.BoundPanel):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.content = self._content()

        def _content(self):
            from . import conf
            from .selectors import lessons_of
            from .services import lesson_requirements
            from .study_time import course_required_seconds, format_duration

            course = self.instance
            if course is None or not course.pk:
                return ""
            lessons = [lesson for lesson in lessons_of(course) if lesson.is_required]
            total = sum(
                lesson_requirements(lesson, course=course).minimum.video_path_seconds
                for lesson in lessons
            )
            return format_html(
                "<p>{}</p>",
                _(
                    "Its %(n)s required lessons take at least %(total)s. A member completes "
                    "when their study time reaches %(required)s (%(share)s%% of the stated "
                    "duration)."
                )
                % {
                    "n": len(lessons),
                    "total": format_duration(total),
                    "required": format_duration(course_required_seconds(course)),
                    "share": round(conf.required_time_share() * 100),
                },
            )
