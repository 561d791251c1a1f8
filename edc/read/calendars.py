"""The visits a calendar shows: a family's (by its link's token) and the clinic's feed.

A calendar shows dates, never results, names or the arm; the rows are made here so that the
family calendar, the printable card and the clinic feed show the same visits the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from edc.formats.ics import CalendarVisit
from edc.models import Participant, User, Visit
from edc.protocol.codes import VisitKind, VisitStatus
from edc.protocol.schedule import ScheduleDefinition
from edc.rules import worklist as rules
from edc.rules.schedule import ClinicCalendar

TOKEN_LENGTH = 64  # the column's length: a longer text is no token, and is not looked up


def calendar_visits(visits: list[Visit], schedule: ScheduleDefinition) -> list[CalendarVisit]:
    """The visits a calendar shows (not screening), in the order given."""
    return [calendar_visit(v, schedule) for v in visits if v.kind != VisitKind.SCREENING]


def calendar_visit(v: Visit, schedule: ScheduleDefinition) -> CalendarVisit:
    """One visit as a calendar shows it: a done visit on the day it took place."""
    definition = next((d for d in schedule.visits if d.code == v.code), None)
    done = v.status == VisitStatus.DONE and v.actual_date is not None
    day = v.actual_date if done and v.actual_date else v.appointment
    return CalendarVisit(
        uid=v.calendar_uid, sequence=v.calendar_sequence, stamp=v.calendar_stamp, code=v.code,
        label=v.label, label_zh=definition.label_zh if definition else v.label, day=day,
        time=v.booked_time if day == v.booked_date else None, window_start=v.window_start,
        # A missed visit is no appointment any more: the family is not expected that day.
        window_end=v.window_end,
        cancelled=v.status in (VisitStatus.CANCELLED, VisitStatus.MISSED), kind=v.kind,
        done=done, missed=v.status == VisitStatus.MISSED,
        booked=v.status == VisitStatus.PLANNED and day == v.booked_date,
    )


def _by_token(session: Session, token: str) -> Participant | None:
    """The child whose calendar link has this token, with its visits; None for no such link."""
    if len(token) > TOKEN_LENGTH:
        return None
    return session.scalars(
        select(Participant).where(Participant.calendar_token == token)
        .options(selectinload(Participant.visits))
    ).first()


def family_visits(session: Session, token: str,
                  schedule: ScheduleDefinition) -> list[CalendarVisit] | None:
    """The calendar rows of the child whose link has this token; None for no such link."""
    participant = _by_token(session, token)
    return None if participant is None else calendar_visits(participant.visits, schedule)


@dataclass(frozen=True)
class ClinicWindow:
    """The days the clinic feed covers: planned visits whose appointment (booked, else the
    suggested day) falls from `start` to `end`."""

    start: date
    end: date

    def where(self) -> tuple[ColumnElement[bool], ...]:
        # Booked for a day of the feed, even off the visit's window (a child behind schedule
        # booked late); else not booked, suggested for a day of the feed. Two whole conditions,
        # so each reads its own index: planned visits by booked day, and by suggested day.
        planned = (Visit.status == VisitStatus.PLANNED, Visit.kind != VisitKind.SCREENING)
        booked = and_(*planned, Visit.booked_date >= self.start, Visit.booked_date <= self.end)
        suggested = and_(*planned, Visit.booked_date.is_(None),
                         Visit.suggested_date >= self.start, Visit.suggested_date <= self.end)
        return (or_(booked, suggested),)


def clinic_window(today: date, days_back: int, days_ahead: int) -> ClinicWindow:
    """The clinic feed's days around today (forms/study.toml [calendar])."""
    return ClinicWindow(today - timedelta(days=days_back), today + timedelta(days=days_ahead))


def clinic_stamp(session: Session, window: ClinicWindow) -> tuple[datetime | None, int]:
    """The last change of a visit in the feed's window and how many there are: one query, so
    an unchanged feed is answered without building it."""
    stamp, count = session.execute(
        select(func.max(Visit.calendar_stamp), func.count()).where(*window.where())).one()
    return stamp, count


def clinic_visits(session: Session, schedule: ScheduleDefinition,
                  window: ClinicWindow) -> list[CalendarVisit]:
    """The planned visits of every child in the window, by suggested day, each named by
    participant code only (joined in the same query)."""
    rows = session.execute(
        select(Visit, Participant.code).join(Participant, Participant.id == Visit.participant_id)
        .where(*window.where()).order_by(Visit.suggested_date, Visit.id)
    ).all()
    return [replace(calendar_visit(visit, schedule), uid=f"{visit.calendar_uid}-clinic",
                    participant_code=code) for visit, code in rows]


def feed_owner(session: Session, token: str) -> User | None:
    """The active account whose clinic calendar link has this token; None for no such link."""
    if not token or len(token) > TOKEN_LENGTH:
        return None
    return session.scalars(select(User).where(User.clinic_feed_token == token,
                                              User.active.is_(True))).first()


class FamilyState(StrEnum):
    """Where a visit stands on the family's page (its words are the view's)."""

    DONE = "done"
    BOOKED = "booked"
    TO_BOOK = "to_book"
    # Planned, its window over, not yet marked missed: the family should call, not book.
    PASSED = "passed"
    MISSED = "missed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class FamilyVisit:
    entry: CalendarVisit
    state: FamilyState

    @property
    def to_come(self) -> bool:
        """Booked or to book: the family still has to come."""
        return self.state in (FamilyState.BOOKED, FamilyState.TO_BOOK)


def family_state(v: Visit, today: date) -> FamilyState:
    """Say where a visit stands for the family: done, booked, to book, window passed, missed or
    cancelled."""
    if v.status == VisitStatus.DONE:
        return FamilyState.DONE
    if v.status == VisitStatus.MISSED:
        return FamilyState.MISSED
    if v.status == VisitStatus.CANCELLED:
        return FamilyState.CANCELLED
    if v.kind == VisitKind.UNSCHEDULED and v.appointment < today:
        # An extra visit on a day gone by was recorded after it took place (its results may
        # follow): nothing for the family to book or call about.
        return FamilyState.DONE
    if v.booked_date is not None and v.booked_date >= today:
        return FamilyState.BOOKED  # even behind its window: the family comes on that day
    if v.window_end < today:
        return FamilyState.PASSED
    return FamilyState.BOOKED if v.booked_date is not None else FamilyState.TO_BOOK


def family_page(session: Session, token: str, schedule: ScheduleDefinition, today: date,
                calendar: ClinicCalendar) -> list[FamilyVisit] | None:
    """The visits of the family's page by day, each with its state; None for no such link. A
    visit still to book whose suggested day has gone by is shown on the day the clinic would
    offer now (as the worklist suggests it), not on a day the family can no longer come.

    Only dates and states: never the code, name, date of birth, arm or results.
    """
    participant = _by_token(session, token)
    if participant is None:
        return None
    rows = []
    for v in participant.visits:
        if v.kind == VisitKind.SCREENING:
            continue
        entry, state = calendar_visit(v, schedule), family_state(v, today)
        if state == FamilyState.TO_BOOK and entry.day < today:
            entry = replace(entry, day=rules.day_to_offer(
                v.suggested_date, v.target_date, v.window_start, v.window_end, today,
                calendar) or entry.day)
        rows.append(FamilyVisit(entry=entry, state=state))
    return sorted(rows, key=lambda row: (row.entry.day, row.entry.code))

