"""Admin forms: every choice (organisation, campaign, course, occupation) is scoped to the
staff user's organisations."""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from courses.models import CoursePage
from members.models import Member, Occupation

from . import selectors
from .models import Campaign, Cycle, Requirement


def _orgs(user):
    return selectors.staff_organisations(user=user)


class AudienceRuleForm(WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "occupations" in self.fields:
            self.fields["occupations"].queryset = Occupation.objects.filter(
                organisation__in=_orgs(self.for_user)
            ).order_by("organisation", "sort_order", "name")


class RequirementForm(WagtailAdminModelForm):
    @classmethod
    def child_form(cls):
        return AudienceRuleForm

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        orgs = _orgs(self.for_user)
        self.fields["campaign"].queryset = Campaign.objects.filter(organisation__in=orgs)
        self.fields["courses"].queryset = CoursePage.objects.filter(
            Q(organisation__isnull=True) | Q(organisation__in=orgs)
        ).order_by("path")


class CampaignForm(WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = _orgs(self.for_user)


class CycleForm(WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = Campaign.objects.filter(
            organisation__in=_orgs(self.for_user)
        )


class ElectiveForm(WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        orgs = _orgs(self.for_user)
        self.fields["organisation"].queryset = orgs
        self.fields["course"].queryset = CoursePage.objects.filter(
            Q(organisation__isnull=True) | Q(organisation__in=orgs)
        ).order_by("path")
        self.fields["occupations"].queryset = Occupation.objects.filter(organisation__in=orgs)

    def clean(self):
        data = super().clean()
        org, occupations = data.get("organisation"), data.get("occupations")
        if org and occupations and any(o.organisation_id != org.pk for o in occupations):
            self.add_error("occupations", _("Choose occupations of the same organisation."))
        return data


class ExemptionForm(WagtailAdminModelForm):
    """Grant an exemption: the member is given by member number (rosters have 100k members)."""

    member_no = forms.CharField(label=_("Member number"), max_length=32)
    revoke = forms.BooleanField(
        label=_("Revoke this exemption"),
        required=False,
        help_text=_("The member is required again; the refresh restores the status."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        orgs = _orgs(self.for_user)
        self.fields["requirement"].queryset = Requirement.objects.filter(
            campaign__organisation__in=orgs
        ).select_related("campaign")
        self.fields["cycle"].queryset = Cycle.objects.filter(campaign__organisation__in=orgs)
        if self.instance.pk:
            self.fields["member_no"].initial = self.instance.member.member_no
            for name in ("member_no", "requirement", "cycle"):
                self.fields[name].disabled = True
            if self.instance.revoked_at:
                del self.fields["revoke"]
        else:
            del self.fields["revoke"]

    def clean(self):
        data = super().clean()
        requirement = data.get("requirement")
        if self.instance.pk or requirement is None or not data.get("member_no"):
            return data
        member = Member.objects.filter(
            organisation_id=requirement.campaign.organisation_id,
            member_no=data["member_no"].strip(),
        ).first()
        if member is None:
            self.add_error(
                "member_no",
                _("No member with this number in %(organisation)s.")
                % {"organisation": requirement.campaign.organisation},
            )
        else:
            self.instance.member = member
        cycle = data.get("cycle")
        if cycle and cycle.campaign_id != requirement.campaign_id:
            self.add_error("cycle", _("Choose a cycle of the requirement's campaign."))
        return data


class CompletionReportForm(forms.Form):
    """Filters of the campaign dashboard."""

    cycle = forms.ModelChoiceField(label=_("Cycle"), queryset=Cycle.objects.none(), required=False)
    requirement = forms.ModelChoiceField(
        label=_("Requirement"), queryset=Requirement.objects.none(), required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cycle"].queryset = selectors.staff_cycles(user=user)
        self.fields["requirement"].queryset = Requirement.objects.filter(
            campaign__organisation__in=_orgs(user)
        ).select_related("campaign")
