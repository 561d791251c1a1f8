"""Source data verification and the casebook signature as the pages read them: a child's
verifiable records with their marks, the progress of verification per child, the signatures,
and everything the printable casebook shows. A fixed number of queries each; nothing here
reads the allocation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select, union_all
from sqlalchemy.orm import Session

from edc.models import (
    AuditChange,
    AuditEvent,
    DataQuery,
    Infusion,
    LogEntry,
    Participant,
    Signature,
    Verification,
    Visit,
)
from edc.models.audit import FieldChange
from edc.protocol.codes import ParticipantStatus, QueryStatus, VisitStatus
from edc.read import history
from edc.read.participants import load_participant


@dataclass(frozen=True)
class Record:
    """A record a monitor verifies, with its mark (None: never verified)."""

    entity: str  # as the audit trail names it: participant, infusion, visit, log_entry
    entity_id: int
    version: int
    record: Any  # the Participant, Infusion, Visit or LogEntry
    mark: Verification | None

    @property
    def verified(self) -> bool:
        return self.mark is not None and self.mark.cleared_at is None

    @property
    def cleared(self) -> bool:
        return self.mark is not None and self.mark.cleared_at is not None


@dataclass(frozen=True)
class Progress:
    """How many of a child's records are verified, of those entered."""

    verified: int
    entered: int


@dataclass(frozen=True)
class Review:
    """A child's verification and signature: every verifiable record in the casebook's order,
    the signatures newest first, the queries not closed, and the casebook's version (the newest
    audit row of the child: a signature covers what the signer saw)."""

    participant: Participant
    records: list[Record]
    signatures: list[Signature]
    open_queries: list[DataQuery]
    version: int

    @property
    def progress(self) -> Progress:
        return Progress(sum(r.verified for r in self.records), len(self.records))

    @property
    def in_force(self) -> Signature | None:
        return next((s for s in self.signatures if s.voided_at is None), None)

    @property
    def voided(self) -> list[Signature]:
        return [s for s in self.signatures if s.voided_at is not None]

    def mark(self, entity: str, entity_id: int) -> Record | None:
        return next((r for r in self.records
                     if (r.entity, r.entity_id) == (entity, entity_id)), None)


def _records(participant: Participant, entries: list[LogEntry],
             marks: dict[tuple[str, int], Verification]) -> list[Record]:
    found: list[tuple[str, Any]] = [("participant", participant)]
    found += [("infusion", i) for i in participant.infusions]
    found += [("visit", v) for v in participant.visits if v.status == VisitStatus.DONE]
    found += [("log_entry", e) for e in entries if e.removed_reason is None]
    return [Record(entity, record.id, record.version, record, marks.get((entity, record.id)))
            for entity, record in found]


def child_review(session: Session, participant_id: int) -> Review | None:
    """The child's review, or None for no such child: nine queries whatever its size."""
    participant = load_participant(session, participant_id)
    if participant is None:
        return None
    entries = list(session.scalars(select(LogEntry).where(
        LogEntry.participant_id == participant_id).order_by(LogEntry.form, LogEntry.number)))
    marks = {(m.entity, m.entity_id): m for m in session.scalars(
        select(Verification).where(Verification.participant_id == participant_id))}
    signatures = list(session.scalars(select(Signature).where(
        Signature.participant_id == participant_id).order_by(Signature.id.desc())))
    queries = list(session.scalars(select(DataQuery).where(
        DataQuery.participant_id == participant_id, DataQuery.status != QueryStatus.CLOSED)
        .order_by(DataQuery.id)))
    version = session.scalar(select(func.max(AuditChange.id)).where(
        AuditChange.participant_id == participant_id)) or 0
    return Review(participant, _records(participant, entries, marks), signatures, queries,
                  version)


def marks_of(session: Session, participant: Participant, entries: list[LogEntry], *,
             signatures: bool = True) -> Review:
    """The review of a child already loaded with its infusions, visits and results, and of
    the given log entries, for the small parts other pages include: the marks and, if asked,
    the signatures (one query each; no queries, no version)."""
    marks = {(m.entity, m.entity_id): m for m in session.scalars(
        select(Verification).where(Verification.participant_id == participant.id))}
    signed = list(session.scalars(select(Signature).where(
        Signature.participant_id == participant.id).order_by(Signature.id.desc()))
    ) if signatures else []
    return Review(participant, _records(participant, entries, marks), signed, [], 0)


def progress_by_child(session: Session, ids: Sequence[int]) -> dict[int, Progress]:
    """These children's verification progress (a page of the list): five queries whatever
    the number of children, each reading only theirs."""
    entered: dict[int, set[tuple[str, int]]] = {pid: {("participant", pid)} for pid in
                                                session.scalars(select(Participant.id).where(
                                                    Participant.id.in_(ids)))}
    for rows, entity in (
            (session.execute(select(Infusion.id, Infusion.participant_id).where(
                Infusion.participant_id.in_(ids))), "infusion"),
            (session.execute(select(Visit.id, Visit.participant_id).where(
                Visit.participant_id.in_(ids), Visit.status == VisitStatus.DONE)), "visit"),
            (session.execute(select(LogEntry.id, LogEntry.participant_id).where(
                LogEntry.participant_id.in_(ids), LogEntry.removed_reason.is_(None))),
             "log_entry")):
        for rid, pid in rows:
            entered.setdefault(pid, set()).add((entity, rid))
    verified: dict[int, int] = {}
    for entity, rid, pid in session.execute(
            select(Verification.entity, Verification.entity_id, Verification.participant_id)
            .where(Verification.participant_id.in_(ids), Verification.cleared_at.is_(None))):
        if (entity, rid) in entered.get(pid, set()):
            verified[pid] = verified.get(pid, 0) + 1
    return {pid: Progress(verified.get(pid, 0), len(records))
            for pid, records in entered.items()}


# A child's follow-up is over: their casebook is complete and waits for the signature.
ENDED = (ParticipantStatus.COMPLETED, ParticipantStatus.WITHDRAWN)


@dataclass(frozen=True)
class ToSign:
    """A casebook waiting for the investigator's signature: the child's follow-up ended and it
    was never signed, or its signature was voided by a later change."""

    participant_id: int
    code: str
    status: str
    voided_at: datetime | None  # when the last signature was voided; None: never signed


def to_sign(session: Session, limit: int) -> tuple[list[ToSign], int]:
    """The casebooks waiting for a signature, voided ones first, then by code (at most
    `limit`), and how many there are in all: two queries, each reading the ended children and
    the voided signatures by their indexes."""
    in_force = exists().where(Signature.participant_id == Participant.id,
                              Signature.voided_at.is_(None))
    voided = select(Signature.participant_id).where(Signature.voided_at.is_not(None))
    columns = (Participant.id, Participant.code, Participant.status)
    waiting = union_all(
        select(*columns).where(Participant.id.in_(voided), ~in_force),
        select(*columns).where(Participant.status.in_(ENDED), ~in_force,
                               Participant.id.not_in(voided))).subquery()
    last_voided = (select(func.max(Signature.voided_at))
                   .where(Signature.participant_id == waiting.c.id).scalar_subquery())
    rows = session.execute(select(waiting.c.id, waiting.c.code, waiting.c.status, last_voided)
                           .order_by(last_voided.is_(None), waiting.c.code).limit(limit))
    total = session.scalar(select(func.count()).select_from(waiting)) or 0
    return [ToSign(*row) for row in rows], total


@dataclass(frozen=True)
class Casebook:
    """Everything a child's printable casebook shows: the review, the log entries (removed ones
    too, struck through), every query with its audit rows, and the child's audit trail without
    the allocation's rows (the casebook never shows the arm)."""

    review: Review
    entries: list[LogEntry]
    queries: list[DataQuery]
    query_trail: dict[int, list[FieldChange]]
    trail: list[FieldChange]


def casebook(session: Session, participant_id: int) -> Casebook | None:
    """The child's casebook, or None for no such child: twelve queries whatever its size."""
    review = child_review(session, participant_id)
    if review is None:
        return None
    entries = list(session.scalars(select(LogEntry).where(
        LogEntry.participant_id == participant_id).order_by(LogEntry.form, LogEntry.number)))
    queries = list(session.scalars(select(DataQuery).where(
        DataQuery.participant_id == participant_id).order_by(DataQuery.id)))
    trail = history.changes(session, select(AuditEvent).where(
        AuditEvent.participant_id == participant_id, AuditEvent.entity != "allocation")
        .order_by(AuditEvent.id))
    query_trail: dict[int, list[FieldChange]] = {}
    for row in trail:
        if row.entity == "data_query" and row.entity_id is not None:
            query_trail.setdefault(row.entity_id, []).append(row)
    return Casebook(review, entries, queries, query_trail, trail)
