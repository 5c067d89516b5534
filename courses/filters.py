import django_filters
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet

from .models import Certificate, CoursePage, Enrolment, Question


def _courses(request):
    return CoursePage.objects.order_by("path")


class QuestionFilterSet(WagtailFilterSet):
    answered = django_filters.BooleanFilter(
        field_name="answered_at", lookup_expr="isnull", exclude=True, label=_("Answered")
    )
    course = django_filters.ModelChoiceFilter(queryset=_courses, label=_("Course"))

    class Meta:
        model = Question
        fields = ["answered", "course", "faq_published"]


class EnrolmentFilterSet(WagtailFilterSet):
    completed = django_filters.BooleanFilter(
        field_name="completed_at", lookup_expr="isnull", exclude=True, label=_("Completed")
    )
    course = django_filters.ModelChoiceFilter(queryset=_courses, label=_("Course"))
    member_no = django_filters.CharFilter(
        field_name="member__member_no", lookup_expr="exact", label=_("Member number")
    )

    class Meta:
        model = Enrolment
        fields = ["course", "completed", "source", "member_no"]


class CertificateFilterSet(WagtailFilterSet):
    course = django_filters.ModelChoiceFilter(
        field_name="enrolment__course", queryset=_courses, label=_("Course")
    )

    class Meta:
        model = Certificate
        fields = ["course"]
