"""Follow-up schedule as a research nurse sees it: targets, windows and clinic-day bookings.

Every expected date below was worked out by hand from the protocol table (PROTOCOL.md, "Schedule")
and written out literally; none is computed with the code under test.
"""

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import holidays
import pytest

from edc.protocol.schedule import (
    ScheduleDefinition,
    ScreeningRule,
    SecondInfusionRule,
    VisitDefinition,
    windows_overlap,
)
from edc.protocol.study import load_study
from edc.rules.schedule import (
    ClinicCalendar,
    PlannedVisit,
    Window,
    clinic_calendar,
    plan_visits,
    sample_deviation,
    sample_window,
    screening_window,
    second_infusion_window,
    suggest_booking,
    target_date,
)

FORMS = Path(__file__).resolve().parents[2] / "forms"

# A clinic open every day: isolates target/window arithmetic from booking.
ALWAYS_OPEN = ClinicCalendar(closed_weekdays=frozenset())
# Closed at weekends only, no public holidays.
WEEKDAYS_ONLY = ClinicCalendar(closed_weekdays=frozenset({5, 6}))


@pytest.fixture(scope="module")
def study():
    return load_study(FORMS)


@pytest.fixture(scope="module")
def schedule(study) -> ScheduleDefinition:
    return study.schedule


@pytest.fixture(scope="module")
def guangzhou(study) -> ClinicCalendar:
    """The real site calendar: weekends and Chinese public holidays closed, make-up working
    days (调休) open."""
    return clinic_calendar(study.site)


@pytest.fixture(scope="module")
def guangzhou_makeup_closed(study) -> ClinicCalendar:
    """The site calendar with makeup_workdays_open = false: every weekend day closed."""
    return clinic_calendar(replace(study.site, makeup_workdays_open=False))


def d(text: str) -> date:
    return date.fromisoformat(text)


def targets(anchor: date, schedule: ScheduleDefinition) -> dict[str, str]:
    return {v.code: v.target.isoformat() for v in plan_visits(anchor, schedule, ALWAYS_OPEN)}


def by_code(visits: list[PlannedVisit]) -> dict[str, PlannedVisit]:
    return {v.code: v for v in visits}


def months_visit(months: int, window_days: int = 7, code: str = "MXX") -> VisitDefinition:
    return VisitDefinition(code=code, label=f"{months} months", label_zh="", days=None,
                           months=months, window_days=window_days)


def days_visit(days: int, window_days: int, code: str) -> VisitDefinition:
    return VisitDefinition(code=code, label=f"day {days}", label_zh="", days=days, months=None,
                           window_days=window_days)


# --- anchors at awkward dates (calendar month rule, the default) -------------------------------


def test_schedule_from_31_january_2025_non_leap_year(schedule):
    assert targets(date(2025, 1, 31), schedule) == {
        "W02": "2025-02-14",
        "W04": "2025-02-28",
        "W06": "2025-03-14",
        "W08": "2025-03-28",
        "M03": "2025-04-30",
        "M04": "2025-05-31",
        "M05": "2025-06-30",
        "M06": "2025-07-31",
        "M08": "2025-09-30",
        "M10": "2025-11-30",
        "M12": "2026-01-31",
    }


def test_schedule_from_31_january_2024_leap_year(schedule):
    assert targets(date(2024, 1, 31), schedule) == {
        "W02": "2024-02-14",
        "W04": "2024-02-28",
        "W06": "2024-03-13",  # 29 February exists: one day earlier than in 2025
        "W08": "2024-03-27",
        "M03": "2024-04-30",
        "M04": "2024-05-31",
        "M05": "2024-06-30",
        "M06": "2024-07-31",
        "M08": "2024-09-30",
        "M10": "2024-11-30",
        "M12": "2025-01-31",
    }


@pytest.mark.parametrize(
    ("anchor", "expected"),
    [
        (date(2025, 1, 31), date(2025, 2, 28)),
        (date(2024, 1, 31), date(2024, 2, 29)),
        (date(2025, 3, 31), date(2025, 4, 30)),
    ],
)
def test_month_visit_from_31st_lands_on_last_day_of_shorter_month(anchor, expected):
    assert target_date(anchor, months_visit(1), "calendar") == expected


def test_month_visit_from_31_january_lands_on_last_day_of_month(schedule):
    planned = by_code(plan_visits(date(2025, 1, 31), schedule, ALWAYS_OPEN))
    assert planned["M03"].target == date(2025, 4, 30)  # April has 30 days
    assert planned["M05"].target == date(2025, 6, 30)
    assert planned["M10"].target == date(2025, 11, 30)


def test_schedule_from_29_february_2024_keeps_day_29_and_clamps_in_february_2025(schedule):
    assert targets(date(2024, 2, 29), schedule) == {
        "W02": "2024-03-14",
        "W04": "2024-03-28",
        "W06": "2024-04-11",
        "W08": "2024-04-25",
        "M03": "2024-05-29",
        "M04": "2024-06-29",
        "M05": "2024-07-29",
        "M06": "2024-08-29",
        "M08": "2024-10-29",
        "M10": "2024-12-29",
        "M12": "2025-02-28",  # no 29 February in 2025
    }


def test_31_august_plus_3_months_is_30_november(schedule):
    assert targets(date(2025, 8, 31), schedule) == {
        "W02": "2025-09-14",
        "W04": "2025-09-28",
        "W06": "2025-10-12",
        "W08": "2025-10-26",
        "M03": "2025-11-30",
        "M04": "2025-12-31",
        "M05": "2026-01-31",
        "M06": "2026-02-28",
        "M08": "2026-04-30",
        "M10": "2026-06-30",
        "M12": "2026-08-31",
    }


def test_schedule_from_31_december_crosses_the_year(schedule):
    assert targets(date(2025, 12, 31), schedule) == {
        "W02": "2026-01-14",
        "W04": "2026-01-28",
        "W06": "2026-02-11",
        "W08": "2026-02-25",
        "M03": "2026-03-31",
        "M04": "2026-04-30",
        "M05": "2026-05-31",
        "M06": "2026-06-30",
        "M08": "2026-08-31",
        "M10": "2026-10-31",
        "M12": "2026-12-31",
    }


def test_day_counts_days_since_the_anchor(schedule):
    planned = by_code(plan_visits(date(2024, 2, 29), schedule, ALWAYS_OPEN))
    assert planned["W02"].day == 14
    assert planned["M12"].day == 365  # 2024-02-29 -> 2025-02-28
    planned = by_code(plan_visits(date(2025, 1, 31), schedule, ALWAYS_OPEN))
    assert planned["M04"].day == 120


# --- every target from the anchor, never from the previous visit -------------------------------


def test_every_target_is_computed_from_the_anchor_not_from_the_previous_visit(schedule):
    anchor = date(2025, 1, 31)
    planned = by_code(plan_visits(anchor, schedule, ALWAYS_OPEN))
    assert planned["M04"].target == date(2025, 5, 31)
    assert planned["M06"].target == date(2025, 7, 31)
    assert planned["M12"].target == date(2026, 1, 31)

    # Chaining one month at a time loses the 31st at February and never gets it back.
    one_month = months_visit(1)
    chained = [anchor]
    for _ in range(4):
        chained.append(target_date(chained[-1], one_month, "calendar"))
    assert chained[1:] == [d("2025-02-28"), d("2025-03-28"), d("2025-04-28"), d("2025-05-28")]
    assert planned["M04"].target != chained[4]

    # Chaining M03 -> M04 (one month after the previous visit) would give 30 May.
    assert target_date(planned["M03"].target, one_month, "calendar") == date(2025, 5, 30)
    assert planned["M04"].target != date(2025, 5, 30)


# --- the three month rules --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        # M03, M06, M08, M12 from day 0 = 2025-01-31
        ("calendar", {"M03": "2025-04-30", "M06": "2025-07-31", "M08": "2025-09-30",
                      "M12": "2026-01-31"}),
        # N x 30 days: 90, 180, 240, 360 days
        ("30d", {"M03": "2025-05-01", "M06": "2025-07-30", "M08": "2025-09-28",
                 "M12": "2026-01-26"}),
        # N x 30.4375 days rounded: 91.3125 -> 91, 182.625 -> 183, 243.5 -> 244, 365.25 -> 365
        ("30.4375d", {"M03": "2025-05-02", "M06": "2025-08-02", "M08": "2025-10-02",
                      "M12": "2026-01-31"}),
    ],
)
def test_month_rule_decides_how_months_are_counted(schedule, rule, expected):
    got = targets(date(2025, 1, 31), replace(schedule, month_rule=rule))
    assert {code: got[code] for code in expected} == expected


@pytest.mark.parametrize("rule", ["calendar", "30d", "30.4375d"])
def test_month_rule_does_not_change_week_visits(schedule, rule):
    got = targets(date(2025, 1, 31), replace(schedule, month_rule=rule))
    assert [got[c] for c in ("W02", "W04", "W06", "W08")] == [
        "2025-02-14", "2025-02-28", "2025-03-14", "2025-03-28"
    ]


def test_unknown_month_rule_is_refused_with_its_name():
    with pytest.raises(ValueError, match="lunar"):
        target_date(date(2025, 1, 31), months_visit(3), "lunar")


# --- windows ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "target", "start", "end", "half_width"),
    [
        ("W02", "2025-02-14", "2025-02-11", "2025-02-17", 3),
        ("W04", "2025-02-28", "2025-02-25", "2025-03-03", 3),
        ("W06", "2025-03-14", "2025-03-11", "2025-03-17", 3),
        ("W08", "2025-03-28", "2025-03-25", "2025-03-31", 3),
        ("M03", "2025-04-30", "2025-04-23", "2025-05-07", 7),
        ("M04", "2025-05-31", "2025-05-24", "2025-06-07", 7),
        ("M05", "2025-06-30", "2025-06-23", "2025-07-07", 7),
        ("M06", "2025-07-31", "2025-07-24", "2025-08-07", 7),
        ("M08", "2025-09-30", "2025-09-16", "2025-10-14", 14),
        ("M10", "2025-11-30", "2025-11-16", "2025-12-14", 14),
        ("M12", "2026-01-31", "2026-01-17", "2026-02-14", 14),
    ],
)
def test_windows_are_inclusive_with_protocol_widths(schedule, code, target, start, end,
                                                    half_width):
    visit = by_code(plan_visits(date(2025, 1, 31), schedule, ALWAYS_OPEN))[code]
    assert (visit.target, visit.window_start, visit.window_end) == (d(target), d(start), d(end))
    # Inclusive at both ends: 2 x half_width + 1 bookable days.
    assert (visit.window_end - visit.window_start).days + 1 == 2 * half_width + 1


def test_first_and_last_day_of_a_window_are_bookable():
    target, start, end = d("2025-02-14"), d("2025-02-11"), d("2025-02-17")
    window = {start + timedelta(days=i) for i in range(7)}
    only_first = ClinicCalendar(closed_weekdays=frozenset(),
                                closed_dates=frozenset(window - {start}))
    only_last = ClinicCalendar(closed_weekdays=frozenset(), closed_dates=frozenset(window - {end}))
    assert suggest_booking(target, start, end, only_first) == (d("2025-02-11"), True)
    assert suggest_booking(target, start, end, only_last) == (d("2025-02-17"), True)


def test_day_just_outside_the_window_is_never_suggested():
    target, start, end = d("2025-02-14"), d("2025-02-11"), d("2025-02-17")
    window = frozenset(start + timedelta(days=i) for i in range(7))
    # 10 and 18 February are open weekdays, but outside the window.
    calendar = ClinicCalendar(closed_weekdays=frozenset(), closed_dates=window)
    assert suggest_booking(target, start, end, calendar) == (d("2025-02-14"), False)


# --- booking on clinic days -------------------------------------------------------------------


def test_target_on_a_clinic_day_is_booked_on_the_target(schedule):
    visit = by_code(plan_visits(date(2025, 1, 31), schedule, WEEKDAYS_ONLY))["M03"]
    assert visit.target == date(2025, 4, 30)  # Wednesday
    assert (visit.suggested, visit.suggested_is_clinic_day) == (date(2025, 4, 30), True)


def test_saturday_target_is_booked_on_the_friday_before(schedule):
    visit = by_code(plan_visits(date(2025, 1, 31), schedule, WEEKDAYS_ONLY))["M04"]
    assert visit.target == date(2025, 5, 31)  # Saturday
    assert (visit.suggested, visit.suggested_is_clinic_day) == (date(2025, 5, 30), True)


def test_sunday_target_is_booked_on_the_monday_after(schedule):
    visit = by_code(plan_visits(date(2025, 8, 31), schedule, WEEKDAYS_ONLY))["M03"]
    assert visit.target == date(2025, 11, 30)  # Sunday
    assert (visit.suggested, visit.suggested_is_clinic_day) == (date(2025, 12, 1), True)


def test_china_public_holidays_of_spring_festival_2026():
    """Precondition from the holidays package, independent of the code under test."""
    cn = holidays.country_holidays("CN", years=2026)
    closed = ["2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20", "2026-02-23"]
    assert all(d(day) in cn for day in closed)
    assert d("2026-02-13") not in cn
    assert d("2026-02-24") not in cn


def test_window_spanning_spring_festival_books_nearest_clinic_day_before(
        schedule, guangzhou, guangzhou_makeup_closed):
    # Day 0 = 2025-11-18: M03 target Wednesday 2026-02-18, Spring Festival.
    visit = by_code(plan_visits(date(2025, 11, 18), schedule, guangzhou))["M03"]
    assert (visit.target, visit.window_start, visit.window_end) == (
        d("2026-02-18"), d("2026-02-11"), d("2026-02-25")
    )
    # Saturday 14 Feb is a make-up working day, 4 days before: the clinic is open.
    assert (visit.suggested, visit.suggested_is_clinic_day) == (date(2026, 2, 14), True)
    # With make-up days closed: Friday 13 Feb is 5 days before; Tuesday 24 Feb is 6 after.
    visit = by_code(plan_visits(date(2025, 11, 18), schedule, guangzhou_makeup_closed))["M03"]
    assert (visit.suggested, visit.suggested_is_clinic_day) == (date(2026, 2, 13), True)


def test_window_spanning_spring_festival_books_nearest_clinic_day_after(
        schedule, guangzhou, guangzhou_makeup_closed):
    # Day 0 = 2025-11-19: M03 target Thursday 2026-02-19.
    visit = by_code(plan_visits(date(2025, 11, 19), schedule, guangzhou_makeup_closed))["M03"]
    assert (visit.target, visit.window_start, visit.window_end) == (
        d("2026-02-19"), d("2026-02-12"), d("2026-02-26")
    )
    # Make-up days closed: Friday 13 Feb is 6 days before; Tuesday 24 Feb is 5 days after.
    assert (visit.suggested, visit.suggested_is_clinic_day) == (date(2026, 2, 24), True)
    # Open (the default): make-up Saturday 14 Feb is also 5 days before; a tie goes earlier.
    visit = by_code(plan_visits(date(2025, 11, 19), schedule, guangzhou))["M03"]
    assert (visit.suggested, visit.suggested_is_clinic_day) == (date(2026, 2, 14), True)


def test_spring_festival_suggestion_is_never_a_holiday_nor_a_weekend_but_a_makeup_day(
        schedule, guangzhou, guangzhou_makeup_closed):
    cn = holidays.country_holidays("CN", years=[2025, 2026])
    # The 2026 make-up working days (调休), from the State Council's list for 2026.
    makeup = {d(day) for day in ("2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09",
                                 "2026-09-20", "2026-10-10")}
    for calendar, open_weekend_days in ((guangzhou, makeup), (guangzhou_makeup_closed, set())):
        for anchor in (d("2025-11-10") + timedelta(days=i) for i in range(20)):
            for visit in plan_visits(anchor, schedule, calendar):
                if visit.suggested_is_clinic_day:
                    assert (visit.suggested.weekday() < 5
                            or visit.suggested in open_weekend_days), (anchor, visit)
                    assert visit.suggested not in cn, (anchor, visit)
                    assert visit.window_start <= visit.suggested <= visit.window_end


def test_spring_festival_days_are_closed_with_the_holiday_name(guangzhou):
    assert guangzhou.closed_reason(d("2026-02-17")) == "Chinese New Year (Spring Festival)"
    assert guangzhou.closed_reason(d("2026-02-21")) == "weekend"
    assert guangzhou.closed_reason(d("2026-02-24")) is None
    assert not guangzhou.is_open(d("2026-02-23"))  # substitute day off, a Monday


def test_two_week_window_inside_spring_festival_falls_back_to_target(schedule, guangzhou):
    # Day 0 = 2026-02-04: W02 target 2026-02-18, window Sun 15 .. Sat 21 Feb: no clinic day.
    visit = by_code(plan_visits(date(2026, 2, 4), schedule, guangzhou))["W02"]
    assert (visit.window_start, visit.window_end) == (d("2026-02-15"), d("2026-02-21"))
    assert (visit.suggested, visit.suggested_is_clinic_day) == (date(2026, 2, 18), False)


def test_tie_between_two_clinic_days_picks_the_earlier_day():
    # Clinic open on Saturdays: target Sunday 2025-08-31, Saturday and Monday both 1 day away.
    calendar = ClinicCalendar(closed_weekdays=frozenset({6}))
    got = suggest_booking(d("2025-08-31"), d("2025-08-24"), d("2025-09-07"), calendar)
    assert got == (date(2025, 8, 30), True)


def test_tie_around_an_extra_closure_date_picks_the_earlier_day():
    # Wednesday 2025-03-12 closed: Tuesday 11 and Thursday 13 are both 1 day away.
    calendar = ClinicCalendar(frozenset({5, 6}), closed_dates=frozenset({d("2025-03-12")}))
    assert calendar.closed_reason(d("2025-03-12")) == "clinic closure"
    got = suggest_booking(d("2025-03-12"), d("2025-03-09"), d("2025-03-15"), calendar)
    assert got == (date(2025, 3, 11), True)


def test_extra_closed_dates_add_to_spring_festival_and_tie_picks_earlier(study, schedule):
    # The clinic also closes Friday 13 Feb 2026 and make-up Saturday 14 Feb (setting off):
    # Thursday 12 (-6) and Tuesday 24 (+6) tie.
    site = replace(study.site, closed_dates=frozenset({d("2026-02-13")}),
                   makeup_workdays_open=False)
    calendar = clinic_calendar(site)
    visit = by_code(plan_visits(date(2025, 11, 18), schedule, calendar))["M03"]
    assert visit.target == date(2026, 2, 18)
    assert (visit.suggested, visit.suggested_is_clinic_day) == (date(2026, 2, 12), True)


def test_window_with_no_clinic_day_falls_back_to_target(schedule):
    closed = frozenset(d("2025-02-11") + timedelta(days=i) for i in range(7))  # 11..17 Feb
    calendar = ClinicCalendar(frozenset({5, 6}), closed_dates=closed)
    planned = by_code(plan_visits(date(2025, 1, 31), schedule, calendar))
    assert (planned["W02"].suggested, planned["W02"].suggested_is_clinic_day) == (
        date(2025, 2, 14), False
    )
    # The next visit is not affected.
    assert (planned["W04"].suggested, planned["W04"].suggested_is_clinic_day) == (
        date(2025, 2, 28), True
    )


# --- second infusion --------------------------------------------------------------------------


def test_second_infusion_is_due_14_days_after_the_first_with_2_days_either_side(schedule):
    assert schedule.second_infusion == SecondInfusionRule(due_days_after_first=14, window_days=2)
    window = second_infusion_window(date(2025, 1, 17), schedule.second_infusion)
    assert window == Window(due=d("2025-01-31"), start=d("2025-01-29"), end=d("2025-02-02"))


def test_second_infusion_window_across_29_february():
    window = second_infusion_window(date(2024, 2, 20), SecondInfusionRule(14, 2))
    assert (window.due, window.start, window.end) == (d("2024-03-05"), d("2024-03-03"),
                                                      d("2024-03-07"))


def test_second_infusion_window_contains_both_ends():
    window = second_infusion_window(date(2025, 1, 17), SecondInfusionRule(14, 2))
    assert window.contains(d("2025-01-29"))
    assert window.contains(d("2025-01-31"))
    assert window.contains(d("2025-02-02"))
    assert not window.contains(d("2025-01-28"))
    assert not window.contains(d("2025-02-03"))


def test_second_infusion_offset_is_negative_early_positive_late_zero_inside():
    window = second_infusion_window(date(2025, 1, 17), SecondInfusionRule(14, 2))
    assert window.offset(d("2025-01-28")) == -1
    assert window.offset(d("2025-01-25")) == -4
    assert window.offset(d("2025-01-29")) == 0
    assert window.offset(d("2025-02-02")) == 0
    assert window.offset(d("2025-02-03")) == 1
    assert window.offset(d("2025-02-07")) == 5


# --- windows never overlap --------------------------------------------------------------------


def test_real_schedule_windows_do_not_overlap(schedule):
    assert windows_overlap(schedule) is None


def test_overlapping_windows_are_reported_with_both_visit_codes(schedule):
    # W02 14 +/- 3 ends day 17; W03 20 +/- 3 starts day 17: one shared day is an overlap.
    overlapping = replace(schedule, visits=(days_visit(14, 3, "W02"), days_visit(20, 3, "W03")))
    message = windows_overlap(overlapping)
    assert message is not None
    assert "W02" in message and "W03" in message


def test_windows_that_touch_without_sharing_a_day_do_not_overlap(schedule):
    # W02 ends day 17, W03 starts day 18.
    touching = replace(schedule, visits=(days_visit(14, 3, "W02"), days_visit(21, 3, "W03")))
    assert windows_overlap(touching) is None


def test_overlap_that_happens_only_for_some_anchors_is_found(schedule):
    # "1 month" is 29 days only when it ends on 29 February (or clamps to it / to 28 Feb):
    # the two visits then fall on the same day.
    visits = (days_visit(29, 0, "D29"), months_visit(1, window_days=0, code="M01"))
    message = windows_overlap(replace(schedule, visits=visits))
    assert message is not None
    assert "D29" in message and "M01" in message


# --- export shape -----------------------------------------------------------------------------


def test_planned_visit_as_dict_has_exactly_the_export_keys_with_iso_dates(schedule):
    visit = by_code(plan_visits(date(2025, 1, 31), schedule, WEEKDAYS_ONLY))["M04"]
    assert visit.as_dict() == {
        "code": "M04",
        "label": "4 months",
        "target": "2025-05-31",
        "window_start": "2025-05-24",
        "window_end": "2025-06-07",
        "suggested": "2025-05-30",
    }


# --- make-up working days (调休) ---------------------------------------------------------------


def test_china_make_up_working_days_of_2026_in_the_holidays_package():
    """Precondition from the holidays package, independent of the code under test: the State
    Council's 2026 list makes Saturday 14 Feb and Saturday 28 Feb (Spring Festival), Saturday
    9 May (Labour Day) and Saturday 10 Oct (National Day) working days."""
    cn = holidays.country_holidays("CN", years=2026)
    for day in ("2026-02-14", "2026-02-28", "2026-05-09", "2026-10-10"):
        assert d(day).weekday() == 5 and cn.is_working_day(d(day)), day
    assert not cn.is_working_day(d("2026-02-21"))  # a plain Saturday


def test_a_make_up_working_day_is_a_clinic_day_by_default(guangzhou):
    assert guangzhou.closed_reason(d("2026-02-14")) is None  # Saturday, 调休 for Spring Festival
    assert guangzhou.is_open(d("2026-10-10"))  # Saturday, 调休 for National Day
    assert guangzhou.closed_reason(d("2026-02-15")) == "weekend"  # the Sunday after: plain
    assert guangzhou.closed_reason(d("2026-03-07")) == "weekend"  # a plain Saturday


def test_a_make_up_working_day_is_closed_when_the_site_says_so(guangzhou_makeup_closed):
    assert guangzhou_makeup_closed.closed_reason(d("2026-02-14")) == "weekend"
    assert guangzhou_makeup_closed.closed_reason(d("2026-03-07")) == "weekend"
    assert guangzhou_makeup_closed.closed_reason(d("2026-02-17")) == (
        "Chinese New Year (Spring Festival)")
    assert guangzhou_makeup_closed.is_open(d("2026-02-13"))


def test_a_make_up_working_day_never_opens_an_extra_closure_date(study):
    calendar = clinic_calendar(replace(study.site, closed_dates=frozenset({d("2026-05-09")})))
    assert calendar.closed_reason(d("2026-05-09")) == "clinic closure"


def test_a_suggested_visit_can_fall_on_a_make_up_saturday(schedule, guangzhou,
                                                         guangzhou_makeup_closed):
    # Day 0 = 2026-04-25: W02 target Saturday 2026-05-09 (a make-up working day), window 6-12 May.
    open_ = by_code(plan_visits(d("2026-04-25"), schedule, guangzhou))["W02"]
    assert (open_.target, open_.suggested, open_.suggested_is_clinic_day) == (
        d("2026-05-09"), d("2026-05-09"), True)
    # Closed: Friday 8 and Monday 11 May are both a day away; the tie goes to the earlier.
    closed = by_code(plan_visits(d("2026-04-25"), schedule, guangzhou_makeup_closed))["W02"]
    assert (closed.suggested, closed.suggested_is_clinic_day) == (d("2026-05-08"), True)


# --- screening --------------------------------------------------------------------------------


def test_screening_is_the_28_days_before_infusion_1_up_to_that_day(schedule):
    assert schedule.screening == ScreeningRule(window_days=28)
    # 2025-01-17 - 28 days = 2024-12-20
    assert screening_window(d("2025-01-17"), schedule.screening) == Window(
        due=d("2025-01-17"), start=d("2024-12-20"), end=d("2025-01-17"))


def test_a_screening_sample_follows_infusion_1_once_it_has_a_date(schedule):
    planned = Window(d("2025-01-10"), d("2024-12-13"), d("2025-01-10"))  # from consent
    rule = schedule.screening
    assert sample_window("screening", planned, None, rule) == planned
    assert sample_window("screening", planned, d("2025-01-17"), rule).start == d("2024-12-20")
    assert sample_window("scheduled", planned, d("2025-01-17"), rule) == planned
    # 2024-12-17 is 3 days before 2024-12-20; 2025-01-18 one day after infusion 1
    assert sample_deviation("screening", planned, d("2025-01-17"), rule, d("2024-12-17")) == -3
    assert sample_deviation("screening", planned, d("2025-01-17"), rule, d("2025-01-18")) == 1
    # not judged before infusion 1 has a date, and never for an unscheduled visit
    assert sample_deviation("screening", planned, None, rule, d("2024-01-01")) == 0
    assert sample_deviation("unscheduled", planned, d("2025-01-17"), rule, d("2024-01-01")) == 0
    assert sample_deviation("scheduled", planned, d("2025-01-17"), rule, d("2025-01-12")) == 2


def test_a_year_whose_official_working_calendar_is_not_out_is_an_estimate(study) -> None:
    """China names its make-up working days every year, each November for the next: a year
    the package knows none for is an estimate; a year it knows them for is not."""
    cn = clinic_calendar(study.site)
    assert cn.estimated_year(2025) is False  # 2025-01-26, 2025-02-08 ... are listed
    assert cn.estimated_year(2045) is True
    assert cn.estimated_years([date(2045, 3, 1), date(2025, 3, 1), date(2045, 9, 1)]) == [2045]
    # A country that moves no working days, or none at all, has no estimates.
    assert clinic_calendar(replace(study.site, holidays_country="GB")).estimated_year(2045) is False
    assert clinic_calendar(replace(study.site, holidays_country="")).estimated_year(2045) is False
