"""Settings of the mailings app, each with a default: MAILINGS_<NAME>."""

from django.conf import settings


def _get(name, default):
    return getattr(settings, f"MAILINGS_{name}", default)


def chunk_size() -> int:
    """Recipients one worker claims at a time."""
    return _get("CHUNK_SIZE", 200)


def lease_seconds() -> int:
    """How long a claim stays valid without a heartbeat. A row left "sending" by a worker
    that stopped heart-beating becomes "unknown" after this; claimed rows it never
    touched go back to the queue."""
    return _get("LEASE_SECONDS", 60)


def inflight() -> int:
    """Messages a worker hands to SMTP between two durable state writes. After a worker is
    killed, at most this many of its rows are "unknown"; larger values save database
    round trips (1 = one write per message)."""
    return _get("INFLIGHT", 20)


def overlap_writes() -> bool:
    """On PostgreSQL, write row states from a second connection while sending (hides the
    commit's disk flush; a killed worker leaves up to two in-flight batches unknown)."""
    return _get("OVERLAP_WRITES", True)


def task_seconds() -> int:
    """How long one send task works before handing over to a fresh task (short tasks
    make late acknowledgement cheap)."""
    return _get("TASK_SECONDS", 120)


def parallel_tasks() -> int:
    """Send tasks started per mailing (one per worker process you want busy)."""
    return _get("PARALLEL_TASKS", 2)


def default_rate_per_minute() -> int:
    """Per-organisation sending rate when the organisation sets none (0: unlimited)."""
    return _get("DEFAULT_RATE_PER_MINUTE", 3000)


def max_attempts() -> int:
    """Attempts for a transient failure before the row is marked failed."""
    return _get("MAX_ATTEMPTS", 5)


def retry_backoff_seconds() -> list[int]:
    """Waits before the 2nd, 3rd, … attempt after a transient failure."""
    return _get("RETRY_BACKOFF_SECONDS", [60, 300, 900, 3600])


def connection_errors_to_pause() -> int:
    """Lost SMTP connections in a row after which a worker stops its chunk and waits: a
    server that drops us three times running is down or refusing us, and hammering it would
    only spend the rows' attempts."""
    return _get("CONNECTION_ERRORS_TO_PAUSE", 3)


def pause_seconds() -> int:
    """How long a mailing waits after ``connection_errors_to_pause`` before a fresh task tries
    again (long enough for a restarting MTA, short against the lease)."""
    return _get("PAUSE_SECONDS", 30)


def stall_seconds() -> int:
    """A sending mailing with no heartbeat for this long is restarted by the periodic tick."""
    return _get("STALL_SECONDS", 90)


def list_id_domain() -> str:
    """Domain part of the List-Id header (RFC 2919)."""
    return _get("LIST_ID_DOMAIN", "lists.invalid")


def reminder_days_before() -> list[int]:
    return _get("REMINDER_DAYS_BEFORE", [14, 7, 1])


def preview_limit() -> int:
    """How many members an audience preview lists."""
    return _get("PREVIEW_LIMIT", 50)


def site_url() -> str:
    """SITE_URL, else the Wagtail Site's root URL (members.conf.site_url)."""
    from members.conf import site_url

    return site_url()
