"""The safety reads: a child's log entries, one entry, and the serious adverse events no
investigator has acknowledged yet (the banner on every staff page). Nothing here shows the arm."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from edc.models import LogEntry, Participant, Visit
from edc.protocol.codes import VisitStatus


def log_entries(session: Session, participant_id: int, form: str) -> list[LogEntry]:
    """The child's entries of one log form, in the order they were made."""
    return list(session.scalars(
        select(LogEntry).where(LogEntry.participant_id == participant_id, LogEntry.form == form)
        .order_by(LogEntry.number)))


def child_logs(session: Session, participant_id: int) -> list[LogEntry]:
    """Every log entry of the child, each form's in order: one query."""
    return list(session.scalars(
        select(LogEntry).where(LogEntry.participant_id == participant_id)
        .order_by(LogEntry.form, LogEntry.number)))


def log_entry(session: Session, participant_id: int, form: str, number: int) -> LogEntry | None:
    return session.scalars(select(LogEntry).where(
        LogEntry.participant_id == participant_id, LogEntry.form == form,
        LogEntry.number == number)).first()


@dataclass(frozen=True)
class Alert:
    """A serious adverse event waiting for an investigator's acknowledgement: still serious, or
    since marked not serious or removed (an investigator sees that too)."""

    participant_id: int
    code: str
    number: int
    term: str
    onset: date
    alert_at: datetime
    serious: bool  # still marked serious
    removed: bool  # removed as entered in error


def open_alerts(session: Session, term_key: str, serious_key: str) -> list[Alert]:
    """Every event saved as serious and not yet acknowledged, the oldest (the nearest deadline)
    first: one query, whatever the number of children."""
    rows = session.execute(
        select(LogEntry.participant_id, Participant.code, LogEntry.number, LogEntry.values,
               LogEntry.start_date, LogEntry.alert_at, LogEntry.removed_reason)
        .join(Participant, Participant.id == LogEntry.participant_id)
        .where(LogEntry.alert_at.is_not(None), LogEntry.acknowledged_at.is_(None))
        .order_by(LogEntry.alert_at, LogEntry.id))
    return [Alert(pid, code, number, str(values.get(term_key) or ""), onset, at,
                  serious=values.get(serious_key) == "yes", removed=removed is not None)
            for pid, code, number, values, onset, at, removed in rows]


@dataclass(frozen=True)
class OngoingEvent:
    """An adverse event without an end date that was already going on at the child's last
    visit: at the next contact, its end and outcome are to be asked."""

    participant_id: int
    code: str
    number: int
    term: str
    onset: date
    visit_code: str
    visit_date: date


def ongoing_at_last_visit(session: Session, form: str, term_key: str) -> list[OngoingEvent]:
    """Adverse events with no end date whose onset is on or before the child's last done visit,
    the longest-running first: two queries, whatever the number of children."""
    # Two queries driven by the open events (few): their children's done visits are read by
    # child (an index), never the trial's whole visit table.
    events = session.execute(
        select(LogEntry.participant_id, Participant.code, LogEntry.number, LogEntry.values,
               LogEntry.start_date)
        .join(Participant, Participant.id == LogEntry.participant_id)
        .where(LogEntry.form == form, LogEntry.end_date.is_(None),
               LogEntry.removed_reason.is_(None))
        .order_by(LogEntry.start_date, Participant.code, LogEntry.number)).all()
    last: dict[int, tuple[date, str]] = {}
    for pid, day, code in session.execute(
            select(Visit.participant_id, Visit.actual_date, Visit.code)
            .where(Visit.participant_id.in_({e[0] for e in events}),
                   Visit.status == VisitStatus.DONE, Visit.actual_date.is_not(None))
            .order_by(Visit.participant_id, Visit.actual_date, Visit.code.desc())):
        # Two visits done on the same last day: the event is listed with the first by code.
        last[pid] = (day, code)
    found = []
    for pid, code, number, values, onset in events:
        if pid in last and onset <= last[pid][0]:
            day, visit_code = last[pid]
            found.append(OngoingEvent(pid, code, number, str(values.get(term_key) or ""), onset,
                                      visit_code, day))
    return found
