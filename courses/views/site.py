"""Members' own records (404 for anyone else's), questions, and public verification."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from wagtail.documents import get_document_model
from wagtailmedia.models import get_media_model

from members import throttle

from .. import conf, services
from .. import media as media_module
from ..certificates import certificate_filename, certificate_pdf
from ..forms import QuestionForm, VerifyForm
from ..models import CoursePage, LessonPage, LessonProgress
from ..questions import faq_search
from ..selectors import (
    certificates_of_user,
    enrolments_of_user,
    faq_for_organisation,
    member_for_course,
    member_of_user,
    questions_of_user,
    verify_certificate,
)
from ..survey import certificate_waits_for_survey


@require_safe
@login_required
def my_courses_moved(request):
    """The member's courses and certificates are a section of the member's home page
    (COURSES_MEMBER_HOME_URL, マイ研修 on this site): one page, one name."""
    return redirect(resolve_url(conf.member_home_url()) + "#history")


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
    if certificate_waits_for_survey(certificate.enrolment):
        messages.info(request, _("Please answer the post-course survey first."))
        return redirect("courses:survey", course_id=certificate.enrolment.course_id)
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


@require_safe
@login_required
def faq(request):
    """よくある質問・お問い合わせ: the organisation's FAQ with its search, and a general enquiry."""
    member = member_of_user(user=request.user)
    entries = list(faq_for_organisation(organisation=member.organisation)) if member else []
    query = request.GET.get("q", "").strip()[:100]
    found = faq_search(entries, query)
    return render(
        request,
        "courses/faq.html",
        {
            "entries": found,
            "total": len(entries),
            "query": query,
            "question_form": QuestionForm() if member else None,
        },
    )


@login_required
@require_POST
def question_ask(request):
    """A question about a lesson or course, or (neither given) a general enquiry."""
    lesson = course = None
    if request.POST.get("lesson"):
        lesson = get_object_or_404(LessonPage.objects.live(), pk=request.POST["lesson"])
        course = CoursePage.objects.get(path=lesson.path[: -lesson.steplen])
    elif request.POST.get("course"):
        course = get_object_or_404(CoursePage.objects.live(), pk=request.POST["course"])
    if course is None:
        member = member_of_user(user=request.user)
        back = reverse("courses:faq") + "#ask"
    else:
        member = member_for_course(user=request.user, course=course)
        back = (lesson or course).url + "#ask"
    if member is None:
        raise Http404
    if not throttle.allow(scope="question", ident=member.pk, rate=conf.question_rate()):
        messages.error(
            request,
            _("You have sent many questions in a short time. Please try again a little later."),
        )
        return redirect(back)
    form = QuestionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please write your question."))
        return redirect(back)
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


@require_safe
@login_required
def media_file(request, pk):
    """A lesson's video, for the member the lesson page signed its URL for (courses.media)."""
    media_module.check_signed(request, kind=media_module.VIDEO, pk=pk)
    media = get_object_or_404(get_media_model(), pk=pk)
    return media_module.ranged_file_response(
        request, media.file, media_module.guess_type(media.file.name)
    )


@require_safe
@login_required
def captions(request, pk):
    """A video's WebVTT captions, likewise."""
    media_module.check_signed(request, kind=media_module.CAPTIONS, pk=pk)
    document = get_object_or_404(get_document_model(), pk=pk)
    if not document.file.name.lower().endswith(".vtt"):
        raise Http404
    return media_module.ranged_file_response(request, document.file, "text/vtt; charset=utf-8")
