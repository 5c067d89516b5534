"""Forms of the member pages and the admin screens. Choices are scoped to the staff user's
organisations (members.selectors.organisations_for_staff)."""

from django import forms
from django.core.validators import FileExtensionValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from members.admin_scoping import ScopedOrganisationForm
from members.constants import PREFECTURE_CHOICES, Category
from members.forms import TEXT_FILE_EXTENSIONS, validate_upload_size
from members.models import Member, Occupation
from members.selectors import organisations_for_staff

from .models import Audience, Suppression


class PreferencesForm(forms.Form):
    newsletter = forms.BooleanField(label=_("Receive the safety newsletter"), required=False)


def _orgs(user):
    return organisations_for_staff(user=user)


class AudienceForm(ScopedOrganisationForm):
    categories = forms.MultipleChoiceField(
        label=_("Categories"),
        choices=Category.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    occupations = forms.MultipleChoiceField(
        label=_("Occupations"), required=False, widget=forms.CheckboxSelectMultiple
    )
    prefectures = forms.MultipleChoiceField(
        label=_("Prefectures"),
        choices=PREFECTURE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    work_types = forms.CharField(
        label=_("Business / work types"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line, exactly as on the roster. Blank: any."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from lms.models import Cycle, Requirement

        orgs = _orgs(self.for_user)
        names = (
            Occupation.objects.filter(organisation__in=orgs)
            .order_by("sort_order", "name")
            .values_list("name", flat=True)
            .distinct()
        )
        seen = list(dict.fromkeys(names))
        used = (
            Member.objects.filter(organisation__in=orgs)
            .exclude(occupation="")
            .values_list("occupation", flat=True)
            .distinct()
        )
        seen += sorted(set(used) - set(seen))
        self.fields["occupations"].choices = [(n, n) for n in seen]
        if "cycle" in self.fields:
            self.fields["cycle"].queryset = Cycle.objects.filter(
                campaign__organisation__in=orgs
            ).select_related("campaign")
        if "requirement" in self.fields:
            self.fields["requirement"].queryset = Requirement.objects.filter(
                campaign__organisation__in=orgs
            )
        if self.instance and self.instance.pk:
            self.initial["work_types"] = "\n".join(self.instance.work_types or [])

    def clean_work_types(self):
        value = self.cleaned_data.get("work_types") or ""
        return [line.strip() for line in value.splitlines() if line.strip()]

    def clean(self):
        data = super().clean()
        org = data.get("organisation")
        cycle, requirement = data.get("cycle"), data.get("requirement")
        if cycle and org and cycle.campaign.organisation_id != org.pk:
            self.add_error("cycle", _("Choose a cycle of the same organisation."))
        if requirement and cycle and requirement.campaign_id != cycle.campaign_id:
            self.add_error("requirement", _("Choose a requirement of the cycle's campaign."))
        if (data.get("completion") or data.get("overdue_only")) and not cycle:
            self.add_error("cycle", _("Choose the training cycle these filters refer to."))
        joined_from, joined_to = data.get("joined_from"), data.get("joined_to")
        if joined_from and joined_to and joined_to < joined_from:
            self.add_error("joined_to", _("The end of the range is before its start."))
        return data

    class Meta:
        model = Audience
        fields = [
            "organisation",
            "name",
            "description",
            "categories",
            "work_types",
            "occupations",
            "prefectures",
            "joined_from",
            "joined_to",
            "cycle",
            "requirement",
            "completion",
            "overdue_only",
        ]


class CampaignScopedForm(WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from lms.models import Campaign

        self.fields["campaign"].queryset = Campaign.objects.filter(
            organisation__in=_orgs(self.for_user)
        )

    def clean_days_before(self):
        value = self.cleaned_data.get("days_before") or []
        if isinstance(value, str):
            value = [v for v in value.replace("、", ",").split(",") if v.strip()]
        try:
            days = sorted({int(v) for v in value}, reverse=True)
        except (TypeError, ValueError):
            raise forms.ValidationError(_("Enter whole numbers of days, e.g. 14, 7, 1."))
        if any(d <= 0 or d > 365 for d in days):
            raise forms.ValidationError(_("Days must be between 1 and 365."))
        return days


class DaysListField(forms.CharField):
    """Days as staff type and read them: 「14, 7, 1」 (or 「14、7、1」), never [14, 7, 1]."""

    def prepare_value(self, value):
        if isinstance(value, (list, tuple)):
            return ", ".join(str(day) for day in value)
        return value


class ReminderScheduleForm(CampaignScopedForm):
    days_before = DaysListField(
        label=_("Reminders, days before the due date"),
        required=False,
        help_text=_("e.g. 14, 7, 1 (blank: no reminders before the due date)"),
    )


class SendForm(forms.Form):
    NOW, LATER = "now", "later"
    audience = forms.ModelChoiceField(label=_("Audience"), queryset=Audience.objects.none())
    when = forms.ChoiceField(
        label=_("When"),
        choices=[(NOW, _("Send now")), (LATER, _("Schedule"))],
        initial=NOW,
        widget=forms.RadioSelect,
    )
    scheduled_at = forms.DateTimeField(
        label=_("Send at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    def __init__(self, *args, audiences, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["audience"].queryset = audiences

    def clean(self):
        data = super().clean()
        if data.get("when") == self.LATER:
            at = data.get("scheduled_at")
            if not at:
                self.add_error("scheduled_at", _("Choose the date and time to send."))
            elif at <= timezone.now():
                self.add_error("scheduled_at", _("Choose a time in the future."))
        return data


class SuppressionImportForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=None)
    reason = forms.ChoiceField(
        label=_("Reason"), choices=Suppression.Reason.choices, initial=Suppression.Reason.BOUNCE
    )
    file = forms.FileField(
        label=_("Bounce list"),
        help_text=_(
            "A text file with one address per line, or a CSV with an e-mail column "
            "(UTF-8 or Shift_JIS)."
        ),
        validators=[FileExtensionValidator(TEXT_FILE_EXTENSIONS), validate_upload_size],
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = _orgs(user)
