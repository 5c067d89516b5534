"""Settings of the courses app, each with a default (override in your Django settings)."""

from django.conf import settings


def get(name, default):
    return getattr(settings, f"COURSES_{name}", default)


def heartbeat_interval() -> int:
    """Seconds between the player's heartbeats while the page is visible (it also sends one
    when the page is hidden or left, so no visible second is lost between two)."""
    return int(get("HEARTBEAT_INTERVAL", 60))


def heartbeat_max_credit() -> int:
    """The most seconds one heartbeat can add, however long it has been since the last one
    (twice the interval: a heartbeat a browser delayed still counts in full)."""
    return int(get("HEARTBEAT_MAX_CREDIT", 2 * heartbeat_interval()))


def study_context_seconds() -> int:
    """How long a heartbeat may rely on the study context remembered when the lesson was
    opened (member, attempt, lesson requirements) before working it out again. Publishing,
    roster and membership changes and new cycles forget every context at once; this bounds
    anything else (see study_context.py)."""
    return int(get("STUDY_CONTEXT_SECONDS", 300))


def quiz_token_seconds() -> int:
    """How long a quiz form stays valid once opened (14 days). Quizzes have no time limit; the
    signed token only ties the answers to the questions that were shown, so a form left open
    in a tab for a fortnight is the oldest one still accepted."""
    return int(get("QUIZ_TOKEN_SECONDS", 14 * 24 * 3600))


def question_rate() -> str:
    """How many questions a member may send to the office ("10/h": ten an hour)."""
    return str(get("QUESTION_RATE", "10/h"))


def heartbeat_rate() -> str:
    """How many heartbeats one member may send per lesson ("12/m"; the player sends 4)."""
    return str(get("HEARTBEAT_RATE", "12/m"))


def video_watched_ratio() -> float:
    """Share of a video's seconds that must have been watched for it to count (0.95 = 95%)."""
    return float(get("VIDEO_WATCHED_RATIO", 0.95))


def max_playback_rate() -> float:
    """Fastest playback the player offers; coverage cannot grow faster than this times the clock."""
    return float(get("MAX_PLAYBACK_RATE", 2.0))


def attempt_starts_after_path() -> str | None:
    """Dotted path to ``f(*, member, course) -> datetime | None`` (see services.enrolment_start).
    Default: the compliance app's (a new cycle starts a fresh attempt) when it is installed."""
    from django.apps import apps

    default = "lms.selectors.attempt_starts_after" if apps.is_installed("lms") else None
    return get("ATTEMPT_STARTS_AFTER", default)


def certificate_font_path() -> str | None:
    """A TrueType font with Japanese glyphs to embed in certificates: COURSES_CERTIFICATE_FONT.

    Default: the first of members.pdf.FONT_CANDIDATES that exists (``apt-get install
    fonts-ipaexfont``). ``None`` when none does: ReportLab's built-in CID font
    HeiseiKakuGo-W5 is used instead (not embedded; every PDF viewer in Japan has it).
    """
    configured = get("CERTIFICATE_FONT", None)
    if configured:
        return str(configured)
    from members.pdf import default_font_path

    return default_font_path()


def site_url() -> str:
    """COURSES_SITE_URL, else the site's (members.conf.site_url: SITE_URL, the Wagtail Site)."""
    from members.conf import site_url

    return (get("SITE_URL", "") or site_url()).rstrip("/")


def reading_chars_per_minute() -> int:
    """Reading speed (Japanese characters a minute) that a lesson's text takes by default."""
    return max(1, int(get("READING_CHARS_PER_MINUTE", 500)))


def transcript_time_share() -> float:
    """Share of a video's length that studying it through its transcript takes (0.5)."""
    return float(get("TRANSCRIPT_TIME_SHARE", 0.5))


def required_time_share() -> float:
    """Share of a course's stated duration (所要時間) that a member's credited study time
    must reach before the course completes (0.8 = 80%)."""
    return float(get("REQUIRED_TIME_SHARE", 0.8))


def media_url_seconds() -> int:
    """How long a video or caption URL signed for a member by a lesson page stays valid."""
    return int(get("MEDIA_URL_SECONDS", 6 * 3600))


def media_serve() -> str:
    """How video and caption bytes are sent after the permission check: "django" (streamed
    here, with HTTP ranges), "x-accel-redirect" (handed to nginx: see
    COURSES_MEDIA_ACCEL_PREFIX) or "storage-url" (a redirect to the storage's signed URL)."""
    return str(get("MEDIA_SERVE", "django"))


def media_accel_prefix() -> str:
    """The nginx ``internal`` location that serves MEDIA_ROOT for X-Accel-Redirect."""
    return str(get("MEDIA_ACCEL_PREFIX", "/protected-media/"))


# --- SCORM ------------------------------------------------------------------------------------


def scorm_content_origin() -> str | None:
    """The origin (scheme://host[:port]) SCORM packages are served from, never the site's.

    Unset: on a development site (SITE_URL on 127.0.0.1 or localhost) the other of the two
    names, so packages still run in a different origin; elsewhere SCORM lessons cannot be
    played until it is set (a system check says so)."""
    configured = get("SCORM_CONTENT_ORIGIN", None)
    if configured:
        return str(configured).rstrip("/")
    from urllib.parse import urlsplit

    site = urlsplit(site_url())
    other = {"127.0.0.1": "localhost", "localhost": "127.0.0.1"}.get(site.hostname or "")
    if other is None:
        return None
    return f"{site.scheme}://{other}" + (f":{site.port}" if site.port else "")


def scorm_launch_seconds() -> int:
    """How long a launch (the signed address a SCORM lesson is played from) stays valid."""
    return int(get("SCORM_LAUNCH_SECONDS", 12 * 3600))


def scorm_max_files() -> int:
    """Most files a package may hold (a zip bomb guard)."""
    return int(get("SCORM_MAX_FILES", 20_000))


def scorm_max_bytes() -> int:
    """Most bytes a package may unpack to (a zip bomb guard)."""
    return int(get("SCORM_MAX_BYTES", 2 * 1024**3))


def scorm_max_upload_bytes() -> int:
    """Largest package file accepted (the web server's body limit must allow it)."""
    return int(get("SCORM_MAX_UPLOAD_BYTES", 1024**3))


def scorm_suspend_data_limit() -> int:
    """Longest cmi.suspend_data kept: 4,096 characters in SCORM 1.2. Raise it (e.g. 64000)
    for content known to need more, as some LMSs do."""
    return int(get("SCORM_SUSPEND_DATA_LIMIT", 4096))


def scorm_max_commit_bytes() -> int:
    """Largest commit body (a whole cmi object as JSON)."""
    return int(get("SCORM_MAX_COMMIT_BYTES", 1024 * 1024))


def member_home_url() -> str:
    """The member's own page listing their courses, attempts and certificates (a URL or URL
    name; default LOGIN_REDIRECT_URL). Links back to "my courses" go there."""
    return get("MEMBER_HOME_URL", settings.LOGIN_REDIRECT_URL)
