"""The worklist's date rules: which visit is due in a week, overdue, when to book it by, and what
a deviation amounts to. Written once here; the read queries and the pages follow these.

Pure: no Flask, no SQLAlchemy. Dates are local days at the site; windows are inclusive.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta

from edc.protocol import codes
from edc.protocol.codes import VisitKind, VisitStatus
from edc.protocol.crf import CaseReportForm
from edc.protocol.schedule import ScheduleDefinition
from edc.rules.schedule import ClinicCalendar, Window, suggest_booking

# A visit still to be done, and the kinds that can fall overdue. A screening visit is judged
# against infusion 1, not a follow-up window; an unscheduled visit has the one day it was
# entered for: neither is ever overdue. Cancelled (withdrawn) and missed visits are not planned.
OPEN_STATUS = VisitStatus.PLANNED
OVERDUE_KINDS = (VisitKind.SCHEDULED,)
# The kinds listed as due in a week: the schedule's visits and unscheduled ones still to come.
DUE_KINDS = (VisitKind.SCHEDULED, VisitKind.UNSCHEDULED)
WEEK_DAYS = 7
MAX_WEEK_OFFSET = 520  # ten years either way: further is a typing error, not a plan

# The deviations the record knows, in the order the page lists them (edc.protocol.codes).
DEVIATION_KINDS = codes.DEVIATION_KINDS


@dataclass(frozen=True)
class Week:
    """Seven local days, start to end inclusive."""

    start: date

    @property
    def end(self) -> date:
        return self.start + timedelta(days=WEEK_DAYS - 1)

    def shifted(self, weeks: int) -> Week:
        return Week(self.start + timedelta(days=WEEK_DAYS * weeks))


def parse_week(text: str | None, today: date, most_weeks: int | None = MAX_WEEK_OFFSET
               ) -> Week | None:
    """The week a filter names: empty or 0 is today and the next 6 days, +N / -N that many weeks
    later or earlier, YYYY-MM-DD the 7 days from that date, at most most_weeks from today (None:
    any). None when the text is none of these."""
    text = (text or "").strip()
    week = None
    if not text:
        week = Week(today)
    elif re.fullmatch(r"[+-]?\d{1,4}", text):
        week = Week(today).shifted(int(text))
    elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            week = Week(date.fromisoformat(text))
        except ValueError:
            return None
    if week is None or (most_weeks is not None
                        and abs((week.start - today).days) > WEEK_DAYS * most_weeks):
        return None
    return week


def week_argument(week: Week, today: date) -> str | None:
    """How the week filter names a week (parse_week reads it back): "" for this one, +N / -N
    for a week from today, else its first day; None for a week too far to show."""
    days = (week.start - today).days
    if abs(days) > WEEK_DAYS * MAX_WEEK_OFFSET:
        return None
    if days % WEEK_DAYS:
        return week.start.isoformat()
    return f"{days // WEEK_DAYS:+d}" if days else ""


def required_results(form: CaseReportForm) -> tuple[str, ...]:
    """The analytes every done visit must have a row for (a value or "not done")."""
    return tuple(f.key for f in form.fields if f.required)


def missing_results(form: CaseReportForm, present: Collection[str]) -> str | None:
    """The required analyte keys with no result row, space-separated (as a done visit keeps
    them), or None when every one has a row."""
    return " ".join(key for key in required_results(form) if key not in present) or None


def is_overdue(status: str, kind: str, window_end: date, today: date) -> bool:
    """A scheduled visit still planned after its window closed."""
    return status == OPEN_STATUS and kind in OVERDUE_KINDS and window_end < today


def days_overdue(window_end: date, today: date) -> int:
    """Whole days since the window closed (1 on the day after its last day)."""
    return (today - window_end).days


def is_due(status: str, kind: str, window_start: date, window_end: date, week: Week,
           today: date) -> bool:
    """A visit still planned whose window is open in the week, or opens during it; a window
    that has already closed is overdue, not due."""
    return (status == OPEN_STATUS and kind in DUE_KINDS and window_start <= week.end
            and window_end >= max(week.start, today))


def is_open(window_start: date, window_end: date, today: date) -> bool:
    """The window includes today."""
    return window_start <= today <= window_end


def longest_window_days(schedule: ScheduleDefinition) -> int:
    """The most days from a window's first day to its last, over the schedule's visits, so a
    query for windows opening by a day can also bound the day they close."""
    return max((2 * v.window_days for v in schedule.visits), default=0)


def book_by(target: date, window_start: date, window_end: date, today: date,
            calendar: ClinicCalendar) -> date | None:
    """The day to offer the family: the clinic day nearest the target in what is left of the
    window (the earlier on a tie), so the suggested day itself while it is a clinic day still
    to come. None when no clinic day is left in the window."""
    start = max(window_start, today)
    if start > window_end:
        return None
    # A target already past is nearest to what is left of the window at its first day.
    nearest = min(max(target, start), window_end)
    day, is_clinic_day = suggest_booking(nearest, start, window_end, calendar)
    return day if is_clinic_day else None


def day_to_offer(suggested: date, target: date, window_start: date, window_end: date,
                 today: date, calendar: ClinicCalendar) -> date | None:
    """The day to offer for booking: the suggested clinic day while it is still to come, else
    the book-by day (None when no clinic day is left in the window)."""
    if suggested >= today:
        return suggested
    return book_by(target, window_start, window_end, today, calendar)


def booking_offset(window_start: date, window_end: date, booked: date) -> int:
    """Days the booked day lies outside the window: negative before, positive after, 0 in."""
    return Window(window_start, window_start, window_end).offset(booked)
