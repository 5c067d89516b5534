import datetime

from allauth.account.forms import RequestLoginCodeForm
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from wagtail.admin.widgets import AdminDateInput

from . import conf
from .services import member_login_user


def validate_upload_size(uploaded) -> None:
    """Files staff upload (rosters, attendance lists, bounce lists) stay under
    MEMBERS_UPLOAD_MAX_MB: a clear error instead of a server busy for minutes."""
    limit = conf.upload_max_mb() * 1024 * 1024
    if uploaded.size > limit:
        raise ValidationError(
            _("The file is %(size)s; files up to %(limit)s can be uploaded."),
            code="file_too_large",
            params={"size": filesizeformat(uploaded.size), "limit": filesizeformat(limit)},
        )


TEXT_FILE_EXTENSIONS = ["csv", "txt", "tsv"]
DATA_FILE_EXTENSIONS = [*TEXT_FILE_EXTENSIONS, "xlsx"]


class MemberRequestLoginCodeForm(RequestLoginCodeForm):
    """Sends a code only to the roster e-mail of an active member; the answer is always neutral."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = _("E-mail address registered with your group")
        self.fields["email"].widget.attrs.update(
            {"autocomplete": "email", "inputmode": "email", "placeholder": "name@example.jp"}
        )

    def clean_email(self):
        email = super().clean_email()  # also consumes the per-address rate limit
        self._user = member_login_user(email=email)
        return email


class WarekiDateField(forms.DateField):
    """A date typed as 2026-06-10, 2026/6/10, 20260610 or in 和暦 (R8.6.10, 令和8年6月10日)."""

    widget = forms.TextInput

    def to_python(self, value):
        from .roster import normalise

        if value in self.empty_values:
            return None
        if isinstance(value, datetime.date):
            return value
        try:
            return normalise.date(value)
        except normalise.Problem:
            raise forms.ValidationError(
                _("Enter a date such as 2026-06-10 or R8.6.10."), code="invalid"
            )


class RosterUploadForm(forms.Form):
    organisation = forms.ModelChoiceField(queryset=None, label=_("Organisation"))
    file = forms.FileField(
        label=_("Roster file"),
        help_text=_("CSV (UTF-8, UTF-8 with BOM or Shift_JIS/CP932) or Excel .xlsx."),
        validators=[FileExtensionValidator(DATA_FILE_EXTENSIONS), validate_upload_size],
    )
    encoding = forms.ChoiceField(
        label=_("Encoding"),
        choices=[
            ("auto", _("Detect automatically")),
            ("utf-8", "UTF-8"),
            ("utf-8-sig", _("UTF-8 with BOM")),
            ("cp932", "Shift_JIS (CP932)"),
        ],
        initial="auto",
    )
    sheet = forms.CharField(
        label=_("Sheet"), required=False, help_text=_("XLSX only; blank means the first sheet.")
    )
    as_of = WarekiDateField(
        label=_("Roster date"),
        required=False,
        help_text=_(
            "The date the file describes (blank: today). 和暦 such as R8.6.10 is accepted."
        ),
    )
    withdraw_missing = forms.BooleanField(
        label=_("Withdraw members missing from the file (on the roster date)"), required=False
    )
    skip_invalid = forms.BooleanField(
        label=_("Apply the valid rows and skip the rows with errors"), required=False
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        only = list(organisations[:2])
        if len(only) == 1:
            self.fields["organisation"].initial = only[0].pk


class WarekiAdminDateInput(AdminDateInput):
    """Wagtail's date picker, minus its habit of replacing text it cannot parse (R8.6.1) with
    today's date when the field loses focus; the server reads the text instead."""

    def get_config(self):
        return {**super().get_config(), "validateOnBlur": False}


def register_wareki_date_fields() -> None:
    """Every date field of the Wagtail admin's model forms (campaigns, cycles, exemptions,
    audiences, pages ...) accepts what staff type: 和暦 (R8.6.1, 令和8年6月1日), 2026/6/1,
    20260601, as well as the date picker's 2026-06-01. Called from MembersConfig.ready."""
    from django.db import models
    from wagtail.admin.forms.models import register_form_field_override

    register_form_field_override(
        models.DateField,
        override={"form_class": WarekiDateField, "widget": WarekiAdminDateInput},
        exact_class=True,  # not DateTimeField, a subclass
    )
