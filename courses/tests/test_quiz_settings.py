"""Quiz settings as a member meets them through the player: when the correct answers are
shown, attempts per day and in all, the wait between attempts, question pools with shuffled
choices, and the form sent again after pressing Back."""

import datetime
import re

import pytest
import time_machine
from django.urls import reverse

from courses.blocks import QuizBlock
from courses.models import QuizAttempt
from courses.services import QuizSettings
from tests.factories.courses import make_lesson, quiz_block

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 6, 2, 1, 0, tzinfo=datetime.UTC)  # 10:00 in Tokyo

FIVE_QUESTIONS = [
    {
        "question": f"問{n}：正しいものは？",
        "kind": "single",
        "choices": [
            {"text": f"正しい{n}", "correct": True},
            {"text": f"誤り{n}a", "correct": False},
            {"text": f"誤り{n}b", "correct": False},
            {"text": f"誤り{n}c", "correct": False},
        ],
        "explanation": f"解説{n}",
    }
    for n in range(1, 6)
]


def _form(client, lesson):
    """The quiz form as the page shows it: its token, and per question its choices in order."""
    html = client.get(lesson.url).content.decode()
    form = html.split('class="quiz-form"')[1].split("</form>")[0]
    token = re.search(r'name="token" value="([^"]+)"', form).group(1)
    questions = {}
    for qid, value in re.findall(r'name="q-([^"]+)" value="([^"]+)"', form):
        questions.setdefault(qid, []).append(value)
    return token, questions


def _correct(lesson, qid):
    from tests.factories.courses import correct_answers

    return correct_answers(lesson)[qid]


def _submit(client, lesson, token, answers):
    data = {"token": token, **{f"q-{qid}": ids for qid, ids in answers.items()}}
    return client.post(reverse("courses:lesson_quiz", args=[lesson.pk]), data)


def _wrong(questions):
    return {qid: [choices[-1]] for qid, choices in questions.items()}


def test_a_new_quiz_block_has_the_issue_s_defaults():
    settings = QuizSettings.of(QuizBlock().get_default())
    assert settings.show_answers == "after_passing"
    assert settings.attempts_per_day == 3
    assert settings.cooldown_seconds == 60
    assert settings.max_attempts == 0


@pytest.fixture
def quiz_lesson(course):
    def make(**settings):
        return make_lesson(course=course, slug=f"q{len(settings)}", body=[quiz_block(**settings)])

    return make


def test_answers_are_shown_only_after_passing_by_default(member_client, quiz_lesson):
    lesson = quiz_lesson(show_answers="after_passing")
    token, questions = _form(member_client, lesson)
    failed = _submit(member_client, lesson, token, {qid: [] for qid in questions})
    page = member_client.get(failed.url).content.decode()
    assert "不合格" in page or "まだ合格していません" in page
    assert "正解" not in page.split('id="quiz-result"')[1].split("</div>")[0].replace(
        "正解は合格", ""
    )
    assert "自力で飲めないのは重症のサインです" not in page  # the explanation waits too
    token, questions = _form(member_client, lesson)
    passed = _submit(
        member_client, lesson, token, {qid: _correct(lesson, qid) for qid in questions}
    )
    page = member_client.get(passed.url).content.decode()
    assert "正解" in page and "自力で飲めないのは重症のサインです" in page


def test_never_shows_the_correct_answers(member_client, quiz_lesson):
    lesson = quiz_lesson(show_answers="never")
    token, questions = _form(member_client, lesson)
    passed = _submit(
        member_client, lesson, token, {qid: _correct(lesson, qid) for qid in questions}
    )
    page = member_client.get(passed.url).content.decode()
    result = page.split('id="quiz-result"')[1].split("</div>")[0]
    assert "合格" in result and "このテストの正解は表示されません" in result
    assert "正解" not in result.replace("このテストの正解は表示されません", "")
    assert "自力で飲めないのは重症のサインです" not in page


def test_after_the_last_allowed_attempt(member_client, quiz_lesson):
    lesson = quiz_lesson(show_answers="after_last_attempt", max_attempts=2)
    token, questions = _form(member_client, lesson)
    first = member_client.get(_submit(member_client, lesson, token, _wrong(questions)).url)
    assert "自力で飲めないのは重症のサインです" not in first.content.decode()
    token, questions = _form(member_client, lesson)
    last = member_client.get(_submit(member_client, lesson, token, _wrong(questions)).url)
    html = last.content.decode()
    assert "自力で飲めないのは重症のサインです" in html, "no attempt is left: answers are shown"
    assert 'class="quiz-form"' not in html  # and no form to use them in
    assert "すべて使いました" in html


def test_attempts_per_day_and_the_next_day(member_client, quiz_lesson):
    lesson = quiz_lesson(attempts_per_day=3)
    with time_machine.travel(T0, tick=False) as traveller:
        for n in range(2):
            traveller.move_to(T0 + datetime.timedelta(minutes=n))
            token, questions = _form(member_client, lesson)
            _submit(member_client, lesson, token, _wrong(questions))
        third, questions = _form(member_client, lesson)
        kept_open, _ = _form(member_client, lesson)  # another tab
        _submit(member_client, lesson, third, _wrong(questions))
        html = member_client.get(lesson.url).content.decode()
        assert "明日また回答できます" in html
        assert 'class="quiz-form"' not in html
        # the form kept open in the other tab is refused too, with the reason
        response = _submit(member_client, lesson, kept_open, _wrong(questions))
        assert "明日また回答できます" in member_client.get(response.url).content.decode()
        assert QuizAttempt.objects.filter(lesson=lesson).count() == 3
        traveller.move_to(T0 + datetime.timedelta(days=1))
        token, questions = _form(member_client, lesson)
        _submit(member_client, lesson, token, _wrong(questions))
    assert QuizAttempt.objects.filter(lesson=lesson).count() == 4


def test_the_wait_between_attempts(member_client, quiz_lesson):
    lesson = quiz_lesson(cooldown_seconds=60)
    with time_machine.travel(T0, tick=False) as traveller:
        token, questions = _form(member_client, lesson)
        _submit(member_client, lesson, token, _wrong(questions))
        traveller.move_to(T0 + datetime.timedelta(seconds=20))
        token, questions = _form(member_client, lesson)
        response = _submit(member_client, lesson, token, _wrong(questions))
        page = member_client.get(response.url).content.decode()
        errors = page.split('id="quiz-errors"')[1].split("</div>")[0]
        assert "10:01:00" in errors  # when the next attempt is allowed, next to the button
        assert QuizAttempt.objects.filter(lesson=lesson).count() == 1
        traveller.move_to(T0 + datetime.timedelta(seconds=61))
        _submit(member_client, lesson, token, _wrong(questions))
    assert QuizAttempt.objects.filter(lesson=lesson).count() == 2


def test_a_pool_draws_n_questions_and_the_attempt_records_what_was_shown(member_client, course):
    lesson = make_lesson(
        course=course,
        slug="pool",
        body=[quiz_block(questions=FIVE_QUESTIONS, draw=2, shuffle=True, pass_mark=50)],
    )
    token, shown = _form(member_client, lesson)
    assert len(shown) == 2
    first, second = list(shown)
    answers = {first: _correct(lesson, first), second: [shown[second][0]]}
    # an answer to a question the form did not show is ignored
    from tests.factories.courses import correct_answers

    hidden = next(qid for qid in correct_answers(lesson) if qid not in shown)
    answers[hidden] = correct_answers(lesson)[hidden]
    _submit(member_client, lesson, token, answers)
    attempt = QuizAttempt.objects.get(lesson=lesson)
    assert [q["id"] for q in attempt.questions] == [first, second]
    for q in attempt.questions:
        assert [c["id"] for c in q["choices"]] == shown[q["id"]]  # the order shown
        assert q["text"].startswith("問") and len(q["choices"]) == 4
    assert attempt.questions[0]["answered_ids"] == _correct(lesson, first)
    assert attempt.questions[0]["is_correct"] is True
    assert hidden not in attempt.answers
    assert attempt.score == (50 if shown[second][0] not in _correct(lesson, second) else 100)
    # the next attempt draws again (the draw changes with each attempt)
    draws = {tuple(sorted(shown))}
    for _ in range(6):
        token, shown = _form(member_client, lesson)
        draws.add(tuple(sorted(shown)))
        _submit(member_client, lesson, token, _wrong(shown))
    assert len(draws) > 1


def test_choices_are_shuffled_and_reloading_keeps_the_same_form(member_client, course):
    lesson = make_lesson(
        course=course, slug="shuffle", body=[quiz_block(questions=FIVE_QUESTIONS, shuffle=True)]
    )
    _, shown = _form(member_client, lesson)
    _, again = _form(member_client, lesson)
    assert shown == again
    from tests.factories.courses import correct_answers

    orders = [choices.index(correct_answers(lesson)[qid][0]) for qid, choices in shown.items()]
    assert len(set(orders)) > 1, "the correct choice is not always in the same place"


def test_answering_again_after_back_says_it_was_sent_and_offers_a_fresh_attempt(
    member_client, quiz_lesson
):
    lesson = quiz_lesson()
    token, questions = _form(member_client, lesson)
    first = _submit(member_client, lesson, token, _wrong(questions))
    # Back: the same form (same token), other answers
    again = _submit(member_client, lesson, token, {qid: _correct(lesson, qid) for qid in questions})
    assert "resubmitted=" in again.url and "result=" not in again.url.split("?")[1]
    page = member_client.get(again.url).content.decode()
    assert "この回答は送信済みです" in page
    assert 'id="quiz-result"' not in page, "the old result is not shown as if it were new"
    fresh_token, _ = _form(member_client, lesson)
    assert fresh_token != token
    assert 'class="quiz-form"' in page
    assert QuizAttempt.objects.filter(lesson=lesson).count() == 1
    # the same answers twice (a double click) simply show that attempt's result
    assert _submit(member_client, lesson, token, _wrong(questions)).url == first.url
