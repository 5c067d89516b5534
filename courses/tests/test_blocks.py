import pytest
from wagtail.blocks import StructBlockValidationError

from courses.blocks import LESSON_BLOCKS, QuizQuestionBlock, VideoBlock
from tests.factories.courses import make_captions, make_lesson, make_video_media, quiz_block

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name,block", LESSON_BLOCKS, ids=[n for n, _ in LESSON_BLOCKS])
def test_every_block_has_icon_template_and_a_preview_that_renders(name, block):
    assert block.meta.icon and block.meta.template
    html = block.render(block.get_preview_value())
    assert isinstance(html, str)


def test_preview_of_the_quiz_block_shows_no_correct_answer():
    from courses.blocks import QuizBlock

    block = QuizBlock()
    html = block.render(block.get_preview_value())
    assert "correct" not in html.lower()


def test_single_choice_question_needs_exactly_one_correct_choice():
    block = QuizQuestionBlock()
    value = block.to_python(
        {
            "question": "?",
            "kind": "single",
            "choices": [{"text": "a", "correct": True}, {"text": "b", "correct": True}],
        }
    )
    with pytest.raises(StructBlockValidationError):
        block.clean(value)


def test_uploaded_video_needs_captions_and_one_source():
    block = VideoBlock()
    media = make_video_media()
    value = block.to_python({"title": "t", "media": media.pk, "transcript": "<p>x</p>"})
    with pytest.raises(StructBlockValidationError) as exc:
        block.clean(value)
    assert "captions" in exc.value.block_errors
    value = block.to_python(
        {"title": "t", "media": media.pk, "captions": make_captions().pk, "transcript": "<p>x</p>"}
    )
    assert block.clean(value)["media"] == media


def test_editors_can_open_and_preview_a_lesson(client, course, django_user_model):
    media = make_video_media()
    from tests.factories.courses import video_block

    lesson = make_lesson(
        course=course,
        slug="ed",
        body=[video_block(media=media, captions=make_captions()), quiz_block()],
    )
    admin = django_user_model.objects.create_superuser("ed", "ed@example.jp", "pw")
    client.force_login(admin)
    assert client.get(f"/admin/pages/{lesson.pk}/edit/").status_code == 200
    assert client.get(f"/admin/pages/{course.pk}/edit/").status_code == 200
    response = lesson.make_preview_request()
    html = (
        response.render().content.decode()
        if hasattr(response, "render")
        else response.content.decode()
    )
    assert "プレビュー" in html and "correct" not in html.lower()
