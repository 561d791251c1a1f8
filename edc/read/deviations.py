"""The protocol deviations the record already holds, across children: infusion 2 outside its
window, a sample outside its visit's window, a booking outside the window or on a closed day,
and a missed visit. A page of them in four queries, one to count them all by kind.
And those the study team recorded by hand (forms/deviations.toml), one query; and the child a
code names."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Integer, cast, func, literal_column, null, select, union_all
from sqlalchemy.orm import Session

from edc.audit import AUDITED
from edc.models import AuditEvent, Infusion, LogEntry, Participant, Visit
from edc.protocol.codes import AuditAction, VisitStatus
from edc.read.codes import code_is
from edc.rules import worklist as rules


@dataclass(frozen=True)
class VisitRef:
    """The visit a deviation belongs to (code, label and kind make it a `visit_label`)."""

    id: int
    code: str
    label: str
    kind: str


@dataclass(frozen=True)
class Deviation:
    kind: str  # one of rules.DEVIATION_KINDS
    participant_id: int
    participant_code: str
    day: date | None  # when it happened: infusion, sample or booked day; the missed window's end
    days: int | None  # days outside the window: negative before, positive after
    detail: str | None = None  # the booking's flags, or why a visit was missed
    reason: str | None = None  # the reason given for a booking off the window or on a closed day
    visit: VisitRef | None = None  # None for an infusion


# What makes a row a deviation of each kind, as SQL conditions.
# Zero written into the SQL, not bound: so the partial indexes that hold only the deviating rows
# (ix_visit_sample_deviation, ix_infusion_window_deviation) serve the counts.
_ZERO = literal_column("0")


def _sample() -> ColumnElement[bool]:
    return Visit.sample_deviation_days != _ZERO


def _booking() -> ColumnElement[bool]:
    # Only a visit still to come: a cancelled one (withdrawn child) will not take place, and a
    # done or missed one is judged by its sample date or as missed, not by a booking it outgrew.
    return Visit.booking_flags.is_not(None) & (Visit.status == VisitStatus.PLANNED)


def _missed() -> ColumnElement[bool]:
    return Visit.status == VisitStatus.MISSED


def _infusion() -> ColumnElement[bool]:
    return (Infusion.number == 2) & (Infusion.window_deviation_days != _ZERO)


def participant_id_for(session: Session, code: str) -> int | None:
    """The id of the child with this code (in any letter case, with or without its dash), or
    None."""
    return session.scalar(select(Participant.id).where(code_is(code)))


def counts(session: Session, recorded_form: str) -> dict[str, int]:
    """How many deviations of each kind, and how many the study team recorded by hand (entries
    of `recorded_form` not removed), in one query."""
    values = session.execute(select(
        select(func.count()).select_from(Infusion).where(_infusion()).scalar_subquery(),
        select(func.count()).select_from(Visit).where(_sample()).scalar_subquery(),
        select(func.count()).select_from(Visit).where(_booking()).scalar_subquery(),
        select(func.count()).select_from(Visit).where(_missed()).scalar_subquery(),
        select(func.count()).select_from(LogEntry).where(
            LogEntry.form == recorded_form, LogEntry.removed_reason.is_(None)).scalar_subquery(),
    )).one()
    found = dict(zip(rules.DEVIATION_KINDS, (int(v or 0) for v in values[:-1]), strict=True))
    return {**found, "recorded": int(values[-1] or 0)}


PAGE_SIZE = 50  # deviations a page of the list shows


@dataclass(frozen=True)
class DeviationPage:
    """One page of the deviations: its rows, how many there are in all, and which page."""

    rows: list[Deviation]
    total: int
    page: int  # from 1

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    @property
    def first(self) -> int:
        """The number of the page's first row (1-based; 0 for an empty page)."""
        return (self.page - 1) * PAGE_SIZE + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0


# An id a row of the union does not have, typed (PostgreSQL types a bare NULL as text).
_NO_ID = cast(null(), Integer)
# The day a deviation of each kind took place, from its visit.
_VISIT_DAYS = {"sample": Visit.actual_date, "booking": Visit.booked_date,
               "missed": Visit.window_end}


def deviations(session: Session, participant_id: int | None = None,
               kind: str | None = None, page: int = 1) -> DeviationPage:
    """A page of the deviations, by participant code, then day; optionally one child's, one
    kind's. Four queries whatever their number: each kind's rows from its own index, counted,
    a page of them ordered, then the infusions and visits of that page."""
    kinds = (kind,) if kind else rules.DEVIATION_KINDS
    order = {k: n for n, k in enumerate(rules.DEVIATION_KINDS)}
    conditions = {"sample": _sample, "booking": _booking, "missed": _missed}
    parts = []
    for name in kinds:
        if name == "infusion":
            part = (select(literal_column(str(order[name])).label("kind"),
                           Infusion.participant_id.label("pid"), Infusion.date.label("day"),
                           Infusion.id.label("infusion_id"), _NO_ID.label("visit_id"))
                    .where(_infusion()))
            if participant_id is not None:
                part = part.where(Infusion.participant_id == participant_id)
        else:
            part = (select(literal_column(str(order[name])).label("kind"),
                           Visit.participant_id.label("pid"), _VISIT_DAYS[name].label("day"),
                           _NO_ID.label("infusion_id"), Visit.id.label("visit_id"))
                    .where(conditions[name]()))
            if participant_id is not None:
                part = part.where(Visit.participant_id == participant_id)
        parts.append(part)
    found = union_all(*parts).subquery()
    total = session.scalar(select(func.count()).select_from(found)) or 0
    keys = session.execute(
        select(found.c.kind, found.c.infusion_id, found.c.visit_id)
        .join(Participant, Participant.id == found.c.pid)
        .outerjoin(Visit, Visit.id == found.c.visit_id)
        .order_by(Participant.code, found.c.day, found.c.kind, Visit.code)
        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    infusions = {row.id: row for row in session.execute(
        select(Infusion.id, Infusion.participant_id, Infusion.date,
               Infusion.window_deviation_days, Participant.code)
        .join(Participant, Participant.id == Infusion.participant_id)
        .where(Infusion.id.in_([k.infusion_id for k in keys if k.infusion_id is not None])))}
    visits = {visit.id: (visit, code) for visit, code in session.execute(
        select(Visit, Participant.code).join(Participant, Participant.id == Visit.participant_id)
        .where(Visit.id.in_([k.visit_id for k in keys if k.visit_id is not None])))}
    rows: list[Deviation] = []
    for key in keys:
        if key.infusion_id is not None:
            i = infusions[key.infusion_id]
            rows.append(Deviation("infusion", i.participant_id, i.code, i.date,
                                  i.window_deviation_days))
        elif (found_row := _of_visit(rules.DEVIATION_KINDS[key.kind],
                                     *visits[key.visit_id])) is not None:
            rows.append(found_row)
    return DeviationPage(rows, total, page)


def of_child(code: str, infusions: Sequence[Any], visits: Sequence[Any]) -> list[Deviation]:
    """One child's deviations from its infusion and visit rows (records or plain rows), by
    day: the queries of `deviations` for a child whose rows are read already."""
    found = [Deviation("infusion", i.participant_id, code, i.date, i.window_deviation_days)
             for i in infusions if i.number == 2 and i.window_deviation_days]
    found += [d for visit in visits for kind in ("sample", "booking", "missed")
              if (d := _of_visit(kind, visit, code)) is not None]
    order = {k: n for n, k in enumerate(rules.DEVIATION_KINDS)}
    return sorted(found, key=lambda d: (d.day or date.min, order[d.kind],
                                        d.visit.code if d.visit else ""))


def _of_visit(kind: str, visit: Visit, code: str) -> Deviation | None:
    """The deviation of this kind a visit row holds, or None."""
    shared = dict(participant_id=visit.participant_id, participant_code=code,
                  visit=VisitRef(visit.id, visit.code, visit.label, visit.kind))
    if kind == "sample" and visit.sample_deviation_days:
        return Deviation("sample", day=visit.actual_date, days=visit.sample_deviation_days,
                         **shared)
    if kind == "booking" and visit.booking_flags and visit.status == VisitStatus.PLANNED:
        days = (rules.booking_offset(visit.window_start, visit.window_end, visit.booked_date)
                if visit.booked_date else None)
        return Deviation("booking", day=visit.booked_date, days=days,
                         detail=visit.booking_flags, reason=visit.booking_reason, **shared)
    if kind == "missed" and visit.status == VisitStatus.MISSED:
        return Deviation("missed", day=visit.window_end, days=None, detail=visit.missed_reason,
                         **shared)
    return None


@dataclass(frozen=True)
class Recorded:
    """A deviation the study team recorded: its log row's items, and who entered it."""

    participant_id: int
    participant_code: str
    number: int
    values: dict[str, Any]  # item key -> stored value
    day: date  # the row's start date
    entered_by: str | None


def recorded(session: Session, form: str, participant_id: int | None = None) -> list[Recorded]:
    """The rows of the deviation log not removed, by participant code, then day; optionally one
    child's. One query, who entered each row included."""
    entered_by = (select(AuditEvent.username)
                  .where(AuditEvent.participant_id == LogEntry.participant_id,
                         AuditEvent.entity == AUDITED[LogEntry],
                         AuditEvent.entity_id == LogEntry.id,
                         AuditEvent.action == AuditAction.CREATE)
                  .order_by(AuditEvent.id).limit(1).scalar_subquery())
    query = (select(LogEntry, Participant.code, entered_by)
             .join(Participant, Participant.id == LogEntry.participant_id)
             .where(LogEntry.form == form, LogEntry.removed_reason.is_(None))
             .order_by(Participant.code, LogEntry.start_date, LogEntry.number))
    if participant_id is not None:
        query = query.where(LogEntry.participant_id == participant_id)
    return [Recorded(entry.participant_id, code, entry.number, dict(entry.values),
                     entry.start_date, who)
            for entry, code, who in session.execute(query)]
