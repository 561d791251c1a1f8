"""The audit trail as a test reads it: one change per field (as every page and export reads
it), by condition, in the order written, and their count."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from edc import db
from edc.models import AuditEvent
from edc.models.audit import FieldChange
from edc.read import history


def audit_rows(app: Flask, *where: Any, **equal: Any) -> list[FieldChange]:
    """The changes matching every condition, oldest first: audit_rows(app, entity="visit"),
    or with SQL conditions on the stored rows: audit_rows(app, AuditEvent.participant_id.is_not(
    None))."""
    with app.app_context():
        changes = history.changes(db.session(), select(AuditEvent).where(*where)
                                  .order_by(AuditEvent.id))
    return [c for c in changes
            if all(getattr(c, column) == value for column, value in equal.items())]


def audit_count(app: Flask) -> int:
    """How many changes the trail holds (one per field)."""
    return len(audit_rows(app))


def stored_rows(app: Flask, *where: Any) -> list[AuditEvent]:
    """The audit rows as stored (a created record is one row), oldest first."""
    with app.app_context():
        return list(db.session().scalars(select(AuditEvent).where(*where)
                                         .order_by(AuditEvent.id)))


def watermark(app: Flask) -> int:
    """The newest stored audit row's id (0 for none)."""
    return max((r.id for r in stored_rows(app)), default=0)
