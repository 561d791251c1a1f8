"""What the exports read, streamed: rows come from the database in batches, so memory stays
flat whatever the size of the trial. Blinding is decided by edc.read.blinding."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from edc.models import AuditEvent
from edc.read import blinding, history

AUDIT_COLUMNS = ("id", "at", "username", "action", "entity", "entity_id", "participant_id",
                 "field", "old", "new", "reason")
BATCH = 1000


def audit_rows(session: Session, role: str) -> Iterator[tuple[Any, ...]]:
    """Every change the role may read, one line per field, oldest first, in batches (the time
    in UTC, ISO). A created record's lines are the values the trail recorded, with the identity
    of a result (its analyte and visit), which never changes."""
    query = (select(AuditEvent).where(blinding.visible_audit(role)).order_by(AuditEvent.id)
             .execution_options(yield_per=BATCH))
    for change in history.stream(session, query):
        yield tuple(getattr(change, column).isoformat() if column == "at"
                    else getattr(change, column) for column in AUDIT_COLUMNS)
