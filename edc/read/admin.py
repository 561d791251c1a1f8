"""What the administrator's pages read: the accounts with their newest change, how much of the
allocation list is used, the lock of the database in force."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from edc.models import Allocation, AuditEvent, StudyLock, User
from edc.read import blinding


@dataclass(frozen=True)
class Change:
    """The newest audit row of an account: when, by whom, which field, why."""

    at: datetime
    username: str
    field: str | None
    reason: str | None


@dataclass(frozen=True)
class Account:
    user: User
    last_change: Change | None


def accounts(session: Session) -> list[Account]:
    """Every account by user name, with its newest change in the audit trail (two queries)."""
    users = session.scalars(select(User).order_by(User.username)).all()
    newest = (select(func.max(AuditEvent.id)).where(AuditEvent.entity == "user",
                                                     AuditEvent.participant_id.is_(None))
              .group_by(AuditEvent.entity_id).scalar_subquery())
    changes = {row.entity_id: Change(row.at, row.username, row.field, row.reason)
               for row in session.scalars(select(AuditEvent).where(AuditEvent.id.in_(newest)))}
    return [Account(user, changes.get(user.id)) for user in users]


def account(session: Session, user_id: int) -> User | None:
    """The account with this id, or None."""
    return session.get(User, user_id)


@dataclass(frozen=True)
class AllocationUse:
    """How much of the list is used: entries, used and left; by arm only for a viewer who may
    see the arms (None otherwise)."""

    entries: int
    used: int
    used_by_arm: dict[str, int] | None

    @property
    def left(self) -> int:
        return self.entries - self.used


def allocation_use(session: Session, role: str) -> AllocationUse:
    """How many entries of the list are loaded and used, without the arms unless the role may
    see them (edc.read.blinding decides)."""
    entries, used = session.execute(
        select(func.count(Allocation.id), func.count(Allocation.participant_id))).one()
    arms = blinding.arms(session, role)
    by_arm = None
    if arms is not None:
        by_arm = {}
        for code in arms.values():
            by_arm[code] = by_arm.get(code, 0) + 1
    return AllocationUse(entries, used, by_arm)


def database_lock(session: Session) -> StudyLock | None:
    """The lock of the database in force, or None while it is open (one query)."""
    return session.scalars(select(StudyLock).where(StudyLock.unlocked_at.is_(None))
                           .order_by(StudyLock.id.desc()).limit(1)).first()


def locks(session: Session) -> list[StudyLock]:
    """Every lock of the database, newest first."""
    return list(session.scalars(select(StudyLock).order_by(StudyLock.id.desc())))
