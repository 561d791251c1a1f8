"""What guards the log-in form: each attempt kept in the trail, failures counted per address and
per user name in the database (so that every app process sees the same counts), and the
sessions held on the server.

Throttling, not lock-out. A stranger who types a nurse's name five times must not keep the
nurse out of the app, so no count of failures locks an account. Instead:
- an address (a computer, or a proxy's client) that fails ADDRESS_LIMIT times in a row waits,
  1 minute, then twice as long after each further failure, at most an hour;
- a user name that fails ACCOUNT_LIMIT times from computers it has not logged in from before
  waits there, 5 minutes and doubling, at most an hour. The computers its person logged in from
  in the last USUAL_DAYS days are not held back by it: the nurse at the ward computer still gets
  in while someone elsewhere guesses her password.
A user name that is no account is counted the same way, so the answers do not tell which exist.
An attempt is counted as a failure before its password is checked, each counter locked while it
is read and written, and taken back when the password proves right: guesses sent at the same
moment from many computers thus see each other, and no more than the limit reach a check.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import Row, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from edc.models.security import (
    ACCOUNT_KEY,
    ADDRESS_KEY,
    LoginAttempt,
    LoginThrottle,
    UserSession,
)
from edc.services.base import GENERAL, N_, Refused, audited

ADDRESS_LIMIT = 10
ACCOUNT_LIMIT = 5
ADDRESS_WAIT = timedelta(minutes=1)
ACCOUNT_WAIT = timedelta(minutes=5)
LONGEST_WAIT = timedelta(hours=1)
# Failures further apart than this start the count again.
WINDOW = timedelta(minutes=15)
USUAL_DAYS = 90
# A counter nobody has touched for a day holds nothing worth keeping.
STALE = timedelta(days=1)
# A session ends a day after its log-in, whatever the activity (the idle timeout ends it sooner).
SESSION_LIFETIME = timedelta(hours=24)
NAME_LENGTH = 64


class Throttled(Refused):
    """A log-in refused unchecked: its address or its user name must wait `minutes`."""

    def __init__(self, message: str, minutes: int) -> None:
        super().__init__({GENERAL: [message]})
        self.minutes = minutes


def typed_name(username: str) -> str:
    """The user name as the counters and the trail keep it."""
    return username.strip()[:NAME_LENGTH]


def _minutes(until: datetime, now: datetime) -> int:
    return max(1, -(-int((until - now).total_seconds()) // 60))


def _address_key(address: str) -> str:
    return ADDRESS_KEY + address


def _account_key(name: str) -> str:
    return ACCOUNT_KEY + name


def usual_computer(session: Session, name: str, address: str, now: datetime) -> bool:
    """Whether this user name logged in from this address in the last USUAL_DAYS days."""
    return session.scalar(select(LoginAttempt.id).where(
        LoginAttempt.username == name, LoginAttempt.address == address,
        LoginAttempt.outcome == "success",
        LoginAttempt.at > now - timedelta(days=USUAL_DAYS)).limit(1)) is not None


def refuse_if_waiting(session: Session, name: str, address: str, usual: bool,
                      now: datetime) -> None:
    """Refuse, before any password is checked, an attempt whose address or user name waits."""
    keys = [_address_key(address)] + ([] if usual else [_account_key(name)])
    blocked = dict(session.execute(select(LoginThrottle.key, LoginThrottle.blocked_until).where(
        LoginThrottle.key.in_(keys), LoginThrottle.blocked_until > now)).all())
    if not blocked:
        return
    # One refusal kept per wait: a flood of posts must not fill the trail (the failures that
    # started the wait are kept each).
    waiting = _address_key(address) if _address_key(address) in blocked else _account_key(name)
    started = session.scalar(select(LoginThrottle.last_at).where(LoginThrottle.key == waiting))
    kept = session.scalar(select(LoginAttempt.id).where(
        LoginAttempt.address == address[:NAME_LENGTH], LoginAttempt.outcome == "throttled",
        LoginAttempt.at >= started).limit(1)) if started is not None else None
    if _address_key(address) in blocked:
        minutes = _minutes(blocked[_address_key(address)], now)
        message = ngettext("Too many failed log-ins from this computer. Try again in "
                           "%(num)s minute.", "Too many failed log-ins from this computer. "
                           "Try again in %(num)s minutes.", minutes)
    else:
        minutes = _minutes(blocked[_account_key(name)], now)
        message = ngettext("Too many failed log-ins for this user name from other computers. "
                           "Try again in %(num)s minute, or log in from the computer you "
                           "usually use.", "Too many failed log-ins for this user name from "
                           "other computers. Try again in %(num)s minutes, or log in from the "
                           "computer you usually use.", minutes)
    if kept is None:
        record(session, name, address, "throttled", now)
    raise Throttled(message, minutes)


@dataclass(frozen=True)
class Counted:
    """One counter as an attempt found it, locked, before counting itself on it (None: no row
    yet), and the wait that its count started, if it did."""

    key: str
    before: tuple[int, datetime, datetime | None] | None
    until: datetime | None


@dataclass(frozen=True)
class Admission:
    """An attempt let through to its password check, counted already as a failure."""

    counted: tuple[Counted, ...]

    def until(self, key: str) -> datetime | None:
        """Until when its count made the key wait, if it did."""
        return next((c.until for c in self.counted if c.key == key), None)


def _lock(session: Session, key: str) -> Row[Any] | None:
    """Read a counter locked until commit: the key's advisory lock on PostgreSQL (a row lock
    alone misses a row another attempt is inserting), the database's write lock on SQLite (a
    no-op UPDATE, even on no row). Another attempt on the key waits here, then reads what this
    one wrote."""
    table = LoginThrottle.__table__
    if session.get_bind().dialect.name == "postgresql":
        # The key's own lock, held to the end of the transaction, whether its row exists yet.
        session.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))
    session.execute(update(table).where(table.c.key == key).values(failures=table.c.failures))
    return session.execute(select(table.c.failures, table.c.last_at, table.c.blocked_until)
                           .where(table.c.key == key)).first()


def _count(session: Session, key: str, now: datetime, limit: int,
           first_wait: timedelta) -> Counted | None:
    """Count one failure under key, locked (see _lock); None when the key waits."""
    table = LoginThrottle.__table__
    while True:  # again only after another process inserted the row: then it is there
        row = _lock(session, key)
        if row is None:
            try:
                with session.begin_nested():
                    session.execute(insert(table).values(key=key, failures=1, last_at=now))
            except IntegrityError:  # another process inserted it first: count on its row
                continue
            return Counted(key, None, None)
        if row.blocked_until is not None and row.blocked_until > now:
            return None
        # The count starts again once the key has been quiet for WINDOW, counted from the end
        # of its last wait: after a wait, the next failure makes it wait twice as long.
        quiet = row.last_at < now - WINDOW and (
            row.blocked_until is None or row.blocked_until < now - WINDOW)
        failures = 1 if quiet else row.failures + 1
        until = (now + min(LONGEST_WAIT, first_wait * 2 ** (failures - limit))
                 if failures >= limit else None)
        session.execute(update(table).where(table.c.key == key).values(
            failures=failures, last_at=now, blocked_until=until or row.blocked_until))
        return Counted(key, (row.failures, row.last_at, row.blocked_until), until)


def admit(session: Session, name: str, address: str, usual: bool, now: datetime) -> Admission:
    """Count an attempt as a failure against its address and, from an unusual computer, its
    user name before its password is checked, and commit; refuse it unchecked (Throttled) when
    either waits. Counting first, each counter locked, is what keeps attempts made at the same
    moment from all passing the check: each sees the ones before it, so no more than the limit
    reach a password check. A right password takes its count back (release)."""
    keys = [(_address_key(address), ADDRESS_LIMIT, ADDRESS_WAIT)]
    if not usual:
        keys.append((_account_key(name), ACCOUNT_LIMIT, ACCOUNT_WAIT))
    for _try in range(5):
        # A flood of posts while a key waits is refused here, by reading, without a write.
        refuse_if_waiting(session, name, address, usual, now)
        counted = [_count(session, key, now, limit, wait) for key, limit, wait in keys]
        if all(c is not None for c in counted):
            session.commit()
            return Admission(tuple(c for c in counted if c is not None))
        # An attempt at the same moment made a key wait after the read above: count nothing.
        session.rollback()
    raise Refused({GENERAL: [_("Wrong user name or password.")]})


def release(session: Session, admission: Admission, now: datetime) -> None:
    """Take back an admitted attempt's count once its password proved right: each counter as
    it was before, but for what other attempts counted meanwhile; the caller commits."""
    table = LoginThrottle.__table__
    for counted in admission.counted:
        row = _lock(session, counted.key)
        if row is None:
            continue
        failures = max(0, row.failures - 1)
        if counted.before is None and failures == 0:
            session.execute(delete(table).where(table.c.key == counted.key))
            continue
        _failures, last_at, blocked_until = counted.before or (0, now, None)
        session.execute(update(table).where(table.c.key == counted.key).values(
            failures=failures,
            last_at=last_at if row.last_at == now else row.last_at,
            blocked_until=(blocked_until if counted.until is not None
                           and row.blocked_until == counted.until else row.blocked_until)))


def count_failure(session: Session, name: str, address: str, admission: Admission,
                  now: datetime) -> None:
    """Keep a failed log-in (admit counted it already); refuse it with the wrong-password
    message or, when its count made the address or the name wait, with the waiting one."""
    session.execute(delete(LoginThrottle).where(
        LoginThrottle.last_at < now - STALE,
        or_(LoginThrottle.blocked_until.is_(None), LoginThrottle.blocked_until < now)))
    record(session, name, address, "failed", now)
    waits = admission.until(_address_key(address))
    account = admission.until(_account_key(name))
    if waits is not None:
        minutes = _minutes(waits, now)
        raise Throttled(ngettext("Wrong user name or password. Too many failed log-ins from "
                                 "this computer: try again in %(num)s minute.", "Wrong user name "
                                 "or password. Too many failed log-ins from this computer: try "
                                 "again in %(num)s minutes.", minutes), minutes)
    if account is not None:
        minutes = _minutes(account, now)
        raise Throttled(ngettext("Wrong user name or password. Too many failed log-ins for this "
                                 "user name from other computers: try again in %(num)s minute, "
                                 "or log in from the computer you usually use.", "Wrong user "
                                 "name or password. Too many failed log-ins for this user name "
                                 "from other computers: try again in %(num)s minutes, or log in "
                                 "from the computer you usually use.", minutes), minutes)
    raise Refused({GENERAL: [_("Wrong user name or password.")]})


REASONS = {"success": N_("Log-in"), "failed": N_("Failed log-in"),
           "throttled": N_("Log-in refused: too many failed attempts")}


def record(session: Session, name: str, address: str, outcome: str, now: datetime) -> None:
    """Keep one attempt in the trail, under the name typed, and commit."""
    with audited(session, name or "(log-in form)", REASONS[outcome]):
        session.add(LoginAttempt(at=now, username=name, address=address[:NAME_LENGTH],
                                 outcome=outcome))
        session.commit()


def forget_address_failures(session: Session, address: str, now: datetime) -> None:
    """Start the computer's count again after a successful log-in from it ("failures in a
    row"); a wait already running stays."""
    session.execute(delete(LoginThrottle).where(
        LoginThrottle.key == _address_key(address),
        or_(LoginThrottle.blocked_until.is_(None), LoginThrottle.blocked_until < now)))


def lift_account_wait(session: Session, name: str) -> None:
    """Forget the failures counted against a user name (an administrator's unlock)."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == _account_key(name)))


def address_waits_until(session: Session, address: str, now: datetime) -> datetime | None:
    """Until when log-ins from this address wait, if they do."""
    return session.scalar(select(LoginThrottle.blocked_until).where(
        LoginThrottle.key == _address_key(address), LoginThrottle.blocked_until > now))


def lift_address_wait(session: Session, address: str) -> None:
    """Forget the failures counted against a computer (an administrator lifts its wait)."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == _address_key(address)))


def account_waits_until(session: Session, name: str, now: datetime) -> datetime | None:
    """Until when log-ins for this user name from unusual computers wait, if they do."""
    return session.scalar(select(LoginThrottle.blocked_until).where(
        LoginThrottle.key == _account_key(name), LoginThrottle.blocked_until > now))


def start_session(session: Session, user_id: int, now: datetime) -> str:
    """Open a session on the server for a log-in; return its token for the cookie."""
    token = secrets.token_urlsafe(32)
    session.execute(delete(UserSession).where(UserSession.created_at < now - SESSION_LIFETIME))
    session.add(UserSession(token=token, user_id=user_id, created_at=now))
    session.commit()
    return token


def end_session(session: Session, token: str | None) -> None:
    """End one session on the server: its cookie is refused from now on, by every process."""
    if token:
        session.execute(delete(UserSession).where(UserSession.token == token))
        session.commit()


def end_sessions_of(session: Session, user_id: int, keep: str | None = None) -> None:
    """End every session of an account (deactivated, or its password changed) but the one
    `keep` names; the caller commits."""
    session.execute(delete(UserSession).where(UserSession.user_id == user_id,
                                              UserSession.token != (keep or "")))
