"""Builders for courses: a page tree, lessons with blocks, media, and study records."""

import io
import itertools
import uuid

from django.core.files.base import ContentFile
from wagtail.models import Page

from courses.models import CourseIndexPage, CoursePage, LessonPage

_seq = itertools.count(1)


def quiz_value(
    *,
    pass_mark=80,
    shuffle=False,
    questions=None,
    draw=0,
    show_answers="after_passing",
    attempts_per_day=0,
    max_attempts=0,
    cooldown_seconds=0,
):
    """A quiz block value; by default two questions: one single, one multiple choice. No
    limits on attempts unless asked for (the block's own defaults are 3 a day and a minute
    between attempts: the tests of those settings ask for them)."""
    questions = questions or [
        {
            "question": "熱中症の疑いがある人が自分で水を飲めないときは？",
            "kind": "single",
            "choices": [
                {"text": "すぐに119番通報する", "correct": True},
                {"text": "休憩室で一人で休ませる", "correct": False},
            ],
            "explanation": "自力で飲めないのは重症のサインです。",
        },
        {
            "question": "腰痛を防ぐ持ち上げ方は？（すべて選ぶ）",
            "kind": "multiple",
            "choices": [
                {"text": "膝を曲げて腰を落とす", "correct": True},
                {"text": "荷物を体に近づける", "correct": True},
                {"text": "腰をひねって持ち上げる", "correct": False},
            ],
            "explanation": "",
        },
    ]
    return {
        "title": "確認テスト",
        "pass_mark": pass_mark,
        "shuffle": shuffle,
        "draw": draw,
        "show_answers": show_answers,
        "attempts_per_day": attempts_per_day,
        "max_attempts": max_attempts,
        "cooldown_seconds": cooldown_seconds,
        "questions": [
            {
                "type": "item",
                "id": str(uuid.uuid4()),
                "value": {
                    **q,
                    "choices": [
                        {"type": "item", "id": str(uuid.uuid4()), "value": c} for c in q["choices"]
                    ],
                },
            }
            for q in questions
        ],
    }


def text_body(text="<p>整理とは、要るものと要らないものを分けることです。</p>"):
    return [{"type": "text", "value": text}]


def make_course_index(*, parent=None, title="研修一覧", slug=None):
    parent = parent or Page.objects.filter(depth=2).first() or Page.get_first_root_node()
    index = CourseIndexPage(title=title, slug=slug or f"courses-{next(_seq)}")
    parent.add_child(instance=index)
    index.save_revision().publish()
    return index


def make_course_page(*, index=None, title="災害防止等に関する研修", final_quiz=None, **fields):
    """A published course. No stated duration (所要時間 0: no study time required) unless
    ``estimated_minutes`` is given: the tests of the study clock give one."""
    index = index or make_course_index()
    fields.setdefault("summary", "毎年受講する研修です。")
    fields.setdefault("estimated_minutes", 0)
    course = CoursePage(title=title, slug=fields.pop("slug", f"course-{next(_seq)}"), **fields)
    if final_quiz:
        course.final_quiz = [{"type": "quiz", "value": final_quiz, "id": str(uuid.uuid4())}]
    index.add_child(instance=course)
    course.save_revision().publish()
    course.refresh_from_db()
    return course


def make_lesson(*, course, title=None, body=None, **fields):
    """A published lesson. Its minimum study time is the editor's 0 (none) unless
    ``min_study_seconds`` is given; ``min_study_seconds=None`` works it out from the content."""
    n = next(_seq)
    fields.setdefault("min_study_seconds", 0)
    lesson = LessonPage(
        title=title or f"レッスン{n}", slug=fields.pop("slug", f"lesson-{n}"), **fields
    )
    lesson.body = body if body is not None else text_body()
    course.add_child(instance=lesson)
    lesson.save_revision().publish()
    lesson.refresh_from_db()
    return lesson


def _root_collection():
    from wagtail.models import Collection

    return Collection.get_first_root_node() or Collection.add_root(name="Root")


def make_video_media(*, duration=10.0, title="熱中症の初期症状", data=b"\x1aE\xdf\xa3fake"):
    from wagtailmedia.models import get_media_model

    Media = get_media_model()
    _root_collection()
    media = Media(title=title, type="video", duration=duration)
    media.file.save(f"clip-{next(_seq)}.webm", ContentFile(data), save=False)
    media.save()
    return media


def make_captions(*, text="WEBVTT\n\n00:00.000 --> 00:02.000\nこんにちは\n"):
    from wagtail.documents import get_document_model

    Document = get_document_model()
    _root_collection()
    document = Document(title="字幕")
    document.file.save(f"captions-{next(_seq)}.vtt", ContentFile(text.encode()), save=False)
    document.save()
    return document


def video_block(*, media, captions, allow_seeking=False, transcript=None):
    return {
        "type": "video",
        "id": str(uuid.uuid4()),
        "value": {
            "title": "動画",
            "media": media.pk,
            "embed": None,
            "captions": captions.pk,
            "transcript": transcript or "<p>めまいや立ちくらみは熱中症の初期症状です。</p>",
            "allow_seeking": allow_seeking,
        },
    }


def quiz_block(**kwargs):
    return {"type": "quiz", "id": str(uuid.uuid4()), "value": quiz_value(**kwargs)}


def correct_answers(lesson_or_quiz):
    """{question_id: [correct choice ids]} read from the page on the server side (as a grader)."""
    from courses import quiz as quizlib
    from courses.services import lesson_requirements

    value = (
        lesson_requirements(lesson_or_quiz).quiz
        if isinstance(lesson_or_quiz, LessonPage)
        else lesson_or_quiz
    )
    return {q.id: sorted(q.correct_ids) for q in quizlib.questions_of(value)}


def csv_bytes(rows, *, encoding="utf-8-sig"):
    out = io.StringIO()
    for row in rows:
        out.write(",".join(row) + "\r\n")
    return out.getvalue().encode(encoding)


def post_heartbeat(client, lesson, seconds=15):
    """What the lesson page's player sends every 15 s while the page is visible."""
    import json

    from django.urls import reverse

    return client.post(
        reverse("courses:heartbeat", args=[lesson.pk]),
        json.dumps({"seconds": seconds}),
        content_type="application/json",
    )


def survey_blocks():
    """A post-course survey: the 5-point scale, a multiple-choice question, free text."""
    return [
        {
            "type": "meaningful",
            "value": {"question": "この研修は有意義でしたか。"},
            "id": str(uuid.uuid4()),
        },
        {
            "type": "choice",
            "value": {
                "question": "役に立った内容を選んでください。",
                "choices": ["事故のときの応急手当", "整理・整頓", "熱中症の予防"],
                "multiple": True,
                "required": True,
            },
            "id": str(uuid.uuid4()),
        },
        {
            "type": "text",
            "value": {"question": "ご意見・ご感想", "required": False},
            "id": str(uuid.uuid4()),
        },
    ]
