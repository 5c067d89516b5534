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


def present(quiz_value, *, seed: str) -> list[dict]:
    """Questions for the form, shuffled when the editor asked for it; no correct flags."""
    questions = questions_of(quiz_value)
    if quiz_value.get("shuffle"):
        rng = random.Random(seed)
        rng.shuffle(questions)
        for q in questions:
            rng.shuffle(q.choices)
    return [
        {
            "id": q.id,
            "text": q.text,
            "multiple": q.kind == "multiple",
            "choices": [{"id": c.id, "text": c.text} for c in q.choices],
        }
        for q in questions
    ]


@dataclass
class Result:
    score: int
    passed: bool
    answers: dict  # question id -> sorted list of chosen choice ids
    correct: dict  # question id -> bool


def grade(quiz_value, submitted: dict, *, pass_mark: int) -> Result:
    """Score 0–100 (share of questions answered exactly right, rounded down)."""
    questions = questions_of(quiz_value)
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


def review(quiz_value, answers: dict) -> list[dict]:
    """After submission: each question with the member's choices, the correct ones and why."""
    rows = []
    for q in questions_of(quiz_value):
        chosen = set(answers.get(q.id, []))
        rows.append(
            {
                "id": q.id,
                "text": q.text,
                "explanation": q.explanation,
                "is_correct": frozenset(chosen) == q.correct_ids,
                "choices": [
                    {"text": c.text, "chosen": c.id in chosen, "correct": c.id in q.correct_ids}
                    for c in q.choices
                ],
            }
        )
    return rows
