"""Editors publish the apps' pages themselves; an organisation that wants approval gets its own
workflow whose Japanese mails go to its approvers, once; sending a newsletter stays with staff,
who are told when an issue is ready."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from courses.tests.conftest import course, home, index  # noqa: F401  (page fixtures)
from members import conf
from members.publishing import organisation_approval_setup
from tests.factories import make_staff
from tests.factories.mailings import make_newsletter

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def editor(db):
    """An account of Wagtail's own "Editors" group, as `wagtail start` creates it."""
    user = User.objects.create_user("writer", "writer@example.jp", "pw")
    user.groups.add(Group.objects.get(name=conf.editor_group_name()))
    return user


def _edit_page(client, page):
    return client.get(reverse("wagtailadmin_pages:edit", args=[page.pk])).content.decode()


def test_an_editor_publishes_courses_and_newsletters_without_a_moderator(
    client,
    editor,
    course,  # noqa: F811
    organisation,
):
    client.force_login(editor)
    assert 'name="action-publish"' in _edit_page(client, course)
    assert 'name="action-submit"' not in _edit_page(client, course)  # no moderators' workflow
    newsletter = make_newsletter(organisation=organisation, publish=False)
    assert 'name="action-publish"' in _edit_page(client, newsletter)
    # an editor may not publish the site's other pages (Wagtail's own rules there)
    assert not course.get_parent().get_parent().permissions_for_user(editor).can_publish()


def test_an_organisation_that_wants_approval_gets_its_workflow_and_mails_its_approvers_once(
    client,
    editor,
    course,  # noqa: F811
    organisation,
    mailoutbox,
):
    approver = User.objects.create_user("chief", "chief@example.jp", "pw")
    User.objects.create_superuser("root", "root@example.jp", "pw")
    organisation.publishing_approval = True
    organisation.save()
    organisation.editors.add(editor)
    organisation.approvers.add(approver)
    workflow = organisation_approval_setup(organisation=organisation)
    assert workflow.name == f"{organisation.name}：公開前の承認"
    assert organisation_approval_setup(organisation=organisation) == workflow  # idempotent
    course.organisation = organisation
    course.save()

    client.force_login(editor)
    page = _edit_page(client, course)
    assert 'name="action-publish"' not in page and 'name="action-submit"' in page
    assert workflow.name in page

    course.save_revision(user=editor)
    workflow.start(course, editor)
    assert [m.to for m in mailoutbox] == [["chief@example.jp"]]  # the approver, once
    assert f"ページ「{course.title}」の承認申請がありました" in mailoutbox[0].subject
    # the approver approves from the mail's page; the editor is told in Japanese
    mailoutbox.clear()
    client.force_login(approver)
    task_state = course.current_workflow_task_state
    response = client.post(
        reverse(
            "wagtailadmin_pages:workflow_action",
            args=[course.pk, "approve", task_state.pk],
        ),
        {"comment": ""},
    )
    assert response.status_code in (200, 302)
    course.refresh_from_db()
    assert course.live and not course.has_unpublished_changes
    assert any("承認されました" in m.subject for m in mailoutbox if m.to == ["writer@example.jp"])


def test_sending_stays_with_staff_who_are_told_when_an_issue_is_ready(
    client, editor, organisation, mailoutbox, django_capture_on_commit_callbacks
):
    staff = make_staff(organisations=[organisation])
    staff.user_permissions.add(Permission.objects.get(codename="add_mailing"))
    newsletter = make_newsletter(organisation=organisation, publish=False)
    client.force_login(editor)
    page = _edit_page(client, newsletter)
    assert "配信は事務局が行います" in page
    assert reverse("mailings_admin:send", args=[newsletter.pk]) not in page

    with django_capture_on_commit_callbacks(execute=True):
        newsletter.save_revision(user=editor).publish(user=editor)
    assert [m.to for m in mailoutbox] == [[staff.email]]
    ready = mailoutbox[0]
    assert newsletter.title in ready.subject and "配信の準備ができました" in ready.subject
    assert reverse("mailings_admin:send", args=[newsletter.pk]) in ready.body
    with django_capture_on_commit_callbacks(execute=True):
        newsletter.save_revision(user=editor).publish(user=editor)
    assert len(mailoutbox) == 1  # told once, not on every correction

    send_url = reverse("mailings_admin:send", args=[newsletter.pk])
    assert client.get(send_url).status_code in (302, 403, 404)  # the editor does not send
    client.force_login(staff)  # the staff member follows the mail's link
    response = client.get(send_url)
    assert response.status_code == 200 and newsletter.title in response.content.decode()
