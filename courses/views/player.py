"""The course player: course and lesson pages, and the endpoints that record study.

Every endpoint works out the member and the attempt from the signed-in user; no URL names
someone else's progress, so there is nothing of anyone else's to read or write.
"""

import json
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from members import throttle
from members.middleware import checks_membership_itself

from .. import conf, coverage, services, study_context
from .. import media as media_module
from .. import quiz as quizlib
from ..forms import QuestionForm
from ..models import CoursePage, LessonPage, LessonProgress, QuizAttempt
from ..selectors import (
    course_outline,
    current_enrolment,
    faq_for_course,
    lessons_of,
    member_for_course,
)
from ..study_time import course_required_seconds
from ..survey import survey_state


def _course_of(lesson: LessonPage) -> CoursePage:
    parent_path = lesson.path[: -lesson.steplen]
    parent = getattr(lesson, "_cached_parent_obj", None)  # set when the page was routed
    if isinstance(parent, CoursePage) and parent.path == parent_path:
        return parent
    # the course's own StreamFields are not needed to study one of its lessons
    return CoursePage.objects.defer("body", "final_quiz").get(path=parent_path)


def _member_or_404(request, course):
    """The member studying ``course``; None for staff without a member record."""
    member = member_for_course(user=request.user, course=course)
    if (
        member is None
        and course.organisation_id
        and not request.user.has_perm("wagtailadmin.access_admin")
    ):
        raise Http404
    if member is None and not request.user.has_perm("wagtailadmin.access_admin"):
        raise Http404
    return member


def _result_for(request, enrolment, lesson):
    """The quiz attempt named in ?result=, only if it is this member's, for this quiz."""
    return _attempt_named(request, "result", enrolment, lesson)


def _attempt_named(request, parameter, enrolment, lesson):
    pk = request.GET.get(parameter)
    if not pk:
        return None
    if enrolment is None or not pk.isdigit():
        raise Http404
    return get_object_or_404(
        QuizAttempt.objects.filter(enrolment__member=enrolment.member, lesson=lesson), pk=pk
    )


def _quiz_context(
    *, request, quiz_value, enrolment, lesson, pass_mark, action, attempts, show_form
):
    """The quiz block's context: the result named in ?result= (with the correct answers only
    when the quiz's setting allows), the state of the member's attempts, and a fresh form
    (``show_form``) whose token names the questions drawn for it."""
    result = _result_for(request, enrolment, lesson)
    state = (
        services.quiz_state(
            enrolment=enrolment, lesson=lesson, quiz_value=quiz_value, attempts=attempts
        )
        if enrolment is not None
        else None
    )
    answers_visible = bool(state and state.answers_visible)
    context = {
        "title": quiz_value.get("title"),
        "pass_mark": pass_mark,
        "action": action,
        "passed": bool(state and state.passed),
        "state": state,
        "result": result,
        "resubmitted": _attempt_named(request, "resubmitted", enrolment, lesson),
        "answers_visible": answers_visible,
        "review": quizlib.review(
            quiz_value, result.answers, shown=result.questions, with_answers=answers_visible
        )
        if result
        else None,
    }
    if enrolment is not None and show_form:
        seed = services.quiz_seed(enrolment=enrolment, lesson=lesson, attempts=len(attempts))
        questions = quizlib.draw(quiz_value, seed=seed)
        context["questions"] = [
            {
                "id": q.id,
                "text": q.text,
                "multiple": q.kind == "multiple",
                "choices": [{"id": c.id, "text": c.text} for c in q.choices],
            }
            for q in questions
        ]
        context["token"] = services.quiz_token(
            enrolment=enrolment, lesson=lesson, question_ids=[q.id for q in questions], seed=seed
        )
    return context


def serve_course(request, page, preview=False):
    lessons = list(lessons_of(page).defer("body")) if page.pk else []  # listed, not shown
    member = enrolment = None
    progress = {}
    history = []
    if request.user.is_authenticated and not preview:
        member = _member_or_404(request, page)
    if member is not None:
        history = list(
            page.enrolments.filter(member=member).select_related("certificate").order_by("-attempt")
        )
        enrolment = current_enrolment(member=member, course=page)
        if enrolment is not None:
            progress = {p.lesson_id: p for p in LessonProgress.objects.filter(enrolment=enrolment)}
    required = [lesson for lesson in lessons if lesson.is_required]
    done = [lesson for lesson in required if getattr(progress.get(lesson.pk), "completed_at", None)]
    rows = [
        {"lesson": lesson, "progress": progress.get(lesson.pk), "number": i}
        for i, lesson in enumerate(lessons, start=1)
    ]
    next_lesson = next(
        (r["lesson"] for r in rows if not getattr(r["progress"], "completed_at", None)), None
    )
    final_quiz = None
    if page.final_quiz:
        quiz_value = page.final_quiz[0].value
        unlocked = len(done) == len(required)
        if member is not None and unlocked and enrolment is None:
            enrolment = services.enrolment_start(member=member, course=page)
        final_quiz = _quiz_context(
            request=request,
            quiz_value=quiz_value,
            enrolment=enrolment,
            lesson=None,
            pass_mark=page.pass_mark,
            action=reverse("courses:final_quiz", args=[page.pk]),
            attempts=list(enrolment.quiz_attempts.filter(lesson__isnull=True))
            if enrolment is not None
            else [],
            show_form=unlocked,
        )
        final_quiz["unlocked"] = unlocked
    course_seconds = course_required_seconds(page)
    credited = enrolment.credited_seconds if enrolment is not None else 0
    context = page.get_context(request)
    context.update(
        {
            "member": member,
            "enrolment": enrolment,
            "history": [e for e in history if e != enrolment or e.completed_at],
            "rows": rows,
            "required_count": len(required),
            "done_count": len(done),
            "percent": 100
            if enrolment and enrolment.completed_at
            else (100 * len(done) // len(required) if required else 0),
            "next_lesson": next_lesson,
            "course_seconds": course_seconds,
            "course_credited": credited,
            "course_left": max(0, course_seconds - credited),
            "required_share": round(conf.required_time_share() * 100),
            "final_quiz": final_quiz,
            "survey_state": survey_state(enrolment, course=page, known_current=True),
            "faq": list(faq_for_course(course=page)) if page.pk else [],
            "question_form": QuestionForm() if member else None,
            "preview": preview,
        }
    )
    return TemplateResponse(request, "courses/course_page.html", context)


def _video_context(request, progress, video, block):
    media = block.value.get("media")
    captions = block.value.get("captions")
    ranges = progress.video_coverage.get(video.block_id, {}).get("r", []) if progress else []
    ratio = services.video_watched_ratio(progress, video) if progress else 0.0
    user = request.user
    return {
        "tracked": video.tracked,
        "duration_known": video.duration > 0,
        "src": media_module.signed_url(kind=media_module.VIDEO, pk=media.pk, user=user)
        if media and user.is_authenticated
        else "",
        "mime": media_module.guess_type(media.file.name, "video/mp4") if media else "",
        "captions_src": media_module.signed_url(
            kind=media_module.CAPTIONS, pk=captions.pk, user=user
        )
        if captions and user.is_authenticated
        else "",
        "allow_seeking": video.allow_seeking,
        "furthest": coverage.furthest_contiguous(ranges),
        "percent": int(ratio * 100),
        "watched": ratio >= conf.video_watched_ratio(),
        "ranges": json.dumps(ranges),
    }


@dataclass
class LessonVisit:
    """Who is reading a lesson page, in which attempt (the lesson page and the SCORM lesson
    page begin the same way)."""

    course: CoursePage | None
    member: object | None
    enrolment: object | None
    progress: LessonProgress | None
    generation: int | None  # of the study contexts, read before the visit was worked out
    preview: bool


def begin_visit(request, page, preview=False):
    """The visit of ``page`` (its attempt opened and the lesson marked as opened), or the
    response that sends a signed-out visitor to sign in. 404 for someone not of the course."""
    course = _course_of(page) if page.pk and page.depth else None
    if course is None:
        preview = True
    if not preview and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    member = _member_or_404(request, course) if not preview else None
    enrolment = progress = generation = None
    if member is not None:
        generation = study_context.generation()  # before the context is worked out
        enrolment = services.enrolment_start(member=member, course=course)
        progress = services.lesson_open(enrolment=enrolment, lesson=page)
    return LessonVisit(course, member, enrolment, progress, generation, preview)


def _lesson_items(request, page, *, req, visit, attempts) -> list[dict]:
    """The lesson's blocks, each with what its template needs beyond the block (a video's
    progress, the quiz's form and attempts)."""
    videos = {v.block_id: v for v in req.videos}
    items = []
    for block in page.body:
        extra = None
        if block.block_type == "video":
            extra = _video_context(request, visit.progress, videos[str(block.id)], block)
        elif block.block_type == "quiz" and str(block.id) == req.quiz_block_id:
            extra = _quiz_context(
                request=request,
                quiz_value=block.value,
                enrolment=visit.enrolment,
                lesson=page,
                pass_mark=block.value["pass_mark"],
                action=reverse("courses:lesson_quiz", args=[page.pk]) if page.pk else "",
                attempts=attempts,
                show_form=True,
            )
        items.append({"block": block, "extra": extra})
    return items


def serve_lesson(request, page, preview=False):
    visit = begin_visit(request, page, preview)
    if not isinstance(visit, LessonVisit):
        return visit
    course, member, enrolment, progress = (
        visit.course,
        visit.member,
        visit.enrolment,
        visit.progress,
    )
    outline = course_outline(course=course, lesson=page, enrolment=enrolment)
    req = services.lesson_requirements(page, course=course)
    attempts = (
        list(QuizAttempt.objects.filter(enrolment=enrolment, lesson=page).order_by("-submitted_at"))
        if enrolment is not None and req.quiz is not None
        else []
    )
    quiz_passed = any(a.passed for a in attempts)
    if enrolment is not None:  # the heartbeats of this page need not work it out again
        study_context.remember(
            request=request,
            lesson=page,
            enrolment=enrolment,
            requirements=req,
            quiz_passed=quiz_passed,
            generation=visit.generation,
        )
    status = services.lesson_status(
        lesson=page, progress=progress, quiz_passed=quiz_passed, req=req
    )
    items = _lesson_items(request, page, req=req, visit=visit, attempts=attempts)
    context = page.get_context(request)
    context.update(
        {
            "course": course,
            "member": member,
            "enrolment": enrolment,
            "progress": progress,
            "status": status,
            "items": items,
            "lessons": outline.lessons,
            "done_ids": outline.done_ids,
            "position": outline.position,
            "next_lesson": outline.next_lesson,
            "has_tracked_video": bool(req.tracked_videos),
            "has_quiz": req.has_quiz,
            "course_seconds": req.course_seconds,
            "course_credited": enrolment.credited_seconds if enrolment else 0,
            "course_left": max(
                0, req.course_seconds - (enrolment.credited_seconds if enrolment else 0)
            ),
            "heartbeat_interval": conf.heartbeat_interval(),
            "max_playback_rate": conf.max_playback_rate(),
            "question_form": QuestionForm() if member else None,
            "preview": visit.preview,
        }
    )
    return TemplateResponse(request, "courses/lesson_page.html", context)


# --- endpoints ------------------------------------------------------------------------------


def _study(request, lesson_id):
    """(lesson, enrolment) of the signed-in member, or 404."""
    if not request.user.is_authenticated:
        raise Http404
    lesson = get_object_or_404(LessonPage.objects.live(), pk=lesson_id)
    course = _course_of(lesson)
    member = member_for_course(user=request.user, course=course)
    if member is None:
        raise Http404
    enrolment = services.enrolment_start(member=member, course=course)
    enrolment.course = course  # the same row: saves reading it again
    return lesson, enrolment


def _study_context(request, lesson_id) -> study_context.StudyContext:
    """The signed-in member's study context of the lesson (remembered, or worked out), or 404."""
    context, generation = study_context.recall(request=request, lesson_id=lesson_id)
    if context is None:
        lesson, enrolment = _study(request, lesson_id)  # Django authenticates the user here
        req = services.lesson_requirements(lesson, course=enrolment.course)
        context = study_context.remember(
            request=request,
            lesson=lesson,
            enrolment=enrolment,
            requirements=req,
            quiz_passed=req.has_quiz
            and services.lesson_quiz_passed(enrolment_id=enrolment.pk, lesson_id=lesson.pk),
            generation=generation,
        )
    return context


def _json_body(request):
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _progress_json(lesson, enrolment, progress):
    """What the player shows live: the lesson's checklist and the course's study time."""
    status = getattr(progress, "lesson_status", None)  # set by services.study_heartbeat
    if status is None:
        req = services.lesson_requirements(lesson, course=enrolment.course)
        quiz_passed = req.has_quiz and services.lesson_quiz_passed(
            enrolment_id=enrolment.pk, lesson_id=lesson.pk
        )
        status = services.lesson_status(
            lesson=lesson, progress=progress, quiz_passed=quiz_passed, req=req
        )
        enrolment.refresh_from_db(fields=["credited_seconds", "completed_at"])
        course_credited, course_seconds = enrolment.credited_seconds, req.course_seconds
        course_completed = enrolment.completed_at is not None
    else:
        course_credited = progress.enrolment_credited_seconds
        course_seconds = progress.course_seconds
        course_completed = progress.enrolment_completed_at is not None
    return {
        "active_seconds": progress.active_seconds,
        "completed": bool(progress.completed_at),
        "completion_path": progress.completion_path,
        "missing": status.missing,
        "reading_left": status.reading_left,
        "min_seconds": status.min_seconds,
        "course_credited_seconds": course_credited,
        "course_seconds": course_seconds,
        "course_left": max(0, course_seconds - course_credited),
        "course_completed": course_completed,
    }


@checks_membership_itself  # the study context ends with the membership (404 after it)
@require_POST
def heartbeat(request, lesson_id):
    user_id = study_context.session_user_id(request)  # request.user would cost a query
    if user_id is not None and not throttle.allow(
        scope="heartbeat", ident=f"{user_id}:{lesson_id}", rate=conf.heartbeat_rate()
    ):  # before any database work: a flood costs one cache hit per request
        return JsonResponse({"error": "too many heartbeats"}, status=429)
    study = _study_context(request, lesson_id)
    if request.content_type == "application/x-www-form-urlencoded":
        data = {"seconds": request.POST.get("seconds", 0)}  # the beacon sent on leaving
    else:
        data = _json_body(request)
    if data is None:
        return HttpResponseBadRequest("JSON body expected")
    progress = services.study_heartbeat(  # returns the progress as it is now, with its status
        enrolment_id=study.enrolment_id,
        lesson_id=study.lesson_id,
        requirements=study.requirements,
        quiz_passed=study.quiz_passed,
        seconds=data.get("seconds", 0),
    )
    return JsonResponse(_progress_json(None, None, progress))


@require_POST
def video_report(request, lesson_id):
    lesson, enrolment = _study(request, lesson_id)
    data = _json_body(request)
    if data is None or not isinstance(data.get("played", []), list):
        return HttpResponseBadRequest("JSON body expected")
    try:
        progress = services.lesson_video_report(
            enrolment=enrolment,
            lesson=lesson,
            block_id=str(data.get("block", "")),
            played=data.get("played", [])[:500],
        )
    except LookupError:
        raise Http404
    req = services.lesson_requirements(lesson)
    video = next(v for v in req.videos if v.block_id == str(data.get("block")))
    payload = _progress_json(lesson, enrolment, progress)
    ranges = progress.video_coverage.get(video.block_id, {}).get("r", [])
    payload.update(
        {
            "percent": int(services.video_watched_ratio(progress, video) * 100),
            "watched": services.video_is_watched(progress, video),
            "furthest": coverage.furthest_contiguous(ranges),
        }
    )
    return JsonResponse(payload)


@require_POST
def choose_transcript(request, lesson_id):
    lesson, enrolment = _study(request, lesson_id)
    services.lesson_choose_transcript(enrolment=enrolment, lesson=lesson)
    messages.success(
        request,
        _("You are studying this lesson through the transcript. Read it, then pass the quiz."),
    )
    return redirect(lesson.url + "#transcript-path")


@require_POST
def complete(request, lesson_id):
    lesson, enrolment = _study(request, lesson_id)
    progress, status = services.lesson_try_complete(
        enrolment=enrolment, lesson=lesson, explicit=True
    )
    if progress.completed_at:
        messages.success(request, _("Lesson completed."))
        course = _course_of(lesson)
        lessons = list(lessons_of(course))
        ids = [x.pk for x in lessons]
        position = ids.index(lesson.pk) if lesson.pk in ids else len(ids)
        if position + 1 < len(lessons):
            return redirect(lessons[position + 1].url)
        return redirect(course.url)
    for reason in status.missing:
        messages.error(request, _missing_message(reason, status), extra_tags="inline at-complete")
    return redirect(lesson.url + "#complete")


def _missing_message(reason, status):
    from ..study_time import format_duration

    if reason == "reading":
        return _(
            "Please keep studying this page: %(time)s more study time is needed "
            "(counted while the page is on screen)."
        ) % {"time": format_duration(status.reading_left)}
    if reason == "video":
        return _("Watch the video to the end, or study it through the transcript.")
    return _("Pass the quiz to complete this lesson.")


def _submitted_answers(request):
    return {key[2:]: request.POST.getlist(key) for key in request.POST if key.startswith("q-")}


def _quiz_refused_message(exc):
    from django.utils import formats, timezone

    if exc.reason == "cooldown":
        return _("Please wait a little before answering again: from %(time)s.") % {
            "time": formats.time_format(timezone.localtime(exc.until), "H:i:s")
        }
    if exc.reason == "daily":
        return _("You have used today's attempts at this quiz. You can answer again tomorrow.")
    return _(
        "You have used all the attempts at this quiz. Please contact the office to be given "
        "another."
    )


def _submit_quiz(request, *, enrolment, lesson, page_url):
    """Submit the quiz form and redirect to the page: to the result, to the notice that this
    form was already sent (Back and answering again), or with the error next to the button."""
    try:
        attempt = services.quiz_submit(
            enrolment=enrolment,
            lesson=lesson,
            token=request.POST.get("token", ""),
            submitted=_submitted_answers(request),
        )
    except services.QuizResubmitted as exc:
        return redirect(f"{page_url}?resubmitted={exc.attempt.pk}#quiz")
    except services.QuizRefused as exc:
        messages.error(request, _quiz_refused_message(exc), extra_tags="inline at-quiz")
        return redirect(page_url + "#quiz")
    except services.QuizError:
        messages.error(
            request,
            _("This quiz form is out of date. Please answer it again."),
            extra_tags="inline at-quiz",
        )
        return redirect(page_url + "#quiz")
    return redirect(f"{page_url}?result={attempt.pk}#quiz-result")


@require_POST
def lesson_quiz(request, lesson_id):
    lesson, enrolment = _study(request, lesson_id)
    try:
        return _submit_quiz(request, enrolment=enrolment, lesson=lesson, page_url=lesson.url)
    finally:  # its heartbeats must see the new result
        study_context.forget(user=request.user, lesson_id=lesson.pk)


@require_POST
def final_quiz(request, course_id):
    if not request.user.is_authenticated:
        raise Http404
    course = get_object_or_404(CoursePage.objects.live(), pk=course_id)
    member = member_for_course(user=request.user, course=course)
    if member is None:
        raise Http404
    enrolment = services.enrolment_start(member=member, course=course)
    enrolment.course = course
    if services.course_missing(enrolment=enrolment)["lessons"]:
        messages.error(
            request,
            _("Complete the required lessons before the final quiz."),
            extra_tags="inline at-quiz",
        )
        return redirect(course.url + "#quiz")
    return _submit_quiz(request, enrolment=enrolment, lesson=None, page_url=course.url)
