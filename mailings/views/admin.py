"""Staff screens in the Wagtail admin: the send flow, a mailing's progress and controls,
audience previews, the bounce-list import. Every queryset is scoped to the staff user's
organisations (members.selectors.organisations_for_staff); another organisation's object
is a 404."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView, View
from wagtail.admin.views import generic
from wagtail.admin.views.generic import PermissionCheckedMixin, WagtailAdminTemplateMixin
from wagtail.admin.widgets.button import HeaderButton
from wagtail.permission_policies import ModelPermissionPolicy

from members.admin_scoping import ScopedIndexView, ScopedInspectView, is_staff_of
from members.selectors import organisations_for_staff

from .. import conf, selectors, services
from ..forms import SendForm, SuppressionImportForm
from ..models import (
    Mailing,
    MailingRecipient,
    NewsletterIndexPage,
    NewsletterPage,
    Suppression,
)

State = MailingRecipient.State
# The mailing's page lists the first rows of each problem (failed, retrying, bounced); the
# counts above them give the totals. Rows of unknown delivery are all shown, up to a
# worker's largest possible share, since staff decide each one with a checkbox.
ROWS_SHOWN = 200
UNKNOWN_ROWS_SHOWN = 500


def _staff_mailing(request, pk) -> Mailing:
    return get_object_or_404(
        selectors.mailings_for_staff(user=request.user).select_related("organisation"), pk=pk
    )


# --- mailings ------------------------------------------------------------------------------


class MailingIndexView(ScopedIndexView):
    def get_edit_url(self, instance):
        return reverse("mailings_mailing:inspect", args=[instance.pk])

    def get_add_url(self):
        return None


class MailingAddView(generic.CreateView):
    """A mailing is made from a newsletter issue (its 配信 button) or by the reminder
    schedule, never from an empty form: the model's add URL leads to the newsletters."""

    def dispatch(self, request, *args, **kwargs):
        messages.info(
            request,
            _("To send a newsletter, open its page and choose “Send to an audience”."),
        )
        index = NewsletterIndexPage.objects.order_by("path").first()
        if index is not None:
            return redirect("wagtailadmin_explore", index.pk)
        return redirect("wagtailadmin_explore_root")


class MailingDetailView(ScopedInspectView):
    """Progress while sending; afterwards counts by state, failures, bounces, unknowns."""

    template_name = "mailings/admin/mailing_detail.html"

    def get_page_subtitle(self):
        return self.object.title

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        mailing = self.object
        rows = MailingRecipient.objects.filter(mailing=mailing).order_by("id")
        context.update(
            mailing=mailing,
            counts=selectors.mailing_counts(mailing=mailing),
            exclusions=selectors.mailing_exclusions(mailing=mailing),
            failures=list(rows.filter(state=State.FAILED)[:ROWS_SHOWN]),
            unknown=list(rows.filter(state=State.UNKNOWN)[:UNKNOWN_ROWS_SHOWN]),
            bounces=list(rows.filter(state__in=(State.BOUNCED, State.COMPLAINED))[:ROWS_SHOWN]),
            retrying=list(rows.filter(state=State.QUEUED).exclude(error="")[:ROWS_SHOWN]),
            can_send=ModelPermissionPolicy(Mailing).user_has_permission(self.request.user, "add"),
            progress_url=reverse("mailings_admin:mailing_progress", args=[mailing.pk]),
            action_url=reverse("mailings_admin:mailing_action", args=[mailing.pk]),
        )
        return context


class MailingProgressView(View):
    """JSON counts for the progress bar."""

    def get(self, request, pk):
        mailing = _staff_mailing(request, pk)
        counts = selectors.mailing_counts(mailing=mailing)
        return JsonResponse(
            {
                "state": mailing.state,
                "state_label": mailing.get_state_display(),
                **counts,
            }
        )


class MailingActionView(PermissionCheckedMixin, View):
    permission_policy = ModelPermissionPolicy(Mailing)
    permission_required = "add"
    ACTIONS = {
        "pause": (services.mailing_pause, gettext_lazy("Paused.")),
        "resume": (services.mailing_resume, gettext_lazy("Resumed.")),
        "cancel": (services.mailing_cancel, gettext_lazy("Cancelled.")),
    }

    def post(self, request, pk):
        mailing = _staff_mailing(request, pk)
        action = request.POST.get("action", "")
        detail = reverse("mailings_mailing:inspect", args=[mailing.pk])
        if action in self.ACTIONS:
            func, message = self.ACTIONS[action]
            if func(mailing=mailing, user=request.user):
                messages.success(request, message)
            else:
                messages.error(request, _("Not possible in the mailing's current state."))
        elif action.startswith("unknown-"):
            decision = action.removeprefix("unknown-")
            if decision not in ("sent", "failed", "resend"):
                raise Http404
            ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()] or None
            n = services.mailing_unknown_resolve(
                mailing=mailing, user=request.user, decision=decision, ids=ids
            )
            messages.success(request, _("%(n)s rows updated.") % {"n": n})
        else:
            raise Http404
        return redirect(detail)


# --- newsletters: test and send ------------------------------------------------------------


def _newsletter_for_staff(request, page_id) -> NewsletterPage:
    page = get_object_or_404(NewsletterPage, pk=page_id)
    if not is_staff_of(user=request.user, organisation_id=page.organisation_id):
        raise Http404
    return page


class NewsletterTestView(WagtailAdminTemplateMixin, TemplateView):
    """Send the latest draft to the editor's own address."""

    template_name = "mailings/admin/newsletter_test.html"
    page_title = gettext_lazy("Send me a test")
    header_icon = "mail"

    def dispatch(self, request, page_id):
        self.page = get_object_or_404(NewsletterPage, pk=page_id)
        if not self.page.permissions_for_user(request.user).can_edit():
            raise PermissionDenied
        return super().dispatch(request, page_id)

    def get_page_subtitle(self):
        return self.page.title

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(page=self.page, email=self.request.user.email)
        return context

    def post(self, request, page_id):
        try:
            address = services.newsletter_test_send(page=self.page, user=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("A test was sent to %(address)s.") % {"address": address})
        return redirect("wagtailadmin_pages:edit", self.page.pk)


class NewsletterSendView(PermissionCheckedMixin, WagtailAdminTemplateMixin, FormView):
    """Choose an audience, see who gets it and who is excluded and why, send or schedule."""

    template_name = "mailings/admin/newsletter_send.html"
    page_title = gettext_lazy("Send newsletter")
    header_icon = "mail"
    permission_policy = ModelPermissionPolicy(Mailing)
    permission_required = "add"

    def dispatch(self, request, page_id):
        self.page = _newsletter_for_staff(request, page_id)
        return super().dispatch(request, page_id)

    def get_page_subtitle(self):
        return self.page.title

    def audiences(self):
        return selectors.audiences_for_staff(user=self.request.user).filter(
            organisation_id=self.page.organisation_id
        )

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["audiences"] = self.audiences()
        if self.request.method == "GET" and "audience" in self.request.GET:
            kwargs["initial"] = {"audience": self.request.GET.get("audience")}
        return kwargs

    def get_form_class(self):
        return SendForm

    def _chosen_audience(self, form):
        raw = form.data.get("audience") or form.initial.get("audience")
        if raw and str(raw).isdigit():
            return self.audiences().filter(pk=int(raw)).first()
        return None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        audience = self._chosen_audience(context["form"])
        context.update(
            page=self.page,
            audience=audience,
            preview=(
                selectors.audience_preview(
                    audience=audience, kind=Mailing.Kind.NEWSLETTER, limit=conf.preview_limit()
                )
                if audience
                else None
            ),
            previous=Mailing.objects.filter(newsletter=self.page).order_by("-created_at")[:5],
            live=self.page.live,
            has_unpublished_changes=self.page.has_unpublished_changes,
        )
        return context

    def form_valid(self, form):
        try:
            mailing = services.newsletter_mailing_create(
                page=self.page, audience=form.cleaned_data["audience"], user=self.request.user
            )
            at = form.cleaned_data["scheduled_at"] if form.cleaned_data["when"] == "later" else None
            services.mailing_send(mailing=mailing, user=self.request.user, at=at)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        if mailing.state == Mailing.State.SCHEDULED and at:
            messages.success(
                self.request,
                _("Scheduled for %(at)s.") % {"at": at.strftime("%Y-%m-%d %H:%M")},
            )
        else:
            messages.success(self.request, _("Sending started."))
        return redirect("mailings_mailing:inspect", mailing.pk)


# --- audiences ------------------------------------------------------------------------------


class AudienceInspectView(ScopedInspectView):
    template_name = "mailings/admin/audience_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            newsletter=selectors.audience_preview(
                audience=self.object, kind=Mailing.Kind.NEWSLETTER, limit=conf.preview_limit()
            ),
            notice=selectors.audience_preview(
                audience=self.object, kind=Mailing.Kind.NOTICE, limit=0
            ),
        )
        return context


class AudienceIndexView(ScopedIndexView):
    def get_edit_url(self, instance):
        return reverse("mailings_audience:inspect", args=[instance.pk])


class SuppressionIndexView(ScopedIndexView):
    @cached_property
    def header_buttons(self):
        buttons = super().header_buttons
        if self.user_has_permission("add"):
            buttons.append(
                HeaderButton(
                    _("Import a bounce list"),
                    url=reverse("mailings_admin:suppression_import"),
                    icon_name="upload",
                )
            )
        return buttons


# --- suppression import --------------------------------------------------------------------


class SuppressionImportView(PermissionCheckedMixin, WagtailAdminTemplateMixin, FormView):
    template_name = "mailings/admin/suppression_import.html"
    page_title = gettext_lazy("Import a bounce list")
    header_icon = "upload"
    permission_policy = ModelPermissionPolicy(Suppression)
    permission_required = "add"
    form_class = SuppressionImportForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        result = services.suppression_import(
            organisation=form.cleaned_data["organisation"],
            data=upload.read(),
            filename=upload.name,
            reason=form.cleaned_data["reason"],
            user=self.request.user,
        )
        if result.errors:
            return self.render_to_response(self.get_context_data(form=form, result=result))
        messages.success(
            self.request,
            _("%(added)s addresses added; %(already)s were already on the list.")
            % {"added": result.added, "already": result.already},
        )
        return redirect("mailings_suppression:index")


class ConsentWordingCreateView(generic.CreateView):
    def save_instance(self):
        return services.consent_wording_publish(
            organisation=self.form.cleaned_data["organisation"],
            text=self.form.cleaned_data["text"],
            user=self.request.user,
        )


# --- the office home and the member page ------------------------------------------------------


def office_mail_panel(request):
    """Bounced addresses and scheduled sends of the staff user's organisations, each linking
    to the list it counts."""
    from django.utils.formats import date_format
    from django.utils.timezone import localtime
    from django.utils.translation import ngettext

    from members.panels import Figure, OfficePanel

    if not ModelPermissionPolicy(Mailing).user_has_any_permission(request.user, ["view"]):
        return None
    organisations = organisations_for_staff(user=request.user)
    bounced = Suppression.objects.filter(
        organisation__in=organisations, reason=Suppression.Reason.BOUNCE
    ).count()
    scheduled = list(
        selectors.mailings_for_staff(user=request.user)
        .filter(state=Mailing.State.SCHEDULED)
        .order_by("scheduled_at", "pk")[:20]
    )
    figures = [
        Figure(
            label=_("Bounced addresses"),
            value=ngettext("%(n)s address", "%(n)s addresses", bounced) % {"n": bounced},
            url=reverse("mailings_suppression:index") + "?reason=bounce",
            warning=bool(bounced),
            testid="bounced-addresses",
            count=bounced,
        ),
        Figure(
            label=_("Scheduled sends"),
            value=ngettext("%(n)s mailing", "%(n)s mailings", len(scheduled))
            % {"n": len(scheduled)},
            url=reverse("mailings_mailing:index") + "?state=scheduled",
            testid="scheduled-sends",
            count=len(scheduled),
        ),
    ]
    for mailing in scheduled:
        when = localtime(mailing.scheduled_at) if mailing.scheduled_at else None
        figures.append(
            Figure(
                label=mailing.title,
                value=f"{date_format(when, 'DATE_FORMAT')} {when:%H:%M}" if when else "—",
                url=reverse("mailings_mailing:inspect", args=[mailing.pk]),
            )
        )
    return OfficePanel(name="mail", heading=_("Mail"), figures=figures, order=40)
