"""Newsletter blocks: the course blocks that make sense in e-mail, plus links and buttons.

Each block renders twice: with its ``Meta.template`` on the web archive, and with
``mailings/email/blocks/<name>.html`` (inline styles, tables) in the e-mail.
"""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks

from courses.blocks import CalloutBlock, HeadingBlock, ImageBlock, RichTextBlock


class CourseLinkBlock(blocks.StructBlock):
    """A card linking to a course or lesson, with a call to action."""

    page = blocks.PageChooserBlock(
        label=_("Course or lesson"), page_type=["courses.CoursePage", "courses.LessonPage"]
    )
    text = blocks.CharBlock(
        label=_("Text"), required=False, max_length=200, help_text=_("Blank uses the summary.")
    )
    button_label = blocks.CharBlock(label=_("Button label"), default="受講する", max_length=40)

    class Meta:
        icon = "link"
        template = "mailings/blocks/course_link_block.html"
        label = _("Link to a course or lesson")
        preview_value = {
            "page": None,
            "text": "夏の熱中症対策を10分で学べます。",
            "button_label": "受講する",
        }


class ButtonBlock(blocks.StructBlock):
    label = blocks.CharBlock(label=_("Label"), max_length=60)
    url = blocks.URLBlock(label=_("Link"))

    class Meta:
        icon = "link-external"
        template = "mailings/blocks/button_block.html"
        label = _("Button")
        preview_value = {"label": "詳しく見る", "url": "https://www.mhlw.go.jp/"}


NEWSLETTER_BLOCKS = [
    ("heading", HeadingBlock()),
    ("text", RichTextBlock()),
    ("image", ImageBlock()),
    ("callout", CalloutBlock()),
    ("course_link", CourseLinkBlock()),
    ("button", ButtonBlock()),
]
