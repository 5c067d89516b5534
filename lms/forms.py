"""Admin forms: every choice (organisation, campaign, course, occupation) is scoped to the
staff user's organisations."""

from pathlib import PurePath

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from courses.models import CoursePage
from members.models import Occupation
from members.selectors import member_by_number

from . import selectors
from .models import Campaign, Cycle, Requirement


def _orgs(user):
    return selectors.staff_organisations(user=user)


class RequirementForm(WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        orgs = _orgs(self.for_user)
        self.fields["campaign"].queryset = Campaign.objects.filter(organisation__in=orgs)
        self.fields["courses"].queryset = CoursePage.objects.filter(
            Q(organisation__isnull=True) | Q(organisation__in=orgs)
        ).order_by("path")
        if self.instance.pk:  # the rules choose among the campaign's organisation's occupations
            orgs = orgs.filter(pk=self.instance.campaign.organisation_id)
        self._scope_rule_occupations(orgs)

    def _scope_rule_occupations(self, orgs):
        """The audience rules' occupation choices: only the staff member's organisations'.
        The rules' forms (and the empty form new rows are made from) are built later, from
        the formset's form class, so the class is narrowed here."""
        rules = self.formsets.get("rules")
        if rules is None:
            return
        occupations = Occupation.objects.filter(organisation__in=orgs).order_by(
            "organisation", "sort_order", "name"
        )

        class ScopedRuleForm(rules.form):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                if "occupations" in self.fields:
                    self.fields["occupations"].queryset = occupations

        rules.form = ScopedRuleForm


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


EVIDENCE_TYPES = (".pdf", ".jpg", ".jpeg", ".png", ".heic")


def evidence_check(upload) -> None:
    """An exemption's evidence: a PDF or a picture of at most MEMBERS_UPLOAD_MAX_MB."""
    from members import conf as members_conf

    if PurePath(upload.name).suffix.lower() not in EVIDENCE_TYPES:
        raise forms.ValidationError(
            _("Upload a PDF or an image (%(types)s).") % {"types": ", ".join(EVIDENCE_TYPES)}
        )
    limit = members_conf.upload_max_mb()
    if upload.size > limit * 1024 * 1024:
        raise forms.ValidationError(_("The file is larger than %(limit)s MB.") % {"limit": limit})


def cycle_choices_by_campaign(cycles):
    """The cycles (years) grouped under their campaign, so each campaign's years are listed
    apart instead of one list of every campaign's 2026年度."""
    groups: dict[str, list] = {}
    for cycle in cycles.select_related("campaign").order_by("campaign__name", "-opens_on"):
        groups.setdefault(cycle.campaign.name, []).append((cycle.pk, cycle.name))
    return [("", "---------"), *groups.items()]


class ExemptionImportForm(forms.Form):
    """Bulk exemptions: a campaign of the staff user's organisations and a CSV/XLSX list."""

    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=Campaign.objects.none())
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV (UTF-8 or Shift_JIS) or Excel with the columns 加入者番号, 要件, 年度 and 理由 "
            "(年度 blank: every year of the campaign). One exemption per line."
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = Campaign.objects.filter(
            organisation__in=_orgs(user)
        ).select_related("organisation")


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
        cycles = Cycle.objects.filter(campaign__organisation__in=orgs)
        if self.instance.pk:  # the year list of the exemption's own campaign only
            cycles = cycles.filter(campaign_id=self.instance.requirement.campaign_id)
        self.fields["cycle"].queryset = cycles
        self.fields["cycle"].choices = cycle_choices_by_campaign(cycles)
        if "evidence" in self.fields:
            self.fields["evidence"].widget = forms.FileInput(
                attrs={"accept": ",".join(EVIDENCE_TYPES)}
            )
            if self.instance.evidence:
                self.fields["evidence"].help_text = _(
                    "Stored: %(name)s. A new file replaces it."
                ) % {"name": self.instance.evidence_name}
        if self.instance.pk:
            self.fields["member_no"].initial = self.instance.member.member_no
            for name in ("member_no", "requirement", "cycle"):
                self.fields[name].disabled = True
            if self.instance.revoked_at:
                del self.fields["revoke"]
        else:
            del self.fields["revoke"]

    def clean_evidence(self):
        upload = self.cleaned_data.get("evidence")
        if isinstance(upload, UploadedFile):  # a new file, not the one stored
            evidence_check(upload)
            self.instance.evidence_name = PurePath(upload.name).name[:255]
        return upload

    def clean(self):
        data = super().clean()
        requirement = data.get("requirement")
        if self.instance.pk or requirement is None or not data.get("member_no"):
            return data
        member = member_by_number(
            organisation=requirement.campaign.organisation, number=data["member_no"]
        )
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

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cycle"].queryset = selectors.staff_cycles(user=user)


class EvidencePackForm(WagtailAdminModelForm):
    """Make an evidence pack: one cycle of the user's organisations."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cycle"].queryset = selectors.staff_cycles(user=self.for_user)
        self.fields["cycle"].label_from_instance = lambda cycle: (
            f"{cycle.campaign.organisation.name} {cycle.campaign.name} {cycle.name}"
        )
