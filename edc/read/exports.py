"""What the exports read, streamed: rows come from the database in batches, so memory stays
flat whatever the size of the trial. Blinding is decided by edc.read.blinding."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from edc.models import AuditEvent
from edc.read import blinding

AUDIT_COLUMNS = ("id", "at", "username", "action", "entity", "entity_id", "participant_id",
                 "field", "old", "new", "reason")
BATCH = 1000


def audit_rows(session: Session, role: str) -> Iterator[tuple[Any, ...]]:
    """Every audit row the role may read, oldest first, in batches (the time in UTC, ISO)."""
    query = (select(*(getattr(AuditEvent, column) for column in AUDIT_COLUMNS))
             .where(blinding.visible_audit(role)).order_by(AuditEvent.id)
             .execution_options(yield_per=BATCH))
    for row in session.execute(query):
        yield tuple(value.isoformat() if column == "at" else value
                    for column, value in zip(AUDIT_COLUMNS, row, strict=True))
