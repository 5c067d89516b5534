from wagtail.admin.views.mixins import SpreadsheetExportMixin

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class BomCsvExportMixin(SpreadsheetExportMixin):
    """CSV exports open correctly in Japanese Excel (UTF-8 with a byte-order mark), and no
    cell of members' data is taken for a formula (a leading apostrophe neutralises it)."""

    def stream_csv(self, queryset):
        yield "\ufeff".encode()
        yield from super().stream_csv(queryset)

    def preprocess_field_value(self, field, value, export_format):
        value = super().preprocess_field_value(field, value, export_format)
        if export_format == self.FORMAT_CSV and isinstance(value, str):
            if value.startswith(FORMULA_STARTS):
                return "'" + value
        return value
