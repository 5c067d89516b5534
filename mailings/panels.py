"""Admin panels of the newsletter pages."""

from django.utils.html import format_html, format_html_join
from wagtail.admin.panels import HelpPanel


class MergeTagWarningPanel(HelpPanel):
    """Warns the editor about merge tags in the body of the saved draft (the web archive
    never shows them) and about a greeting said twice."""

    class BoundPanel(HelpPanel.BoundPanel):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            from .rendering import body_merge_tag_warnings

            page = self.instance
            warnings = body_merge_tag_warnings(page) if page is not None and page.pk else []
            self.content = (
                format_html(
                    '<div class="help-block help-warning" role="status">{}</div>',
                    format_html_join("", "<p>{}</p>", ((w,) for w in warnings)),
                )
                if warnings
                else ""
            )
