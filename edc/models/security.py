"""What guards the log-in: each attempt as the trail keeps it, the failure counters that slow
guessing, and the sessions open on the server (a cookie is valid only while its row is)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from edc.models.base import Base, UTCDateTime, utcnow

# What became of an attempt: let in, refused for a wrong name or password, or refused unchecked
# because its address, its user name or its browser was made to wait.
LOGIN_OUTCOMES = ("success", "failed", "throttled")
# The keys of the failure counters: a client's address, a user name typed, a user name typed on
# a browser that proves it ("browser:<name>:<the browser's id>").
ADDRESS_KEY = "address:"
ACCOUNT_KEY = "account:"
BROWSER_KEY = "browser:"


class LoginAttempt(Base):
    """One post of the log-in form: the name typed (an account or not), from where, when, and
    what came of it. Kept like the audit trail; never pruned."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_at", "at"),
        Index("ix_login_attempt_username_address", "username", "address", "outcome"),
        CheckConstraint(f"outcome IN {LOGIN_OUTCOMES!r}", name="outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))


class LoginThrottle(Base):
    """Failed log-ins counted under one key ("address:<ip>", "account:<name>" or
    "browser:<name>:<id>") while they come within the window; `blocked_until` makes the key
    wait. Shared by every app process through the database; rows are pruned once they are
    stale."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UserSession(Base):
    """A log-in's session on the server: the browser's cookie names it by a random token, and
    the cookie is refused once the row is gone (log-out, deactivation, a password reset)."""

    __tablename__ = "user_session"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
