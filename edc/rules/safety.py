"""The reporting window of a serious adverse event. Pure."""

from __future__ import annotations

import math
from datetime import datetime, timedelta


def deadline(alert_at: datetime, hours: int) -> datetime:
    """When the report is due: `hours` after the event was saved as serious."""
    return alert_at + timedelta(hours=hours)


def hours_left(alert_at: datetime, hours: int, now: datetime) -> int:
    """Whole hours until the deadline, rounded up (0 in its last minutes); negative once it has
    passed, counting the hours begun since."""
    seconds = (deadline(alert_at, hours) - now).total_seconds()
    return math.ceil(seconds / 3600) if seconds >= 0 else -math.ceil(-seconds / 3600)
