"""The post-course survey a member answers after completing a course (courses/survey.py)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from ..models import CoursePage
from ..selectors import current_enrolment, member_for_course
from ..survey import SurveyForm, has_survey, survey_questions, survey_submit


@login_required
def survey(request, course_id):
    course = get_object_or_404(CoursePage.objects.live(), pk=course_id)
    member = member_for_course(user=request.user, course=course)
    if member is None or not has_survey(course):
        raise Http404
    enrolment = current_enrolment(member=member, course=course)  # this year's attempt
    if enrolment is None or not enrolment.completed_at:
        messages.info(request, _("The survey opens when you have completed the course."))
        return redirect(course.url)
    response = getattr(enrolment, "survey_response", None)
    questions = survey_questions(course)
    form = None
    if response is None:
        form = SurveyForm(request.POST if request.method == "POST" else None, questions=questions)
        if request.method == "POST" and form.is_valid():
            survey_submit(enrolment=enrolment, answers=form.answers(), questions=questions)
            messages.success(request, _("Thank you for answering the survey."))
            return redirect(course.url + "#progress-title")
    return render(
        request,
        "courses/survey.html",
        {"course": course, "enrolment": enrolment, "form": form, "response": response},
        status=400 if form is not None and form.is_bound else 200,
    )
