"""The SCORM 1.2 data model (RTE 3.4) on the server.

The browser's API (scorm-again) answers the content's LMSGetValue/LMSSetValue calls and their
error codes; it commits the whole ``cmi`` object as JSON. Here:

- ``initial_data``: what a SCO is given at launch. Read-only elements (student_id = 加入者番号,
  student_name = 氏名 in SCORM's "Last, First" form, credit, entry, lesson_mode, total_time,
  launch_data, student_data) come from the server, never from an earlier commit.
- ``validate_commit``: what a commit may store. Writable elements are checked with the same
  rules the API applies (its vocabularies, formats and 0–100 ranges), so a value the API
  accepted is never refused here; a request that was not made by the API (a value no API
  would accept, a bookmark over the limit, too many records) is refused as a whole. Read-only
  elements in a commit are ignored.
"""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal, InvalidOperation

STATUS_VALUES = ("passed", "completed", "failed", "incomplete", "browsed", "not attempted")
COMPLETE_STATUSES = ("passed", "completed")
EXIT_VALUES = ("time-out", "suspend", "logout", "")
INTERACTION_TYPES = (
    "true-false",
    "choice",
    "fill-in",
    "matching",
    "performance",
    "sequencing",
    "likert",
    "numeric",
)
# the patterns scorm-again applies to SCORM 1.2 values (dist/scorm12.js, scorm12_regex)
TIMESPAN = re.compile(r"^([0-9]+):([0-9]{2}):([0-9]{2})(\.\d{1,2})?$")
TIME = re.compile(r"^(?:[01]\d|2[0123]):(?:[012345]\d):(?:[012345]\d)(\.\d{1,2})?$")
DECIMAL = re.compile(r"^-?([0-9]{0,10})(\.[0-9]*)?$")
INTEGER = re.compile(r"^-?[0-9]+$")
IDENTIFIER = re.compile(r"^[\u0021-\u007E\s]{0,255}$")
RESULT = re.compile(r"^(correct|wrong|unanticipated|neutral|([0-9]{0,3})?(\.[0-9]*)?)$")

STRING_256 = 255
STRING_4096 = 4096
MAX_RECORDS = 500  # interactions or objectives of one SCO: far more than any course uses
MAX_NESTED = 50  # correct responses / objectives of one interaction


class CommitRejected(ValueError):
    """A commit that the SCORM API would not have produced; nothing of it is stored."""

    def __init__(self, element: str, reason: str):
        self.element = element
        self.reason = reason
        super().__init__(f"{element}: {reason}")


# --- values ---------------------------------------------------------------------------------


def timespan_seconds(value: str) -> float | None:
    """CMITimespan "HHHH:MM:SS.SS" -> seconds (None when it is not one)."""
    match = TIMESPAN.match(value or "")
    if not match:
        return None
    hours, minutes, seconds, fraction = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + int(seconds) + float(fraction or 0)


def format_timespan(seconds: float) -> str:
    """Seconds -> CMITimespan "HHHH:MM:SS" (what cmi.core.total_time reports)."""
    whole = max(0, int(seconds))
    return f"{whole // 3600:04d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def student_name(name: str) -> str:
    """氏名 as SCORM 1.2 wants it, "Last, First": "山田 太郎" -> "山田, 太郎"."""
    parts = (name or "").replace("\u3000", " ").split(None, 1)
    return ", ".join(parts) if len(parts) == 2 else (name or "").strip()


def score(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def is_complete(*, lesson_status: str, score_raw, mastery_score) -> bool:
    """A SCO is complete when it says completed or passed, or its raw score reaches the
    manifest's mastery score (adlcp:masteryscore)."""
    if lesson_status in COMPLETE_STATUSES:
        return True
    raw = score(score_raw)
    return mastery_score is not None and raw is not None and raw >= Decimal(mastery_score)


# --- launch ---------------------------------------------------------------------------------


def _decimal_text(value) -> str:
    if value is None:
        return ""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def initial_data(*, state, item, member, entry: str = "ab-initio") -> dict:
    """The ``cmi`` a SCO starts with (scorm-again's ``loadFromJSON`` format).

    ``state``: the member's ScormState for this SCO in this attempt (None: a staff preview);
    ``item``: the ScormItem; ``member``: who studies (None: a staff preview); ``entry``: as
    worked out at launch (services.scorm_launch).
    """
    data = (state.data if state else None) or {}
    return {
        "core": {
            "student_id": member.member_no if member else "preview",
            "student_name": student_name(member.name) if member else "プレビュー",
            "lesson_location": state.lesson_location if state else "",
            "credit": "credit",
            "lesson_status": state.lesson_status if state else "not attempted",
            "entry": entry,
            "lesson_mode": "normal",
            "total_time": format_timespan(state.reported_seconds if state else 0),
            "score": {
                "raw": _decimal_text(state.score_raw) if state else "",
                "min": _decimal_text(state.score_min) if state else "",
                "max": _decimal_text(state.score_max) if state else "",
            },
        },
        "suspend_data": state.suspend_data if state else "",
        "launch_data": item.launch_data,
        "comments": data.get("comments", ""),
        "comments_from_lms": "",
        "objectives": {str(i): objective for i, objective in enumerate(data.get("objectives", []))},
        "student_data": {
            "mastery_score": _decimal_text(item.mastery_score),
            "max_time_allowed": item.max_time_allowed,
            "time_limit_action": item.time_limit_action,
        },
        "student_preference": data.get(
            "student_preference", {"audio": "", "language": "", "speed": "", "text": ""}
        ),
        "interactions": {
            str(i): interaction for i, interaction in enumerate(data.get("interactions", []))
        },
    }


# --- commits --------------------------------------------------------------------------------


@dataclasses.dataclass
class Commit:
    lesson_status: str
    lesson_location: str
    score_raw: Decimal | None
    score_min: Decimal | None
    score_max: Decimal | None
    exit: str
    session_seconds: float | None  # None: the SCO did not report a session time
    suspend_data: str
    comments: str
    student_preference: dict
    objectives: list[dict]
    interactions: list[dict]


def _string(value, element: str, *, limit: int, pattern=None, choices=None) -> str:
    if value is None:
        return ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise CommitRejected(element, "not a string")
    value = str(value)
    if len(value) > limit:
        raise CommitRejected(element, f"longer than {limit} characters")
    if choices is not None and value not in choices:
        raise CommitRejected(element, "not in the vocabulary")
    if pattern is not None and value and not pattern.match(value):
        raise CommitRejected(element, "wrong format")
    return value


def _number(value, element: str, *, low: int, high: int, integer=False) -> str:
    text = _string(value, element, limit=32, pattern=INTEGER if integer else DECIMAL)
    if text == "":
        return ""
    number = score(text)
    if number is None or not low <= number <= high:
        raise CommitRejected(element, f"not a number from {low} to {high}")
    return text


def _score(value, element: str) -> dict:
    value = value if isinstance(value, dict) else {}
    return {
        part: _number(value.get(part), f"{element}.{part}", low=0, high=100)
        for part in ("raw", "min", "max")
    }


def _records(value, element: str, *, limit: int) -> list[dict]:
    """A scorm-again array ({"0": {...}, "1": {...}} or a list) as a list in index order."""
    if value in (None, "", {}, []):
        return []
    if isinstance(value, list):
        records = value
    elif isinstance(value, dict):
        try:
            records = [value[key] for key in sorted(value, key=int)]
        except ValueError:
            raise CommitRejected(element, "indexes are not numbers")
    else:
        raise CommitRejected(element, "not an array")
    if len(records) > limit:
        raise CommitRejected(element, f"more than {limit} records")
    if not all(isinstance(record, dict) for record in records):
        raise CommitRejected(element, "not an array of objects")
    return records


def validate_commit(payload, *, suspend_data_limit: int) -> Commit:
    """Check a commit of scorm-again's JSON format; raise ``CommitRejected`` naming the first
    element that no conforming API would have sent."""
    if not isinstance(payload, dict):
        raise CommitRejected("cmi", "not an object")
    cmi = _object(payload.get("cmi", payload), "cmi")
    core = _object(cmi.get("core") or {}, "cmi.core")
    session_time = _string(
        core.get("session_time"), "cmi.core.session_time", limit=32, pattern=TIMESPAN
    )
    score_values = _score(core.get("score"), "cmi.core.score")
    return Commit(
        lesson_status=_string(
            core.get("lesson_status") or "not attempted",
            "cmi.core.lesson_status",
            limit=16,
            choices=STATUS_VALUES,
        ),
        lesson_location=_string(
            core.get("lesson_location"), "cmi.core.lesson_location", limit=STRING_256
        ),
        score_raw=score(score_values["raw"]),
        score_min=score(score_values["min"]),
        score_max=score(score_values["max"]),
        exit=_string(core.get("exit"), "cmi.core.exit", limit=16, choices=EXIT_VALUES),
        session_seconds=timespan_seconds(session_time) if session_time else None,
        suspend_data=_string(cmi.get("suspend_data"), "cmi.suspend_data", limit=suspend_data_limit),
        comments=_string(cmi.get("comments"), "cmi.comments", limit=STRING_4096),
        student_preference=_student_preference(cmi.get("student_preference") or {}),
        objectives=[
            _objective(record, f"cmi.objectives.{i}")
            for i, record in enumerate(
                _records(cmi.get("objectives"), "cmi.objectives", limit=MAX_RECORDS)
            )
        ],
        interactions=[
            _interaction(record, f"cmi.interactions.{i}")
            for i, record in enumerate(
                _records(cmi.get("interactions"), "cmi.interactions", limit=MAX_RECORDS)
            )
        ],
    )


def _object(value, element: str) -> dict:
    if not isinstance(value, dict):
        raise CommitRejected(element, "not an object")
    return value


def _student_preference(value) -> dict:
    preference = _object(value, "cmi.student_preference")
    element = "cmi.student_preference"
    return {
        "audio": _number(
            preference.get("audio"), f"{element}.audio", low=-1, high=100, integer=True
        ),
        "language": _string(preference.get("language"), f"{element}.language", limit=STRING_256),
        "speed": _number(
            preference.get("speed"), f"{element}.speed", low=-100, high=100, integer=True
        ),
        "text": _number(preference.get("text"), f"{element}.text", low=-1, high=1, integer=True),
    }


def _objective(objective: dict, element: str) -> dict:
    return {
        "id": _string(objective.get("id"), f"{element}.id", limit=STRING_256, pattern=IDENTIFIER),
        "status": _string(
            objective.get("status") or "not attempted",
            f"{element}.status",
            limit=16,
            choices=STATUS_VALUES,
        ),
        "score": _score(objective.get("score"), f"{element}.score"),
    }


def _interaction(interaction: dict, element: str) -> dict:
    def nested(name: str):
        return enumerate(_records(interaction.get(name), f"{element}.{name}", limit=MAX_NESTED))

    return {
        "id": _string(interaction.get("id"), f"{element}.id", limit=STRING_256, pattern=IDENTIFIER),
        "time": _string(interaction.get("time"), f"{element}.time", limit=16, pattern=TIME),
        "type": _string(
            interaction.get("type"), f"{element}.type", limit=16, choices=(*INTERACTION_TYPES, "")
        ),
        "weighting": _number(
            interaction.get("weighting"), f"{element}.weighting", low=-100, high=100
        ),
        "student_response": _string(
            interaction.get("student_response"), f"{element}.student_response", limit=STRING_4096
        ),
        "result": _string(interaction.get("result"), f"{element}.result", limit=32, pattern=RESULT),
        "latency": _string(
            interaction.get("latency"), f"{element}.latency", limit=32, pattern=TIMESPAN
        ),
        "objectives": [
            {
                "id": _string(
                    objective.get("id"),
                    f"{element}.objectives.{j}.id",
                    limit=STRING_256,
                    pattern=IDENTIFIER,
                )
            }
            for j, objective in nested("objectives")
        ],
        "correct_responses": [
            {
                "pattern": _string(
                    response.get("pattern"),
                    f"{element}.correct_responses.{j}.pattern",
                    limit=STRING_4096,
                )
            }
            for j, response in nested("correct_responses")
        ],
    }
