"""Write the audit trail in the same transaction as the change it describes.

A save (one `audited()` block in one transaction) writes one audit entry: who, when (UTC) and
why; and under it its changes. A created record is one change holding, as one JSON object, the
values the person entered (not the columns the app derives from them, nor the identity it never
changes); an update is one change per field it changed (old value, new value); a deleted record
is one change holding its last values as JSON. `edc.models.audit.field_changes` reads them all
back as one change per field. A flush that changes audited data without a known actor is
refused, so no write can slip past the trail.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, insert, inspect, or_, select, update
from sqlalchemy.orm import Session

from edc.models import (
    Allocation,
    AuditChange,
    AuditEntry,
    DataQuery,
    Infusion,
    LogEntry,
    LoginAttempt,
    Participant,
    Result,
    Signature,
    StudyLock,
    User,
    Verification,
    Visit,
    utcnow,
)
from edc.protocol.codes import AuditAction, QueryStatus, VisitKind

AUDITED: dict[type, str] = {
    Participant: "participant",
    Infusion: "infusion",
    Visit: "visit",
    Result: "result",
    Allocation: "allocation",
    User: "user",
    LogEntry: "log_entry",
    DataQuery: "data_query",
    Verification: "verification",
    Signature: "signature",
    StudyLock: "study_lock",
    LoginAttempt: "login_attempt",
}
# The audit trail's name for a computer's wait after failed log-ins, lifted by an administrator.
COMPUTER_WAIT = "login_throttle"
# The site's own security, not the study's data: what was typed as a user name at a failed
# log-in, and computers' addresses. Read by whoever manages the accounts, not by the study team.
SECURITY_ENTITIES = (AUDITED[LoginAttempt], COMPUTER_WAIT)
NOT_AUDITED_FIELDS = {
    "id", "version", "created_at", "results_saved_at", "calendar_sequence", "calendar_stamp",
    # Which required results a done visit lacks: follows from its result rows, audited there.
    "results_missing",
    # A log entry's dates are copies of its items, audited under the items' keys.
    "start_date", "end_date",
}
# A column holding a form's items by key: audited as one row per item that changed, named by it.
SPREAD_FIELDS = {"values"}
REDACTED_FIELDS = {"password_hash", "calendar_token", "clinic_feed_token"}
# Columns the app computes from what the person entered: the canonical value and unit and the
# analyte's codes come from the typed value and unit and forms/results.toml.
DERIVED_FIELDS: dict[str, set[str]] = {"result": {"test_code", "loinc", "value", "unit"}}
# What a created record holds beyond what it was created with: a planned visit's label, anchor
# and calendar identity follow from the schedule (its code, target, window and suggested day are
# kept: they say which visit it is and when, and what the family was told).
DERIVED_ON_CREATE: dict[str, set[str]] = {
    "visit": {"label", "suggested_is_clinic_day", "anchor_infusion", "anchor_date",
              "calendar_uid"},
}
# What identifies a record and never changes after it is created: kept out of its create (the
# reader finds it on the record, or on its delete row). A result is one analyte of one visit:
# edc.services.results saves a changed value on the same row and a new analyte or visit as a
# new row; a flush that would change these is refused (write_audit_rows), so the record always
# says what its create was about.
IDENTITY: dict[str, set[str]] = {"result": {"field", "visit_id"}}
# What the protocol decides for a planned visit (scheduled, or the screening visit): the app
# computed its dates from the schedule or the screening window and nobody entered them, so its
# create holds only what names it. An unscheduled visit's day is entered, and kept.
FROM_SCHEDULE: dict[str, set[str]] = {
    "visit": {"target_date", "window_start", "window_end", "suggested_date"},
}
# The owner's key is on every change already (its participant_id); only an allocation's
# participant_id is a fact of its own (the child it was given to).
OWNER_KEY = "participant_id"


# A child's data, as the casebook holds it: a change of these is what a frozen record or a locked
# database refuses, what voids the investigator's signature and clears a verification.
DATA_ENTITIES = ("participant", "infusion", "visit", "result", "log_entry")
# The review of that data: while the database is locked for analysis these stand still too.
REVIEW_ENTITIES = ("data_query", "verification", "signature")
# Fields of those records that are not the casebook's data: the appointment, the calendar link,
# the freeze itself, the serious event's acknowledgement.
NOT_DATA_FIELDS = {"booked_date", "booked_time", "booking_reason", "booking_flags",
                   "calendar_token", "calendar_uid", "frozen_at", "frozen_by", "frozen_reason",
                   "acknowledged_at", "acknowledged_by", "alert_at"}


class UnauditedWrite(RuntimeError):
    """Audited data was about to change with no actor recorded."""


class IdentityChanged(RuntimeError):
    """A record's identity (a result's analyte or visit) was about to change."""


class LockedWrite(RuntimeError):
    """A child's data was about to change while the record is frozen or the database locked;
    the message says which, for the person who tried."""

    def __init__(self, message: str, *, participant_codes: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.participant_codes = participant_codes


@contextmanager
def audited(session: Session, username: str, reason: str | None = None) -> Iterator[None]:
    """Attribute every write made inside the block to username, with reason."""
    previous = session.info.get("audit_actor"), session.info.get("audit_reason")
    session.info["audit_actor"], session.info["audit_reason"] = username, reason
    try:
        yield
    finally:
        session.info["audit_actor"], session.info["audit_reason"] = previous


def as_text(value: Any) -> str | None:
    """How a value is written in the audit trail."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def _participant_id(obj: Any) -> int | None:
    if isinstance(obj, Participant):
        return obj.id
    return getattr(obj, "participant_id", None)


def _skipped(entity: str, action: str) -> set[str]:
    """The columns of an entity not written for this action."""
    skipped = NOT_AUDITED_FIELDS | DERIVED_FIELDS.get(entity, set())
    if entity != "allocation":
        skipped = skipped | {OWNER_KEY}
    if action == AuditAction.CREATE:
        skipped = skipped | DERIVED_ON_CREATE.get(entity, set())
    return skipped


def _default(column: Any) -> Any:
    """A column's plain default value (None when it has none or computes one)."""
    default = column.default
    return default.arg if default is not None and default.is_scalar else None


def _entered(obj: Any, entity: str, rows: list[dict[str, Any]]) -> str:
    """A created record's entered values as one compact JSON object (sorted keys): its rows
    without its identity, without what the schedule decided and without defaults."""
    left_out = IDENTITY.get(entity, set())
    if getattr(obj, "kind", None) in (VisitKind.SCHEDULED, VisitKind.SCREENING):
        left_out = left_out | FROM_SCHEDULE.get(entity, set())
    columns = inspect(obj).mapper.columns
    values = {}
    for row in rows:
        name = row["field"]
        column = columns.get(name) if name not in SPREAD_FIELDS else None
        if name in left_out or column is not None and row["new"] == as_text(_default(column)):
            continue
        values[name] = row["new"]
    return compact(values)


def compact(values: dict[str, str | None]) -> str:
    """Values as one create or delete row holds them: compact JSON, sorted keys."""
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _rows_for(obj: Any, entity: str, action: str) -> Iterator[dict[str, Any]]:
    state = inspect(obj)
    skipped = _skipped(entity, action)
    for attr in state.mapper.column_attrs:
        name = attr.key
        if name in skipped:
            continue
        history = state.attrs[name].history
        if name in SPREAD_FIELDS:
            yield from _item_rows(history, getattr(obj, name), action)
            continue
        if action == AuditAction.CREATE:
            old, new = None, (history.added or [getattr(obj, name)])[0]
            # Nothing entered: no value, or a default that means none (no warning confirmed,
            # no days of deviation). A default state (a visit planned) is kept: later changes
            # are told from it.
            if new is None or (new is False or new == 0) and new == _default(attr.columns[0]):
                continue
        elif action == AuditAction.DELETE:
            old, new = getattr(obj, name), None
        else:
            if not history.has_changes():
                continue
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if as_text(old) == as_text(new):
                continue
        if name in REDACTED_FIELDS:
            old, new = (old and "(set)"), (new and "(changed)")
        yield {"field": name, "old": as_text(old), "new": as_text(new)}


def _item_rows(history: Any, current: dict[str, Any] | None,
               action: str) -> Iterator[dict[str, Any]]:
    """One audit row per item of a values column whose stored value changed."""
    if action == AuditAction.CREATE:
        old, new = {}, (history.added or [current])[0] or {}
    elif action == AuditAction.DELETE:
        old, new = current or {}, {}
    else:
        if not history.has_changes():
            return
        old = (history.deleted or [{}])[0] or {}
        new = (history.added or [{}])[0] or {}
    for key in sorted(set(old) | set(new), key=lambda k: list({**old, **new}).index(k)):
        before, after = as_text(old.get(key)), as_text(new.get(key))
        if before != after:
            yield {"field": key, "old": before, "new": after}


def write_audit_rows(session: Session, _flush_context: Any) -> None:
    """Write the audit rows of a flush (bound to the app's sessions in edc.db)."""
    changes = [(obj, AuditAction.CREATE) for obj in session.new]
    changes += [(obj, AuditAction.UPDATE) for obj in session.dirty if session.is_modified(obj)]
    changes += [(obj, AuditAction.DELETE) for obj in session.deleted]
    now = utcnow()
    rows = []
    written = []  # one row per create and delete, one per changed field of an update
    for obj, action in changes:
        entity = AUDITED.get(type(obj))
        if entity is None:
            continue
        key = {"action": action, "entity": entity, "entity_id": obj.id,
               "participant_id": _participant_id(obj)}
        fields = [{**key, **row} for row in _rows_for(obj, entity, action)]
        # The consequences read every field (a created result's visit); the trail stores less.
        rows += fields
        if not fields:
            continue
        if action == AuditAction.CREATE:
            written.append({**key, "field": None, "old": None,
                            "new": _entered(obj, entity, fields)})
        elif action == AuditAction.DELETE:
            written.append({**key, "field": None, "new": None, "old": compact(
                {r["field"]: r["old"] for r in fields if r["old"] is not None})})
        else:
            moved = [r["field"] for r in fields if r["field"] in IDENTITY.get(entity, set())]
            if moved:
                raise IdentityChanged(f"Got a change of {entity} {obj.id} {', '.join(moved)}. "
                                      "Expected a new record: its identity never changes.")
            written += fields
    if not rows:
        return
    actor = session.info.get("audit_actor")
    if not actor:
        raise UnauditedWrite(
            "Audited data changed outside `audited(session, user, reason)`; refusing to write it."
        )
    reason = session.info.get("audit_reason")
    entry_id, now = _entry(session, actor, reason, now)
    written += consequences(session, rows, actor, reason, now)
    for row in written:
        row["entry_id"] = entry_id
    session.connection().execute(insert(AuditChange), written)


def _entry(session: Session, actor: str, reason: str | None,
           now: datetime) -> tuple[int, datetime]:
    """The audit entry of this save: written on its first flush, shared by the later flushes
    of the same transaction, actor and reason. Return its id and time."""
    transaction = session.get_transaction()
    known = session.info.get("audit_entry")
    if known is not None and known[:3] == (transaction, actor, reason):
        return known[3], known[4]
    entry_id = _new_entry(session, actor, reason, now)
    session.info["audit_entry"] = (transaction, actor, reason, entry_id, now)
    return entry_id, now


def _new_entry(session: Session, username: str, reason: str | None, now: datetime) -> int:
    written = session.connection().execute(
        insert(AuditEntry).values(at=now, username=username, reason=reason))
    return written.inserted_primary_key[0]


def record_event(session: Session, username: str, reason: str | None, *, action: str,
                 entity: str, field: str | None = None, new: str | None = None,
                 entity_id: int | None = None, participant_id: int | None = None) -> None:
    """Write an event that changes no record (an export, a refused log-in) as its own entry."""
    entry_id = _new_entry(session, username, reason, utcnow())
    session.connection().execute(insert(AuditChange).values(
        entry_id=entry_id, action=action, entity=entity, entity_id=entity_id,
        participant_id=participant_id, field=field, new=new))


def consequences(session: Session, rows: list[dict[str, Any]], actor: str,
                 reason: str | None, now: datetime) -> list[dict[str, Any]]:
    """What a change of a child's data does to monitoring, in the same transaction: refused
    while the record is frozen or the database locked; otherwise it voids the investigator's
    signature, clears the verification of the records it touched, and answers the open queries
    on the values it changed. Return the audit rows of those consequences."""
    data = [r for r in rows if r["entity"] in DATA_ENTITIES and r["participant_id"] is not None
            and r["field"] not in NOT_DATA_FIELDS]
    connection = session.connection()
    if not data:
        # A locked database also holds its reviews still: no query, mark or signature changes.
        if any(r["entity"] in REVIEW_ENTITIES for r in rows):
            _refuse_if_locked(connection, [])
        return []
    children = sorted({r["participant_id"] for r in data})
    _refuse_if_locked(connection, children)
    found: list[dict[str, Any]] = []

    def audit(entity: str, entity_id: int, participant_id: int, field: str, old: Any,
              new: Any) -> None:
        found.append({"action": AuditAction.UPDATE, "entity": entity,
                      "entity_id": entity_id, "participant_id": participant_id, "field": field,
                      "old": as_text(old), "new": as_text(new)})

    what = _changed_words(data)
    # The signature: any change of the child's data voids it.
    signature = Signature.__table__
    for sid, pid in connection.execute(
            select(signature.c.id, signature.c.participant_id)
            .where(signature.c.participant_id.in_(children), signature.c.voided_at.is_(None))):
        void = f"{actor}: {what[pid]}"  # who changed what; the page says it voided the signature
        connection.execute(update(signature).where(signature.c.id == sid).values(
            voided_at=now, voided_reason=void, version=signature.c.version + 1))
        audit("signature", sid, pid, "voided_at", None, now)
        audit("signature", sid, pid, "voided_reason", None, void)
    # Verification: of the visit a result belongs to, or of the record itself.
    scopes = _scopes(connection, data)
    verification = Verification.__table__
    if scopes:
        for vid, pid, entity, entity_id in connection.execute(
                select(verification.c.id, verification.c.participant_id, verification.c.entity,
                       verification.c.entity_id)
                .where(verification.c.cleared_at.is_(None),
                       or_(*(and_(verification.c.entity == e, verification.c.entity_id == i)
                             for e, i in scopes)))):
            cleared = f"{actor}: {scopes[(entity, entity_id)]}"
            connection.execute(update(verification).where(verification.c.id == vid).values(
                cleared_at=now, cleared_reason=cleared, version=verification.c.version + 1))
            audit("verification", vid, pid, "cleared_at", None, now)
            audit("verification", vid, pid, "cleared_reason", None, cleared)
    # Queries: a correction of the value answers the open query on it (any column of a result).
    query = DataQuery.__table__
    targets = {(r["entity"], r["entity_id"]): r for r in data}
    for qid, pid, entity, entity_id, field in connection.execute(
            select(query.c.id, query.c.participant_id, query.c.entity, query.c.entity_id,
                   query.c.field)
            .where(query.c.status == QueryStatus.OPEN, query.c.participant_id.in_(children),
                   or_(*(and_(query.c.entity == e, query.c.entity_id == i)
                         for e, i in targets)))):
        changed = [r for r in data if (r["entity"], r["entity_id"]) == (entity, entity_id)
                   and (entity == "result" or r["field"] == field)]
        if not changed:
            continue
        # The correction is the answer: what changed, and why (the words are the reader's).
        answer = "; ".join(f"{r['field']} {r['old'] or '—'} → {r['new'] or '—'}"
                           for r in changed) + (f" ({reason})" if reason else "")
        connection.execute(update(query).where(query.c.id == qid).values(
            status=QueryStatus.ANSWERED, answer=answer, answered_by=actor, answered_at=now,
            version=query.c.version + 1))
        audit("data_query", qid, pid, "status", QueryStatus.OPEN, QueryStatus.ANSWERED)
        audit("data_query", qid, pid, "answer", None, answer)
    return found


def _refuse_if_locked(connection: Any, children: list[int]) -> None:
    lock = StudyLock.__table__
    if connection.execute(select(lock.c.id).where(lock.c.unlocked_at.is_(None)).limit(1)).first():
        raise LockedWrite("The database is locked for analysis: nothing can be changed until "
                          "an administrator unlocks it.")
    participant = Participant.__table__
    frozen = tuple(connection.execute(
        select(participant.c.code).where(participant.c.id.in_(children),
                                         participant.c.frozen_at.is_not(None))).scalars())
    if frozen:
        raise LockedWrite("The record is frozen: nothing can be changed until it is unfrozen.",
                          participant_codes=frozen)


# What names a record rather than says what changed in it: left out of "what changed" (a new
# log entry is told by its items, not by its form and number).
NAMING_FIELDS: dict[str, set[str]] = {**IDENTITY, "log_entry": {"form", "number"}}


def _telling(data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The changes that say what changed, each record's naming fields left out (unless they
    are all a record's change)."""
    told = [r for r in data if r["field"] not in NAMING_FIELDS.get(r["entity"], ())]
    records = {(r["entity"], r["entity_id"]) for r in told}
    return told + [r for r in data if (r["entity"], r["entity_id"]) not in records]


def _changed_words(data: list[dict[str, Any]]) -> dict[int, str]:
    """Per child, the changed fields as the trail names them ("result 12 value, visit 3
    status")."""
    words: dict[int, list[str]] = {}
    for r in _telling(data):
        text = f"{r['entity']} {r['entity_id']} {r['field']}"
        if text not in words.setdefault(r["participant_id"], []):
            words[r["participant_id"]].append(text)
    return {pid: ", ".join(items) for pid, items in words.items()}


def _scopes(connection: Any, data: list[dict[str, Any]]) -> dict[tuple[str, int], str]:
    """The verifiable records a change touched (a result's visit), with what changed in each."""
    result = Result.__table__
    # A result created or removed in this flush names its visit in its own audit rows.
    visit_of = {r["entity_id"]: int(r["new"] or r["old"]) for r in data
                if r["entity"] == "result" and r["field"] == "visit_id"}
    others = sorted({r["entity_id"] for r in data if r["entity"] == "result"} - set(visit_of))
    if others:
        visit_of.update(connection.execute(
            select(result.c.id, result.c.visit_id).where(result.c.id.in_(others))).all())
    scopes: dict[tuple[str, int], list[str]] = {}
    for r in _telling(data):
        key = (("visit", visit_of[r["entity_id"]]) if r["entity"] == "result"
               else (r["entity"], r["entity_id"]))
        text = f"{r['entity']} {r['entity_id']} {r['field']}"
        if text not in scopes.setdefault(key, []):
            scopes[key].append(text)
    return {key: ", ".join(items) for key, items in scopes.items()}
