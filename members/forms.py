import datetime

from allauth.account.adapter import get_adapter
from allauth.account.forms import ConfirmLoginCodeForm, RequestLoginCodeForm
from allauth.core import context, ratelimit
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


class MemberConfirmLoginCodeForm(ConfirmLoginCodeForm):
    """The 6-digit code: a number pad on phones, and the code from the SMS/e-mail offered by
    the keyboard (autocomplete=one-time-code)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].label = _("Sign-in code (6 digits)")
        self.fields["code"].widget.attrs.update(_code_widget().attrs)

    def clean_code(self):
        # full-width digits and spaces typed on a Japanese keyboard are the same code
        import unicodedata

        self.cleaned_data["code"] = unicodedata.normalize(
            "NFKC", self.cleaned_data.get("code") or ""
        ).replace(" ", "")
        # each confirmation counts against ACCOUNT_RATE_LIMITS["confirm_login_code"] (per
        # client address), on top of allauth's tries per code; a wrong code is a sign-in
        # failure (members/signin_alerts.py)
        if not ratelimit.consume(context.request, action="confirm_login_code"):
            raise get_adapter().validation_error("too_many_login_attempts")
        try:
            return super().clean_code()
        except ValidationError:
            from .signin_alerts import record_failure

            record_failure(kind="member_code")
            raise


def _code_widget():
    return forms.TextInput(
        attrs={
            "inputmode": "numeric",
            "autocomplete": "one-time-code",
            "pattern": "[0-9]*",
            "maxlength": "6",
            "placeholder": "123456",
        }
    )


class LetterSignInForm(forms.Form):
    key = forms.CharField(
        label=_("Key on your sign-in letter"),
        max_length=40,
        help_text=_("12 letters and digits, e.g. ABCD-EFGH-JK23 (dashes optional)."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )

    def clean_key(self):
        from .letters import KEY_LENGTH, normalise_key

        key = normalise_key(self.cleaned_data["key"])
        if len(key) != KEY_LENGTH:
            raise forms.ValidationError(
                _("The key has 12 letters and digits; please check it."), code="invalid"
            )
        return key


class EmailAddForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_("We send a code to this address to check it."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}),
    )


class EmailConfirmForm(forms.Form):
    code = forms.CharField(label=_("Code (6 digits)"), max_length=12, widget=_code_widget())

    def clean_code(self):
        import unicodedata

        return unicodedata.normalize("NFKC", self.cleaned_data["code"]).replace(" ", "")


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
    """The apps' own dates (members.fields.JapaneseDateField) accept what staff type in the
    Wagtail admin: 和暦 (R8.6.1, 令和8年6月1日), 2026/6/1, 20260601, as well as the date
    picker's 2026-06-01. With MEMBERS_WAREKI_ADMIN_DATES, so does every other date field of
    the admin (a site's own models and pages too). Called from MembersConfig.ready."""
    from django.db import models
    from wagtail.admin.forms.models import register_form_field_override

    from . import conf
    from .fields import JapaneseDateField

    override = {"form_class": WarekiDateField, "widget": WarekiAdminDateInput}
    register_form_field_override(JapaneseDateField, override=override)
    if conf.wareki_admin_dates():
        # exact: not DateTimeField, a subclass
        register_form_field_override(models.DateField, override=override, exact_class=True)
