"""StreamField blocks for lessons, newsletters and site pages.

Every block has ``Meta.icon``, ``Meta.template`` and a ``preview_value``. The quiz block's
template never prints which choice is correct: grading happens on the server
(courses.services.quiz_submit) and explanations are shown only after a submission.
"""

from django.core.exceptions import ValidationError
from django.forms.utils import ErrorList
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks import StructBlockValidationError
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.embeds.blocks import EmbedBlock
from wagtail.images.blocks import ImageChooserBlock
from wagtailmedia.blocks import VideoChooserBlock


class HeadingBlock(blocks.CharBlock):
    class Meta:
        icon = "title"
        template = "courses/blocks/heading_block.html"
        label = _("Heading")
        preview_value = "熱中症を防ぐ"


class RichTextBlock(blocks.RichTextBlock):
    class Meta:
        icon = "pilcrow"
        template = "courses/blocks/rich_text_block.html"
        label = _("Text")
        preview_value = "<p>作業の前に水分をとりましょう。</p>"


HOME_BLOCKS = [("heading", HeadingBlock()), ("text", RichTextBlock())]


class ImageBlock(blocks.StructBlock):
    image = ImageChooserBlock(label=_("Image"))
    alt_text = blocks.CharBlock(
        label=_("Alternative text"),
        max_length=250,
        help_text=_("What the image shows, for people who cannot see it. Required."),
    )
    caption = blocks.CharBlock(label=_("Caption"), required=False, max_length=250)

    class Meta:
        icon = "image"
        template = "courses/blocks/image_block.html"
        label = _("Image")
        preview_value = {"image": None, "alt_text": "脚立の天板に立たない", "caption": ""}


class CalloutBlock(blocks.StructBlock):
    POINT, CAUTION, DANGER = "point", "caution", "danger"
    kind = blocks.ChoiceBlock(
        label=_("Kind"),
        choices=[(POINT, _("Point")), (CAUTION, _("Caution")), (DANGER, _("Danger"))],
        default=POINT,
    )
    title = blocks.CharBlock(label=_("Title"), required=False, max_length=120)
    text = blocks.RichTextBlock(label=_("Text"), features=["bold", "italic", "link", "ul", "ol"])

    class Meta:
        icon = "warning"
        template = "courses/blocks/callout_block.html"
        label = _("Callout")
        preview_value = {
            "kind": "danger",
            "title": "",
            "text": "<p>意識がない、呼びかけに答えないときは、すぐに119番通報をします。</p>",
        }


class DocumentBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label=_("Document"))
    title = blocks.CharBlock(
        label=_("Link text"), required=False, help_text=_("Blank uses the document's title.")
    )
    description = blocks.TextBlock(label=_("Description"), required=False)

    class Meta:
        icon = "doc-full"
        template = "courses/blocks/document_block.html"
        label = _("Document download")
        preview_value = {"document": None, "title": "特別加入団体用テキスト", "description": ""}


class VideoBlock(blocks.StructBlock):
    """A video with captions and a transcript; watched coverage is tracked for uploaded files."""

    title = blocks.CharBlock(label=_("Title"), max_length=200)
    media = VideoChooserBlock(
        label=_("Uploaded video"),
        required=False,
        help_text=_("Upload with Media. Watching is tracked second by second for uploaded videos."),
    )
    embed = EmbedBlock(
        label=_("Embedded video URL"),
        required=False,
        help_text=_(
            "e.g. a YouTube URL, instead of an upload. Embedded videos cannot be tracked: "
            "members complete them through the transcript."
        ),
    )
    captions = DocumentChooserBlock(
        label=_("Captions (WebVTT)"),
        required=False,
        help_text=_("A .vtt caption file. Required for uploaded videos."),
    )
    transcript = blocks.RichTextBlock(
        label=_("Transcript"),
        features=["bold", "italic", "ul", "ol", "h3"],
        help_text=_("Everything said and shown, for members who cannot watch or hear the video."),
    )
    allow_seeking = blocks.BooleanBlock(
        label=_("Allow skipping ahead"),
        required=False,
        default=False,
        help_text=_("Unticked: members cannot jump past the furthest point they have watched."),
    )

    def clean(self, value):
        value = super().clean(value)
        errors = {}
        if bool(value.get("media")) == bool(value.get("embed")):
            errors["media"] = ErrorList(
                [ValidationError(_("Choose an uploaded video or an embed URL (one of them)."))]
            )
        if value.get("media") and not value.get("captions"):
            errors["captions"] = ErrorList(
                [ValidationError(_("Uploaded videos need a WebVTT caption file."))]
            )
        media = value.get("media")
        if media is not None and not (media.duration and media.duration > 0):
            errors["media"] = ErrorList(
                [
                    ValidationError(
                        _(
                            "The length of this video is not known, so watching it cannot be "
                            "checked. Upload the file again in Media (its length is read when "
                            "it is uploaded)."
                        )
                    )
                ]
            )
        captions = value.get("captions")
        if captions and not captions.file.name.lower().endswith(".vtt"):
            errors["captions"] = ErrorList([ValidationError(_("Captions must be a .vtt file."))])
        if errors:
            raise StructBlockValidationError(block_errors=errors)
        return value

    class Meta:
        icon = "media"
        template = "courses/blocks/video_block.html"
        label = _("Video")
        preview_value = {
            "title": "熱中症の初期症状",
            "media": None,
            "embed": None,
            "captions": None,
            "transcript": "<p>めまい、立ちくらみ、手足のしびれは熱中症の初期症状です。</p>",
            "allow_seeking": False,
        }


class QuizChoiceBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("Choice"), max_length=300)
    correct = blocks.BooleanBlock(label=_("Correct"), required=False, default=False)

    class Meta:
        icon = "tick"
        label = _("Choice")


class QuizQuestionBlock(blocks.StructBlock):
    SINGLE, MULTIPLE = "single", "multiple"
    question = blocks.TextBlock(label=_("Question"))
    kind = blocks.ChoiceBlock(
        label=_("Answer type"),
        choices=[(SINGLE, _("One answer")), (MULTIPLE, _("Several answers"))],
        default=SINGLE,
    )
    choices = blocks.ListBlock(QuizChoiceBlock(), label=_("Choices"), min_num=2)
    explanation = blocks.TextBlock(
        label=_("Explanation"),
        required=False,
        help_text=_("Shown after the member submits the quiz."),
    )

    def clean(self, value):
        value = super().clean(value)
        correct = sum(1 for choice in value["choices"] if choice["correct"])
        if value["kind"] == self.SINGLE and correct != 1:
            raise StructBlockValidationError(
                block_errors={
                    "choices": ErrorList(
                        [
                            ValidationError(
                                _("A one-answer question needs exactly one correct choice.")
                            )
                        ]
                    )
                }
            )
        if value["kind"] == self.MULTIPLE and correct < 1:
            raise StructBlockValidationError(
                block_errors={
                    "choices": ErrorList(
                        [ValidationError(_("Mark at least one choice as correct."))]
                    )
                }
            )
        return value

    class Meta:
        icon = "help"
        label = _("Question")


SHOW_ANSWERS_NEVER, SHOW_ANSWERS_AFTER_PASSING, SHOW_ANSWERS_AFTER_LAST_ATTEMPT = (
    "never",
    "after_passing",
    "after_last_attempt",
)


class FinalQuizBlock(blocks.StructBlock):
    """A course's final quiz; its pass mark is the course's."""

    title = blocks.CharBlock(label=_("Title"), default="修了テスト", max_length=120)
    shuffle = blocks.BooleanBlock(
        label=_("Shuffle questions and choices"), required=False, default=False
    )
    draw = blocks.IntegerBlock(
        label=_("Questions per attempt"),
        required=False,
        default=0,
        min_value=0,
        help_text=_(
            "Draw this many of the questions below for each attempt (a question pool); "
            "0 or blank = all of them."
        ),
    )
    show_answers = blocks.ChoiceBlock(
        label=_("Show the correct answers"),
        choices=[
            (SHOW_ANSWERS_AFTER_PASSING, _("After passing")),
            (SHOW_ANSWERS_AFTER_LAST_ATTEMPT, _("After the last allowed attempt")),
            (SHOW_ANSWERS_NEVER, _("Never")),
        ],
        default=SHOW_ANSWERS_AFTER_PASSING,
        help_text=_(
            "Before then a member sees only the score. 'After the last allowed attempt': once "
            "no attempt is left (the total below, or today's when there is no total)."
        ),
    )
    attempts_per_day = blocks.IntegerBlock(
        label=_("Attempts per day"),
        required=False,
        default=3,
        min_value=0,
        help_text=_("0 or blank = no limit."),
    )
    max_attempts = blocks.IntegerBlock(
        label=_("Attempts in all"),
        required=False,
        default=0,
        min_value=0,
        help_text=_(
            "Per member and course attempt (a year's training); 0 or blank = no limit. A member "
            "who uses them all without passing cannot complete until staff give more."
        ),
    )
    cooldown_seconds = blocks.IntegerBlock(
        label=_("Wait between attempts (seconds)"),
        required=False,
        default=60,
        min_value=0,
        help_text=_("0 or blank = none."),
    )
    questions = blocks.ListBlock(QuizQuestionBlock(), label=_("Questions"), min_num=1)

    def clean(self, value):
        value = super().clean(value)
        draw = value.get("draw") or 0
        if draw > len(value["questions"]):
            raise StructBlockValidationError(
                block_errors={
                    "draw": ErrorList(
                        [
                            ValidationError(
                                _("The quiz has only %(n)d questions to draw from.")
                                % {"n": len(value["questions"])}
                            )
                        ]
                    )
                }
            )
        return value

    class Meta:
        icon = "list-ul"
        template = "courses/blocks/quiz_block.html"
        label = _("Final quiz")
        preview_value = {
            "title": "修了テスト",
            "shuffle": False,
            "questions": [
                {
                    "question": "熱中症が疑われる人が自分で水を飲めないとき、まずすることは？",
                    "kind": "single",
                    "choices": [
                        {"text": "119番通報する", "correct": True},
                        {"text": "しばらく様子を見る", "correct": False},
                    ],
                    "explanation": "自力で水分をとれないときは重症のおそれがあります。",
                }
            ],
        }


class QuizBlock(FinalQuizBlock):
    """A lesson's quiz, with its own pass mark."""

    pass_mark = blocks.IntegerBlock(
        label=_("Pass mark (%)"), min_value=0, max_value=100, default=80
    )

    class Meta:
        icon = "list-ul"
        template = "courses/blocks/quiz_block.html"
        label = _("Quiz")
        preview_value = {
            "title": "確認テスト",
            "pass_mark": 80,
            "shuffle": False,
            "questions": FinalQuizBlock._meta_class.preview_value["questions"],
        }


LESSON_BLOCKS = [
    ("heading", HeadingBlock()),
    ("text", RichTextBlock()),
    ("image", ImageBlock()),
    ("callout", CalloutBlock()),
    ("document", DocumentBlock()),
    ("video", VideoBlock()),
    ("quiz", QuizBlock()),
]

COURSE_BLOCKS = [
    ("heading", HeadingBlock()),
    ("text", RichTextBlock()),
    ("image", ImageBlock()),
    ("callout", CalloutBlock()),
    ("document", DocumentBlock()),
    ("video", VideoBlock()),
]

FINAL_QUIZ_BLOCKS = [("quiz", FinalQuizBlock())]
