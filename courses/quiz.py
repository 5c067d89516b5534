"""Quiz presentation and grading, on the server only.

Questions and choices are addressed by the ids Wagtail gives ListBlock items, so answers stay
attached to the right question when an editor reorders or adds questions later.
``present()`` returns what the browser may see (no ``correct`` flags); ``grade()`` compares
the submitted choice ids with the block's correct ones.
"""

import random
from dataclasses import dataclass, field


@dataclass
class Choice:
    id: str
    text: str


@dataclass
class Question:
    id: str
    text: str
    kind: str
    choices: list[Choice]
    explanation: str = ""
    correct_ids: frozenset = field(default_factory=frozenset, repr=False)


def questions_of(quiz_value) -> list[Question]:
    questions = []
    for q in quiz_value["questions"].bound_blocks:
        choices = [
            Choice(id=str(c.id), text=c.value["text"]) for c in q.value["choices"].bound_blocks
        ]
        correct = frozenset(
            str(c.id) for c in q.value["choices"].bound_blocks if c.value["correct"]
        )
        questions.append(
            Question(
                id=str(q.id),
                text=q.value["question"],
                kind=q.value["kind"],
                choices=choices,
                explanation=q.value.get("explanation") or "",
                correct_ids=correct,
            )
        )
    return questions


def draw(quiz_value, *, seed: str) -> list[Question]:
    """The questions of one attempt, in the order shown, each with its choices in the order
    shown: ``draw`` of them when the editor set a pool size, shuffled when asked for. The same
    seed gives the same draw (the page can be reloaded without changing the questions)."""
    questions = questions_of(quiz_value)
    rng = random.Random(seed)
    size = quiz_value.get("draw") or 0
    if 0 < size < len(questions):
        chosen = set(q.id for q in rng.sample(questions, size))
        questions = [q for q in questions if q.id in chosen]
    if quiz_value.get("shuffle"):
        rng.shuffle(questions)
        for q in questions:
            random.Random(f"{seed}:{q.id}").shuffle(q.choices)
    return questions


def present(quiz_value, *, seed: str) -> list[dict]:
    """Questions for the form (``draw``); no correct flags."""
    return [
        {
            "id": q.id,
            "text": q.text,
            "multiple": q.kind == "multiple",
            "choices": [{"id": c.id, "text": c.text} for c in q.choices],
        }
        for q in draw(quiz_value, seed=seed)
    ]


def presented(quiz_value, *, question_ids, seed: str) -> list[Question]:
    """The questions a form showed (their ids, from its signed token) as they are now, in the
    order shown; questions an editor removed since are left out."""
    by_id = {q.id: q for q in questions_of(quiz_value)}
    shown = [by_id[qid] for qid in question_ids if qid in by_id]
    if quiz_value.get("shuffle"):
        for q in shown:
            random.Random(f"{seed}:{q.id}").shuffle(q.choices)
    return shown


def snapshot(questions, answers: dict, correct: dict) -> list[dict]:
    """What the attempt showed and what was answered, kept with the attempt (evidence that does
    not change when the quiz is edited later)."""
    return [
        {
            "id": q.id,
            "text": q.text,
            "kind": q.kind,
            "choices": [{"id": c.id, "text": c.text} for c in q.choices],
            "correct_ids": sorted(q.correct_ids),
            "answered_ids": answers.get(q.id, []),
            "is_correct": correct.get(q.id, False),
        }
        for q in questions
    ]


@dataclass
class Result:
    score: int
    passed: bool
    answers: dict  # question id -> sorted list of chosen choice ids
    correct: dict  # question id -> bool


def grade(quiz_value, submitted: dict, *, pass_mark: int, questions=None) -> Result:
    """Score 0–100 (share of ``questions`` answered exactly right, rounded down).
    ``questions``: the ones the form showed (``presented``); default all of the quiz's."""
    questions = questions_of(quiz_value) if questions is None else questions
    answers, correct = {}, {}
    for q in questions:
        valid = {c.id for c in q.choices}
        chosen = sorted({str(c) for c in submitted.get(q.id, []) if str(c) in valid})
        if q.kind != "multiple":
            chosen = chosen[:1] if len(chosen) == 1 else chosen
        answers[q.id] = chosen
        correct[q.id] = frozenset(chosen) == q.correct_ids
    score = (100 * sum(correct.values()) // len(questions)) if questions else 0
    return Result(score=score, passed=score >= pass_mark, answers=answers, correct=correct)


def review(quiz_value, answers: dict, *, shown=None, with_answers=True) -> list[dict]:
    """After submission: each question shown with the member's choices and, when the quiz's
    setting allows (``with_answers``), the correct ones and why. ``shown``: the attempt's
    snapshot (questions as shown); without it, the quiz's current questions."""
    rows = []
    if shown:
        items = [
            (q["id"], q["text"], "", q["choices"], set(q["correct_ids"]), q.get("is_correct"))
            for q in shown
        ]
        explanations = {q.id: q.explanation for q in questions_of(quiz_value)}
        items = [
            (qid, text, explanations.get(qid, ""), choices, correct, is_correct)
            for qid, text, _, choices, correct, is_correct in items
        ]
    else:
        items = [
            (
                q.id,
                q.text,
                q.explanation,
                [{"id": c.id, "text": c.text} for c in q.choices],
                set(q.correct_ids),
                None,
            )
            for q in questions_of(quiz_value)
        ]
    for qid, text, explanation, choices, correct_ids, is_correct in items:
        chosen = set(answers.get(qid, []))
        if is_correct is None:
            is_correct = chosen == correct_ids
        rows.append(
            {
                "id": qid,
                "text": text,
                "explanation": explanation if with_answers else "",
                "is_correct": is_correct,
                "choices": [
                    {
                        "text": c["text"],
                        "chosen": c["id"] in chosen,
                        "correct": with_answers and c["id"] in correct_ids,
                    }
                    for c in choices
                ],
            }
        )
    return rows
