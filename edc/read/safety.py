"""The safety reads: a child's log entries, one entry, and the serious adverse events no
investigator has acknowledged yet (the banner on every staff page). Nothing here shows the arm."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from edc.models import LogEntry, Participant


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
    """A serious adverse event waiting for an investigator's acknowledgement."""

    participant_id: int
    code: str
    number: int
    term: str
    alert_at: datetime


def open_alerts(session: Session, term_key: str) -> list[Alert]:
    """Every serious event not yet acknowledged, the oldest (the nearest deadline) first: one
    query, whatever the number of children."""
    rows = session.execute(
        select(LogEntry.participant_id, Participant.code, LogEntry.number, LogEntry.values,
               LogEntry.alert_at)
        .join(Participant, Participant.id == LogEntry.participant_id)
        .where(LogEntry.alert_at.is_not(None), LogEntry.acknowledged_at.is_(None),
               LogEntry.removed_reason.is_(None))
        .order_by(LogEntry.alert_at, LogEntry.id))
    return [Alert(pid, code, number, str(values.get(term_key) or ""), at)
            for pid, code, number, values, at in rows]
