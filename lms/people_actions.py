"""Actions on the people of a list (overdue, not started, in progress), offered by other apps:
mailings registers 督促メール. lms stays installable alone: it only asks the hook.

    @hooks.register("register_people_list_action")
    def my_action(request, list_name):
        return PeopleListAction(label=..., url=...) or None

A list with actions gets a tick box per person and a footer with one button per action for
the ticked people and one for everyone matching the list's filters. The buttons open the
action's URL (GET) with ``list``, the list's ``filters`` (its query string), the ticked
``member`` ids, or ``everyone=1``: the action's page confirms before it does anything.
"""

from __future__ import annotations

import dataclasses

from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.ui.tables import Column

HOOK = "register_people_list_action"


@dataclasses.dataclass
class PeopleListAction:
    label: str
    url: str
    icon: str = "mail"


class SelectPersonColumn(Column):
    """A tick box for the row's member, tied to the list's action form by its id."""

    cell_template_name = "lms/admin/tables/select_person_cell.html"

    def __init__(self, name="select", **kwargs):
        super().__init__(name, label=_("Select"), accessor="member_id", **kwargs)


class PeopleActionsMixin:
    """For a ReportView of people: ``list_name`` says which list it is."""

    list_name = ""
    template_name = "lms/admin/people_list.html"
    results_template_name = "lms/admin/people_list_results.html"

    @cached_property
    def people_actions(self) -> list[PeopleListAction]:
        actions = []
        for hook in hooks.get_hooks(HOOK):
            action = hook(self.request, self.list_name)
            if action is not None:
                actions.append(action)
        return actions

    def with_selection(self, columns):
        return [SelectPersonColumn(), *columns] if self.people_actions else columns

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["people_actions"] = self.people_actions
        context["people_list_name"] = self.list_name
        context["people_list_filters"] = self.request.GET.urlencode()
        return context
