"""The reporting window of a serious adverse event. Pure."""

from __future__ import annotations

import math
from datetime import datetime, timedelta


def deadline(alert_at: datetime, hours: int) -> datetime:
    """When the report is due: `hours` after the event was saved as serious."""
    return alert_at + timedelta(hours=hours)


def hours_left(alert_at: datetime, hours: int, now: datetime) -> int:
    """Whole hours until the deadline, rounded down, so the time left is never said to be longer
    than it is (23 with 23 h 59 min left, 0 in the last hour); negative once it has passed,
    counting the hours begun since (-1 a minute after)."""
    seconds = (deadline(alert_at, hours) - now).total_seconds()
    return math.floor(seconds / 3600) if seconds >= 0 else -math.ceil(-seconds / 3600)
