"""Settings of the members app, each with a default: MEMBERS_<NAME> in the project settings."""

from django.conf import settings


def get(name: str, default):
    return getattr(settings, f"MEMBERS_{name}", default)


# The Wagtail group whose users are organisation staff (研修事務局).
STAFF_GROUP = "研修事務局"


def staff_group_name() -> str:
    return get("STAFF_GROUP", STAFF_GROUP)


def import_batch_size() -> int:
    """Rows per INSERT/UPDATE statement when applying an import."""
    return get("IMPORT_BATCH_SIZE", 2000)


def import_preview_changes() -> int:
    """How many changes the preview and the stored report list."""
    return get("IMPORT_PREVIEW_CHANGES", 100)


def import_max_errors_stored() -> int:
    return get("IMPORT_MAX_ERRORS_STORED", 5000)


def statistics_top_occupations() -> int:
    return get("STATISTICS_TOP_OCCUPATIONS", 5)


def upload_max_mb() -> int:
    """The largest roster, attendance or bounce-list file accepted, in MB."""
    return int(get("UPLOAD_MAX_MB", 50))
