"""The SCORM player (a lesson page on the site) and the content origin's three views.

On the site: ``serve_scorm_lesson`` renders the lesson with a sandboxed iframe of the launcher
on the content origin (see content.py), the SCOs as links targeting that iframe, and the
usual heartbeats that credit study time.

On the content origin (and only there: any other host gets a 404): ``launcher`` (our page with
the SCORM API, framing the SCO), ``package_file`` (the package's files) and ``commit`` (what
the API stores). They take no cookies and need none; the signed launch in the path says who
may do what, and each answers with headers that let only the site frame it.
"""

from __future__ import annotations

import json

from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from .. import conf, study_context
from .. import services as course_services
from ..forms import QuestionForm
from ..models import Enrolment
from ..selectors import course_outline
from ..views.player import LessonVisit, begin_visit
from . import cmi, content, services
from .models import ScormFile, ScormItem, ScormLessonPage, ScormState
from .selectors import player_rows, scorm_lesson_done, start_row
from .storage import file_response, package_storage

SANDBOX = (
    "allow-scripts allow-same-origin allow-forms allow-popups allow-popups-to-escape-sandbox "
    "allow-modals allow-downloads"
)


def status_labels() -> dict:
    return {
        **{value: str(label) for value, label in ScormState.LessonStatus.choices},
        "": _("Not started"),
        "complete": _("Done"),
    }


# --- the lesson page (site origin) ------------------------------------------------------------


def serve_scorm_lesson(request, page, preview=False):
    visit = begin_visit(request, page, preview)
    if not isinstance(visit, LessonVisit):
        return visit
    course, member, enrolment, progress = (
        visit.course,
        visit.member,
        visit.enrolment,
        visit.progress,
    )
    if enrolment is not None:  # the heartbeats of this page need not work it out again
        study_context.remember(
            request=request,
            lesson=page,
            enrolment=enrolment,
            requirements=course_services.lesson_requirements(page, course=course),
            quiz_passed=False,
            generation=visit.generation,
        )
    outline = course_outline(course=course, lesson=page, enrolment=enrolment)

    package = page.package if page.pk else None
    origin = content.content_origin()
    site_origin = content.site_origin_of(request)
    problem = _playback_problem(package, origin=origin, site_origin=site_origin)
    rows, start = [], None
    if package is not None and not problem:
        token = content.issue(
            user=request.user,
            lesson=page,
            package=package,
            enrolment=enrolment,
            site_origin=site_origin,
        )
        rows = _launch_rows(package=package, progress=progress, origin=origin, token=token)
        start = start_row(rows)
    status = None
    course_seconds = course_credited = 0
    if progress is not None:
        req = course_services.lesson_requirements(page, course=course)
        status = course_services.lesson_status(
            lesson=page,
            progress=progress,
            quiz_passed=False,
            req=req,
            scorm_done=bool(progress.completed_at)
            or scorm_lesson_done(enrolment_id=enrolment.pk, lesson_id=page.pk),
        )
        course_seconds, course_credited = req.course_seconds, enrolment.credited_seconds
    context = page.get_context(request)
    context.update(
        {
            "course": course,
            "member": member,
            "enrolment": enrolment,
            "progress": progress,
            "status": status,
            "package": package,
            "rows": rows,
            "launchable_count": sum(1 for row in rows if row.launchable),
            "done_count": sum(1 for row in rows if row.launchable and row.complete),
            "start": start,
            "problem": problem,
            "content_origin": origin or "",
            "sandbox": SANDBOX,
            "status_labels": status_labels(),
            "lessons": outline.lessons,
            "done_ids": outline.done_ids,
            "position": outline.position,
            "next_lesson": outline.next_lesson,
            "course_seconds": course_seconds,
            "course_credited": course_credited,
            "course_left": max(0, course_seconds - course_credited),
            "heartbeat_interval": conf.heartbeat_interval(),
            "question_form": QuestionForm() if member else None,
            "preview": visit.preview,
        }
    )
    response = TemplateResponse(request, "courses/scorm_lesson_page.html", context)
    if origin:
        # django-csp (when installed) adds the content origin to this page's frame-src
        response._csp_update = {"frame-src": [origin], "child-src": [origin]}
    return response


def _playback_problem(package, *, origin, site_origin) -> str:
    """Why this lesson's package cannot be played here, or ""."""
    if package is None:
        return _("This lesson has no SCORM package yet.")
    if origin is None:
        return _(
            "SCORM content cannot be played: the site has no content origin "
            "(COURSES_SCORM_CONTENT_ORIGIN) set. Please tell the office."
        )
    if content.origin_of(origin) == site_origin:
        return _(
            "SCORM content is played from a separate address and cannot be played at this one. "
            "Open the site at %(url)s."
        ) % {"url": conf.site_url() + "/"}
    return ""


def _launch_rows(*, package, progress, origin, token) -> list:
    """The package's items as the player lists them, each launchable one with its URL on the
    content origin."""
    rows = player_rows(package=package, progress=progress)
    for row in rows:
        if row.launchable:
            row.launch_url = origin + reverse("courses:scorm_launch", args=[token, row.item.pk])
    return rows


# --- the content origin -------------------------------------------------------------------------


def _content_headers(response, *, frame_ancestors: str, csp: str = ""):
    """Headers of every content-origin response: who may frame it, no Referer with the
    launch in it leaving the origin, and our own CSP (not the site's)."""
    policy = f"frame-ancestors {frame_ancestors}"
    response["Content-Security-Policy"] = f"{csp}; {policy}" if csp else policy
    response["Referrer-Policy"] = "same-origin"
    response._csp_exempt = True  # django-csp: this response carries its own policy
    return response


def _launch_or_404(request, token) -> content.Launch:
    if not content.is_content_request(request):
        raise Http404  # packages are never served from the site's own origin
    launch = content.read(token)
    if launch is None:
        raise _Expired
    return launch


class _Expired(Exception):
    pass


def _expired_response(request):
    response = TemplateResponse(request, "courses/scorm/expired.html", {}, status=403)
    return response


def _with_expiry(view):
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except _Expired:
            if request.method == "POST":
                return JsonResponse({"result": "false", "errorCode": 101}, status=403)
            response = _expired_response(request)
            return _content_headers(response, frame_ancestors="*")

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def files_url(token) -> str:
    """The folder URL of the launch's package files (links inside the package are relative)."""
    return reverse("courses:scorm_file", args=[token, "-"])[:-1]


def _lesson_of(launch) -> ScormLessonPage:
    return get_object_or_404(ScormLessonPage.objects.live(), pk=launch.lesson_id)


def _enrolment_of(launch) -> Enrolment:
    enrolment = (
        Enrolment.objects.select_related("member")
        .filter(pk=launch.enrolment_id, member__user_id=launch.user_id)
        .first()
    )
    if enrolment is None:
        raise Http404
    return enrolment


@xframe_options_exempt
@require_safe
@_with_expiry
def launcher(request, token, item_id):
    """Our page on the content origin: the SCORM 1.2 API as ``window.API``, and the SCO in
    a frame inside it (so the content finds the API in its parent, and every call is answered
    at once, with SCORM's error codes)."""
    launch = _launch_or_404(request, token)
    if not content.user_still_valid(launch):
        raise _Expired
    item = get_object_or_404(
        ScormItem.objects.exclude(launch=""), pk=item_id, package_id=launch.package_id
    )
    lesson = _lesson_of(launch)
    member = state = None
    entry = "ab-initio"
    session = "preview"
    if not launch.is_preview:
        enrolment = _enrolment_of(launch)
        member = enrolment.member
        launched = services.scorm_launch(enrolment=enrolment, lesson=lesson, item=item)
        state, entry, session = launched.state, launched.entry, launched.state.session_key
    config = {
        "item": item.pk,
        "title": item.title,
        "type": item.scorm_type,
        "cmi": cmi.initial_data(state=state, item=item, member=member, entry=entry),
        "commitUrl": reverse("courses:scorm_commit", args=[token, item.pk, session]),
        "launchUrl": files_url(token) + item.launch,
        "siteOrigin": launch.site_origin,
        "suspendDataLimit": conf.scorm_suspend_data_limit(),
        "preview": launch.is_preview,
    }
    response = TemplateResponse(
        request, "courses/scorm/launcher.html", {"config": config, "item": item}
    )
    response["Cache-Control"] = "no-store"
    return _content_headers(
        response,
        frame_ancestors=launch.site_origin,
        csp="default-src 'self'; script-src 'self'; style-src 'self'; frame-src 'self'; "
        "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'",
    )


@xframe_options_exempt
@require_safe
@_with_expiry
def package_file(request, token, path):
    """A file of the launch's package, with its content type; Range requests for media."""
    launch = _launch_or_404(request, token)
    files = ScormFile.objects.filter(package_id=launch.package_id)
    found = files.filter(path=path).first()
    if found is None:  # packages made on Windows link "Index.html" to "index.html"
        from .package import name_key

        found = files.filter(path_key=name_key(path)).order_by("path").first()
    if found is None:
        raise Http404
    prefix = found.package.storage_prefix
    response = file_response(
        request,
        storage=package_storage(),
        name=prefix + found.path,
        size=found.size,
        content_type=found.content_type,
    )
    # the launch is in the URL, so the browser may keep the file for the launch's lifetime
    response["Cache-Control"] = f"private, max-age={conf.scorm_launch_seconds()}"
    return _content_headers(response, frame_ancestors=f"'self' {launch.site_origin}")


@csrf_exempt  # no cookies: the signed launch in the path is the credential
@require_POST
@_with_expiry
def commit(request, token, item_id, session):
    """Store what the API commits (JSON; sendBeacon sends it as text/plain)."""
    launch = _launch_or_404(request, token)
    if len(request.body) > conf.scorm_max_commit_bytes():
        return JsonResponse({"result": "false", "errorCode": 101}, status=413)
    try:
        payload = json.loads(request.body.decode("utf-8") or "{}")
    except (UnicodeDecodeError, ValueError):
        return JsonResponse({"result": "false", "errorCode": 101}, status=400)
    if launch.is_preview:
        try:
            cmi.validate_commit(payload, suspend_data_limit=conf.scorm_suspend_data_limit())
        except cmi.CommitRejected as exc:
            return JsonResponse(
                {"result": "false", "errorCode": 101, "errorMessage": str(exc)}, status=400
            )
        return JsonResponse({"result": "true", "errorCode": 0, "preview": True})
    if not content.user_still_valid(launch):
        raise _Expired
    item = get_object_or_404(
        ScormItem.objects.exclude(launch=""), pk=item_id, package_id=launch.package_id
    )
    lesson = _lesson_of(launch)
    enrolment = _enrolment_of(launch)
    try:
        result = services.scorm_commit(
            enrolment_id=enrolment.pk,
            lesson=lesson,
            item=item,
            session_key=session,
            payload=payload,
        )
    except cmi.CommitRejected as exc:
        return JsonResponse(
            {"result": "false", "errorCode": 101, "errorMessage": str(exc)}, status=400
        )
    except services.StaleSession:
        return JsonResponse(
            {
                "result": "false",
                "errorCode": 101,
                "errorMessage": "this SCO was opened again elsewhere",
            },
            status=409,
        )
    return JsonResponse(
        {
            "result": "true",
            "errorCode": 0,
            "lessonStatus": result.lesson_status,
            "scoComplete": result.sco_complete,
            "lessonComplete": result.lesson_complete,
        }
    )
