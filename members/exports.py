"""Spreadsheet exports that never make a spreadsheet execute somebody's data.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (or the
full-width ``＝ ＋ － ＠`` that Japanese input methods produce and Japanese Excel also takes as
the start of a formula) is read by Excel/LibreOffice as a formula: a member called
``=HYPERLINK(...)`` or ``=cmd|' /C calc'!A0`` would run it on the office's PC (OWASP "CSV
injection"). The one rule of the project, used by every export of every app:

* CSV: such a text gets a leading apostrophe (OWASP), which Excel shows as "text, not a
  formula". Numbers, dates and empty cells are left alone (``-3`` stays a number).
* XLSX: such a text is written as a string cell with Excel's "quote prefix" style, the very
  cell Excel makes when someone types ``'=1+1``: shown without the apostrophe, never
  evaluated, and still text after the cell is edited.

``SafeSpreadsheetExportMixin`` applies it to Wagtail's ``SpreadsheetExportMixin`` (index
views of ModelViewSets/SnippetViewSets with ``list_export``, and ``ReportView``s), after any
``custom_field_preprocess`` so labels built from data are covered too, and writes CSV as
UTF-8 with a BOM for Japanese Excel: every export view of our apps uses it. Wagtail's own
exports (site history, aging/locked pages, workflows, redirects: page titles and object names
typed by editors) cannot take a mixin, so ``protect_wagtail_exports()`` (called once from
``MembersConfig.ready`` when the site sets MEMBERS_SAFE_WAGTAIL_EXPORTS) gives
``SpreadsheetExportMixin`` itself the same rule; neutralising is
idempotent, so a view that has both is not changed twice. Hand-written CSV (management
commands) uses ``neutralise_formula`` / ``safe_csv_row``. It lives in ``members`` because every
other app may import from it (members <- courses <- lms <- mailings).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from wagtail.admin.views.mixins import SpreadsheetExportMixin

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def is_formula_like(value: Any) -> bool:
    """True for text a spreadsheet would take for a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def neutralise_formula(value: Any) -> Any:
    """The value to write into a CSV cell: formula-like text gets a leading apostrophe."""
    if is_formula_like(value):
        return "'" + value
    return value


def safe_csv_row(values: Iterable[Any]) -> list[Any]:
    """A row for ``csv.writer`` with every cell neutralised."""
    return [neutralise_formula(value) for value in values]


def safe_csv_dict(row: dict) -> dict:
    """A row for ``csv.DictWriter`` with every cell neutralised."""
    return {key: neutralise_formula(value) for key, value in row.items()}


def _quote_prefixed(cells):
    for cell in cells:
        if is_formula_like(cell.value):
            cell.data_type = "s"
            cell.quotePrefix = True
        yield cell


def protect_wagtail_exports() -> None:
    """Neutralise formula-like cells in every ``SpreadsheetExportMixin`` export, Wagtail's own
    included. Idempotent."""
    mixin = SpreadsheetExportMixin
    if getattr(mixin, "formula_safe", False):
        return
    preprocess, xlsx_row = mixin.preprocess_field_value, mixin.generate_xlsx_row

    def preprocess_field_value(self, field, value, export_format):
        value = preprocess(self, field, value, export_format)
        return neutralise_formula(value) if export_format == self.FORMAT_CSV else value

    def generate_xlsx_row(self, worksheet, row_dict, date_format=None):
        return _quote_prefixed(xlsx_row(self, worksheet, row_dict, date_format=date_format))

    mixin.preprocess_field_value = preprocess_field_value
    mixin.generate_xlsx_row = generate_xlsx_row
    mixin.formula_safe = True


def _local_naive(value):
    """Excel has no time zones: a moment is written as the office reads it, in JST."""
    from django.utils import timezone

    return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value


class SafeSpreadsheetExportMixin(SpreadsheetExportMixin):
    """Wagtail's spreadsheet export with formula-like cells neutralised (see the module) and
    CSV in UTF-8 with a byte-order mark, so Japanese Excel opens it correctly. XLSX moments
    are JST (Wagtail's default writes them in UTC)."""

    csv_byte_order_mark = True
    custom_value_preprocess = {
        **SpreadsheetExportMixin.custom_value_preprocess,
        datetime.datetime: {SpreadsheetExportMixin.FORMAT_XLSX: _local_naive},
    }

    def stream_csv(self, queryset):
        rows = super().stream_csv(queryset)
        if not self.csv_byte_order_mark:
            yield from rows
            return
        first = next(rows, "")
        yield (b"\xef\xbb\xbf" if isinstance(first, bytes) else "\ufeff") + first
        yield from rows

    def preprocess_field_value(self, field, value, export_format):
        value = super().preprocess_field_value(field, value, export_format)
        if export_format == self.FORMAT_CSV:
            return neutralise_formula(value)
        return value

    def generate_xlsx_row(self, worksheet, row_dict, date_format=None):
        return _quote_prefixed(
            super().generate_xlsx_row(worksheet, row_dict, date_format=date_format)
        )

    def as_spreadsheet(self, queryset, spreadsheet_format):
        """Every export is written to the audit log: who, which list, which filters."""
        from .audit import AuditEvent, audit_log_many

        audit_log_many(
            user=self.request.user,
            action=AuditEvent.Action.EXPORT,
            organisations=self.audit_organisations(),
            detail=f"{self.get_filename()}.{spreadsheet_format} "
            f"{self.request.GET.urlencode()}".strip(),
        )
        return super().as_spreadsheet(queryset, spreadsheet_format)

    def audit_organisations(self):
        """The organisations whose data the export covers: the one chosen in the report's
        filter, else every organisation the user may see."""
        from .models import Organisation
        from .selectors import organisations_for_staff

        chosen = getattr(self, "organisation", None)
        if isinstance(chosen, Organisation):
            return [chosen]
        allowed = organisations_for_staff(user=self.request.user)
        picked = self.request.GET.getlist("organisation")
        if picked:
            narrowed = allowed.filter(pk__in=[p for p in picked if p.isdigit()])
            if narrowed:
                return list(narrowed)
        return list(allowed)
