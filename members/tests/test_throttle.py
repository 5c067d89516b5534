"""The one rate counter: member actions and the mail rate count in the same fixed windows."""

import uuid

from members import throttle


def test_allow_refuses_past_the_rate_and_counts_each_member_apart():
    scope = f"question-{uuid.uuid4().hex}"  # Redis may be shared with other runs
    assert [throttle.allow(scope=scope, ident=1, rate="3/h") for _i in range(4)] == [
        True,
        True,
        True,
        False,
    ]
    assert throttle.allow(scope=scope, ident=2, rate="3/h")


def test_take_grants_what_is_left_of_the_window_to_everyone_sharing_it():
    ident = uuid.uuid4().hex
    grants = [throttle.take(scope="mail", ident=ident, limit=25, period=3600, amount=10)
              for _i in range(4)]  # fmt: skip
    assert grants == [10, 10, 5, 0]


def test_rates_read_as_people_write_them():
    assert throttle.parse_rate("10/h") == (10, 3600)
    assert throttle.parse_rate("120/min") == (120, 60)
    assert throttle.parse_rate("5/s") == (5, 1)
