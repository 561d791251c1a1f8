"""The user a session's cookie names, as each request reads it; the log-in attempts an
administrator reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from edc.models import LoginAttempt, LoginThrottle, User, UserSession
from edc.models.security import ACCOUNT_KEY, ADDRESS_KEY


def active_user(session: Session, user_id: int) -> User | None:
    """The user with this id while the account is active; None otherwise."""
    user = session.get(User, user_id)
    return user if user is not None and user.active else None


def session_user(session: Session, user_id: int, token: str | None,
                 opened_after: datetime) -> User | None:
    """The active user whose session on the server this token names, opened after
    `opened_after`; None once the session ended (log-out, deactivation, a password reset), in
    whichever app process it ended. One query."""
    if not token:
        return None
    return session.scalars(
        select(User).join(UserSession, UserSession.user_id == User.id).where(
            User.id == user_id, User.active.is_(True), UserSession.token == token,
            UserSession.created_at > opened_after)).first()


@dataclass(frozen=True)
class AttemptsPage:
    """One page of log-in attempts, newest first."""

    attempts: list[LoginAttempt]
    page: int
    more: bool


# Further than any real trail goes, and small enough for every database's integers.
MAX_PAGE = 1_000_000


def login_attempts(session: Session, page: int = 1, per_page: int = 20) -> AttemptsPage:
    """The log-in attempts, newest first, `per_page` at a time."""
    page = min(max(1, page), MAX_PAGE)
    rows = session.scalars(select(LoginAttempt).order_by(LoginAttempt.id.desc())
                           .offset((page - 1) * per_page).limit(per_page + 1)).all()
    return AttemptsPage(list(rows[:per_page]), page, len(rows) > per_page)


def waiting_names(session: Session, now: datetime) -> set[str]:
    """The user names that wait after failed log-ins from other computers."""
    keys = session.scalars(select(LoginThrottle.key).where(
        LoginThrottle.key.startswith(ACCOUNT_KEY, autoescape=True),
        LoginThrottle.blocked_until > now))
    return {key.removeprefix(ACCOUNT_KEY) for key in keys}


@dataclass(frozen=True)
class WaitingComputer:
    """A computer (an address) that waits after failed log-ins: how many, and until when."""

    address: str
    failures: int
    until: datetime


def waiting_computers(session: Session, now: datetime) -> list[WaitingComputer]:
    """The computers that wait after failed log-ins, the longest wait first."""
    rows = session.execute(select(LoginThrottle.key, LoginThrottle.failures,
                                  LoginThrottle.blocked_until).where(
        LoginThrottle.key.startswith(ADDRESS_KEY, autoescape=True),
        LoginThrottle.blocked_until > now).order_by(LoginThrottle.blocked_until.desc(),
                                                    LoginThrottle.key))
    return [WaitingComputer(key.removeprefix(ADDRESS_KEY), failures, until)
            for key, failures, until in rows]


def printed_name(session: Session, username: str) -> str:
    """A user as a report prints them: the full name with the user name, or the user name alone
    when the account holds no full name."""
    full = session.scalar(select(User.full_name).where(User.username == username))
    return f"{full} ({username})" if full else username
