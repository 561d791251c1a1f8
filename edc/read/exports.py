"""What the exports read, streamed: rows come from the database in batches, so memory stays
flat whatever the size of the trial. Blinding is decided by edc.read.blinding."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from edc.audit import SECURITY_ENTITIES
from edc.models import AuditEvent, Participant
from edc.permissions import Action, may
from edc.read import blinding, history

# The audit trail's columns, each named for what it holds: the save (audit_entry: who, when,
# why, once per save), then the stored row (audit_event) and the field it tells. A created or
# deleted record is one stored row holding all its values: it is told one line per value, and
# those lines share their audit_event_id (the pair audit_event_id, field is unique).
# The child is named by its code beside its id, so a monitor finds a child's lines by the code
# every page and dataset uses.
AUDIT_COLUMNS = ("audit_entry_id", "at", "username", "reason", "audit_event_id", "action",
                 "entity", "entity_id", "participant_id", "participant_code", "field", "old",
                 "new")
_ATTRIBUTES = tuple({"audit_entry_id": "entry_id", "audit_event_id": "id"}.get(name, name)
                    for name in AUDIT_COLUMNS)
BATCH = 1000


def audit_rows(session: Session, role: str) -> Iterator[tuple[Any, ...]]:
    """Every change the role may read, one line per field, oldest first, in batches (the time
    in UTC, ISO). A created record's lines are the values the trail recorded, with the identity
    of a result (its analyte and visit), which never changes. Log-ins and computers' waits are
    only for a role that manages the accounts."""
    security = true() if may(role, Action.MANAGE_USERS) else AuditEvent.entity.not_in(
        SECURITY_ENTITIES)
    query = (select(AuditEvent).where(blinding.visible_audit(role), security)
             .order_by(AuditEvent.id).execution_options(yield_per=BATCH))
    codes = dict(session.execute(select(Participant.id, Participant.code)).all())
    for change in history.stream(session, query):
        yield tuple(change.at.isoformat() if name == "at"
                    else codes.get(change.participant_id) if name == "participant_code"
                    else getattr(change, name) for name in _ATTRIBUTES)
