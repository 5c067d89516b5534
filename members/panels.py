"""The office home (Wagtail's admin dashboard) and the member page: shared building blocks.

Each app adds what it knows: ``construct_homepage_panels`` appends an ``OfficePanel`` (a
heading and a few figures, each with its unit and the list it counts), and the hook
``member_page_sections`` returns sections of the member page (a callable taking
``request`` and ``member`` and returning HTML or None). Apps to the right of members (courses,
lms, mailings) register theirs in their own wagtail_hooks.py, so members imports none of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.safestring import mark_safe
from wagtail import hooks
from wagtail.admin.ui.components import Component

MEMBER_PAGE_SECTIONS_HOOK = "member_page_sections"


@dataclass
class Figure:
    label: str
    value: object  # shown as is (already carrying its unit, e.g. 「12 人」)
    url: str = ""
    warning: bool = False
    testid: str = ""
    count: int | None = None  # the rows the linked list shows, when it links to one


class OfficePanel(Component):
    template_name = "members/admin/panels/office_panel.html"

    def __init__(self, *, name, heading, figures=(), note="", order=100):
        self.name, self.heading, self.note, self.order = name, heading, note, order
        self.figures = list(figures)

    def get_context_data(self, parent_context):
        return {"panel": self}


def member_page_sections(*, request, member) -> list[str]:
    """The HTML of every app's section of the member page, in hook order."""
    sections = []
    for section in hooks.get_hooks(MEMBER_PAGE_SECTIONS_HOOK):
        html = section(request=request, member=member)
        if html:
            sections.append(mark_safe(html))
    return sections
