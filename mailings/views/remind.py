"""督促メール from the lists of people (overdue, not started, in progress): choose a reminder
text, preview it with one member's values and the count, confirm, send.

The people are exactly the rows of the list the staff member came from: the list's own view
filters them (its filters travel in ``filters``), narrowed to the ticked members unless
"everyone matching" was chosen. The confirmation carries a fresh key, so a double submit
sends once (mailings.staff_reminders)."""

import copy
import uuid

from django import forms
from django.contrib import messages
from django.http import Http404, QueryDict
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView
from wagtail.admin.views.generic import PermissionCheckedMixin, WagtailAdminTemplateMixin
from wagtail.permission_policies import ModelPermissionPolicy

from lms.models import Cycle
from members.models import Organisation

from ..models import Mailing, ReminderTemplate
from ..reminders import template_for
from ..rendering import render_shared
from ..staff_reminders import staff_reminder_preview, staff_reminder_send

# list name -> (the list's view, what it is called on screen)
LISTS = {
    "overdue": ("lms.views.admin.OverdueReportView", gettext_lazy("Overdue")),
    "not_started": ("lms.views.admin.NotStartedReportView", gettext_lazy("Not started")),
    "in_progress": ("lms.views.admin.InProgressReportView", gettext_lazy("In progress")),
}
DEFAULT_STEP = {
    "overdue": ReminderTemplate.Step.OVERDUE,
    "not_started": ReminderTemplate.Step.BEFORE_DUE,
    "in_progress": ReminderTemplate.Step.BEFORE_DUE,
}


def list_view_class(list_name):
    try:
        return import_string(LISTS[list_name][0])
    except (KeyError, ImportError):
        raise Http404


def list_rows(request, list_name: str, filters: str):
    """The rows of the list ``list_name`` with ``filters`` (its query string) for this user:
    the list's own view builds and filters them, so they are exactly the rows on screen."""
    view_class = list_view_class(list_name)
    list_request = copy.copy(request)
    list_request.GET = QueryDict(filters)
    view = view_class()
    view.setup(list_request)
    return view.filter_queryset(view.get_queryset())


def list_url(list_name: str, filters: str) -> str:
    try:
        url = reverse(f"lms_reports:{list_name}")
    except NoReverseMatch:
        return reverse("wagtailadmin_home")
    return f"{url}?{filters}" if filters else url


class RemindForm(forms.Form):
    list = forms.ChoiceField(choices=[(k, k) for k in LISTS], widget=forms.HiddenInput)
    filters = forms.CharField(required=False, widget=forms.HiddenInput)
    member = forms.TypedMultipleChoiceField(
        coerce=int, required=False, widget=forms.MultipleHiddenInput
    )
    everyone = forms.BooleanField(required=False, widget=forms.HiddenInput)
    step = forms.ChoiceField(
        label=gettext_lazy("Reminder text"),
        choices=ReminderTemplate.Step.choices,
        widget=forms.RadioSelect,
    )
    key = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, member_choices=(), step_labels=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = [(pk, pk) for pk in member_choices]
        if step_labels:
            self.fields["step"].choices = step_labels


class RemindView(PermissionCheckedMixin, WagtailAdminTemplateMixin, FormView):
    """Step one (GET from a list, then POST "preview"): the text and the count; step two
    (POST "send"): the confirmed send."""

    permission_policy = ModelPermissionPolicy(Mailing)
    permission_required = "add"
    template_name = "mailings/admin/remind.html"
    form_class = RemindForm
    page_title = gettext_lazy("Reminder mail (督促メール)")
    header_icon = "mail"

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.page_title}]

    def get_params(self):
        return self.request.POST if self.request.method == "POST" else self.request.GET

    def setup_list(self):
        params = self.get_params()
        self.list_name = params.get("list", "")
        if self.list_name not in LISTS:
            raise Http404
        self.filters = params.get("filters", "")
        rows = list_rows(self.request, self.list_name, self.filters)
        pairs = set(rows.values_list("member_id", "cycle_id"))
        self.everyone = params.get("everyone") in ("1", "True", "on")
        ticked = {int(pk) for pk in params.getlist("member") if pk.isdigit()}
        if not self.everyone:
            pairs = {(member, cycle) for member, cycle in pairs if member in ticked}
        self.targets = sorted(pairs)
        cycles = Cycle.objects.filter(pk__in={cycle for _m, cycle in pairs})
        self.organisations = list(
            Organisation.objects.filter(campaigns__cycles__in=cycles).distinct()
        )

    def get(self, request, *args, **kwargs):
        self.setup_list()
        return self.render_to_response(self.get_context_data(form=self.get_form()))

    def post(self, request, *args, **kwargs):
        self.setup_list()
        return super().post(request, *args, **kwargs)

    def get_initial(self):
        return {
            "list": self.list_name,
            "filters": self.filters,
            "member": [member for member, _cycle in self.targets] if not self.everyone else [],
            "everyone": self.everyone,
            "step": DEFAULT_STEP[self.list_name],
        }

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if self.request.method == "GET":
            kwargs.pop("data", None)
        kwargs["member_choices"] = sorted({member for member, _cycle in self.targets})
        kwargs["step_labels"] = self.step_labels()
        return kwargs

    def step_labels(self):
        if len(self.organisations) != 1:
            return None
        organisation = self.organisations[0]
        return [
            (step, f"{label} — {self.subject_as_staff_read_it(organisation, step)}")
            for step, label in ReminderTemplate.Step.choices
        ]

    def subject_as_staff_read_it(self, organisation, step) -> str:
        """The step's subject with the campaign and year filled in (those of the people
        chosen, when they share one) and each person's own values named, not as placeholders."""
        cycles = {cycle for _member, cycle in self.targets}
        shared = {}
        if len(cycles) == 1:
            cycle = Cycle.objects.select_related("campaign").get(pk=cycles.pop())
            shared = {"campaign": cycle.campaign.name, "cycle": cycle.name}
        own = {
            key: "〈%s〉" % label
            for key, label in [
                ("campaign", _("campaign name")),
                ("cycle", _("year of the campaign")),
                ("name", _("member's name")),
                ("due_date", _("their due date")),
                ("days_left", _("days left")),
                ("progress", _("their progress")),
                ("courses", _("their courses")),
            ]
        }
        subject = template_for(organisation=organisation, step=step)[0]
        return render_shared(subject, {**own, **shared})

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        people = len({member for member, _cycle in self.targets})
        context.update(
            list_label=LISTS[self.list_name][1],
            list_url=list_url(self.list_name, self.filters),
            people=people,
            several_organisations=len(self.organisations) > 1,
        )
        return context

    def form_valid(self, form):
        if len(self.organisations) != 1 or not self.targets:
            messages.error(
                self.request,
                _("Choose the people of one organisation on the list first.")
                if self.targets
                else _("Nobody is selected."),
            )
            return redirect(list_url(self.list_name, self.filters))
        organisation = self.organisations[0]
        step = form.cleaned_data["step"]
        if self.request.POST.get("action") == "send" and form.cleaned_data["key"]:
            return self.send(organisation, step, form.cleaned_data["key"])
        preview = staff_reminder_preview(
            user=self.request.user, organisation=organisation, targets=self.targets, step=step
        )
        return self.render_to_response(
            self.get_context_data(
                form=form,
                preview=preview,
                key=uuid.uuid4(),
                step_label=ReminderTemplate.Step(step).label,
            )
        )

    def send(self, organisation, step, key):
        reminder, sent_now = staff_reminder_send(
            user=self.request.user,
            organisation=organisation,
            targets=self.targets,
            step=step,
            key=key,
            list_name=self.list_name,
        )
        if sent_now:
            messages.success(
                self.request,
                _("The reminder is being sent to %(count)s people.") % {"count": reminder.mailed},
            )
        else:
            messages.info(self.request, _("This reminder was already sent; it was not sent again."))
        return redirect(list_url(self.list_name, self.filters))
