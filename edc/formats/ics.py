"""Turn planned and booked visits into iCalendar feeds: one per family, one for the clinic.

Pure: icalendar and the standard library only; the site's timezone is passed in. The output is
deterministic (no "now" inside): the same visits give the same bytes, so a feed can be compared
with a golden file and a phone that re-reads it sees changes only when a visit changed.

Updates, not duplicates: every event keeps the UID it is given for its whole life, and a move
raises SEQUENCE and DTSTAMP, so a re-import or a subscription refresh replaces the event.
Cancelled visits stay in the feed as STATUS:CANCELLED so that calendars drop them.

Alarms (families only; the clinic feed has none: forty children's visits would be noise):
- a timed visit alarms `visit_alarm_minutes` before it starts;
- an all-day visit alarms at 18:00 local the evening before (TRIGGER -PT6H from the start of
  the day), early enough to plan the journey, late enough to be after school and work.
The 24-hour urine reminder is a separate short event (UID = visit uid + "-urine") rather than a
second VALARM: subscribed calendars often drop alarms (Google ignores them in feeds, iOS removes
them by default), while an event stays visible on the day the collection starts; its own stable
UID and the visit's SEQUENCE make it move and cancel together with its visit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, Timezone, vDuration

from edc.protocol.codes import VisitKind


def prodid(study_id: str) -> str:
    """The calendar's PRODID: this software, for the study's trial registry id."""
    return f"-//Alport follow-up mini-EDC//{study_id}//EN"


# Subscribed phones poll no more often than this, so a moved visit shows within a few hours.
REFRESH = timedelta(hours=4)
# An all-day event starts at local midnight; six hours before it is 18:00 the evening before.
ALL_DAY_ALARM = timedelta(hours=-6)
URINE_EVENT_MINUTES = 30

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAYS_ZH = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")


@dataclass(frozen=True)
class CalendarVisit:
    uid: str
    sequence: int
    stamp: datetime  # aware; the last change to the visit
    code: str
    label: str
    label_zh: str
    day: date  # the day it took place when done, else the booked or suggested day
    time: time | None  # booked local clock time at the site; None -> all-day event
    window_start: date
    window_end: date
    cancelled: bool
    participant_code: str | None = None  # only for the clinic feed
    kind: str = VisitKind.SCHEDULED  # unscheduled and screening visits are named by kind
    done: bool = False  # it took place (on `day`)


@dataclass(frozen=True)
class Clinic:
    name: str
    name_zh: str
    address: str
    address_zh: str
    phone: str


@dataclass(frozen=True)
class Reminders:
    """The study's [calendar] settings (forms/study.toml)."""

    urine_days_before: int
    urine_time: time
    visit_alarm_minutes: int
    visit_duration_minutes: int


def zh_date(day: date, *, year: bool = True) -> str:
    """Write a date the Chinese way: 2026年4月24日."""
    return (f"{day.year}年" if year else "") + f"{day.month}月{day.day}日"


def en_date(day: date, *, year: bool = True) -> str:
    """Write a date the British way: 24 April 2026."""
    return f"{day.day} {MONTHS[day.month - 1]}" + (f" {day.year}" if year else "")


def window_text(start: date, end: date) -> tuple[str, str]:
    """Say in Chinese and English on which days the visit may take place: any day the clinic
    is open in the window, so a family does not wait for the suggested day."""
    if start == end:
        return f"只能在{zh_date(start)}就诊", f"on {en_date(start)} only"
    same_year = start.year == end.year
    return (
        f"可在{zh_date(start)}至{zh_date(end, year=not same_year)}之间任意一个门诊日就诊",
        f"on any clinic day from {en_date(start, year=not same_year)} to {en_date(end)}",
    )


# Visits outside the follow-up schedule have no label of their own in forms/schedule.toml.
KIND_NAMES = {
    VisitKind.UNSCHEDULED: ("计划外随访", "Unscheduled visit"),
    VisitKind.SCREENING: ("筛选访视", "Screening visit"),
}


def visit_label(visit: CalendarVisit) -> tuple[str, str]:
    """The visit's label in Chinese and English: '2周', '2 weeks'; 'Unscheduled visit'."""
    return KIND_NAMES.get(visit.kind, (visit.label_zh, visit.label))


def visit_names(visit: CalendarVisit) -> tuple[str, str]:
    """What the visit is called in Chinese and English: 'Follow-up visit 2 weeks'."""
    if visit.kind in KIND_NAMES:
        return KIND_NAMES[visit.kind]
    return f"复诊 {visit.label_zh}", f"Follow-up visit {visit.label}"


def urine_day(visit: CalendarVisit, reminders: Reminders) -> date:
    """Return the day the family starts the 24-hour urine collection."""
    return visit.day - timedelta(days=reminders.urine_days_before)


def visit_title(visit: CalendarVisit) -> str:
    """Name the visit in Chinese, then English."""
    zh, en = visit_names(visit)
    if visit.cancelled:
        # Some clients show a cancelled event like any other; the title says it too.
        zh, en = f"已取消：{zh}", f"Cancelled: {en}"
    return f"{zh} / {en}"


def visit_description(visit: CalendarVisit, clinic: Clinic, reminders: Reminders) -> str:
    """Describe the visit: Chinese block first, English block below."""
    day, start = visit.day, urine_day(visit, reminders)
    clock = f" {visit.time:%H:%M}" if visit.time else ""
    window_zh, window_en = window_text(visit.window_start, visit.window_end)
    name_zh, name_en = visit_names(visit)
    zh = [
        f"{name_zh}：{zh_date(day)} {WEEKDAYS_ZH[day.weekday()]}{clock}",
        f"{window_zh}；如需改期，请致电诊所。",
        f"请于{zh_date(start)}开始收集24小时尿液，就诊时带来。",
    ]
    en = [
        f"{name_en}: {WEEKDAYS[day.weekday()]} {en_date(day)}{clock}",
        f"The visit can take place {window_en}; to change the day, call the clinic.",
        f"Start collecting 24-hour urine on {WEEKDAYS[start.weekday()]} {en_date(start)} "
        "and bring it with you.",
    ]
    if visit.cancelled:
        zh[1:] = ["此次就诊已取消。"]
        en[1:] = ["This visit is cancelled."]
    elif visit.done:
        zh[1:] = ["此次就诊已完成。"]
        en[1:] = ["This visit took place on this day."]
    zh += [clinic.name_zh, clinic.address_zh, f"电话：{clinic.phone}"]
    en += [clinic.name, clinic.address, f"Phone: {clinic.phone}"]
    return "\n".join([*zh, "", *en])


def aware_utc(stamp: datetime) -> datetime:
    """Return the stamp in UTC, refusing a naive one."""
    if stamp.tzinfo is None or stamp.utcoffset() is None:
        raise ValueError(f"Got a naive stamp {stamp.isoformat()}. Expected an aware UTC datetime.")
    return stamp.astimezone(UTC)


def visit_event(
    visit: CalendarVisit, summary: str, *, clinic: Clinic, tz: ZoneInfo, reminders: Reminders,
    alarms: bool,
) -> Event:
    """Build the VEVENT of one visit: all-day, or timed in the site's timezone."""
    start: date | datetime
    end: date | datetime
    if visit.time is None:
        start, end, trigger = visit.day, visit.day + timedelta(days=1), ALL_DAY_ALARM
    else:
        start = datetime.combine(visit.day, visit.time, tzinfo=tz)
        end = start + timedelta(minutes=reminders.visit_duration_minutes)
        trigger = timedelta(minutes=-reminders.visit_alarm_minutes)
    stamp = aware_utc(visit.stamp)
    event = Event.new(
        uid=visit.uid, sequence=visit.sequence, stamp=stamp, last_modified=stamp,
        start=start, end=end, summary=summary,
        description=visit_description(visit, clinic, reminders),
        location=f"{clinic.address_zh} / {clinic.address}",
        status="CANCELLED" if visit.cancelled else "CONFIRMED",
        transparency="TRANSPARENT" if visit.cancelled else "OPAQUE",
    )
    # A cancelled visit must not ring on clients that ignore STATUS.
    if alarms and not visit.cancelled:
        zh, en = visit_names(visit)
        text = (
            f"{visit.time:%H:%M} {zh} / {en} at {visit.time:%H:%M}" if visit.time
            else f"明天{zh} / {en} tomorrow"
        )
        event.add_component(Alarm.new_display(description=text, trigger=trigger))
    return event


def urine_event(visit: CalendarVisit, *, tz: ZoneInfo, reminders: Reminders) -> Event:
    """Build the short reminder event to start the 24-hour urine collection."""
    start = datetime.combine(urine_day(visit, reminders), reminders.urine_time, tzinfo=tz)
    stamp = aware_utc(visit.stamp)
    _label_zh, label_en = visit_label(visit)
    zh = f"开始收集24小时尿液，就诊时带来（{visit_names(visit)[0]}，{zh_date(visit.day)}）"
    en = (f"Start collecting 24-hour urine and bring it to the visit "
          f"({label_en}, {WEEKDAYS[visit.day.weekday()]} {en_date(visit.day)})")
    summary = "开始收集24小时尿液 / Start 24-hour urine collection"
    if visit.cancelled:
        summary = f"已取消：{summary.replace(' / ', ' / Cancelled: ')}"
    event = Event.new(
        uid=f"{visit.uid}-urine", sequence=visit.sequence, stamp=stamp, last_modified=stamp,
        start=start, end=start + timedelta(minutes=URINE_EVENT_MINUTES), summary=summary,
        description=f"{zh}\n\n{en}",
        status="CANCELLED" if visit.cancelled else "CONFIRMED", transparency="TRANSPARENT",
    )
    if not visit.cancelled:
        event.add_component(Alarm.new_display(description=f"{zh}\n{en}", trigger=timedelta(0)))
    return event


def new_calendar(name: str, tz: ZoneInfo, events: list[Event], study_id: str) -> bytes:
    """Wrap events in a VCALENDAR with the VTIMEZONE of every timed event; return its bytes."""
    calendar = Calendar()
    calendar.add("PRODID", prodid(study_id))
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", "PUBLISH")
    calendar.calendar_name = name  # NAME (RFC 7986) and X-WR-CALNAME
    calendar.add("X-WR-TIMEZONE", tz.key)
    calendar.add("REFRESH-INTERVAL", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", vDuration(REFRESH))
    timed = [e.start for e in events if isinstance(e.start, datetime)]
    if timed:
        # Only the years the events span: the zone's history (China's DST in 1986-91) is noise.
        first = date(min(timed).year, 1, 1)
        last = date(max(timed).year + 2, 1, 1)
        calendar.add_component(
            Timezone.from_tzinfo(tz, tzid=tz.key, first_date=first, last_date=last)
        )
    for event in events:
        calendar.add_component(event)
    return calendar.to_ical()


def in_order(visits: Iterable[CalendarVisit]) -> list[CalendarVisit]:
    """Sort visits by day, then code, then uid."""
    return sorted(visits, key=lambda v: (v.day, v.code, v.uid))


def family_calendar(
    visits: Iterable[CalendarVisit], *, clinic: Clinic, tz: ZoneInfo, reminders: Reminders,
    name: str, study_id: str,
) -> bytes:
    """Render one child's calendar: visits with alarms and urine reminders, no participant code."""
    events: list[Event] = []
    for visit in in_order(visits):
        if visit.participant_code and visit.participant_code in name:
            raise ValueError(
                f"Got calendar name {name!r} with the participant code. "
                "Expected a family calendar that does not identify the child."
            )
        events.append(visit_event(
            visit, visit_title(visit), clinic=clinic, tz=tz, reminders=reminders, alarms=True
        ))
        events.append(urine_event(visit, tz=tz, reminders=reminders))
    return new_calendar(name, tz, events, study_id)


def clinic_feed(
    visits: Iterable[CalendarVisit], *, clinic: Clinic, tz: ZoneInfo, reminders: Reminders,
    name: str, study_id: str,
) -> bytes:
    """Render the staff feed: every visit titled with its participant code, no alarms."""
    events: list[Event] = []
    for visit in in_order(visits):
        if not visit.participant_code:
            raise ValueError(
                f"Got visit {visit.code} ({visit.uid}) without a participant code. "
                "Expected one for every visit in the clinic feed."
            )
        summary = f"{visit.participant_code} {visit.code} {visit_title(visit)}"
        events.append(visit_event(
            visit, summary, clinic=clinic, tz=tz, reminders=reminders, alarms=False
        ))
    return new_calendar(name, tz, events, study_id)
