"""Values on staff screens as Japanese text: はい / いいえ, never True / False; lists joined
with 「、」, never [14, 7, 1]. Columns for Wagtail listings and plain functions for templates
and exports."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _
from wagtail.admin.ui.tables import Column


def yes_no(value) -> str:
    if value is None:
        return "—"
    return _("Yes") if value else _("No")


def joined(values: Iterable, *, each: str = "%s") -> str:
    """``[14, 7, 1]`` with ``each="%s日前"`` -> 「14日前、7日前、1日前」; empty -> 「なし」."""
    items = [each % value for value in values or ()]
    return "、".join(items) if items else _("None")


class YesNoColumn(Column):
    def get_value(self, instance):
        return yes_no(super().get_value(instance))


class ListColumn(Column):
    def __init__(self, name, *, each: str = "%s", **kwargs):
        super().__init__(name, **kwargs)
        self.each = each

    def get_value(self, instance):
        return joined(super().get_value(instance), each=self.each)
