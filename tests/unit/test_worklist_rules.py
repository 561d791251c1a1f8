"""The worklist's date rules, without the app: due, overdue, book-by day, week filter.

Dates checked by hand on a 2026 calendar: 2026-04-27 is a Monday; 1-5 May 2026 are closed for
Labour Day (1, 2, 4 and 5 May are public holidays, 3 May a Sunday).
"""

from __future__ import annotations

from datetime import date

import pytest

from edc.rules import worklist as rules
from edc.rules.schedule import ClinicCalendar

TODAY = date(2026, 4, 27)
LABOUR_DAY = {date(2026, 5, d) for d in (1, 2, 4, 5)}
CLINIC = ClinicCalendar(frozenset({5, 6}),
                        holiday_name=lambda day: "Labour Day" if day in LABOUR_DAY else None)



@pytest.mark.parametrize(("typed", "start"), [
    ("", date(2026, 4, 27)), ("0", date(2026, 4, 27)), ("+1", date(2026, 5, 4)),
    ("1", date(2026, 5, 4)), ("-1", date(2026, 4, 20)), (" +2 ", date(2026, 5, 11)),
    ("2026-05-06", date(2026, 5, 6)),
])
def test_a_week_filter_names_seven_days_from_today_or_from_a_date(typed, start) -> None:
    week = rules.parse_week(typed, TODAY)
    assert (week.start, week.end) == (start, date.fromordinal(start.toordinal() + 6))


@pytest.mark.parametrize("typed", ["next", "2026-02-30", "2026-5-6", "+1.5", "99999",
                                   "+521", "9999-01-01", "0001-01-01", "1e3", "\x00"])
def test_a_week_filter_that_is_no_week_is_refused(typed) -> None:
    assert rules.parse_week(typed, TODAY) is None


def test_a_scheduled_visit_is_overdue_from_the_day_after_its_window_closes() -> None:
    assert not rules.is_overdue("planned", "scheduled", date(2026, 4, 27), TODAY)
    assert rules.is_overdue("planned", "scheduled", date(2026, 4, 26), TODAY)
    assert rules.days_overdue(date(2026, 4, 26), TODAY) == 1
    assert rules.days_overdue(date(2026, 4, 2), TODAY) == 25


@pytest.mark.parametrize(("status", "kind"), [
    ("done", "scheduled"), ("missed", "scheduled"), ("cancelled", "scheduled"),
    ("planned", "screening"), ("planned", "unscheduled"),
])
def test_done_missed_cancelled_screening_and_unscheduled_visits_are_never_overdue(
    status, kind
) -> None:
    assert not rules.is_overdue(status, kind, date(2026, 3, 1), TODAY)


@pytest.mark.parametrize(("start", "end", "due"), [
    (date(2026, 4, 24), date(2026, 4, 30), True),   # open today
    (date(2026, 5, 3), date(2026, 5, 9), True),     # opens on the week's last day
    (date(2026, 5, 4), date(2026, 5, 10), False),   # opens the day after the week
    (date(2026, 4, 20), date(2026, 4, 27), True),   # closes today
    (date(2026, 4, 20), date(2026, 4, 26), False),  # closed yesterday: overdue, not due
])
def test_a_visit_is_due_while_its_window_is_open_or_opens_within_the_week(
    start, end, due
) -> None:
    week = rules.Week(TODAY)
    assert rules.is_due("planned", "scheduled", start, end, week, TODAY) is due
    assert not rules.is_due("done", "scheduled", start, end, week, TODAY)
    assert not rules.is_due("planned", "screening", start, end, week, TODAY)


def test_the_suggested_day_is_the_book_by_day_while_it_is_a_clinic_day_to_come() -> None:
    # Target Mon 11 May, window 8-14 May: the target itself.
    assert rules.book_by(date(2026, 5, 11), date(2026, 5, 8), date(2026, 5, 14), TODAY,
                         CLINIC) == date(2026, 5, 11)


def test_a_target_on_a_holiday_is_booked_by_the_nearest_clinic_day_the_earlier_on_a_tie() -> None:
    # Target Sat 2 May, window Wed 29 April to Tue 5 May: 1-5 May are closed; Thu 30 April.
    assert rules.book_by(date(2026, 5, 2), date(2026, 4, 29), date(2026, 5, 5), TODAY,
                         CLINIC) == date(2026, 4, 30)


def test_a_window_opening_on_a_weekend_is_booked_on_its_first_clinic_day_near_the_target() -> None:
    # Target Tue 5 May (holiday), window Sat 2 May to Fri 8 May: Wed 6 May.
    day = rules.book_by(date(2026, 5, 5), date(2026, 5, 2), date(2026, 5, 8), TODAY, CLINIC)
    assert day == date(2026, 5, 6) and CLINIC.is_open(day)


def test_a_suggested_day_already_past_gives_way_to_the_next_clinic_day_from_today() -> None:
    # Target Fri 24 April, window 21-27 April, today Mon 27 April: today.
    assert rules.book_by(date(2026, 4, 24), date(2026, 4, 21), date(2026, 4, 27), TODAY,
                         CLINIC) == TODAY
    # On Saturday 25 April the same window leaves Sun 26 (closed) and Mon 27.
    assert rules.book_by(date(2026, 4, 24), date(2026, 4, 21), date(2026, 4, 27),
                         date(2026, 4, 25), CLINIC) == TODAY


def test_no_book_by_day_when_no_clinic_day_is_left_in_the_window() -> None:
    # Window Fri 1 May to Tue 5 May: all closed.
    assert rules.book_by(date(2026, 5, 3), date(2026, 5, 1), date(2026, 5, 5), TODAY,
                         CLINIC) is None
    assert rules.book_by(date(2026, 4, 1), date(2026, 3, 29), date(2026, 4, 4), TODAY,
                         CLINIC) is None


def test_a_booking_offset_counts_days_before_or_after_the_window() -> None:
    start, end = date(2026, 5, 8), date(2026, 5, 14)
    assert rules.booking_offset(start, end, date(2026, 5, 9)) == 0
    assert rules.booking_offset(start, end, date(2026, 5, 6)) == -2
    assert rules.booking_offset(start, end, date(2026, 5, 17)) == 3
