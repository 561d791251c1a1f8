"""The visit schedule as defined in forms/schedule.toml: visits, offsets, windows, infusion 2.

Pure. Every target is counted from day 0 (the anchor), never from the previous visit. A schedule
whose windows could overlap for some day 0 is refused at load.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from dateutil.relativedelta import relativedelta

from edc.protocol.toml import TomlTable

MONTH_RULES = ("calendar", "30d", "30.4375d")


@dataclass(frozen=True)
class VisitDefinition:
    code: str
    label: str
    label_zh: str
    days: int | None
    months: int | None
    window_days: int

    def target(self, anchor: date, month_rule: str) -> date:
        """Return day 0 plus this visit's offset, months counted by month_rule."""
        if self.days is not None:
            return anchor + timedelta(days=self.days)
        months = self.months or 0
        if month_rule == "calendar":
            return anchor + relativedelta(months=months)  # clamps 31 Jan + 1 month to 28/29 Feb
        if month_rule == "30d":
            return anchor + timedelta(days=30 * months)
        if month_rule == "30.4375d":
            return anchor + timedelta(days=math.floor(30.4375 * months + 0.5))
        raise ValueError(f"Got month rule {month_rule!r}. Expected calendar, 30d or 30.4375d.")


@dataclass(frozen=True)
class ScreeningRule:
    window_days: int  # screening samples from this many days before infusion 1 up to that day


@dataclass(frozen=True)
class SecondInfusionRule:
    due_days_after_first: int
    window_days: int


@dataclass(frozen=True)
class ScheduleDefinition:
    month_rule: str
    screening: ScreeningRule
    second_infusion: SecondInfusionRule
    visits: tuple[VisitDefinition, ...]


def _visit(t: TomlTable) -> VisitDefinition:
    has_days, has_months = "days" in t.data, "months" in t.data
    if has_days == has_months:
        raise t.fail(
            "days", t.data.get("days", t.data.get("months")), "exactly one of 'days' or 'months'"
        )
    return VisitDefinition(
        code=t.text("code", pattern=r"[A-Z][A-Z0-9]{1,9}"),
        label=t.text("label"),
        label_zh=t.text("label_zh"),
        days=t.integer("days", minimum=1) if has_days else None,
        months=t.integer("months", minimum=1) if has_months else None,
        window_days=t.integer("window_days"),
    )


def load_schedule(t: TomlTable) -> ScheduleDefinition:
    """Read schedule.toml and refuse a schedule whose windows could overlap."""
    rule = t.get("month_rule", "calendar")
    if rule not in MONTH_RULES:
        raise t.fail("month_rule", rule, "one of " + ", ".join(repr(r) for r in MONTH_RULES))
    screening = ScreeningRule(window_days=t.table("screening").integer("window_days", minimum=0))
    second = t.table("second_infusion")
    due, spread = second.integer("due_days_after_first", minimum=1), second.integer("window_days")
    if spread >= due:
        raise second.fail("window_days", spread, f"fewer days than due_days_after_first ({due}), "
                          "so the window starts after infusion 1")
    visits = tuple(_visit(v) for v in t.tables("visits"))
    codes = [v.code for v in visits]
    if len(set(codes)) != len(codes):
        raise t.fail("visits", codes, "distinct visit codes")
    schedule = ScheduleDefinition(
        month_rule=rule,
        screening=screening,
        second_infusion=SecondInfusionRule(due_days_after_first=due, window_days=spread),
        visits=visits,
    )
    overlap = windows_overlap(schedule)
    if overlap:
        raise t.fail("visits", overlap, "visit windows that never overlap")
    return schedule


def _anchors_over_a_leap_cycle() -> list[date]:
    start = date(2024, 1, 1)
    return [start + timedelta(days=i) for i in range(366 + 365 * 3)]


@cache  # a frozen schedule is checked once per process, however often the study is loaded
def windows_overlap(schedule: ScheduleDefinition) -> str | None:
    """Describe the first pair of visits whose windows overlap for some day 0, or return None."""
    anchors = (
        _anchors_over_a_leap_cycle() if schedule.month_rule == "calendar" else [date(2024, 1, 1)]
    )
    for anchor in anchors:
        windows = sorted(
            (
                (target - timedelta(days=v.window_days), target + timedelta(days=v.window_days),
                 v.code)
                for v in schedule.visits
                for target in [v.target(anchor, schedule.month_rule)]
            ),
        )
        for (_s, earlier_end, earlier), (later_start, _e, later) in zip(
            windows, windows[1:], strict=False
        ):
            if later_start <= earlier_end:
                return (
                    f"{earlier} (ends {earlier_end}) overlaps {later} "
                    f"(starts {later_start}) for day 0 = {anchor}"
                )
    return None
