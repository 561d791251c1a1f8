"""Plan follow-up visits: anchor date + visit definitions -> targets, windows, clinic-day bookings.

Pure: no Flask, no SQLAlchemy. Every target is computed from the anchor (day 0), never from the
previous visit, so an error cannot accumulate along the schedule. Windows are whole local days,
inclusive at both ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import holidays

from edc.protocol.codes import VisitKind
from edc.protocol.schedule import (
    ScheduleDefinition,
    ScreeningRule,
    SecondInfusionRule,
    VisitDefinition,
)
from edc.protocol.study import Site

# How many years back a country is looked at for make-up working days (estimated_year): one
# that named some in these years names them every year.
MAKEUP_YEARS_BACK = 30


@dataclass(frozen=True)
class ClinicCalendar:
    """Which days the clinic is open: not on closed weekdays, public holidays or closure dates,
    except that a weekend day made an official working day (makeup_workday) is open."""

    closed_weekdays: frozenset[int]  # the site's, from forms/study.toml
    closed_dates: frozenset[date] = frozenset()
    holiday_name: Callable[[date], str | None] = lambda _day: None
    # The holiday's name in a language ("zh_CN", "en_US"), for people to read; holiday_name is
    # the one stored.
    holiday_name_in: Callable[[date, str], str | None] = lambda _day, _language: None
    makeup_workday: Callable[[date], bool] = lambda _day: False
    # Whether the year's clinic days are an estimate: its official working calendar (China's
    # 调休, published each November) is not known yet, so a holiday may still move.
    estimated_year: Callable[[int], bool] = lambda _year: False

    def estimated_years(self, days: Iterable[date]) -> list[int]:
        """The years among these days whose clinic days are an estimate, in order."""
        return sorted(year for year in {day.year for day in days} if self.estimated_year(year))

    def closed_reason(self, day: date) -> str | None:
        """Say why the clinic is closed on day, or None when it is open."""
        if day in self.closed_dates:
            return "clinic closure"
        name = self.holiday_name(day)
        if name:
            return name
        if day.weekday() in self.closed_weekdays and not self.makeup_workday(day):
            return "weekend" if day.weekday() >= 5 else day.strftime("%A")
        return None

    def is_open(self, day: date) -> bool:
        return self.closed_reason(day) is None


def clinic_calendar(site: Site) -> ClinicCalendar:
    """Build the site's calendar with the public holidays of its country (holidays package),
    and its make-up working days (China's 调休) open unless the site closes them."""
    if not site.holidays_country:
        return ClinicCalendar(site.closed_weekdays, site.closed_dates)
    public = holidays.country_holidays(
        site.holidays_country, subdiv=site.holidays_subdivision or None
    )

    named: dict[str, holidays.HolidayBase] = {}

    def holiday_name_in(day: date, language: str) -> str | None:
        if language not in public.supported_languages:
            return public.get(day)
        if language not in named:
            named[language] = holidays.country_holidays(
                site.holidays_country, subdiv=site.holidays_subdivision or None,
                language=language)
        return named[language].get(day)

    def makeup_workday(day: date) -> bool:
        # The package lists the weekend days moved to work as working days on its weekend.
        return public.is_weekend(day) and public.is_working_day(day)

    @cache
    def makeup_days(year: int) -> int:
        day, count = date(year, 1, 1), 0
        while day.year == year:
            count += makeup_workday(day)
            day += timedelta(days=1)
        return count

    def estimated_year(year: int) -> bool:
        # A country that moves working days around its holidays names them every year: a year
        # for which the package knows none is one whose official calendar is not out yet.
        return makeup_days(year) == 0 and any(
            makeup_days(before) for before in range(year - 1, year - MAKEUP_YEARS_BACK, -1))

    return ClinicCalendar(
        site.closed_weekdays, site.closed_dates, holiday_name=public.get,
        holiday_name_in=holiday_name_in,
        makeup_workday=makeup_workday if site.makeup_workdays_open else lambda _day: False,
        estimated_year=estimated_year)


@dataclass(frozen=True)
class PlannedVisit:
    code: str
    label: str
    target: date
    window_start: date
    window_end: date
    suggested: date
    suggested_is_clinic_day: bool
    day: int  # target - anchor, in days

    def as_dict(self) -> dict[str, str]:
        """The JSON shape of `edc schedule --json`."""
        return {
            "code": self.code,
            "label": self.label,
            "target": self.target.isoformat(),
            "window_start": self.window_start.isoformat(),
            "window_end": self.window_end.isoformat(),
            "suggested": self.suggested.isoformat(),
        }


@dataclass(frozen=True)
class Window:
    due: date
    start: date
    end: date

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def offset(self, day: date) -> int:
        """Days outside the window: negative before it, positive after it, 0 inside."""
        if day < self.start:
            return (day - self.start).days
        if day > self.end:
            return (day - self.end).days
        return 0


def target_date(anchor: date, visit: VisitDefinition, month_rule: str) -> date:
    """Return day 0 plus the visit's offset, months counted by month_rule."""
    return visit.target(anchor, month_rule)


def suggest_booking(
    target: date, start: date, end: date, calendar: ClinicCalendar
) -> tuple[date, bool]:
    """The clinic day in [start, end] nearest the target (the earlier one on a tie).

    Returns (day, True), or (target, False) when the window holds no clinic day at all.
    """
    for distance in range(0, (end - start).days + 1):
        for day in (target - timedelta(days=distance), target + timedelta(days=distance)):
            if start <= day <= end and calendar.is_open(day):
                return day, True
    return target, False


def plan_visits(
    anchor: date, schedule: ScheduleDefinition, calendar: ClinicCalendar
) -> list[PlannedVisit]:
    """All visits of the schedule for day 0 = anchor."""
    planned = []
    for visit in schedule.visits:
        target = target_date(anchor, visit, schedule.month_rule)
        start = target - timedelta(days=visit.window_days)
        end = target + timedelta(days=visit.window_days)
        suggested, is_clinic_day = suggest_booking(target, start, end, calendar)
        planned.append(
            PlannedVisit(
                code=visit.code,
                label=visit.label,
                target=target,
                window_start=start,
                window_end=end,
                suggested=suggested,
                suggested_is_clinic_day=is_clinic_day,
                day=(target - anchor).days,
            )
        )
    return planned


def second_infusion_window(first: date, rule: SecondInfusionRule) -> Window:
    """When the second infusion is due after the first, and its allowed window."""
    due = first + timedelta(days=rule.due_days_after_first)
    return Window(
        due, due - timedelta(days=rule.window_days), due + timedelta(days=rule.window_days)
    )


def screening_window(due: date, rule: ScreeningRule) -> Window:
    """The screening window: the rule's window_days before due (infusion 1), up to due."""
    return Window(due, due - timedelta(days=rule.window_days), due)


def sample_window(kind: str, planned: Window, first_infusion: date | None,
                  rule: ScreeningRule) -> Window:
    """The window a visit's sample date is judged against: the planned one, except that a
    screening visit's follows infusion 1 once that has a date."""
    if kind == VisitKind.SCREENING and first_infusion is not None:
        return screening_window(first_infusion, rule)
    return planned


def sample_deviation(kind: str, planned: Window, first_infusion: date | None,
                     rule: ScreeningRule, sample: date) -> int:
    """Days a sample lies outside its window. An unscheduled visit has none, and a screening
    sample is judged only once infusion 1 is known."""
    if kind == VisitKind.UNSCHEDULED or (kind == VisitKind.SCREENING and first_infusion is None):
        return 0
    return sample_window(kind, planned, first_infusion, rule).offset(sample)
