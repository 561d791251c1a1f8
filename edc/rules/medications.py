"""When a child's treatment that lowers proteinuria (ACEI/ARB) started, changed and stopped, and
which of those changes fell shortly before a visit's sample.

Pure: the standard library only. Each course is one drug at one dose from its start to its stop
(a row of forms/medications.toml); a dose change ends one course and starts the next.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Course:
    """One drug at one dose: entry number, start, stop (None: ongoing) and what changed on the
    start date (a code of the log's change list)."""

    number: int
    start: date
    end: date | None
    change: str


@dataclass(frozen=True)
class Event:
    """A start or change (the start of a course) or a stop (the end of the last one)."""

    day: date
    number: int  # the course's entry
    change: str  # the course's change code; "" for a stop
    stopped: bool = False


def events(courses: Sequence[Course]) -> list[Event]:
    """Every start, change and stop, by day. A course that ends on the day another starts, or
    the day before, was changed, not stopped: the next course's start says how."""
    starts = {c.start for c in courses}
    found = [Event(c.start, c.number, c.change) for c in courses]
    found += [Event(c.end, c.number, "", stopped=True) for c in courses
              if c.end is not None and not {c.end, c.end + timedelta(days=1)} & starts]
    return sorted(found, key=lambda e: (e.day, e.stopped, e.number))


def days_before(event: Event, sample: date) -> int:
    """How many days the event came before the sample (0: the same day; negative: after)."""
    return (sample - event.day).days


def recent(found: Sequence[Event], sample: date, within_days: int) -> list[tuple[Event, int]]:
    """The events from within_days before the sample up to the sample's day, each with its days
    before: exactly within_days before is recent, one more day is not; a change after the
    sample is not."""
    if within_days < 0:
        return []
    return [(e, days_before(e, sample)) for e in found
            if 0 <= days_before(e, sample) <= within_days]


def place(found: Sequence[Event], visit_days: Sequence[tuple[str, date]]
          ) -> tuple[dict[str, list[Event]], list[Event]]:
    """Put each event before the first visit (code, day), in the given order, on or after its
    day; return the events before each visit and those after the last."""
    before: dict[str, list[Event]] = {code: [] for code, _ in visit_days}
    after: list[Event] = []
    for event in found:
        visit = next((code for code, day in visit_days if day >= event.day), None)
        (after if visit is None else before[visit]).append(event)
    return before, after
