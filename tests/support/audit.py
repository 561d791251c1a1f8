"""The audit trail as a test reads it: rows by condition, in the order written, and their count."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import func, select

from edc import db
from edc.models import AuditEvent


def audit_rows(app: Flask, *where: Any, **equal: Any) -> list[AuditEvent]:
    """The audit rows matching every condition, oldest first: audit_rows(app, entity="visit"),
    or with SQL conditions: audit_rows(app, AuditEvent.participant_id.is_not(None))."""
    query = select(AuditEvent).where(*where).order_by(AuditEvent.id)
    for column, value in equal.items():
        query = query.where(getattr(AuditEvent, column) == value)
    with app.app_context():
        return list(db.session().scalars(query))


def audit_count(app: Flask) -> int:
    """How many audit rows there are."""
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(AuditEvent))
