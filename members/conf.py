"""Settings of the members app, each with a default: MEMBERS_<NAME> in the project settings."""

from django.conf import settings


def get(name: str, default):
    return getattr(settings, f"MEMBERS_{name}", default)


# The Wagtail group whose users are organisation staff (研修事務局).
STAFF_GROUP = "研修事務局"


def staff_group_name() -> str:
    return get("STAFF_GROUP", STAFF_GROUP)


def editor_group_name() -> str:
    """The Wagtail group of editors (Wagtail's own "Editors" unless MEMBERS_EDITOR_GROUP)."""
    return get("EDITOR_GROUP", "Editors")


def import_batch_size() -> int:
    """Rows per INSERT/UPDATE statement when applying an import."""
    return get("IMPORT_BATCH_SIZE", 2000)


def import_preview_changes() -> int:
    """How many changes the preview and the stored report list."""
    return get("IMPORT_PREVIEW_CHANGES", 100)


def import_guard_added_share() -> float:
    """A file adding more new members than this share of the active roster needs explicit
    confirmation (a file of another organisation looks like this)."""
    return float(get("IMPORT_GUARD_ADDED_SHARE", 0.5))


def import_guard_missing_share() -> float:
    """A file missing more than this share of the active roster needs explicit confirmation
    (a partial export looks like this)."""
    return float(get("IMPORT_GUARD_MISSING_SHARE", 0.2))


def import_guard_min_people() -> int:
    """Changes of at most this many people never need that confirmation: in a small
    organisation one new member is already "more than half"."""
    return int(get("IMPORT_GUARD_MIN_PEOPLE", 5))


def import_max_errors_stored() -> int:
    return get("IMPORT_MAX_ERRORS_STORED", 5000)


def statistics_top_occupations() -> int:
    return get("STATISTICS_TOP_OCCUPATIONS", 5)


def upload_max_mb() -> int:
    """The largest roster, attendance or bounce-list file accepted, in MB."""
    return int(get("UPLOAD_MAX_MB", 50))


def private_file_retention_days() -> int:
    """Days an uploaded file with personal data is kept after its import was applied or
    cancelled (or, never finished, after it was uploaded); then the periodic task deletes it."""
    return int(get("PRIVATE_FILE_RETENTION_DAYS", 90))


def audit_retention_days() -> int:
    """Days audit events are kept (3 years by default: long enough to answer an APPI
    disclosure request about who saw a record; then they are personal data kept for nothing)."""
    return int(get("AUDIT_RETENTION_DAYS", 3 * 365))


def base_template() -> str:
    """The site's base template the four apps' pages extend: LMS_BASE_TEMPLATE (shared by the
    apps, hence no MEMBERS_ prefix). It provides the blocks title, extra_css, content and
    extra_js (see members/templates/members/base.html)."""
    return getattr(settings, "LMS_BASE_TEMPLATE", "base.html")


# --- effects on the whole site: off unless the site asks for them ------------------------


def wareki_admin_dates() -> bool:
    """MEMBERS_WAREKI_ADMIN_DATES: every date field of the Wagtail admin, not only the apps'
    own, accepts 和暦 and 2026/6/1 (members.forms.register_wareki_date_fields)."""
    return bool(get("WAREKI_ADMIN_DATES", False))


def safe_wagtail_exports() -> bool:
    """MEMBERS_SAFE_WAGTAIL_EXPORTS: Wagtail's own CSV/XLSX exports (not only the apps') write
    formula-like cells as text (members.exports.protect_wagtail_exports)."""
    return bool(get("SAFE_WAGTAIL_EXPORTS", False))


def sync_staff_group() -> bool:
    """MEMBERS_SYNC_STAFF_GROUP: every ``migrate`` gives the staff group the permissions the
    apps declare. Off: run ``manage.py setup_staff_group`` after installing or upgrading."""
    return bool(get("SYNC_STAFF_GROUP", False))


def site_url() -> str:
    """The absolute base of links in e-mails and certificates: SITE_URL; unset, the default
    Wagtail Site's root URL (Settings > Sites), then WAGTAILADMIN_BASE_URL."""
    configured = getattr(settings, "SITE_URL", "")
    if configured:
        return configured.rstrip("/")
    return (_default_site_root_url() or getattr(settings, "WAGTAILADMIN_BASE_URL", "")).rstrip("/")


_site_root_url: list[str] = []  # the default Site's root URL once read (a list: settable)


def _default_site_root_url() -> str:
    """Read once per process (a link per e-mail must not cost a query); saving or deleting a
    Site forgets it in the process that did it, other processes see it after a restart.
    Before ``migrate`` made the table (system checks run first) it is "" and not remembered."""
    from django.db import DatabaseError
    from wagtail.models import Site

    if not _site_root_url:
        try:
            site = Site.objects.filter(is_default_site=True).first()
        except DatabaseError:
            return ""
        _site_root_url.append(site.root_url if site else "")
    return _site_root_url[0]


def forget_site_url(**kwargs) -> None:
    _site_root_url.clear()


def upload_max_rows() -> int:
    """The most rows an uploaded table may have (a roster of a large group fits many times)."""
    return int(get("UPLOAD_MAX_ROWS", 200_000))


def upload_max_columns() -> int:
    """The most columns an uploaded sheet may declare (rosters use about 20)."""
    return int(get("UPLOAD_MAX_COLUMNS", 200))


def mfa_required_for_staff() -> bool:
    """Superusers and organisation staff must pass a second factor (TOTP) to use the admin."""
    return bool(get("MFA_REQUIRED_FOR_STAFF", True))


def mfa_required_for_editors() -> bool:
    """Everyone else who may open the admin (editors) must too."""
    return bool(get("MFA_REQUIRED_FOR_EDITORS", False))


def signin_failure_alert() -> str:
    """Failed sign-ins (admin passwords and codes, member codes) site-wide in one window that
    send the superusers an alert: "count/period" as in members.throttle (50 in 10 minutes)."""
    return str(get("SIGNIN_FAILURE_ALERT", "50/10m"))


def withdrawn_signin_days() -> int:
    """Days after withdrawal a former member can still sign in to read their transcript and
    download their certificates (nothing else)."""
    return int(get("WITHDRAWN_SIGNIN_DAYS", 365))


# allauth's sign-in and sign-out pages and the privacy notice: what every former member may
# always open
WITHDRAWN_ALLOWED_URLS = [
    "account_login",
    "account_request_login_code",
    "account_confirm_login_code",
    "account_logout",
    "account_inactive",
    "members:privacy",
    "members:privacy_organisation",
]


def withdrawn_allowed_urls() -> list[str]:
    """URL names a former member may open (the project adds its transcript and certificate
    views); anything else redirects to :func:`withdrawn_home_url`."""
    return get("WITHDRAWN_ALLOWED_URLS", WITHDRAWN_ALLOWED_URLS)


def withdrawn_home_url() -> str:
    """Where a former member is sent: a URL, or a URL name (default: LOGIN_REDIRECT_URL)."""
    return get("WITHDRAWN_HOME_URL", settings.LOGIN_REDIRECT_URL)


def letter_valid_days() -> int:
    """Days a printed sign-in letter works (until the member gets a new one)."""
    return int(get("LETTER_VALID_DAYS", 180))


def letter_rate() -> str:
    """Sign-in attempts with a letter key per client address (like the codes' limit)."""
    return get("LETTER_RATE", "20/h")


def signin_email_code_minutes() -> int:
    """Minutes the code confirming a member's new e-mail address stays valid."""
    return int(get("SIGNIN_EMAIL_CODE_MINUTES", 10))


def monthly_report_day() -> int:
    """The day of the month (Asia/Tokyo) the previous month's report is mailed to staff: the
    11th by default, the day after the roster is due (the 10th). A day past the month's end
    means its last day."""
    return max(1, min(31, int(get("MONTHLY_REPORT_DAY", 11))))
