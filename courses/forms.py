from django import forms
from django.core.validators import FileExtensionValidator
from django.utils.translation import gettext_lazy as _

from members.forms import TEXT_FILE_EXTENSIONS, WarekiDateField, validate_upload_size
from members.roster import normalise

from .models import CoursePage, Enrolment


class QuestionForm(forms.Form):
    body = forms.CharField(
        label=_("Your question to the office"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The office answers by e-mail and on your questions page."),
    )


class VerifyForm(forms.Form):
    number = forms.CharField(
        label=_("Certificate number"),
        max_length=32,
        help_text=_("As printed on the certificate, e.g. 2026-ABCD-EFGH."),
    )


EXTERNAL_SOURCES = [
    (Enrolment.Source.SEMINAR, Enrolment.Source.SEMINAR.label),
    (Enrolment.Source.PAPER, Enrolment.Source.PAPER.label),
]


class ExternalCompletionForm(forms.Form):
    organisation = forms.ModelChoiceField(queryset=None, label=_("Organisation"))
    member_no = forms.CharField(label=_("Member number"), max_length=32)
    course = forms.ModelChoiceField(queryset=CoursePage.objects.none(), label=_("Course"))
    source = forms.ChoiceField(choices=EXTERNAL_SOURCES, label=_("How it was completed"))
    completed_on = WarekiDateField(label=_("Completed on"))
    evidence_note = forms.CharField(
        label=_("Evidence"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("e.g. 'Online seminar 2026-06-12, attendance list checked by Sato'."),
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.fields["course"].queryset = CoursePage.objects.order_by("path")

    def clean(self):
        from members.models import Member

        data = super().clean()
        organisation, number = data.get("organisation"), data.get("member_no")
        if organisation and number:
            member = Member.objects.filter(
                organisation=organisation, member_no=normalise.member_no(number)
            ).first()
            if member is None:
                self.add_error("member_no", _("No member with this number in the organisation."))
            data["member"] = member
        course = data.get("course")
        if course and organisation and course.organisation_id not in (None, organisation.pk):
            self.add_error("course", _("This course belongs to another organisation."))
        return data


class AttendanceUploadForm(forms.Form):
    organisation = forms.ModelChoiceField(queryset=None, label=_("Organisation"))
    course = forms.ModelChoiceField(queryset=CoursePage.objects.none(), label=_("Course"))
    source = forms.ChoiceField(choices=EXTERNAL_SOURCES, label=_("How it was completed"))
    completed_on = WarekiDateField(label=_("Completed on"))
    evidence_note = forms.CharField(
        label=_("Evidence"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    file = forms.FileField(
        label=_("Attendance list (CSV)"),
        help_text=_("A 加入者番号 column (氏名 is checked when present); UTF-8 or Shift_JIS."),
        validators=[FileExtensionValidator(TEXT_FILE_EXTENSIONS), validate_upload_size],
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.fields["course"].queryset = CoursePage.objects.order_by("path")

    def clean(self):
        data = super().clean()
        course, organisation = data.get("course"), data.get("organisation")
        if course and organisation and course.organisation_id not in (None, organisation.pk):
            self.add_error("course", _("This course belongs to another organisation."))
        return data
