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

Words: every text is the caller's (CalendarWords, translated from the message catalogue), in
Chinese first and English below: a family opens its calendar on a phone without logging in, so
it carries both. Dates and weekdays are written in each language's CLDR forms (Babel).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from icalendar import Alarm, Calendar, Event, Timezone, vDuration

from edc.protocol.codes import VisitKind


@lru_cache(maxsize=8192)
def format_date(day: date, pattern: str, locale: str) -> str:
    """Write a day in a CLDR pattern of a locale (remembered: a feed writes the same few
    hundred days over and over, and Babel takes its time)."""
    return babel_dates.format_date(day, pattern, locale=locale)


@lru_cache(maxsize=8192)
def format_skeleton(skeleton: str, day: date, locale: str) -> str:
    """Write a day in a CLDR skeleton of a locale (remembered, as format_date)."""
    return babel_dates.format_skeleton(skeleton, day, locale=locale)


@lru_cache(maxsize=64)
def _vtimezone(tz: ZoneInfo, first: date, last: date) -> Timezone:
    # Built from every transition of the zone, which takes longer than the rest of a family's
    # feed; the same zone and years give the same component, shared read-only by every feed.
    return Timezone.from_tzinfo(tz, tzid=tz.key, first_date=first, last_date=last)


def prodid(study_id: str) -> str:
    """The calendar's PRODID: this software, for the study's trial registry id."""
    return f"-//Alport follow-up mini-EDC//{study_id}//EN"


# Subscribed phones poll no more often than this, so a moved visit shows within a few hours.
REFRESH = timedelta(hours=4)
# An all-day event starts at local midnight; six hours before it is 18:00 the evening before.
ALL_DAY_ALARM = timedelta(hours=-6)
URINE_EVENT_MINUTES = 30

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
    missed: bool = False  # it did not take place (cancelled too: no appointment any more)
    booked: bool = False  # `day` is booked with the clinic (else a suggested day, to book)


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
    # What to do for the urine collection, one step a line, in Chinese and English: written in
    # the reminder under its own language's line.
    urine_steps_zh: tuple[str, ...] = ()
    urine_steps: tuple[str, ...] = ()


@dataclass(frozen=True)
class Words:
    """What the calendars say in one language: %-style templates, as in the message catalogue."""

    locale: str  # dates and weekdays in this locale's forms: "zh_CN", "en_GB"
    follow_up: str  # "Follow-up visit %(label)s"
    unscheduled: str  # "Unscheduled visit"
    screening: str  # "Screening visit"
    cancelled: str  # "Cancelled: %(name)s"
    missed: str  # "Missed: %(name)s"
    day: str  # "%(weekday)s %(date)s"
    visit_day: str  # "%(visit)s: %(weekday)s %(date)s"
    only_on: str  # "on %(date)s only"
    any_day: str  # "on any clinic day from %(start)s to %(end)s"
    any_day_in_year: str  # "on any clinic day from %(start)s to %(end)s %(year)s"
    window: str  # "The visit can take place %(window)s; to change the day, call the clinic."
    booked_day: str  # "This day is booked with the clinic; to change it, call the clinic."
    urine: str  # "Start collecting 24-hour urine on %(day)s and bring it with you."
    is_cancelled: str  # "This visit is cancelled."
    is_missed: str  # "This visit did not take place. ..."
    took_place: str  # "This visit took place on this day."
    phone: str  # "Phone: %(phone)s"
    alarm_at: str  # "%(visit)s at %(time)s"
    alarm_tomorrow: str  # "%(visit)s tomorrow"
    urine_title: str  # "Start 24-hour urine collection"
    urine_reminder: str  # "Start collecting ... bring it to the visit (%(visit)s, %(day)s)"
    # How that reminder names a follow-up visit: "%(label)s" (2 weeks); a visit named by its
    # kind is named so (Unscheduled visit).
    reminder_visit: str
    # The %(day)s of the urine texts, a CLDR date pattern: "EEEE d MMMM y" (Sunday 29 March
    # 2026); a language may leave out the weekday.
    reminder_day: str


@dataclass(frozen=True)
class CalendarWords:
    """The calendars' words in Chinese, written first, and in English, written below."""

    zh: Words
    en: Words


def long_date(day: date, language: Words, *, year: bool = True) -> str:
    """Write a date in the language's long form: 2026年4月24日, 24 April 2026; or 4月24日."""
    if year:
        return format_date(day, "long", locale=language.locale)
    return format_skeleton("MMMMd", day, locale=language.locale)


def weekday(day: date, language: Words) -> str:
    """Name the day of the week: 星期五, Friday."""
    return format_date(day, "EEEE", locale=language.locale)


def dated(template: str, day: date, language: Words, **values: str) -> str:
    """Fill a template's %(date)s and %(weekday)s with the day, and any other values."""
    return template % {"date": long_date(day, language), "weekday": weekday(day, language),
                       **values}


def day_text(day: date, words: CalendarWords) -> tuple[str, str]:
    """Write a day with its weekday in Chinese and English: 2026年4月24日 星期五."""
    return dated(words.zh.day, day, words.zh), dated(words.en.day, day, words.en)


def reminder_day(day: date, language: Words) -> str:
    """Write the day of a reminder in the language's pattern: Sunday 29 March 2026."""
    return format_date(day, language.reminder_day, locale=language.locale)


def window_text(start: date, end: date, words: CalendarWords) -> tuple[str, str]:
    """Say in Chinese and English on which days the visit may take place: any day the clinic
    is open in the window, so a family does not wait for the suggested day."""
    return _window(start, end, words.zh), _window(start, end, words.en)


def _window(start: date, end: date, language: Words) -> str:
    if start == end:
        return language.only_on % {"date": long_date(start, language)}
    if start.year == end.year:
        # The year once: 2026年4月24日至5月7日, 24 April to 7 May 2026.
        return language.any_day_in_year % {
            "start": long_date(start, language, year=False),
            "end": long_date(end, language, year=False),
            "year": format_date(start, "y", locale=language.locale),
        }
    return language.any_day % {"start": long_date(start, language),
                               "end": long_date(end, language)}


def _by_kind(visit: CalendarVisit) -> bool:
    # Visits outside the follow-up schedule have no label of their own in forms/schedule.toml.
    return visit.kind in (VisitKind.UNSCHEDULED, VisitKind.SCREENING)


def _label(visit: CalendarVisit, language: Words, label: str) -> str:
    if visit.kind == VisitKind.UNSCHEDULED:
        return language.unscheduled
    if visit.kind == VisitKind.SCREENING:
        return language.screening
    return label


def visit_label(visit: CalendarVisit, words: CalendarWords) -> tuple[str, str]:
    """The visit's label in Chinese and English: '2周', '2 weeks'; 'Unscheduled visit'."""
    return _label(visit, words.zh, visit.label_zh), _label(visit, words.en, visit.label)


def _name(visit: CalendarVisit, language: Words, label: str) -> str:
    if _by_kind(visit):
        return _label(visit, language, label)
    return language.follow_up % {"label": label}


def visit_names(visit: CalendarVisit, words: CalendarWords) -> tuple[str, str]:
    """What the visit is called in Chinese and English: 'Follow-up visit 2 weeks'."""
    return _name(visit, words.zh, visit.label_zh), _name(visit, words.en, visit.label)


URINE_HOURS = timedelta(hours=24)


def urine_start(visit: CalendarVisit, reminders: Reminders) -> datetime:
    """When the family starts the 24-hour urine collection (local, naive): urine_days_before
    the visit at urine_time, or earlier when that would end after a booked time, so the whole
    collection is done when the child comes."""
    start = datetime.combine(visit.day - timedelta(days=reminders.urine_days_before),
                             reminders.urine_time)
    if visit.time is None:
        return start
    return min(start, datetime.combine(visit.day, visit.time) - URINE_HOURS)


def urine_day(visit: CalendarVisit, reminders: Reminders) -> date:
    """Return the day the family starts the 24-hour urine collection."""
    return urine_start(visit, reminders).date()


def visit_title(visit: CalendarVisit, words: CalendarWords) -> str:
    """Name the visit in Chinese, then English."""
    names = visit_names(visit, words)
    if visit.cancelled:
        # Some clients show a cancelled event like any other; the title says it too: a missed
        # visit as missed (the family did not come), not as called off by the clinic.
        zh, en = ((words.zh.missed, words.en.missed) if visit.missed
                  else (words.zh.cancelled, words.en.cancelled))
        names = (zh % {"name": names[0]}, en % {"name": names[1]})
    return " / ".join(names)


def visit_description(
    visit: CalendarVisit, clinic: Clinic, reminders: Reminders, words: CalendarWords
) -> str:
    """Describe the visit: Chinese block first, English block below."""
    name_zh, name_en = visit_names(visit, words)
    zh = _description(visit, reminders, words.zh, name_zh)
    en = _description(visit, reminders, words.en, name_en)
    zh += [clinic.name_zh, clinic.address_zh, words.zh.phone % {"phone": clinic.phone}]
    en += [clinic.name, clinic.address, words.en.phone % {"phone": clinic.phone}]
    return "\n".join([*zh, "", *en])


def _description(
    visit: CalendarVisit, reminders: Reminders, language: Words, name: str
) -> list[str]:
    clock = f" {visit.time:%H:%M}" if visit.time else ""
    lines = [dated(language.visit_day, visit.day, language, visit=name) + clock]
    if visit.cancelled:
        return [*lines, language.is_missed if visit.missed else language.is_cancelled]
    if visit.done:
        return [*lines, language.took_place]
    when = (language.booked_day if visit.booked else
            language.window % {"window": _window(visit.window_start, visit.window_end, language)})
    return [*lines, when,
            language.urine % {"day": reminder_day(urine_day(visit, reminders), language)}]


def aware_utc(stamp: datetime) -> datetime:
    """Return the stamp in UTC, refusing a naive one."""
    if stamp.tzinfo is None or stamp.utcoffset() is None:
        raise ValueError(f"Got a naive stamp {stamp.isoformat()}. Expected an aware UTC datetime.")
    return stamp.astimezone(UTC)


def _status(visit: CalendarVisit) -> str:
    """A visit's event status (and its urine reminder's): a suggested day is tentative until
    the clinic books it."""
    if visit.cancelled:
        return "CANCELLED"
    return "CONFIRMED" if visit.booked or visit.done else "TENTATIVE"


def visit_event(
    visit: CalendarVisit, summary: str, *, clinic: Clinic, tz: ZoneInfo, reminders: Reminders,
    words: CalendarWords, alarms: bool,
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
        description=visit_description(visit, clinic, reminders, words),
        location=f"{clinic.address_zh} / {clinic.address}",
        status=_status(visit),
        transparency="TRANSPARENT" if visit.cancelled else "OPAQUE",
    )
    # Only a booked day rings: not a cancelled visit (clients may ignore STATUS), not a done
    # one, not a suggested day the clinic has still to book.
    if alarms and visit.booked:
        text = " / ".join(
            (language.alarm_at % {"visit": name, "time": f"{visit.time:%H:%M}"}) if visit.time
            else language.alarm_tomorrow % {"visit": name}
            for language, name in zip((words.zh, words.en), visit_names(visit, words), strict=True)
        )
        event.add_component(Alarm.new_display(description=text, trigger=trigger))
    return event


def urine_event(
    visit: CalendarVisit, *, tz: ZoneInfo, reminders: Reminders, words: CalendarWords
) -> Event:
    """Build the short reminder event to start the 24-hour urine collection."""
    start = urine_start(visit, reminders).replace(tzinfo=tz)
    stamp = aware_utc(visit.stamp)
    zh, en = (
        language.urine_reminder % {
            "visit": label if _by_kind(visit) else language.reminder_visit % {"label": label},
            "day": reminder_day(visit.day, language)}
        for language, label in zip((words.zh, words.en), visit_label(visit, words), strict=True)
    )
    titles = (words.zh.urine_title, words.en.urine_title)
    if visit.cancelled:
        titles = (words.zh.cancelled % {"name": titles[0]},
                  words.en.cancelled % {"name": titles[1]})
    summary = " / ".join(titles)
    zh_block = "\n".join((zh, *reminders.urine_steps_zh))
    en_block = "\n".join((en, *reminders.urine_steps))
    event = Event.new(
        uid=f"{visit.uid}-urine", sequence=visit.sequence, stamp=stamp, last_modified=stamp,
        start=start, end=start + timedelta(minutes=URINE_EVENT_MINUTES), summary=summary,
        description=f"{zh_block}\n\n{en_block}",
        status=_status(visit), transparency="TRANSPARENT",
    )
    if visit.booked:  # as the visit's own alarm: a day still to book does not ring
        event.add_component(Alarm.new_display(description=f"{zh}\n{en}", trigger=timedelta(0)))
    return event


def _wrapped(name: str, tz: ZoneInfo, events: list[bytes], timed: list[datetime],
             study_id: str) -> bytes:
    """The VCALENDAR around events already written, with the VTIMEZONE the timed starts need."""
    calendar = Calendar()
    calendar.add("PRODID", prodid(study_id))
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", "PUBLISH")
    calendar.calendar_name = name  # NAME (RFC 7986) and X-WR-CALNAME
    calendar.add("X-WR-TIMEZONE", tz.key)
    calendar.add("REFRESH-INTERVAL", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", vDuration(REFRESH))
    if timed:
        # Only the years the events span: the zone's history (China's DST in 1986-91) is noise.
        first = date(min(timed).year, 1, 1)
        last = date(max(timed).year + 2, 1, 1)
        calendar.add_component(_vtimezone(tz, first, last))
    # The events follow the calendar's own lines and time zone, as its components would.
    head, end = calendar.to_ical().rsplit(b"END:VCALENDAR", 1)
    return b"".join((head, *events, b"END:VCALENDAR", end))


# A visit's events written out, by everything they are made from: a feed asked for again (a
# family's phone, every nurse's calendar app) writes only what changed. Writing an event is most
# of a feed's time (the library folds its long lines a character at a time).
@lru_cache(maxsize=8192)
def _visit_ical(visit: CalendarVisit, summary: str, clinic: Clinic, tz: ZoneInfo,
                reminders: Reminders, words: CalendarWords, alarms: bool) -> bytes:
    return visit_event(visit, summary, clinic=clinic, tz=tz, reminders=reminders, words=words,
                       alarms=alarms).to_ical()


@lru_cache(maxsize=8192)
def _urine_ical(visit: CalendarVisit, tz: ZoneInfo, reminders: Reminders,
                words: CalendarWords) -> bytes:
    return urine_event(visit, tz=tz, reminders=reminders, words=words).to_ical()


def _timed_start(visit: CalendarVisit, tz: ZoneInfo) -> datetime | None:
    """A visit event's start when it has a time of day (else it lasts the day)."""
    return None if visit.time is None else datetime.combine(visit.day, visit.time, tzinfo=tz)


def in_order(visits: Iterable[CalendarVisit]) -> list[CalendarVisit]:
    """Sort visits by day, then code, then uid."""
    return sorted(visits, key=lambda v: (v.day, v.code, v.uid))


def family_calendar(
    visits: Iterable[CalendarVisit], *, clinic: Clinic, tz: ZoneInfo, reminders: Reminders,
    words: CalendarWords, name: str, study_id: str,
) -> bytes:
    """Render one child's calendar: visits with alarms and urine reminders, no participant code."""
    events: list[bytes] = []
    timed: list[datetime] = []
    for visit in in_order(visits):
        if visit.participant_code and visit.participant_code in name:
            raise ValueError(
                f"Got calendar name {name!r} with the participant code. "
                "Expected a family calendar that does not identify the child."
            )
        events.append(_visit_ical(visit, visit_title(visit, words), clinic, tz, reminders, words,
                                  True))
        events.append(_urine_ical(visit, tz, reminders, words))
        start = _timed_start(visit, tz)
        timed += [start] if start else []
        timed.append(urine_start(visit, reminders).replace(tzinfo=tz))
    return _wrapped(name, tz, events, timed, study_id)


def clinic_feed(
    visits: Iterable[CalendarVisit], *, clinic: Clinic, tz: ZoneInfo, reminders: Reminders,
    words: CalendarWords, name: str, study_id: str,
) -> bytes:
    """Render the staff feed: every visit titled with its participant code, no alarms."""
    events: list[bytes] = []
    timed: list[datetime] = []
    for visit in in_order(visits):
        if not visit.participant_code:
            raise ValueError(
                f"Got visit {visit.code} ({visit.uid}) without a participant code. "
                "Expected one for every visit in the clinic feed."
            )
        summary = f"{visit.participant_code} {visit.code} {visit_title(visit, words)}"
        events.append(_visit_ical(visit, summary, clinic, tz, reminders, words, False))
        start = _timed_start(visit, tz)
        timed += [start] if start else []
    return _wrapped(name, tz, events, timed, study_id)
