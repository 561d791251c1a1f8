"""The visits a calendar shows: a family's (by its link's token) and the clinic's feed.

A calendar shows dates, never results, names or the arm; the rows are made here so that the
family calendar, the printable card and the clinic feed show the same visits the same way.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from edc.formats.ics import CalendarVisit
from edc.models import Participant, Visit
from edc.protocol.codes import VisitKind, VisitStatus
from edc.protocol.schedule import ScheduleDefinition

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
        done=done,
    )


def family_visits(session: Session, token: str,
                  schedule: ScheduleDefinition) -> list[CalendarVisit] | None:
    """The calendar rows of the child whose link has this token; None for no such link."""
    if len(token) > TOKEN_LENGTH:
        return None
    participant = session.scalars(
        select(Participant).where(Participant.calendar_token == token)
        .options(selectinload(Participant.visits))
    ).first()
    return None if participant is None else calendar_visits(participant.visits, schedule)


def clinic_visits(session: Session, schedule: ScheduleDefinition) -> list[CalendarVisit]:
    """Every child's calendar rows by suggested day, each named by participant code only."""
    visits = list(session.scalars(
        select(Visit).join(Participant).where(Visit.kind != VisitKind.SCREENING)
        .options(selectinload(Visit.participant))
        .order_by(Visit.suggested_date)
    ))
    return [replace(entry, uid=f"{entry.uid}-clinic", participant_code=visit.participant.code)
            for visit, entry in zip(visits, calendar_visits(visits, schedule), strict=True)]
