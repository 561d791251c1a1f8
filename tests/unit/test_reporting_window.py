"""The hours left to report a serious adverse event, counted by hand from its save."""

from __future__ import annotations

from datetime import datetime

import pytest

from edc.rules.safety import deadline, hours_left

SAVED = datetime(2026, 3, 16, 10, 0)


@pytest.mark.parametrize("now, left", [
    (datetime(2026, 3, 16, 10, 0), 24),       # just saved: the whole window
    (datetime(2026, 3, 16, 10, 0, 1), 23),    # a second later it is no longer 24 full hours
    (datetime(2026, 3, 16, 10, 59), 23),
    (datetime(2026, 3, 16, 11, 0), 23),
    (datetime(2026, 3, 16, 11, 1), 22),
    (datetime(2026, 3, 17, 9, 0), 1),
    (datetime(2026, 3, 17, 9, 1), 0),         # the last hour: "less than an hour"
    (datetime(2026, 3, 17, 10, 0), 0),        # the deadline itself
    (datetime(2026, 3, 17, 10, 1), -1),       # a minute late: overdue by an hour begun
    (datetime(2026, 3, 17, 11, 0), -1),
    (datetime(2026, 3, 17, 11, 0, 1), -2),
])
def test_the_time_left_is_never_said_to_be_longer_than_it_is(now: datetime, left: int) -> None:
    assert deadline(SAVED, 24) == datetime(2026, 3, 17, 10, 0)
    assert hours_left(SAVED, 24, now) == left
