"""The content origin: where a package's files run, away from the site's cookies and admin.

A package is third-party HTML and JavaScript. Served from the site's own origin it could read
the CSRF cookie, call the admin with the member's (or an editor's) session, or rewrite the
player. So the player frames the package from a *different origin* (COURSES_SCORM_CONTENT_ORIGIN,
e.g. https://scorm.example.jp), which no session cookie is sent to. Access there is granted by
a signed, expiring *launch* in the path instead of a cookie::

    <content origin>/learn/scorm/<launch>/sco/<item id>/       the launcher (our page: the API)
    <content origin>/learn/scorm/<launch>/files/<path>         the package's files
    <content origin>/learn/scorm/<launch>/commit/<item id>/<session>/   the API's commits

The launch names the user, the lesson, the package and the attempt (enrolment) it was issued
for, the site origin that may frame it, and the user's session hash (a password change ends
it). Because the launcher and the package share the content origin, the package finds the API
the usual way (``window.API`` in a parent frame) and the API answers synchronously, with the
SCORM error codes, as content expects.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import urlsplit

from django.core import signing

from .. import conf

SALT = "courses.scorm.launch"


@dataclasses.dataclass(frozen=True)
class Launch:
    user_id: int
    lesson_id: int
    package_id: int
    enrolment_id: int  # 0: a preview (nothing is recorded)
    site_origin: str
    session_hash: str

    @property
    def is_preview(self) -> bool:
        return not self.enrolment_id


def content_origin() -> str | None:
    return conf.scorm_content_origin()


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def is_content_request(request) -> bool:
    """Whether ``request`` came to the content origin (the only place packages are served)."""
    origin = content_origin()
    return bool(origin) and request.get_host().lower() == urlsplit(origin).netloc.lower()


def site_origin_of(request) -> str:
    return f"{request.scheme}://{request.get_host()}".lower()


def issue(*, user, lesson, package, enrolment, site_origin: str) -> str:
    """A signed launch for ``user`` to play ``package`` of ``lesson`` in ``enrolment``
    (None: a preview) from a page of ``site_origin``."""
    return signing.dumps(
        [
            user.pk if user is not None and user.is_authenticated else 0,
            lesson.pk,
            package.pk,
            enrolment.pk if enrolment is not None else 0,
            site_origin,
            _hash_of(user),
        ],
        salt=SALT,
        compress=True,
    )


def read(token: str) -> Launch | None:
    """The launch in ``token``, or None when it is forged or expired."""
    try:
        data = signing.loads(token, salt=SALT, max_age=conf.scorm_launch_seconds())
        return Launch(*data)
    except (signing.BadSignature, TypeError, ValueError):
        return None


def user_still_valid(launch: Launch) -> bool:
    """The launch's user is still active with the same password (checked on each launch and
    commit; file requests rely on the launch's expiry)."""
    if not launch.user_id:
        return launch.is_preview
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=launch.user_id, is_active=True).first()
    return user is not None and _hash_of(user) == launch.session_hash


def _hash_of(user) -> str:
    """A digest of the user's session hash (the launch is readable by the package: it must
    not carry the hash itself)."""
    if user is None or not user.is_authenticated:
        return ""
    from django.utils.crypto import salted_hmac

    return salted_hmac(SALT, user.get_session_auth_hash()).hexdigest()[:16]
