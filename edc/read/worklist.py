"""The worklist's reads: visits due in a week, booked today and tomorrow, overdue, and done
visits missing a required result. The date rules come from edc.rules.worklist."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session, aliased

from edc.models import Infusion, Participant, Visit
from edc.protocol.codes import ParticipantStatus
from edc.protocol.crf import LogForm
from edc.protocol.schedule import SecondInfusionRule
from edc.read import deviations, safety
from edc.rules import worklist as rules
from edc.rules.schedule import ClinicCalendar, Window, second_infusion_window


@dataclass(frozen=True)
class VisitRow:
    """One visit as a worklist line (code, label and kind also make it a `visit_label`)."""

    visit_id: int
    participant_id: int
    participant_code: str
    code: str
    label: str
    kind: str
    status: str
    target_date: date
    window_start: date
    window_end: date
    booked_date: date | None
    booked_time: time | None
    booking_flags: str | None  # why the booked day is no plain booking (closed, off window)
    book_by: date | None = None  # the clinic day to offer while unbooked
    days_overdue: int = 0
    missing: tuple[str, ...] = ()  # required analytes with no result row

    def window_open(self, today: date) -> bool:
        return rules.is_open(self.window_start, self.window_end, today)


@dataclass(frozen=True)
class InfusionRow:
    """A child still to be infused: infusion 1 after consent, or infusion 2 in its window."""

    participant_id: int
    participant_code: str
    number: int
    consent_date: date
    window: Window | None  # infusion 2's window; None for infusion 1, which has none

    def late(self, today: date) -> int:
        """Days since infusion 2's window closed (0 while it is open or to come)."""
        return max(0, (today - self.window.end).days) if self.window else 0


# Each list of the worklist shows this many rows, the most pressing; the rest are counted and a
# page further on. Twenty is a clinic day's work and keeps the page quick at any size.
SECTION_ROWS = 20
SECTIONS = ("due", "infusions", "booked", "overdue", "incomplete")
UNBOOKED = "due, unbooked"  # the totals' count of the due visits not booked yet


@dataclass(frozen=True)
class Slice:
    """Which rows of a list to read: from `offset`, at most `limit`."""

    offset: int = 0
    limit: int = SECTION_ROWS


@dataclass(frozen=True)
class Worklist:
    today: date
    week: rules.Week
    due: list[VisitRow]
    booked: list[VisitRow]
    overdue: list[VisitRow]
    incomplete: list[VisitRow]
    # Every list's whole length (counted in SQL) and the first row shown, by section.
    totals: dict[str, int] = field(default_factory=dict)
    offsets: dict[str, int] = field(default_factory=dict)
    missing_labels: dict[str, str] = field(default_factory=dict)
    infusions: list[InfusionRow] = field(default_factory=list)
    deviation_count: int = 0  # every deviation the record holds, to review
    alerts: list[safety.Alert] = field(default_factory=list)  # serious, not acknowledged
    ongoing: list[safety.OngoingEvent] = field(default_factory=list)  # at the last visit


_COLUMNS = (Visit.id, Visit.participant_id, Participant.code, Visit.code, Visit.label,
            Visit.kind, Visit.status, Visit.target_date, Visit.window_start, Visit.window_end,
            Visit.booked_date, Visit.booked_time, Visit.booking_flags)


def _rows(session: Session, *where: ColumnElement[bool], extra: tuple = (),
          order: tuple = (), part: Slice | None = None) -> list[tuple]:
    part = part or Slice()
    query = (select(*_COLUMNS, *extra).join(Participant, Participant.id == Visit.participant_id)
             .where(*where).order_by(*order, Participant.code, Visit.target_date, Visit.code)
             .limit(part.limit).offset(part.offset))
    return list(session.execute(query).all())


def _count(session: Session, *where: ColumnElement[bool]) -> int:
    return session.scalar(select(func.count()).select_from(Visit).where(*where)) or 0


def _row(values: tuple, **more: object) -> VisitRow:
    return VisitRow(*values[:len(_COLUMNS)], **more)  # type: ignore[arg-type]


def _due_where(week: rules.Week, today: date,
               longest_window_days: int) -> tuple[ColumnElement[bool], ...]:
    return (Visit.status == rules.OPEN_STATUS, Visit.kind.in_(rules.DUE_KINDS),
            Visit.window_start <= week.end, Visit.window_end >= max(week.start, today),
            # Implied by the two above for any window of the schedule; lets the
            # (status, window_end) index read a range instead of every visit to come.
            Visit.window_end <= week.end + timedelta(days=longest_window_days))


def _unbooked_where(week: rules.Week, today: date,
                   longest_window_days: int) -> tuple[ColumnElement[bool], ...]:
    # The target lies in its window, so these bounds follow from the window's; they let the
    # index of visits still to book (ix_visit_unbooked) read its first rows in target order.
    reach = timedelta(days=longest_window_days)
    return (*_due_where(week, today, longest_window_days), Visit.booked_date.is_(None),
            Visit.target_date >= max(week.start, today) - reach,
            Visit.target_date <= week.end + reach)


def due(session: Session, calendar: ClinicCalendar, week: rules.Week, today: date,
        longest_window_days: int, part: Slice | None = None,
        unbooked: int | None = None) -> list[VisitRow]:
    """Planned visits whose window is open in the week or opens in it: unbooked first, then by
    the booked or book-by day. In SQL the unbooked are read by target day (which the book-by
    day follows to the nearest clinic day), then the booked by booked day; `unbooked` is how
    many unbooked there are in all (counted when not given), where the booked ones start."""
    part = part or Slice()
    where = _due_where(week, today, longest_window_days)
    if unbooked is None:
        unbooked = _count(session, *_unbooked_where(week, today, longest_window_days))
    rows = [
        _row(values, book_by=rules.book_by(values[7], values[8], values[9], today, calendar))
        for values in _rows(session, *_unbooked_where(week, today, longest_window_days),
                            part=part, order=(Visit.target_date,))]
    # Read even when the unbooked fill the page (with no rows to give), so the page runs the
    # same queries at any size.
    rows += [_row(values) for values in _rows(
        session, *where, Visit.booked_date.is_not(None),
        part=Slice(max(0, part.offset - unbooked), part.limit - len(rows)),
        order=(Visit.booked_date, Visit.booked_time.is_(None), Visit.booked_time))]
    return sorted(rows, key=lambda r: (r.booked_date is not None,
                                       r.booked_date or r.book_by or r.window_end,
                                       r.booked_time or time.max, r.participant_code, r.code))


def _booked_where(today: date) -> tuple[ColumnElement[bool], ...]:
    return (Visit.status == rules.OPEN_STATUS, Visit.booked_date >= today,
            Visit.booked_date <= today + timedelta(days=1))


def booked(session: Session, today: date, part: Slice | None = None) -> list[VisitRow]:
    """Planned visits booked for today or tomorrow, by day and time."""
    rows = [_row(values) for values in _rows(
        session, *_booked_where(today), part=part,
        order=(Visit.booked_date, Visit.booked_time.is_(None), Visit.booked_time))]
    return sorted(rows, key=lambda r: (r.booked_date, r.booked_time or time.max,
                                       r.participant_code, r.code))


def _overdue_where(today: date) -> tuple[ColumnElement[bool], ...]:
    return (Visit.status == rules.OPEN_STATUS, Visit.kind.in_(rules.OVERDUE_KINDS),
            Visit.window_end < today)


def overdue(session: Session, today: date, part: Slice | None = None) -> list[VisitRow]:
    """Scheduled visits still planned after their window closed, the longest overdue first."""
    rows = [_row(values, days_overdue=rules.days_overdue(values[9], today))
            for values in _rows(session, *_overdue_where(today), part=part,
                                order=(Visit.window_end,))]
    return sorted(rows, key=lambda r: (-r.days_overdue, r.participant_code, r.code))


def _incomplete_where() -> tuple[ColumnElement[bool], ...]:
    # The partial index ix_visit_results_missing's own condition and no other, so the database
    # reads only these rows (with the status too it may pick an index of every done visit).
    # Only a done visit keeps what it lacks, and a done visit stays done.
    return (Visit.results_missing.is_not(None),)


def results_incomplete(session: Session, part: Slice | None = None) -> list[VisitRow]:
    """Done visits with a required analyte that has no result row (neither a value nor 'not
    done'), each with the keys missing (kept with the visit's results), in one query."""
    return [_row(values[:len(_COLUMNS)], missing=tuple(values[-1].split()))
            for values in _rows(session, *_incomplete_where(), extra=(Visit.results_missing,),
                                part=part)]


def _awaiting_infusion() -> tuple[ColumnElement[bool], ...]:
    second = exists().where(Infusion.participant_id == Participant.id, Infusion.number == 2)
    return (Participant.status == ParticipantStatus.ENROLLED,
            Participant.anchor_infusion.is_(None), ~second)


def infusions_due(session: Session, rule: SecondInfusionRule,
                  part: Slice | None = None) -> list[InfusionRow]:
    """Enrolled children still to get infusion 1, or infusion 2 (unless follow-up was anchored
    on infusion 1), in one query: infusion 2 by its window, then those awaiting infusion 1."""
    part = part or Slice()
    first = aliased(Infusion)
    query = (select(Participant.id, Participant.code, Participant.consent_date, first.date)
             .outerjoin(first, (first.participant_id == Participant.id) & (first.number == 1))
             .where(*_awaiting_infusion())
             # Infusion 1 longest awaited first: by consent.
             .order_by(first.date.is_(None), first.date, Participant.consent_date,
                       Participant.code)
             .limit(part.limit).offset(part.offset))
    return [InfusionRow(pid, code, 1 if day is None else 2, consent,
                        None if day is None else second_infusion_window(day, rule))
            for pid, code, consent, day in session.execute(query)]


def totals(session: Session, week: rules.Week, today: date,
           longest_window_days: int) -> dict[str, int]:
    """How many rows each list has in all, in one query."""
    def visits(*where: ColumnElement[bool]) -> Any:
        return select(func.count()).select_from(Visit).where(*where).scalar_subquery()

    children = (select(func.count()).select_from(Participant).where(*_awaiting_infusion())
                .scalar_subquery())
    row = session.execute(select(
        visits(*_due_where(week, today, longest_window_days)), children,
        visits(*_booked_where(today)), visits(*_overdue_where(today)),
        visits(*_incomplete_where()),
        visits(*_unbooked_where(week, today, longest_window_days)))).one()
    return dict(zip((*SECTIONS, UNBOOKED), (n or 0 for n in row), strict=True))


def worklist(session: Session, calendar: ClinicCalendar, week: rules.Week, today: date,
             longest_window_days: int, required: dict[str, str],
             second_infusion: SecondInfusionRule, adverse_events: LogForm,
             recorded_deviations: str, offsets: dict[str, int] | None = None) -> Worklist:
    """Every section of the worklist, each at most SECTION_ROWS rows from its offset (0 unless
    given) with its whole length, and how many deviations there are to review (computed, and
    recorded as entries of the log `recorded_deviations`); required maps each required
    analyte key to its label."""
    term = adverse_events.form.by_role("term").key
    offsets = {name: (offsets or {}).get(name, 0) for name in SECTIONS}
    counted = totals(session, week, today, longest_window_days)
    return Worklist(
        today=today, week=week,
        due=due(session, calendar, week, today, longest_window_days, Slice(offsets["due"]),
                counted[UNBOOKED]),
        booked=booked(session, today, Slice(offsets["booked"])),
        overdue=overdue(session, today, Slice(offsets["overdue"])),
        incomplete=results_incomplete(session, Slice(offsets["incomplete"])),
        totals=counted,
        offsets=offsets,
        missing_labels=required,
        infusions=infusions_due(session, second_infusion, Slice(offsets["infusions"])),
        deviation_count=sum(deviations.counts(session, recorded_deviations).values()),
        alerts=safety.open_alerts(session, term,
                                  adverse_events.form.by_role("serious").key),
        ongoing=safety.ongoing_at_last_visit(session, adverse_events.name, term),
    )
