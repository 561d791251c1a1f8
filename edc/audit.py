"""Write audit events in the same transaction as the change they describe.

Every flush of an audited model writes one audit row per changed field: who, when (UTC), entity,
field, old value, new value and the reason. A flush that changes audited data without a known
actor is refused, so no write can slip past the trail.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, inspect
from sqlalchemy.orm import Session

from edc.models import (
    Allocation,
    AuditEvent,
    Infusion,
    LogEntry,
    Participant,
    Result,
    User,
    Visit,
    utcnow,
)
from edc.protocol.codes import AuditAction

AUDITED: dict[type, str] = {
    Participant: "participant",
    Infusion: "infusion",
    Visit: "visit",
    Result: "result",
    Allocation: "allocation",
    User: "user",
    LogEntry: "log_entry",
}
NOT_AUDITED_FIELDS = {
    "id", "version", "created_at", "results_saved_at", "calendar_sequence", "calendar_stamp",
    # A log entry's dates are copies of its items, audited under the items' keys.
    "start_date", "end_date",
}
# A column holding a form's items by key: audited as one row per item that changed, named by it.
SPREAD_FIELDS = {"values"}
REDACTED_FIELDS = {"password_hash", "calendar_token"}


class UnauditedWrite(RuntimeError):
    """Audited data was about to change with no actor recorded."""


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


def _rows_for(obj: Any, action: str) -> Iterator[dict[str, Any]]:
    state = inspect(obj)
    for attr in state.mapper.column_attrs:
        name = attr.key
        if name in NOT_AUDITED_FIELDS:
            continue
        history = state.attrs[name].history
        if name in SPREAD_FIELDS:
            yield from _item_rows(history, getattr(obj, name), action)
            continue
        if action == AuditAction.CREATE:
            old, new = None, (history.added or [getattr(obj, name)])[0]
            if new is None:
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
    for obj, action in changes:
        entity = AUDITED.get(type(obj))
        if entity is None:
            continue
        for row in _rows_for(obj, action):
            rows.append(
                {
                    "at": now,
                    "action": action,
                    "entity": entity,
                    "entity_id": obj.id,
                    "participant_id": _participant_id(obj),
                    **row,
                }
            )
    if not rows:
        return
    actor = session.info.get("audit_actor")
    if not actor:
        raise UnauditedWrite(
            "Audited data changed outside `audited(session, user, reason)`; refusing to write it."
        )
    reason = session.info.get("audit_reason")
    for row in rows:
        row["username"], row["reason"] = actor, reason
    session.connection().execute(insert(AuditEvent), rows)
