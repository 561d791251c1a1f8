"""The list of children, a page at a time: searched by code, filtered by status and by what is
due, sorted by code or by the next visit. A fixed number of queries whatever the number of
children: the counts, one page of rows with the infusion dates joined, and the next and overdue
visits of that page's children only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from edc.models import Infusion, Participant, Visit
from edc.read import blinding
from edc.read.codes import code_holds
from edc.rules import worklist as rules
from edc.rules.schedule import ClinicCalendar

PAGE_SIZE = 50
# What the list may be narrowed to by the next visit: due within the week from today (its
# window open or opening in the next 7 days, as the worklist's "due this week"), or overdue.
DUE_FILTERS = ("week", "overdue")
SORTS = ("code", "next")


@dataclass(frozen=True)
class ListQuery:
    """What the reader asked for: a fragment of the code, a status, a due filter, the order and
    the page (from 1)."""

    search: str = ""
    status: str | None = None
    due: str | None = None
    sort: str = "code"
    page: int = 1


@dataclass(frozen=True)
class NextVisit:
    """A child's next planned visit: the first by the day it is expected (booked, else
    suggested) whose window has not closed or that is booked for today or later."""

    visit_id: int
    code: str
    label: str
    kind: str
    suggested_date: date
    target_date: date
    window_start: date
    window_end: date
    booked_date: date | None
    booked_time: time | None
    booking_flags: str | None  # why the booked day is no plain booking (closed, off window)
    offered: date | None  # the day to offer for booking it (None: no clinic day left)

    def window_open(self, today: date) -> bool:
        return rules.is_open(self.window_start, self.window_end, today)


@dataclass(frozen=True)
class ListRow:
    id: int
    code: str
    status: str
    infusion_1: date | None
    infusion_2: date | None
    next_visit: NextVisit | None
    overdue: int
    arm: str | None  # None for a blinded viewer, or no arm assigned


@dataclass(frozen=True)
class ParticipantList:
    """One page of the list: its rows, how many children match, how many are enrolled in all,
    and whether the arm is shown."""

    rows: list[ListRow]
    matching: int
    enrolled: int
    query: ListQuery
    arms_shown: bool

    @property
    def first(self) -> int:
        """The number of the page's first row (1-based; 0 for an empty page)."""
        return (self.query.page - 1) * PAGE_SIZE + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0

    @property
    def pages(self) -> int:
        return max(1, -(-self.matching // PAGE_SIZE))


def _appointment(today: date) -> ColumnElement:
    """The day a planned visit is expected: its booked day from today on, else its suggested
    day (what the list shows beside it)."""
    return case((Visit.booked_date >= today, Visit.booked_date), else_=Visit.suggested_date)


def _to_come(today: date) -> tuple[ColumnElement[bool], ...]:
    """A planned visit still to come: its window not closed, or booked for today or later (a
    child behind schedule may be booked after the window)."""
    return (Visit.status == rules.OPEN_STATUS,
            or_(Visit.window_end >= today, Visit.booked_date >= today))


def _next_day(today: date) -> ColumnElement:
    """The day of the child's next visit (the list's order by next visit)."""
    return (select(func.min(_appointment(today)))
            .where(Visit.participant_id == Participant.id, *_to_come(today))
            .correlate(Participant).scalar_subquery())


def _filters(query: ListQuery, today: date) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if query.search:
        where.append(code_holds(query.search))
    if query.status:
        where.append(Participant.status == query.status)
    if query.due == "week":
        week = rules.Week(today)
        where.append(exists().where(
            Visit.participant_id == Participant.id, Visit.status == rules.OPEN_STATUS,
            Visit.kind.in_(rules.DUE_KINDS), Visit.window_start <= week.end,
            Visit.window_end >= today))
    elif query.due == "overdue":
        where.append(exists().where(
            Visit.participant_id == Participant.id, Visit.status == rules.OPEN_STATUS,
            Visit.kind.in_(rules.OVERDUE_KINDS), Visit.window_end < today))
    return where


def _page_query(query: ListQuery, today: date) -> Select:
    first, second = aliased(Infusion), aliased(Infusion)
    statement = (
        select(Participant.id, Participant.code, Participant.status, first.date, second.date)
        .outerjoin(first, and_(first.participant_id == Participant.id, first.number == 1))
        .outerjoin(second, and_(second.participant_id == Participant.id, second.number == 2))
        .where(*_filters(query, today))
    )
    if query.sort == "next":
        day = _next_day(today)
        statement = statement.order_by(day.is_(None), day, Participant.code)
    else:
        statement = statement.order_by(Participant.code)
    return statement.limit(PAGE_SIZE).offset((query.page - 1) * PAGE_SIZE)


def participant_list(session: Session, role: str, today: date, calendar: ClinicCalendar,
                     query: ListQuery) -> ParticipantList:
    """One page of the list in four queries (two while the page is empty), and one more for a
    viewer who may see the arms."""
    enrolled, matching = session.execute(
        select(func.count(), func.count(case((and_(true(), *_filters(query, today)), 1))))
        .select_from(Participant)
    ).one()
    page = session.execute(_page_query(query, today)).all()
    ids = [row[0] for row in page]
    next_visits = _next_visits(session, ids, today, calendar)
    overdue = _overdue(session, ids, today)
    arms = blinding.arms(session, role, ids)
    rows = [ListRow(id=pid, code=code, status=status, infusion_1=one, infusion_2=two,
                    next_visit=next_visits.get(pid), overdue=overdue.get(pid, 0),
                    arm=None if arms is None else arms.get(pid))
            for pid, code, status, one, two in page]
    return ParticipantList(rows=rows, matching=matching or 0, enrolled=enrolled or 0,
                           query=query, arms_shown=arms is not None)


def _next_visits(session: Session, ids: list[int], today: date,
                 calendar: ClinicCalendar) -> dict[int, NextVisit]:
    """The next planned visit of each of these children, in one query."""
    if not ids:
        return {}
    found: dict[int, NextVisit] = {}
    for row in session.execute(
        select(Visit.participant_id, Visit.id, Visit.code, Visit.label, Visit.kind,
               Visit.suggested_date, Visit.target_date, Visit.window_start, Visit.window_end,
               Visit.booked_date, Visit.booked_time, Visit.booking_flags)
        .where(Visit.participant_id.in_(ids), *_to_come(today))
        .order_by(Visit.participant_id, _appointment(today), Visit.code)
    ):
        if row[0] in found:
            continue
        offered = rules.day_to_offer(row.suggested_date, row.target_date, row.window_start,
                                     row.window_end, today, calendar)
        found[row[0]] = NextVisit(*row[1:], offered=offered)
    return found


def _overdue(session: Session, ids: list[int], today: date) -> dict[int, int]:
    """How many visits of each of these children are overdue, in one grouped query."""
    if not ids:
        return {}
    return dict(session.execute(  # type: ignore[arg-type]
        select(Visit.participant_id, func.count())
        .where(Visit.participant_id.in_(ids), Visit.status == rules.OPEN_STATUS,
               Visit.kind.in_(rules.OVERDUE_KINDS), Visit.window_end < today)
        .group_by(Visit.participant_id)
    ).all())

