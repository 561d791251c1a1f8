"""The audit trail as the pages read it: a child's rows a viewer may see, the rows of its visits
and results, and what changed on a visit since a form was opened. Rows come oldest first;
edc.views.history_words tells them in words."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from edc.audit import FROM_SCHEDULE, IDENTITY, as_text
from edc.models import AuditChange, AuditEvent, Result, Visit
from edc.models.audit import FieldChange, Known, field_changes
from edc.protocol.codes import AuditAction
from edc.read import blinding

# The columns a create leaves out, read from the record in the same query (edc.audit says
# which: a result's analyte and visit, a planned visit's dates).
# A planned visit's dates now are those it was planned with only when every later change of
# them is read too (the first one's old value is the planned one): so for a whole trail, not for
# a stream.
RECORDS: dict[str, Any] = {"result": Result, "visit": Visit}
Left = list[tuple[str, str, Any]]
IDENTITY_COLUMNS: Left = [(entity, name, getattr(RECORDS[entity], name))
                          for entity, names in IDENTITY.items() for name in sorted(names)]
ALL_COLUMNS: Left = IDENTITY_COLUMNS + [
    (entity, name, getattr(RECORDS[entity], name))
    for entity, names in FROM_SCHEDULE.items() for name in sorted(names)]


def _with_records(query: Select[Any], columns: Left) -> Select[Any]:
    """The query of audit rows, with the left-out columns of the records they create."""
    for entity in dict.fromkeys(entity for entity, _name, _column in columns):
        model = RECORDS[entity]
        query = query.outerjoin(model, and_(
            AuditEvent.action == AuditAction.CREATE, AuditEvent.field.is_(None),
            AuditEvent.entity == entity, model.id == AuditEvent.entity_id))
    return query.add_columns(*(column for _entity, _name, column in columns))


def _read(session: Session, query: Select[Any], columns: Left) -> Iterator[tuple[Any, Known]]:
    for row, *values in session.execute(_with_records(query, columns)):
        known = {name: as_text(value) for (entity, name, _column), value
                 in zip(columns, values, strict=True)
                 if row.entity == entity and value is not None}
        yield row, {(row.entity, row.entity_id): known} if known else {}


def changes(session: Session, query: Select[Any]) -> list[FieldChange]:
    """The audit rows a select(AuditEvent) finds, as one change per field, oldest first (one
    query). The query must find every row of each record it finds created."""
    rows, known = [], {}
    for row, found in _read(session, query, ALL_COLUMNS):
        rows.append(row)
        known.update(found)
    return field_changes(rows, known)


def stream(session: Session, query: Select[Any]) -> Iterator[FieldChange]:
    """The audit rows a select(AuditEvent) finds, as one change per field, row by row: a
    created record's values as the trail holds them, with a result's analyte and visit."""
    for row, known in _read(session, query, IDENTITY_COLUMNS):
        yield from field_changes([row], known)


def participant_trail(session: Session, role: str,
                      participant_id: int) -> list[FieldChange]:
    """Every change of the child the viewer may see (the allocation's only if unblinded)."""
    return changes(session, select(AuditEvent).where(
        AuditEvent.participant_id == participant_id, blinding.visible_audit(role))
        .order_by(AuditEvent.id))


def visit_trail(session: Session, participant_id: int, visit_id: int) -> list[FieldChange]:
    """The audit rows of one visit and of every result it ever had, oldest first."""
    return changes_since(session, participant_id, visit_id, 0)


def watermark(session: Session) -> int:
    """The newest audit row now: changes after it are someone else's once a form is open.
    From the change table alone, so the database reads the end of its key, not every row."""
    return session.scalar(select(func.max(AuditChange.id))) or 0


def result_ids(participant_id: int, visit_id: int) -> Select[tuple[int | None]]:
    """The ids of every result ever created on the child's visit, as a subquery: those it has,
    and those someone deleted since, found by their delete row (which names the visit: compact
    JSON, so the visit's id is written exactly so). A result never moves to another visit."""
    named = json.dumps({"visit_id": str(visit_id)}, separators=(",", ":"))[1:-1]
    deleted = select(AuditChange.entity_id).where(
        AuditChange.participant_id == participant_id, AuditChange.entity == "result",
        AuditChange.action == AuditAction.DELETE, AuditChange.field.is_(None),
        or_(AuditChange.old.contains(named + ",", autoescape=True),
            AuditChange.old.contains(named + "}", autoescape=True)))
    return select(Result.id).where(Result.visit_id == visit_id).union(deleted)


def changes_since(session: Session, participant_id: int, visit_id: int,
                  after: int) -> list[FieldChange]:
    """The changes of the visit and its results written after the watermark `after`."""
    return changes(session, select(AuditEvent).where(
        AuditEvent.id > after,
        AuditEvent.participant_id == participant_id,
        ((AuditEvent.entity == "visit") & (AuditEvent.entity_id == visit_id))
        | ((AuditEvent.entity == "result")
           & AuditEvent.entity_id.in_(result_ids(participant_id, visit_id))),
    ).order_by(AuditEvent.id))
