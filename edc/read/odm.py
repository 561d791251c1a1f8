"""The children as the ODM export writes them (edc.formats.odm), streamed in batches.

Each batch of BATCH children costs a fixed number of queries (children, infusions, visits,
results, live log entries, the newest audit row of each item), whatever its size, plus one for
the arms of an unblinded reader; the audit trail is never read whole. Results are given in their
canonical unit (Result.value and Result.unit, the first unit of their item in forms/), not as
typed. The arm is read only through edc.read.blinding, so a blinded reader's subjects carry none.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from edc.formats.odm import VISIT_ITEMS, Audit, Record, Subject, Value, VisitRecord
from edc.models import AuditEvent, Infusion, LogEntry, Participant, Result, Visit
from edc.protocol.codes import AuditAction
from edc.protocol.study import Study
from edc.read import blinding

BATCH = 50
# The columns of a result whose newest change dates its value.
RESULT_FIELDS = ("value", "unit", "typed_value", "typed_unit", "qualifier", "not_done_reason")
ELIGIBILITY = "eligibility"  # the participant's column of every criterion's answer
ALLOCATION = "allocation"  # the audit trail's name of the allocation list
AuditKey = tuple[str, int, str | None]  # entity, entity id, field (None: its creation)


def subjects(session: Session, study: Study, role: str) -> Iterator[Subject]:
    """Every child, by code, with their data and the audit rows that set it, batch by batch."""
    arms = blinding.arms(session, role)
    last = ""
    while True:
        batch = session.execute(select(Participant).where(Participant.code > last)
                                .order_by(Participant.code).limit(BATCH)).scalars().all()
        if not batch:
            return
        yield from _batch(session, study, role, batch, arms)
        last = batch[-1].code


def _newest(session: Session, role: str,
            ids: list[int]) -> tuple[dict[AuditKey, tuple[int, Audit]], dict[int, Audit]]:
    """The newest audit row of each entity's field among these children's, by key; and by
    child, the allocation's row that gave them their arm (only for a reader who sees it)."""
    newest = (select(func.max(AuditEvent.id))
              .where(AuditEvent.participant_id.in_(ids), blinding.visible_audit(role))
              .group_by(AuditEvent.entity, AuditEvent.entity_id, AuditEvent.field))
    rows = session.execute(
        select(AuditEvent.id, AuditEvent.entity, AuditEvent.entity_id, AuditEvent.field,
               AuditEvent.participant_id, AuditEvent.username, AuditEvent.at,
               AuditEvent.reason, AuditEvent.action)
        .where(AuditEvent.id.in_(newest.scalar_subquery())))
    items: dict[AuditKey, tuple[int, Audit]] = {}
    allocated: dict[int, Audit] = {}
    for row_id, entity, entity_id, field, participant_id, username, at, reason, action in rows:
        audit = Audit(username, at, reason or None)
        items[(entity, entity_id, field)] = (row_id, audit)
        if action == AuditAction.CREATE:
            # The record's creation: the audit of a value it was created with and that the
            # trail does not repeat (a default such as no days of deviation).
            items[(entity, entity_id, None)] = (row_id, audit)
        if entity == ALLOCATION and field == "participant_id":
            allocated[participant_id] = audit
    return items, allocated


def _by_participant(rows: Sequence[Any]) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        found[row.participant_id].append(row)
    return found


def _batch(session: Session, study: Study, role: str, batch: Sequence[Participant],
           arms: dict[int, str] | None) -> Iterator[Subject]:
    ids = [p.id for p in batch]
    infusions = _by_participant(session.scalars(
        select(Infusion).where(Infusion.participant_id.in_(ids)).order_by(Infusion.number)
    ).all())
    visits = _by_participant(session.scalars(
        select(Visit).where(Visit.participant_id.in_(ids))
        .order_by(Visit.target_date, Visit.code)).all())
    results: dict[int, list[Result]] = defaultdict(list)
    for result in session.scalars(select(Result).where(Result.participant_id.in_(ids))
                                  .order_by(Result.id)):
        results[result.visit_id].append(result)
    entries = _by_participant(session.scalars(
        select(LogEntry).where(LogEntry.participant_id.in_(ids),
                               LogEntry.removed_reason.is_(None))
        .order_by(LogEntry.form, LogEntry.number)).all())
    audit, allocated = _newest(session, role, ids)

    def audit_of(entity: str, entity_id: int, *fields: str) -> Audit | None:
        found = [audit[key] for f in fields if (key := (entity, entity_id, f)) in audit]
        if not found and (entity, entity_id, None) in audit:
            return audit[(entity, entity_id, None)][1]
        return max(found, key=lambda pair: pair[0])[1] if found else None

    for participant in batch:
        yield Subject(
            code=participant.code,
            enrolment=_enrolment(study, participant, audit_of),
            infusions=tuple(Record({key: Value(getattr(i, key), audit_of("infusion", i.id, key))
                                    for key in _INFUSION_KEYS}, key=str(i.number))
                            for i in infusions[participant.id]),
            visits=tuple(_visit(v, results[v.id], audit_of) for v in visits[participant.id]),
            logs=_logs(study, entries[participant.id], audit_of),
            arm=(None if arms is None or participant.id not in arms else
                 Value(arms[participant.id], allocated.get(participant.id))),
        )


_INFUSION_KEYS = ("date", "weight_kg", "product_lot", "volume_ml", "dose_cells_per_kg",
                  "planned_cells", "window_deviation_days")


def _enrolment(study: Study, participant: Participant, audit_of: Any) -> dict[str, Value]:
    values: dict[str, Value] = {}
    criteria = {c.key: c.code for c in study.criteria}
    for item in study.enrolment_form.fields:
        if item.key in criteria:
            answer = (participant.eligibility or {}).get(criteria[item.key])
            values[item.key] = Value(answer, audit_of("participant", participant.id,
                                                      ELIGIBILITY))
        else:
            values[item.key] = Value(getattr(participant, item.key, None),
                                     audit_of("participant", participant.id, item.key))
    return values


def _visit(visit: Visit, results: list[Result], audit_of: Any) -> VisitRecord:
    own = {item.key: Value(getattr(visit, item.key), audit_of("visit", visit.id, item.key))
           for item in VISIT_ITEMS}
    values: dict[str, Value] = {}
    for result in results:
        when = audit_of("result", result.id, *RESULT_FIELDS)
        if result.not_done_reason is not None or (result.value is None
                                                  and result.qualifier is None):
            values[result.field] = Value(None, when, not_done=result.not_done_reason or "")
            continue
        if result.value is not None:
            values[result.field] = Value(result.value, when, unit=result.unit or "")
        if result.qualifier:
            values[f"{result.field}_qualitative"] = Value(result.qualifier, when)
    return VisitRecord(code=visit.code, kind=visit.kind, visit=own, results=values)


def _logs(study: Study, entries: list[LogEntry], audit_of: Any) -> dict[str, tuple[Record, ...]]:
    forms = {log.name: log.form for log in (*study.logs, study.termination)}
    found: dict[str, list[Record]] = defaultdict(list)
    for entry in entries:
        form = forms.get(entry.form)
        if form is None:
            continue  # a form no longer in forms/ has no definition to write it under
        values: dict[str, Value] = {}
        for item in form.fields:
            stored = entry.values.get(item.key)
            when = audit_of("log_entry", entry.id, item.key)
            if isinstance(stored, dict):  # a number with the unit chosen beside it
                values[item.key] = Value(stored.get("value"), when, unit=stored.get("unit", ""))
            else:
                values[item.key] = Value(stored, when)
        found[entry.form].append(Record(values, key=str(entry.number)))
    return {name: tuple(records) for name, records in found.items()}
