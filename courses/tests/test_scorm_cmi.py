"""The SCORM 1.2 data model on the server: what a SCO is given, and which commits are stored."""

import copy
from decimal import Decimal
from types import SimpleNamespace

import pytest

from courses.scorm import cmi

# A commit exactly as scorm-again 3.4.3 sends it (captured from the vendored build).
SCORM_AGAIN_COMMIT = {
    "cmi": {
        "suspend_data": '{"seen":[1,2]}',
        "launch_data": "x=1",
        "comments": "",
        "comments_from_lms": "",
        "core": {
            "student_id": "000123",
            "student_name": "山田, 太郎",
            "lesson_location": "p3",
            "credit": "credit",
            "lesson_status": "passed",
            "entry": "resume",
            "lesson_mode": "normal",
            "exit": "suspend",
            "session_time": "00:01:30",
            "score": {"raw": "85", "min": "", "max": "100"},
            "total_time": "01:03:33",
        },
        "objectives": {
            "0": {"id": "obj1", "status": "passed", "score": {"raw": "", "min": "", "max": "100"}}
        },
        "student_data": {"mastery_score": "80", "max_time_allowed": "", "time_limit_action": ""},
        "student_preference": {"audio": "", "language": "", "speed": "", "text": ""},
        "interactions": {
            "0": {
                "id": "q1",
                "time": "10:15:02",
                "type": "choice",
                "weighting": "",
                "student_response": "b",
                "result": "correct",
                "latency": "0000:00:12.5",
                "objectives": {"0": {"id": "obj1"}},
                "correct_responses": {"0": {"pattern": "b"}},
            }
        },
    }
}


def commit(**changes):
    payload = copy.deepcopy(SCORM_AGAIN_COMMIT)
    for path, value in changes.items():
        target = payload["cmi"]
        *parents, last = path.split("__")
        for key in parents:
            target = target[key]
        target[last] = value
    return cmi.validate_commit(payload, suspend_data_limit=4096)


@pytest.mark.parametrize(
    "name, expected",
    [
        ("山田 太郎", "山田, 太郎"),
        ("山田\u3000太郎", "山田, 太郎"),
        ("ヤマダタロウ", "ヤマダタロウ"),
        ("", ""),
    ],
)
def test_student_name_in_scorms_last_first_form(name, expected):
    assert cmi.student_name(name) == expected


def test_timespans():
    assert cmi.timespan_seconds("0001:02:03.5") == 3723.5
    assert cmi.timespan_seconds("00:00:09") == 9
    assert cmi.timespan_seconds("PT9S") is None
    assert cmi.format_timespan(3723.9) == "0001:02:03"


@pytest.mark.parametrize(
    "status, raw, mastery, complete",
    [
        ("completed", None, None, True),
        ("passed", None, None, True),
        ("incomplete", "85", Decimal("80"), True),
        ("failed", "80", Decimal("80"), True),
        ("failed", "79.5", Decimal("80"), False),
        ("incomplete", "95", None, False),
        ("browsed", None, None, False),
        ("not attempted", None, Decimal("80"), False),
    ],
)
def test_a_sco_is_complete_when_it_says_so_or_reaches_the_mastery_score(
    status, raw, mastery, complete
):
    assert cmi.is_complete(lesson_status=status, score_raw=raw, mastery_score=mastery) is complete


def test_a_commit_from_the_api_is_accepted_and_read_only_elements_are_not_taken_from_it():
    data = cmi.validate_commit(SCORM_AGAIN_COMMIT, suspend_data_limit=4096)
    assert (data.lesson_status, data.lesson_location, data.exit) == ("passed", "p3", "suspend")
    assert (data.score_raw, data.score_min, data.score_max) == (Decimal("85"), None, Decimal("100"))
    assert data.session_seconds == 90
    assert data.suspend_data == '{"seen":[1,2]}'
    assert data.interactions[0]["correct_responses"] == [{"pattern": "b"}]
    assert data.objectives == [
        {"id": "obj1", "status": "passed", "score": {"raw": "", "min": "", "max": "100"}}
    ]
    assert not hasattr(data, "student_id") and not hasattr(data, "total_time")


def test_the_4096_character_bookmark():
    assert commit(suspend_data="x" * 4096).suspend_data == "x" * 4096
    with pytest.raises(cmi.CommitRejected) as caught:
        commit(suspend_data="x" * 4097)
    assert caught.value.element == "cmi.suspend_data"


@pytest.mark.parametrize(
    "change, element",
    [
        ({"core__lesson_status": "done"}, "cmi.core.lesson_status"),
        ({"core__exit": "quit"}, "cmi.core.exit"),
        ({"core__score": {"raw": "101", "min": "", "max": ""}}, "cmi.core.score.raw"),
        ({"core__score": {"raw": "abc", "min": "", "max": ""}}, "cmi.core.score.raw"),
        ({"core__session_time": "PT1M"}, "cmi.core.session_time"),
        ({"core__lesson_location": "x" * 256}, "cmi.core.lesson_location"),
        ({"interactions": {"0": {"id": "q1", "type": "essay"}}}, "cmi.interactions.0.type"),
        ({"interactions": {"0": {"id": "q1", "result": "maybe"}}}, "cmi.interactions.0.result"),
        ({"interactions": {str(i): {"id": f"q{i}"} for i in range(501)}}, "cmi.interactions"),
        ({"objectives": {"0": {"id": "o", "status": "done"}}}, "cmi.objectives.0.status"),
        ({"student_preference": {"audio": "500"}}, "cmi.student_preference.audio"),
        ({"core": ["not", "an", "object"]}, "cmi.core"),
    ],
)
def test_a_commit_no_api_would_send_is_refused(change, element):
    with pytest.raises(cmi.CommitRejected) as caught:
        commit(**change)
    assert caught.value.element == element


def test_what_a_sco_is_given_at_launch():
    member = SimpleNamespace(member_no="000123", name="山田 太郎")
    item = SimpleNamespace(
        launch_data="mode=exam", mastery_score=Decimal("80.00"), max_time_allowed="00:30:00",
        time_limit_action="exit,message",
    )  # fmt: skip
    state = SimpleNamespace(
        lesson_location="3", lesson_status="incomplete", reported_seconds=3723,
        score_raw=Decimal("60.5000"), score_min=None, score_max=Decimal("100.0000"),
        suspend_data='{"seen":[1,2,3]}', data={"interactions": [{"id": "q1"}]},
    )  # fmt: skip
    data = cmi.initial_data(state=state, item=item, member=member, entry="resume")
    assert data["core"] == {
        "student_id": "000123",
        "student_name": "山田, 太郎",
        "lesson_location": "3",
        "credit": "credit",
        "lesson_status": "incomplete",
        "entry": "resume",
        "lesson_mode": "normal",
        "total_time": "0001:02:03",
        "score": {"raw": "60.5", "min": "", "max": "100"},
    }
    assert data["suspend_data"] == '{"seen":[1,2,3]}'
    assert data["launch_data"] == "mode=exam"
    assert data["student_data"] == {
        "mastery_score": "80",
        "max_time_allowed": "00:30:00",
        "time_limit_action": "exit,message",
    }
    assert data["interactions"] == {"0": {"id": "q1"}}  # so that new answers are appended
