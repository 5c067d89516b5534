"""An alert to the site's administrators when sign-in failures spike.

Every failed sign-in counts in one site-wide window (members.throttle): a wrong admin
password (Django's ``user_login_failed``, django-axes' lockouts included), a wrong second-factor
code (allauth's MFA ``authentication_failed``) and a wrong member sign-in code
(members.forms.MemberConfirmLoginCodeForm). When a window's count reaches
``MEMBERS_SIGNIN_FAILURE_ALERT`` (default ``"50/10m"``), one e-mail goes to the active
superusers (through the task queue) and a warning to the log; not again in that window.
"""

from __future__ import annotations

import logging

from . import conf, throttle

logger = logging.getLogger(__name__)
SCOPE = "signin-failures"


def record_failure(*, kind: str) -> int:
    """Count one failed sign-in; returns the window's count so far."""
    limit, period = throttle.parse_rate(conf.signin_failure_alert())
    count = throttle.hit(scope=SCOPE, ident="site", period=period)
    if count == limit:
        logger.warning("Sign-in failures: %s in %s s (the last: %s)", count, period, kind)
        from .tasks import signin_failure_alert_task

        signin_failure_alert_task.delay(count=count, minutes=max(1, period // 60), kind=kind)
    return count


def send_alert(*, count: int, minutes: int, kind: str) -> int:
    """The e-mail to the active superusers; returns how many were addressed."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.mail import send_mail
    from django.utils import translation
    from django.utils.translation import gettext as _

    recipients = sorted(
        set(
            get_user_model()
            .objects.filter(is_superuser=True, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )
    if not recipients:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Sign-in failures: %(count)s in %(minutes)s minutes") % {
            "count": count,
            "minutes": minutes,
        }
        body = _(
            "%(count)s sign-ins failed in the last %(minutes)s minutes (the latest: %(kind)s). "
            "Someone may be guessing passwords or codes. The audit log and the server log "
            "have the details; locked-out admin accounts open again by themselves."
        ) % {"count": count, "minutes": minutes, "kind": kind}
    send_mail(subject, body, None, recipients)
    return len(recipients)


def connect() -> None:
    """Called from MembersConfig.ready."""
    from allauth.mfa.signals import authentication_failed
    from django.contrib.auth.signals import user_login_failed

    user_login_failed.connect(_password_failed, dispatch_uid="members.signin_alerts.password")
    authentication_failed.connect(_second_factor_failed, dispatch_uid="members.signin_alerts.mfa")


def _password_failed(sender, credentials=None, request=None, **kwargs):
    record_failure(kind="admin_password")


def _second_factor_failed(sender, **kwargs):
    record_failure(kind="admin_second_factor")
