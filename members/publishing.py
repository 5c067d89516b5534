"""Editors publish the apps' pages (courses, lessons, newsletters) without a moderator.

Wagtail's default "Editors" group may only submit pages to the "Moderators approval"
workflow. For the apps' pages the editor group (MEMBERS_EDITOR_GROUP, Wagtail's "Editors")
may publish too, unless the page's organisation asks for approval before publishing
(Organisation.publishing_approval): then the page goes through that organisation's own
workflow, whose one task is approved by the organisation's approvers (mailed once, in
Japanese). Pages declare it with ``EditorsPublishMixin`` (a page of one organisation) or
``EditorsPublishChildrenMixin`` (the index pages where editors create them).
"""

from django.db import transaction
from django.utils.translation import gettext as _
from wagtail.models import PagePermissionTester

from . import conf


def _is_editor(user) -> bool:
    if not user.is_active or not user.is_authenticated:
        return False
    cached = getattr(user, "_members_is_editor", None)
    if cached is None:
        cached = user.groups.filter(name=conf.editor_group_name()).exists()
        user._members_is_editor = cached
    return cached


def _editor_needs_approval(user) -> bool:
    """An editor of an organisation that asks for approval never publishes directly."""
    cached = getattr(user, "_members_editor_needs_approval", None)
    if cached is None:
        cached = user.editor_organisations.filter(publishing_approval=True).exists()
        user._members_editor_needs_approval = cached
    return cached


class EditorPublishingPermissionTester(PagePermissionTester):
    """Wagtail's page permissions, plus "publish" for editors on the apps' pages, or, for a
    page of an organisation that asks for approval, for its approvers only (who publish it by
    approving)."""

    def __init__(self, user, page, *, organisation=None):
        super().__init__(user, page)
        if user.is_active and not user.is_superuser and self._may_publish(user, organisation):
            self.permissions = self.permissions | {"publish"}

    def _may_publish(self, user, organisation) -> bool:
        if organisation is not None and organisation.publishing_approval:
            return organisation.approvers.filter(pk=user.pk).exists()
        return _is_editor(user) and not _editor_needs_approval(user) and self.can_edit()


class EditorsPublishMixin:
    """For a page that belongs to an organisation (``publishing_organisation()``)."""

    def publishing_organisation(self):
        return getattr(self, "organisation", None)

    def permissions_for_user(self, user):
        return EditorPublishingPermissionTester(
            user, self, organisation=self.publishing_organisation()
        )

    def get_workflow(self):
        """The organisation's approval workflow when it asks for one; otherwise none: editors
        publish themselves and staff publish as their page permissions allow."""
        organisation = self.publishing_organisation()
        if organisation and organisation.publishing_approval and organisation.approval_workflow:
            workflow = organisation.approval_workflow
            return workflow if workflow.active else None
        return None

    @property
    def has_workflow(self):
        return self.get_workflow() is not None


class EditorsPublishChildrenMixin:
    """For the index pages under which editors create (and publish) the apps' pages."""

    def permissions_for_user(self, user):
        return EditorPublishingPermissionTester(user, self)

    def get_workflow(self):
        return None

    @property
    def has_workflow(self):
        return False


def organisation_approval_setup(*, organisation):
    """Give an organisation that asks for approval its workflow (Japanese names): one group
    approval task whose group holds exactly the organisation's approvers. Idempotent; turning
    approval off leaves the workflow for the record (pages stop using it)."""
    from django.contrib.auth.models import Group, Permission
    from wagtail.models import GroupApprovalTask, Workflow, WorkflowTask

    if not organisation.publishing_approval:
        return None
    with transaction.atomic():
        group, _created = Group.objects.get_or_create(
            name=_("%(organisation)s approvers") % {"organisation": organisation.name[:120]}
        )
        group.permissions.add(
            Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
        )
        group.user_set.set(organisation.approvers.all())
        workflow = organisation.approval_workflow
        if workflow is None:
            workflow = Workflow.objects.create(
                name=_("%(organisation)s: approval before publishing")
                % {"organisation": organisation.name[:180]}
            )
            task = GroupApprovalTask.objects.create(
                name=_("%(organisation)s: approval") % {"organisation": organisation.name[:180]}
            )
            WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
            organisation.approval_workflow = workflow
            organisation.save(update_fields=["approval_workflow"])
        if not workflow.active:
            workflow.active = True
            workflow.save(update_fields=["active"])
        for task in GroupApprovalTask.objects.filter(workflow_tasks__workflow=workflow):
            task.groups.set([group])
    return workflow
