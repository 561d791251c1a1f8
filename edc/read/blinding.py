"""The allocation as a viewer may read it: the one place that decides who sees the arm.

Every read that could return an arm or an allocation audit row takes the viewer's role and
goes through here, so a page, an export or a feed cannot forget the blinding.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from edc.models import Allocation, AuditEvent
from edc.permissions import Action, may


def sees_allocation(role: str) -> bool:
    """Return whether a viewer of this role may see arms and the allocation's audit rows."""
    return may(role, Action.SEE_ALLOCATION)


def arm(session: Session, role: str, participant_id: int) -> str | None:
    """The child's arm for a viewer who may see it; None for every other role (no query)."""
    if not sees_allocation(role):
        return None
    return session.scalars(
        select(Allocation.arm).where(Allocation.participant_id == participant_id)
    ).one()


def arms(session: Session, role: str,
         ids: Sequence[int] | None = None) -> dict[int, str] | None:
    """Every allocated child's arm (or only these children's) by participant id for a viewer
    who may see them; None for every other role (no query)."""
    if not sees_allocation(role):
        return None
    rows = session.execute(
        select(Allocation.participant_id, Allocation.arm)
        .where(Allocation.participant_id.is_not(None) if ids is None
               else Allocation.participant_id.in_(ids))
    )
    return {pid: code for pid, code in rows}


def visible_audit(role: str) -> ColumnElement[bool]:
    """The audit rows a viewer of this role may read: all, or all but the allocation's."""
    return true() if sees_allocation(role) else AuditEvent.entity != "allocation"
