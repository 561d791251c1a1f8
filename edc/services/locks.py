"""Freezing a child's record and locking the whole database for an analysis.

While a record is frozen or the database locked, every change of a child's data is refused by
the audit trail's flush (edc.audit.consequences) whichever service makes it; here are only the
freeze and the lock themselves, each audited with its reason.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from edc.models import Participant, StudyLock, utcnow
from edc.services.base import GENERAL, Context, Refused, audited, check_version, saving


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise Refused({"reason": [_("Say why.")]})
    return reason


def freeze(ctx: Context, participant: Participant, reason: str,
           expected_version: int | None = None) -> Participant:
    """Freeze a child's record: nothing of it can change until someone unfreezes it."""
    session = ctx.session
    check_version(session, participant, expected_version, participant.code)
    reason = _reason(reason)
    if participant.frozen_at is not None:
        raise Refused({GENERAL: [_("%(code)s is already frozen.", code=participant.code)]})
    with audited(session, ctx.actor.username, reason), saving(session, participant,
                                                              participant.code):
        participant.frozen_at, participant.frozen_by = utcnow(), ctx.actor.username
        participant.frozen_reason = reason
        session.commit()
    return participant


def unfreeze(ctx: Context, participant: Participant, reason: str,
             expected_version: int | None = None) -> Participant:
    """Unfreeze a child's record, saying why, so that it can be corrected again."""
    session = ctx.session
    check_version(session, participant, expected_version, participant.code)
    reason = _reason(reason)
    if participant.frozen_at is None:
        raise Refused({GENERAL: [_("%(code)s is not frozen.", code=participant.code)]})
    with audited(session, ctx.actor.username, reason), saving(session, participant,
                                                              participant.code):
        participant.frozen_at = participant.frozen_by = participant.frozen_reason = None
        session.commit()
    return participant


def lock_in_force(ctx: Context) -> StudyLock | None:
    """The lock of the database in force, or None while it is open."""
    return ctx.session.scalars(select(StudyLock).where(StudyLock.unlocked_at.is_(None))
                               .order_by(StudyLock.id.desc()).limit(1)).first()


def lock_database(ctx: Context, reason: str) -> StudyLock:
    """Lock the whole database for an analysis: no child's data can change until it is
    unlocked."""
    session = ctx.session
    reason = _reason(reason)
    if lock_in_force(ctx) is not None:
        raise Refused({GENERAL: [_("The database is already locked.")]})
    with audited(session, ctx.actor.username, reason):
        lock = StudyLock(locked_by=ctx.actor.username, locked_at=utcnow(), reason=reason)
        session.add(lock)
        session.commit()
    return lock


def unlock_database(ctx: Context, reason: str, expected_version: int | None = None) -> StudyLock:
    """Unlock the database, saying why."""
    session = ctx.session
    lock = lock_in_force(ctx)
    if lock is None:
        raise Refused({GENERAL: [_("The database is not locked.")]})
    what = _("The database lock")
    check_version(session, lock, expected_version, what)
    reason = _reason(reason)
    with audited(session, ctx.actor.username, reason), saving(session, lock, what):
        lock.unlocked_by, lock.unlocked_at = ctx.actor.username, utcnow()
        lock.unlock_reason = reason
        session.commit()
    return lock
