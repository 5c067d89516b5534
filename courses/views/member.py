"""Members' own records (404 for anyone else's), questions, and public verification."""

import mimetypes
import os
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from wagtail.documents import get_document_model
from wagtailmedia.models import get_media_model

from members import throttle

from .. import conf, services
from ..certificates import certificate_filename, certificate_pdf
from ..forms import QuestionForm, VerifyForm
from ..models import CoursePage, LessonPage, LessonProgress
from ..selectors import (
    certificates_of_user,
    enrolments_of_user,
    member_for_course,
    questions_of_user,
    verify_certificate,
)


@require_safe
@login_required
def my_training(request):
    enrolments = list(enrolments_of_user(user=request.user))
    return render(
        request,
        "courses/my_training.html",
        {
            "enrolments": enrolments,
            "certificates": [e.certificate for e in enrolments if hasattr(e, "certificate")],
        },
    )


@require_safe
@login_required
def attempt_detail(request, pk):
    enrolment = get_object_or_404(enrolments_of_user(user=request.user), pk=pk)
    progress = LessonProgress.objects.filter(enrolment=enrolment).select_related("lesson")
    attempts = enrolment.quiz_attempts.select_related("lesson").order_by("submitted_at")
    return render(
        request,
        "courses/attempt_detail.html",
        {"enrolment": enrolment, "progress": progress, "attempts": attempts},
    )


@require_safe
@login_required
def certificate_download(request, number):
    certificate = get_object_or_404(certificates_of_user(user=request.user), number=number)
    response = HttpResponse(certificate_pdf(certificate), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{certificate_filename(certificate)}"'
    return response


@require_safe
@login_required
def my_questions(request):
    return render(
        request, "courses/my_questions.html", {"questions": questions_of_user(user=request.user)}
    )


@require_safe
@login_required
def question_detail(request, pk):
    question = get_object_or_404(questions_of_user(user=request.user), pk=pk)
    return render(request, "courses/question_detail.html", {"question": question})


@login_required
@require_POST
def question_ask(request):
    lesson = course = None
    if request.POST.get("lesson"):
        lesson = get_object_or_404(LessonPage.objects.live(), pk=request.POST["lesson"])
        course = CoursePage.objects.get(path=lesson.path[: -lesson.steplen])
    elif request.POST.get("course"):
        course = get_object_or_404(CoursePage.objects.live(), pk=request.POST["course"])
    if course is None:
        raise Http404
    member = member_for_course(user=request.user, course=course)
    if member is None:
        raise Http404
    if not throttle.allow(scope="question", ident=member.pk, rate=conf.question_rate()):
        messages.error(
            request,
            _("You have sent many questions in a short time. Please try again a little later."),
        )
        return redirect((lesson or course).url + "#ask")
    form = QuestionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please write your question."))
        return redirect((lesson or course).url + "#ask")
    question = services.question_ask(
        member=member, body=form.cleaned_data["body"], course=course, lesson=lesson
    )
    messages.success(request, _("Your question has been sent to the office."))
    return redirect("courses:question_detail", pk=question.pk)


@require_safe
def verify(request, number=None):
    """Public: is this certificate number valid? Shows only what identifies the certificate."""
    form = VerifyForm(request.GET or None)
    if number is None and form.is_valid():
        return redirect("courses:verify_number", number=form.cleaned_data["number"].strip().upper())
    certificate = verify_certificate(number=number) if number else None
    return render(
        request,
        "courses/verify.html",
        {"form": form, "number": number, "certificate": certificate, "searched": bool(number)},
        status=404 if number and certificate is None else 200,
    )


# --- files for the player ----------------------------------------------------------------

_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


def _file_response(request, field_file, content_type):
    """Serve a stored file with HTTP Range support (video players seek with it)."""
    storage = field_file.storage
    try:
        path = storage.path(field_file.name)
    except NotImplementedError:  # remote storage: let it serve the bytes
        return redirect(field_file.url)
    if not os.path.exists(path):  # the record outlived its file: not found, not a crash
        raise Http404
    size = os.path.getsize(path)
    match = _RANGE.match(request.headers.get("Range", ""))
    if match and (match.group(1) or match.group(2)):
        if match.group(1):
            start = int(match.group(1))
            end = int(match.group(2)) if match.group(2) else size - 1
        else:
            start, end = max(0, size - int(match.group(2))), size - 1
        end = min(end, size - 1)
        if start > end:
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        with open(path, "rb") as f:
            f.seek(start)
            data = f.read(end - start + 1)
        response = HttpResponse(data, status=206, content_type=content_type)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    else:
        response = FileResponse(open(path, "rb"), content_type=content_type)
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_safe
@login_required
def media_file(request, pk):
    media = get_object_or_404(get_media_model(), pk=pk)
    content_type = mimetypes.guess_type(media.file.name)[0] or "application/octet-stream"
    return _file_response(request, media.file, content_type)


@require_safe
@login_required
def captions(request, pk):
    document = get_object_or_404(get_document_model(), pk=pk)
    if not document.file.name.lower().endswith(".vtt"):
        raise Http404
    return _file_response(request, document.file, "text/vtt; charset=utf-8")
