"""How long a lesson and a course take, worked out from their content.

A lesson's minimum study time defaults to its text read at ``COURSES_READING_CHARS_PER_MINUTE``
plus the length of its uploaded videos (read on the server, see courses.media); an editor
may set another number. A member who studies a video through its transcript needs
``COURSES_TRANSCRIPT_TIME_SHARE`` of the video's length instead of all of it. A course
completes only when the member's credited time reaches ``COURSES_REQUIRED_TIME_SHARE`` of its
stated duration (所要時間).
"""

import html
import math
import re
from dataclasses import dataclass

from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from . import conf

_SPACE = re.compile(r"\s+")


def characters(text: str) -> int:
    """Characters a reader reads in ``text`` (HTML or plain): no tags, no white space."""
    if not text:
        return 0
    return len(_SPACE.sub("", html.unescape(strip_tags(str(text)))))


def _quiz_characters(value: dict) -> int:
    count = characters(value.get("title", ""))
    for question in value.get("questions") or []:
        question = question.get("value", question) if isinstance(question, dict) else {}
        count += characters(question.get("question", ""))
        for choice in question.get("choices") or []:
            choice = choice.get("value", choice) if isinstance(choice, dict) else {}
            count += characters(choice.get("text", ""))
    return count


def body_characters(raw_data) -> int:
    """Characters to read in a lesson body's raw stream data.

    Text, headings, callouts, captions, document descriptions and quizzes count; an uploaded
    video counts by its length instead, and an embedded one (whose length the server cannot
    know) by its transcript.
    """
    count = 0
    for raw in raw_data:
        kind, value = raw.get("type"), raw.get("value")
        if kind in ("heading", "text"):
            count += characters(value)
        elif kind == "callout" and isinstance(value, dict):
            count += characters(value.get("title", "")) + characters(value.get("text", ""))
        elif kind == "image" and isinstance(value, dict):
            count += characters(value.get("caption", ""))
        elif kind == "document" and isinstance(value, dict):
            count += characters(value.get("title", "")) + characters(value.get("description", ""))
        elif kind == "video" and isinstance(value, dict):
            count += characters(value.get("title", ""))
            if not value.get("media"):
                count += characters(value.get("transcript", ""))
        elif kind == "quiz" and isinstance(value, dict):
            count += _quiz_characters(value)
    return count


def reading_seconds(chars: int) -> int:
    return math.ceil(chars * 60 / conf.reading_chars_per_minute()) if chars else 0


@dataclass(frozen=True)
class StudyMinimum:
    """A lesson's minimum study time, and where it comes from."""

    characters: int = 0
    reading_seconds: int = 0
    video_seconds: int = 0  # uploaded videos, by their length read on the server
    override: int | None = None  # the editor's number, if any

    @property
    def from_content(self) -> int:
        return self.reading_seconds + self.video_seconds

    @property
    def video_path_seconds(self) -> int:
        """Watching the videos: the editor's number, else reading plus the videos' length."""
        return self.override if self.override is not None else self.from_content

    @property
    def transcript_path_seconds(self) -> int:
        """Reading the transcripts instead: the videos' part is replaced by
        COURSES_TRANSCRIPT_TIME_SHARE of their length. An editor's number scales both paths
        alike (0 stays 0)."""
        if not self.video_seconds:
            return self.video_path_seconds
        from_content = self.reading_seconds + math.ceil(
            self.video_seconds * conf.transcript_time_share()
        )
        if self.override is None:
            return from_content
        return math.ceil(self.override * from_content / self.from_content)


def course_required_seconds(course) -> int:
    """Credited seconds a member needs for ``course``: the share of its stated duration."""
    return math.ceil((course.estimated_minutes or 0) * 60 * conf.required_time_share())


def format_duration(seconds: int) -> str:
    """「3分20秒」, 「45秒」, 「1時間5分」."""
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
    if minutes and secs:
        return _("%(m)d min %(s)d s") % {"m": minutes, "s": secs}
    if minutes:
        return _("%(m)d min") % {"m": minutes}
    return _("%(s)d s") % {"s": secs}
