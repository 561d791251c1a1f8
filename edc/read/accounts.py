"""The user a session's cookie names, as each request reads it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from edc.models import User


def active_user(session: Session, user_id: int) -> User | None:
    """The user with this id while the account is active; None otherwise."""
    user = session.get(User, user_id)
    return user if user is not None and user.active else None
