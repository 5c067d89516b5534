"""Settings of the courses app, each with a default (override in your Django settings)."""

from django.conf import settings


def get(name, default):
    return getattr(settings, f"COURSES_{name}", default)


def heartbeat_interval() -> int:
    """Seconds between the player's heartbeats while the page is visible."""
    return int(get("HEARTBEAT_INTERVAL", 15))


def heartbeat_max_credit() -> int:
    """The most seconds one heartbeat can add, however long it has been since the last one."""
    return int(get("HEARTBEAT_MAX_CREDIT", 60))


def study_context_seconds() -> int:
    """How long a heartbeat may rely on the study context remembered when the lesson was
    opened (member, attempt, lesson requirements) before working it out again. Publishing,
    roster and membership changes and new cycles forget every context at once; this bounds
    anything else (see study_context.py)."""
    return int(get("STUDY_CONTEXT_SECONDS", 300))


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
    """Dotted path to ``f(*, member, course) -> datetime | None`` (see services.enrolment_start)."""
    return get("ATTEMPT_STARTS_AFTER", None)


def certificate_font_path() -> str | None:
    """A TrueType font with Japanese glyphs to embed in certificates.

    Default: IPAexGothic as shipped by the japanize-matplotlib package (found without
    importing it). ``None`` when neither is available: ReportLab's built-in CID font
    HeiseiKakuGo-W5 is used instead (not embedded; every PDF viewer in Japan has it).
    """
    configured = get("CERTIFICATE_FONT", None)
    if configured:
        return str(configured)
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("japanize_matplotlib")
    if spec and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            candidate = Path(folder) / "fonts" / "ipaexg.ttf"
            if candidate.exists():
                return str(candidate)
    return None


def site_url() -> str:
    return get("SITE_URL", getattr(settings, "SITE_URL", "http://127.0.0.1:8000")).rstrip("/")
