"""Unsubscribe without login, preferences, and the staff screens scoped by organisation."""

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.test import Client
from django.urls import reverse

from mailings.mime import unsubscribe_token
from mailings.models import Mailing, MailingRecipient, NewsletterConsent
from mailings.selectors import newsletter_subscribed
from tests.factories import (
    make_audience,
    make_member,
    make_newsletter,
    make_notice_mailing,
    make_staff,
    subscribe,
)

pytestmark = pytest.mark.django_db


def sender(user):
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="mailings",
            codename__in=["add_mailing", "view_mailing", "view_audience", "add_audience",
                          "change_audience", "add_suppression", "view_suppression"],
        )
    )  # fmt: skip
    return user


@pytest.fixture
def subscribed(member):
    subscribe(member)
    return member


# --- unsubscribe ----------------------------------------------------------------------


def test_one_click_post_unsubscribes_without_login_or_csrf(subscribed):
    client = Client(enforce_csrf_checks=True)
    token = unsubscribe_token(member_id=subscribed.pk, recipient_id=7)
    response = client.post(
        reverse("mailings:unsubscribe", args=[token]),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert not newsletter_subscribed(member=subscribed)
    consent = NewsletterConsent.objects.get(member=subscribed)
    assert consent.withdrawal_method == NewsletterConsent.Withdrawal.ONE_CLICK
    assert consent.withdrawn_at is not None
    # a second POST (mail clients retry) is harmless
    assert client.post(reverse("mailings:unsubscribe", args=[token])).status_code == 200


def test_get_shows_a_confirmation_and_changes_nothing(client, subscribed):
    token = unsubscribe_token(member_id=subscribed.pk)
    response = client.get(reverse("mailings:unsubscribe", args=[token]))
    assert response.status_code == 200
    assert "配信を停止する" in response.content.decode() or "Stop the newsletter" in (
        response.content.decode()
    )
    assert newsletter_subscribed(member=subscribed)
    response = client.post(reverse("mailings:unsubscribe", args=[token]))  # the page's button
    assert not newsletter_subscribed(member=subscribed)
    assert (
        NewsletterConsent.objects.get(member=subscribed).withdrawal_method
        == NewsletterConsent.Withdrawal.LINK
    )


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # signature changed
        lambda t: "999" + t,  # member id changed
        lambda t: t.split(":")[0],  # signature removed
        lambda t: "garbage",
    ],
    ids=["signature", "member", "unsigned", "garbage"],
)
def test_tampered_tokens_are_refused(client, subscribed, mangle):
    token = mangle(unsubscribe_token(member_id=subscribed.pk, recipient_id=1))
    for method in (client.get, client.post):
        response = method(reverse("mailings:unsubscribe", args=[token]))
        assert response.status_code == 400
    assert newsletter_subscribed(member=subscribed)


def test_test_mail_token_unsubscribes_nobody(client, subscribed):
    token = unsubscribe_token(member_id=0)
    assert client.post(reverse("mailings:unsubscribe", args=[token])).status_code == 200
    assert newsletter_subscribed(member=subscribed)


# --- preferences --------------------------------------------------------------------------


def test_member_manages_newsletter_consent_with_history(client, member, django_user_model):
    user = django_user_model.objects.create_user(username="taro", email=member.email)
    member.user = user
    member.save()
    client.force_login(user)
    url = reverse("mailings:preferences")
    page = client.get(url).content.decode()
    assert member.organisation.name in page
    assert "メールで受け取ります" in page  # the consent wording shown

    client.post(url, {f"m{member.pk}-newsletter": "on"})
    consent = NewsletterConsent.objects.get(member=member)
    assert consent.method == NewsletterConsent.Method.WEB and consent.withdrawn_at is None
    assert consent.wording.version == 1

    client.post(url, {})
    consent.refresh_from_db()
    assert consent.withdrawn_at and consent.withdrawal_method == "preferences"
    assert "第1版" in client.get(url).content.decode()  # history with the wording version


def test_preferences_require_sign_in(client):
    response = client.get(reverse("mailings:preferences"))
    assert response.status_code == 302 and "login" in response["Location"]


# --- staff scoping ----------------------------------------------------------------------


@pytest.fixture
def two_orgs(organisation, other_organisation):
    a_staff = sender(make_staff(username="staff-a", organisations=[organisation]))
    b_member = make_member(organisation=other_organisation, email="b@example.jp")
    subscribe(b_member)
    b_audience = make_audience(organisation=other_organisation, name="B全員")
    b_mailing = make_notice_mailing(organisation=other_organisation, members=[b_member])
    return a_staff, b_audience, b_mailing


def test_staff_cannot_see_another_organisations_mailings_or_audiences(client, two_orgs):
    a_staff, b_audience, b_mailing = two_orgs
    client.force_login(a_staff)
    assert client.get(reverse("mailings_mailing:inspect", args=[b_mailing.pk])).status_code == 404
    assert client.get(reverse("mailings_audience:inspect", args=[b_audience.pk])).status_code == 404
    assert (
        client.get(reverse("mailings_admin:mailing_progress", args=[b_mailing.pk])).status_code
        == 404
    )
    listing = client.get(reverse("mailings_mailing:index")).content.decode()
    assert b_mailing.title not in listing
    response = client.post(
        reverse("mailings_admin:mailing_action", args=[b_mailing.pk]), {"action": "cancel"}
    )
    assert response.status_code == 404
    b_mailing.refresh_from_db()
    assert b_mailing.state == Mailing.State.SENDING


def test_staff_cannot_send_to_another_organisations_members(
    client, two_orgs, organisation, other_organisation, site
):
    a_staff, b_audience, _b_mailing = two_orgs
    client.force_login(a_staff)
    b_page = make_newsletter(organisation=other_organisation)
    assert client.get(reverse("mailings_admin:send", args=[b_page.pk])).status_code == 404
    # their own newsletter cannot be sent to B's audience either
    a_page = make_newsletter(organisation=organisation)
    response = client.post(
        reverse("mailings_admin:send", args=[a_page.pk]), {"audience": b_audience.pk, "when": "now"}
    )
    assert response.status_code == 200 and "audience" in response.context["form"].errors
    assert not Mailing.objects.filter(newsletter=a_page).exists()
    assert (
        not MailingRecipient.objects.filter(member__organisation=other_organisation)
        .exclude(mailing=_b_mailing)
        .exists()
    )


def test_send_flow_counts_excludes_and_sends(
    client, organisation, site, django_capture_on_commit_callbacks
):
    staff = sender(make_staff(username="staff-a", organisations=[organisation]))
    subscribed = [make_member(organisation=organisation) for _ in range(3)]
    subscribe(*subscribed)
    make_member(organisation=organisation)  # never opted in
    no_email = make_member(organisation=organisation, email="")
    subscribe(no_email)
    audience = make_audience(organisation=organisation, name="全員")
    page = make_newsletter(organisation=organisation)
    client.force_login(staff)
    url = reverse("mailings_admin:send", args=[page.pk])

    preview = client.get(url, {"audience": audience.pk}).context["preview"]
    assert preview["recipients"] == 3
    assert {code: n for _label, code, n in preview["excluded"]} == {
        "no_email": 1,
        "not_subscribed": 1,
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url + f"?audience={audience.pk}", {"audience": audience.pk,
                                                                  "when": "now"})  # fmt: skip
    mailing = Mailing.objects.get(newsletter=page)
    assert response["Location"] == reverse("mailings_mailing:inspect", args=[mailing.pk])
    assert sorted(m.to[0].split("<")[-1].rstrip(">") for m in mail.outbox) == sorted(
        m.email for m in subscribed
    )
    detail = client.get(response["Location"])
    assert detail.context["counts"]["sent"] == 3
    assert (
        dict(detail.context["exclusions"])
        == {
            "No e-mail address": 1,
            "Not subscribed to the newsletter": 1,
        }
        or len(detail.context["exclusions"]) == 2
    )


def test_schedule_is_stored_and_started_by_the_periodic_task(
    client, organisation, site, django_capture_on_commit_callbacks
):
    import datetime

    from django.utils import timezone

    from mailings.services import mailings_tick

    staff = sender(make_staff(username="staff-a", organisations=[organisation]))
    subscribe(make_member(organisation=organisation))
    audience = make_audience(organisation=organisation)
    page = make_newsletter(organisation=organisation)
    client.force_login(staff)
    at = timezone.localtime() + datetime.timedelta(hours=2)
    client.post(
        reverse("mailings_admin:send", args=[page.pk]),
        {"audience": audience.pk, "when": "later", "scheduled_at": at.strftime("%Y-%m-%dT%H:%M")},
    )
    mailing = Mailing.objects.get(newsletter=page)
    assert mailing.state == Mailing.State.SCHEDULED
    assert mailings_tick()["started"] == 0 and mail.outbox == []
    Mailing.objects.filter(pk=mailing.pk).update(scheduled_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert mailings_tick()["started"] == 1
    assert len(mail.outbox) == 1


def test_send_me_a_test_goes_to_the_editors_own_address(client, organisation, site):
    editor = make_staff(username="editor", organisations=[organisation])
    editor.is_superuser = True
    editor.save()
    page = make_newsletter(organisation=organisation)
    client.force_login(editor)
    response = client.post(reverse("mailings_admin:test", args=[page.pk]))
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to[0].endswith("<editor@example.jp>")


def test_admin_preview_as_email(client, organisation, site):
    admin = make_staff(username="admin", organisations=[organisation])
    admin.is_superuser = True
    admin.save()
    page = make_newsletter(organisation=organisation)
    client.force_login(admin)
    for mode, needle in (("email", "<table"), ("text", "----")):
        response = client.get(
            reverse("wagtailadmin_pages:view_draft", args=[page.pk]) + f"?mode={mode}"
        )
        assert response.status_code == 200, mode
        assert needle in response.content.decode()
        assert organisation.postal_address in response.content.decode()


def test_archive_visibility(client, organisation, member, site, django_user_model):
    public = make_newsletter(organisation=organisation, title="公開号", archive_visibility="public")
    members_only = make_newsletter(organisation=organisation, title="会員限定号")
    index = public.get_parent()
    assert client.get(public.url).status_code == 200
    assert client.get(members_only.url).status_code == 302  # to sign-in
    listing = client.get(index.url).content.decode()
    assert "公開号" in listing and "会員限定号" not in listing

    user = django_user_model.objects.create_user(username="m", email=member.email)
    member.user = user
    member.save()
    client.force_login(user)
    assert client.get(members_only.url).status_code == 200
    assert "会員限定号" in client.get(index.url).content.decode()

    outsider = django_user_model.objects.create_user(username="o", email="o@example.jp")
    client.force_login(outsider)
    assert client.get(members_only.url).status_code == 404


def test_staff_build_an_audience_in_the_admin(client, organisation, other_organisation):
    from mailings.models import Audience

    staff = sender(make_staff(username="staff-a", organisations=[organisation]))
    make_member(organisation=organisation, occupation="大工", prefecture="01")
    make_member(organisation=organisation, occupation="大工", prefecture="13")
    client.force_login(staff)
    form = client.get(reverse("mailings_audience:add")).context["form"]
    assert list(form.fields["organisation"].queryset) == [organisation]
    assert ("大工", "大工") in form.fields["occupations"].choices
    response = client.post(
        reverse("mailings_audience:add"),
        {
            "organisation": organisation.pk,
            "name": "北海道の大工",
            "occupations": ["大工"],
            "prefectures": ["01"],
            "work_types": "",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    audience = Audience.objects.get(name="北海道の大工")
    assert audience.prefectures == ["01"] and audience.occupations == ["大工"]
    detail = client.get(reverse("mailings_audience:inspect", args=[audience.pk]))
    assert detail.context["notice"]["recipients"] == 1
    # another organisation cannot be chosen
    response = client.post(
        reverse("mailings_audience:add"), {"organisation": other_organisation.pk, "name": "x"}
    )
    assert response.status_code == 200 and "organisation" in response.context["form"].errors
