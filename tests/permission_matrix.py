"""Who may open what: the one readable table of expected answers, and the machinery to try it.

Every URL of the project (site + Wagtail admin, including URLs registered by hooks and every
page type of our apps) is tried with GET and POST as each role, against the objects of
organisation A and of organisation B (tests/factories/quality.py builds them). A URL without a
line below fails tests/test_permission_matrix.py, and the failure prints the line to add.

Columns: KEY METHOD then one answer per role, then optional kwargs.
  KEY      a URL name ("members:detail"), "path:<route>" for an unnamed pattern,
           "page:<app>.<Model>" for a page type, or "re:<regex>" (a group rule on URL names,
           used after exact keys; first match wins).
  METHOD   GET or POST.
  roles    anonymous member other_member member_b editor staff_a staff_b. On organisation B's
           objects the columns are mirrored: member_b is then the owner (answers as "member"),
           member and other_member answer as "member_b", staff_a and staff_b swap.
  answers  200 204 400 403 404 405 ...  exact status
           302     a redirect that is not to a sign-in page
           login   a redirect to a sign-in page (site code sign-in, admin login, Wagtail's)
           ok      allowed: 2xx or a redirect that is not to a sign-in page
           deny    login, 403 or 404
           any     anything but a server error
           -       not tried
           a|b     either answer
  kwargs   name=@object (pk of a world object, e.g. pk=@member, page_id=@course),
           name=@object.attr, name=literal, url=/literal/path/ (for unnamed regex groups).
           Instead of the answers, "skip <reason>" skips a URL with that reason.
"""

from __future__ import annotations

import dataclasses
import re
from urllib.parse import urlsplit

from django.urls import URLPattern, URLResolver, get_resolver, reverse

ROLES = ("anonymous", "member", "other_member", "member_b", "editor", "staff_a", "staff_b")
MIRROR = {  # on organisation B's objects, role -> the column that says what it gets
    "anonymous": "anonymous",
    "member": "member_b",
    "other_member": "member_b",
    "member_b": "member",
    "editor": "editor",
    "staff_a": "staff_b",
    "staff_b": "staff_a",
}

# fmt: off
TABLE = r"""
# KEY                                          METHOD anon   member other  mem_b  editor staff_a staff_b  kwargs
# --- project -------------------------------------------------------------------------------------------
healthz                                        GET    200    200    200    200    200    200     200
healthz                                        POST   405    405    405    405    405    405     405
page:lms.HomePage                              GET    200    200    200    200    200    200     200
page:lms.HomePage                              POST   200    200    200    200    200    200     200
wagtail_serve                                  GET    404    404    404    404    404    404     404      url=/no-such-page/
wagtail_serve                                  POST   404    404    404    404    404    404     404      url=/no-such-page/
wagtailcore_login                              GET    200    200    200    200    200    200     200
wagtailcore_login                              POST   200    200    200    200    200    200     200
wagtailcore_authenticate_with_password         GET    404    404    404    404    404    404     404      page_view_restriction_id=999999 page_id=@home
wagtailcore_authenticate_with_password         POST   404    404    404    404    404    404     404      page_view_restriction_id=999999 page_id=@home
wagtaildocs_serve                              GET    404    404    404    404    404    404     404      url=/documents/999999/missing.pdf
wagtaildocs_serve                              POST   404    404    404    404    404    404     404      url=/documents/999999/missing.pdf
wagtaildocs_authenticate_with_password         GET    404    404    404    404    404    404     404      restriction_id=999999
wagtaildocs_authenticate_with_password         POST   404    404    404    404    404    404     404      restriction_id=999999
# --- sign-in (allauth). Members sign in with a mailed code; allauth's password and e-mail pages are still
# reachable (a member can set a password at /accounts/password/set/) - see the quality report.
account_request_login_code                     GET    200    302    302    302    302    302     302
account_request_login_code                     POST   200    302    302    302    302    302     302
account_confirm_login_code                     GET    login  302    302    302    302    302    302
account_confirm_login_code                     POST   login  302    302    302    302    302    302
account_login                                  GET    200    302    302    302    302    302     302
account_login                                  POST   200    302    302    302    302    302     302
account_logout                                 GET    302    200    200    200    200    200     200
account_logout                                 POST   302    302    302    302    302    302     302
account_signup                                 GET    200    302    302    302    302    302     302
account_signup                                 POST   200    302    302    302    302    302     302
account_inactive                               GET    200    200    200    200    200    200     200
account_inactive                               POST   405    405    405    405    405    405     405
account_reauthenticate                         GET    login  403    403    403    200    200    200
account_reauthenticate                         POST   login  403    403    403    200    200    200
account_email                                  GET    login  200    200    200    200    200     200
account_email                                  POST   login  302    302    302    302    302    302
account_email_verification_sent                GET    200    200    200    200    200    200     200
account_email_verification_sent                POST   405    405    405    405    405    405     405
account_confirm_email                          GET    200    200    200    200    200    200     200      key=not-a-key
account_confirm_email                          POST   404    404    404    404    404    404     404      key=not-a-key
account_change_password                        GET    login  302    302    302    200    200    200
account_change_password                        POST   login  302    302    302    200    200    200
account_set_password                           GET    login  200    200    200    302    302    302
account_set_password                           POST   login  200    200    200    302    302    302
account_reset_password                         GET    200    200    200    200    200    200    200
account_reset_password                         POST   200    200    200    200    200    200    200
account_reset_password_done                    GET    200    200    200    200    200    200    200
account_reset_password_done                    POST   405    405    405    405    405    405    405
account_reset_password_from_key                GET    200    200    200    200    200    200    200    uidb36=1 key=x-y
account_reset_password_from_key                POST   200    200    200    200    200    200    200    uidb36=1 key=x-y
account_reset_password_from_key_done           GET    200    200    200    200    200    200    200
account_reset_password_from_key_done           POST   405    405    405    405    405    405    405
# --- Wagtail admin: our own entries (apps' admin URLs go here) -------------------------------------------
wagtailadmin_login                             GET    200    200    200    200    302    302     302
wagtailadmin_login                             POST   200    200    200    200    200    200    200
wagtailadmin_logout                            GET    login  login  login  login  405    405     405
wagtailadmin_logout                            POST   login  login  login  login  login  login  login
wagtailadmin_password_reset                    GET    200    200    200    200    200    200     200
wagtailadmin_password_reset                    POST   200    200    200    200    200    200     200
wagtailadmin_password_reset_done               GET    200    200    200    200    200    200     200
wagtailadmin_password_reset_done               POST   405    405    405    405    405    405     405
wagtailadmin_password_reset_confirm            GET    200    200    200    200    200    200     200      uidb64=MQ token=x-y
wagtailadmin_password_reset_confirm            POST   200    200    200    200    200    200     200      uidb64=MQ token=x-y
wagtailadmin_password_reset_complete           GET    200    200    200    200    200    200     200
wagtailadmin_password_reset_complete           POST   405    405    405    405    405    405     405
wagtailadmin_javascript_catalog                GET    200    200    200    200    200    200     200
wagtailadmin_javascript_catalog                POST   405    405    405    405    405    405    405
wagtailadmin_sprite                            GET    200    200    200    200    200    200     200
wagtailadmin_sprite                            POST   200    200    200    200    200    200     200
path:admin/test404/                            GET    login  login  login  login  200    200    200    url=/admin/test404/
path:admin/test404/                            POST   login  login  login  login  405    405    405    url=/admin/test404/
path:admin/^.*/$                               GET    login  login  login  login  404    404     404      url=/admin/no-such-thing/
path:admin/^.*/$                               POST   login  login  login  login  404    404     404      url=/admin/no-such-thing/
wagtailadmin_error_test                        GET    skip raises an exception on purpose (Wagtail's 500-page test)
wagtailadmin_error_test                        POST   skip raises an exception on purpose (Wagtail's 500-page test)
# --- Wagtail's own admin: group rule ------------------------------------------------------------------------
# Anonymous visitors are sent to the admin login; members (no "access admin") too. Editors and staff
# get what Wagtail's own permissions give them; the harness only requires no server error. POST is
# tried for the roles that must be turned away before any view code runs.
re:^(wagtailadmin|wagtail_bulk_action|wagtailforms|wagtailredirects|wagtailsettings|wagtailembeds|wagtailsnippets:|wagtaildocs|wagtailimages|wagtailsites|wagtailusers_|wagtailmedia)  GET   login  login  login  login  any    any     any
re:^(wagtailadmin|wagtail_bulk_action|wagtailforms|wagtailredirects|wagtailsettings|wagtailembeds|wagtailsnippets:|wagtaildocs|wagtailimages|wagtailsites|wagtailusers_|wagtailmedia)  POST  login  login  login  login  -      -       -
"""
# fmt: on

# Values for URL kwargs that no line names: Wagtail's core admin URLs mostly take a page id.
DEFAULT_KWARGS = {
    "page_id": "@home",
    "parent_page_id": "@home",
    "page_to_move_id": "@home",
    "destination_id": "@home",
    "page_pk": "@home",
    "revision_id": "@home.latest_revision_id",
    "revision_id_a": "earliest",
    "revision_id_b": "latest",
    "content_type_app_name": "lms",
    "content_type_model_name": "homepage",
    "app_label": "lms",
    "app_name": "lms",
    "model_name": "homepage",
    "media_type": "video",
    "object_id": "@home",
    "filter_spec": "original",
    "action_name": "publish",
    "action": "delete",
    "str": "x",
}

# --- parsing ------------------------------------------------------------------------------------------

ANSWERS = {
    "200",
    "201",
    "204",
    "302",
    "400",
    "403",
    "404",
    "405",
    "login",
    "ok",
    "deny",
    "any",
    "-",
}


@dataclasses.dataclass
class Line:
    key: str
    method: str
    expected: dict  # role -> answer token ("" when skipped)
    kwargs: dict
    skip: str = ""
    text: str = ""


def parse(table: str = TABLE) -> list[Line]:
    lines = []
    for raw in table.splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        fields = raw.split()
        key, method, rest = fields[0], fields[1].upper(), fields[2:]
        if method not in ("GET", "POST"):
            raise ValueError(f"bad method in permission table line: {raw!r}")
        if rest and rest[0] == "skip":
            lines.append(Line(key, method, {}, {}, skip=" ".join(rest[1:]), text=raw))
            continue
        answers, extra = rest[: len(ROLES)], rest[len(ROLES) :]
        for answer in answers:
            if not set(answer.split("|")) <= ANSWERS:
                raise ValueError(f"unknown answer {answer!r} in permission table line: {raw!r}")
        if len(answers) != len(ROLES):
            raise ValueError(f"need {len(ROLES)} answers in permission table line: {raw!r}")
        kwargs = dict(token.split("=", 1) for token in extra)
        lines.append(Line(key, method, dict(zip(ROLES, answers, strict=True)), kwargs, text=raw))
    return lines


def lookup(lines: list[Line], key: str, method: str) -> Line | None:
    for line in lines:
        if line.key == key and line.method == method:
            return line
    for line in lines:
        if line.key.startswith("re:") and line.method == method and re.search(line.key[3:], key):
            return line
    return None


def suggest(key: str, method: str, observed: dict, kwargs: dict | None = None) -> str:
    """The table line that would describe what was observed (review before pasting!)."""
    cells = " ".join(f"{observed.get(role, '-'):<6}" for role in ROLES)
    extra = " ".join(f"{k}={v}" for k, v in (kwargs or {}).items())
    return f"{key:<46} {method:<6} {cells} {extra}".rstrip()


# --- the URL configuration ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Endpoint:
    key: str
    route: str
    name: str | None
    kwarg_names: tuple
    positional: bool
    page_model: str = ""

    @property
    def is_admin(self) -> bool:
        return self.route.startswith("admin/")


def _walk(patterns, prefix="", namespace=None):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield prefix + str(entry.pattern), name, entry.pattern


def endpoints() -> list[Endpoint]:
    """Every URL pattern of the project plus every page type of our apps."""
    from wagtail.models import get_page_models

    found = []
    for route, name, pattern in _walk(get_resolver().url_patterns):
        regex = pattern.regex
        kwarg_names = tuple(regex.groupindex)
        positional = regex.groups > len(regex.groupindex)
        found.append(
            Endpoint(
                key=name or f"path:{route}",
                route=route,
                name=name,
                kwarg_names=kwarg_names,
                positional=positional,
            )
        )
    for model in get_page_models():
        if model._meta.app_label in ("members", "courses", "lms", "mailings"):
            label = model._meta.label
            found.append(Endpoint(f"page:{label}", "<page>", None, (), False, page_model=label))
    # a name used by two patterns (e.g. with and without an optional id) is tried once per pattern
    return found


# --- making the requests ------------------------------------------------------------------------------


def login_paths() -> set:
    return {
        reverse("account_request_login_code"),
        reverse("account_login"),
        reverse("wagtailadmin_login"),
        reverse("wagtailcore_login"),
    }


def classify(response, logins) -> str:
    status = response.status_code
    if status in (301, 302, 303, 307, 308):
        path = urlsplit(response.get("Location", "")).path
        return "login" if path in logins else "302"
    return str(status)


def matches(expected: str, observed: str) -> bool:
    for option in expected.split("|"):
        if option == observed or option == "-":
            return True
        if option == "any" and not observed.startswith("5") and not observed.startswith("EXC"):
            return True
        if option == "deny" and observed in ("login", "403", "404"):
            return True
        if option == "ok" and (observed in ("302",) or observed.startswith("2")):
            return True
    return False


class NotDerivable(Exception):
    pass


def resolve_value(token: str, scope: dict):
    if not token.startswith("@"):
        return token
    name, _, attr = token[1:].partition(".")
    if name not in scope:
        raise NotDerivable(name)
    obj = scope[name]
    return getattr(obj, attr or "pk")


def build_url(endpoint: Endpoint, line: Line, scope: dict) -> str:
    if "url" in line.kwargs:
        return line.kwargs["url"]
    if endpoint.page_model:
        page = next(
            (
                o
                for o in scope.values()
                if getattr(o, "_meta", None) and o._meta.label == endpoint.page_model
            ),
            None,
        )
        if page is None:
            raise NotDerivable(endpoint.page_model)
        return page.relative_url(page.get_site())
    if endpoint.positional:
        raise NotDerivable("positional URL arguments: give url=... in the table")
    kwargs = {}
    for name in endpoint.kwarg_names:
        token = line.kwargs.get(name) or DEFAULT_KWARGS.get(name)
        if token is None:
            token = "@" + name.removesuffix("_id").removesuffix("_pk")
            if name == "pk":
                raise NotDerivable("pk: name the object, e.g. pk=@member")
        kwargs[name] = resolve_value(token, scope)
    if endpoint.name:
        return reverse(endpoint.name, kwargs=kwargs)
    raise NotDerivable("unnamed pattern: give url=... in the table")


def object_refs(endpoint: Endpoint, line: Line) -> set:
    """The world objects the URL points at (to know whether an organisation B variant exists)."""
    refs = set()
    for name in endpoint.kwarg_names:
        token = line.kwargs.get(name) or DEFAULT_KWARGS.get(name) or ""
        if token.startswith("@"):
            refs.add(token[1:].partition(".")[0])
    return refs
