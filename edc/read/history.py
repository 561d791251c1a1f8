"""The audit trail as the pages read it: a child's rows a viewer may see, the rows of its visits
and results, and what changed on a visit since a form was opened. Rows come oldest first;
edc.views.history_words tells them in words."""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from edc.models import AuditChange, AuditEvent
from edc.protocol.codes import AuditAction
from edc.read import blinding


def participant_trail(session: Session, role: str, participant_id: int) -> list[AuditEvent]:
    """Every audit row of the child the viewer may see (the allocation's only if unblinded)."""
    return list(session.scalars(
        select(AuditEvent)
        .where(AuditEvent.participant_id == participant_id, blinding.visible_audit(role))
        .order_by(AuditEvent.id)
    ))


def visit_trail(session: Session, participant_id: int, visit_id: int) -> list[AuditEvent]:
    """The audit rows of one visit and of every result it ever had, oldest first."""
    return changes_since(session, participant_id, visit_id, 0)


def watermark(session: Session) -> int:
    """The newest audit row now: changes after it are someone else's once a form is open."""
    return session.scalar(select(func.max(AuditEvent.id))) or 0


def result_ids(participant_id: int, visit_id: int) -> Select[tuple[int | None]]:
    """The ids of every result ever created on the child's visit, as a subquery. Read from the
    trail itself, so a result someone deleted since is still found."""
    return select(AuditChange.entity_id).where(
        AuditChange.participant_id == participant_id, AuditChange.entity == "result",
        AuditChange.action == AuditAction.CREATE,
        AuditChange.field == "visit_id", AuditChange.new == str(visit_id))


def changes_since(session: Session, participant_id: int, visit_id: int,
                  after: int) -> list[AuditEvent]:
    """The audit rows of the visit and its results written after the watermark `after`."""
    return list(session.scalars(
        select(AuditEvent).where(
            AuditEvent.id > after,
            AuditEvent.participant_id == participant_id,
            ((AuditEvent.entity == "visit") & (AuditEvent.entity_id == visit_id))
            | ((AuditEvent.entity == "result")
               & AuditEvent.entity_id.in_(result_ids(participant_id, visit_id))),
        ).order_by(AuditEvent.id)
    ))
