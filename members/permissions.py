"""Permission policies: Wagtail's model permissions, scoped to the staff user's organisations.

A staff user holds permissions through the staff group (研修事務局); which rows they apply to
is decided by ``members.admin_scoping`` (scope_to_staff, is_staff_of), the one place that
scopes staff.
Members are changed by roster imports only, so the admin offers no add/change/delete on them.
"""

from wagtail.permission_policies import ModelPermissionPolicy


class OrganisationScopedPermissionPolicy(ModelPermissionPolicy):
    def __init__(self, model, *, organisation_field="organisation", actions=None):
        super().__init__(model)
        self.organisation_field = organisation_field
        self.actions = set(actions) if actions else None

    def user_has_permission(self, user, action):
        if self.actions is not None and action not in self.actions:
            return False
        return super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_any_permission_for_instance(user, [action], instance)

    def user_has_any_permission_for_instance(self, user, actions, instance):
        if not self.user_has_any_permission(user, actions):
            return False
        from .admin_scoping import is_staff_of

        organisation_id = getattr(instance, f"{self.organisation_field}_id")
        return is_staff_of(user=user, organisation_id=organisation_id)

    def instances_user_has_any_permission_for(self, user, actions):
        if not self.user_has_any_permission(user, actions):
            return self.model._default_manager.none()
        from .admin_scoping import scope_to_staff

        return scope_to_staff(
            self.model._default_manager.all(),
            user=user,
            organisation_path=self.organisation_field,
        )

    def instances_user_has_permission_for(self, user, action):
        return self.instances_user_has_any_permission_for(user, [action])


def register_policies():
    from wagtail.permissions import register_permission_policy

    from .models import AuditEvent, Member, PersonalDataRequest, RosterImport

    register_permission_policy(Member, OrganisationScopedPermissionPolicy(Member, actions=["view"]))
    register_permission_policy(
        RosterImport, OrganisationScopedPermissionPolicy(RosterImport, actions=["view", "add"])
    )
    register_permission_policy(
        PersonalDataRequest,
        OrganisationScopedPermissionPolicy(PersonalDataRequest, actions=["view", "add", "change"]),
    )
    register_permission_policy(
        AuditEvent, OrganisationScopedPermissionPolicy(AuditEvent, actions=["view"])
    )
