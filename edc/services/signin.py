"""What guards the log-in form: each attempt kept in the trail, failures counted in the database
(so that every app process sees the same counts), the browsers that proved a user logged in on
them before, and the sessions held on the server.

Throttling, not lock-out. A stranger who types a nurse's name five times must not keep the
nurse out of the app, so no count of failures locks an account. Instead:
- an address (a computer, or a proxy's client) that fails ADDRESS_LIMIT times in a row waits,
  1 minute, then twice as long after each further failure, at most an hour; a successful
  log-in counted there starts its row again (a wait already running stays);
- a user name that fails ACCOUNT_LIMIT times waits, 5 minutes and doubling, at most an hour.
Both hold back only browsers that do not prove the name. On each successful log-in the browser
gets a cookie (BROWSER_COOKIE, kept USUAL_DAYS days) naming a random id of the browser and the
users who logged in on it, the newest KNOWN_USERS, each with the time of their log-in; it is
signed with the app's secret key, so nobody can make one or add a name to it. An attempt for a
name that its browser proves (an active account that logged in on it in the last USUAL_DAYS
days) waits neither for its address nor for its name: its failures are counted on that browser
and name alone, with the name's limit and waits, so a browser left open or taken cannot guess
without limit either, and its log-ins do not start the address's row again. The nurse at the
ward computer thus still gets in while someone elsewhere, or at the next computer behind the
same address, guesses her password or makes the address wait. The address alone proves nothing:
behind a ward's NAT or a proxy it is everyone's, the stranger's too.
A user name that is no account is counted the same way, so the answers do not tell which exist;
a browser never proves such a name, so its cookie changes nothing for it either.
An attempt is counted as a failure before its password is checked, each counter locked while it
is read and written, and taken back when the password proves right: guesses sent at the same
moment from many computers thus see each other, and no more than the limit reach a check.

The log-in page reads the browser's cookie and passes what it proves to
edc.services.accounts.authenticate, which calls the guards below.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import Row, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from edc.models import User
from edc.models.security import (
    ACCOUNT_KEY,
    ADDRESS_KEY,
    BROWSER_KEY,
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
# The cookie that proves a browser's users, and how many of them it keeps (a ward computer's
# nurses; the cookie stays far below a browser's 4 kB).
BROWSER_COOKIE = "known_browser"
KNOWN_USERS = 12
# Signed apart from the session cookie: neither can be passed off as the other.
_SALT = "edc.known-browser"
_ID_LENGTH = 22  # secrets.token_urlsafe(16)


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


def _browser_key(name: str, browser_id: str) -> str:
    # The id last and of one length: every key of a name is found by its prefix and length.
    return f"{BROWSER_KEY}{name}:{browser_id}"


@dataclass(frozen=True)
class KnownBrowser:
    """A browser as its signed cookie shows it: its random id and the users who logged in on
    it, oldest first, each as (user id, user name, when: seconds since 1970)."""

    id: str
    users: tuple[tuple[int, str, int], ...] = ()

    def user_id(self, name: str, now: datetime) -> int | None:
        """The id of the user of this name who logged in on it in the last USUAL_DAYS days."""
        since = (now - timedelta(days=USUAL_DAYS)).timestamp()
        return next((user_id for user_id, known, at in reversed(self.users)
                     if known == name and at > since), None)

    def after_log_in(self, user_id: int, name: str, now: datetime) -> KnownBrowser:
        """This browser once the user logged in on it: newest last, KNOWN_USERS at most."""
        others = tuple(u for u in self.users if u[0] != user_id)
        return KnownBrowser(self.id, (*others, (user_id, name, int(now.timestamp())))[
            -KNOWN_USERS:])


def new_browser() -> KnownBrowser:
    """A browser that proves nobody yet."""
    return KnownBrowser(secrets.token_urlsafe(16))


def _serializer(keys: Sequence[str | bytes]) -> URLSafeSerializer:
    # As Flask signs its session: HMAC of the secret key, the newest key last, the older ones
    # (SECRET_KEY_FALLBACKS) still accepted.
    return URLSafeSerializer(list(keys), salt=_SALT, signer_kwargs={
        "key_derivation": "hmac", "digest_method": hashlib.sha256})


def sign_browser(browser: KnownBrowser, keys: Sequence[str | bytes]) -> str:
    """The browser's cookie value, signed with the newest of the app's secret keys."""
    return str(_serializer(keys).dumps({"id": browser.id, "users": [list(u)
                                                                   for u in browser.users]}))


def read_browser(value: str | None, keys: Sequence[str | bytes]) -> KnownBrowser | None:
    """The browser its cookie shows; None for no cookie, or one not signed with the app's keys
    or not in the cookie's shape (forged, altered, or from before a key change)."""
    if not value:
        return None
    try:
        data = _serializer(keys).loads(value)
        browser = KnownBrowser(str(data["id"]), tuple(
            (int(user_id), str(name), int(at)) for user_id, name, at in data["users"]))
    except (BadData, KeyError, TypeError, ValueError):
        return None
    return browser if len(browser.id) == _ID_LENGTH and ":" not in browser.id else None


def usual_computer(session: Session, name: str, browser: KnownBrowser | None,
                   now: datetime) -> str | None:
    """The counter key of the attempt's browser (None: one without a valid cookie) when it
    proves this user name (an active account that logged in on it in the last USUAL_DAYS
    days); None when it does not, and always for a name that is no account. The address plays
    no part: behind a NAT or a proxy it is every computer's."""
    user_id = browser.user_id(name, now) if browser is not None else None
    if browser is None or user_id is None:
        return None
    active = session.scalar(select(User.id).where(User.id == user_id, User.username == name,
                                                  User.active.is_(True)))
    return _browser_key(name, browser.id) if active is not None else None


def refuse_if_waiting(session: Session, name: str, address: str, usual: str | None,
                      now: datetime) -> None:
    """Refuse, before any password is checked, an attempt whose counters wait: its browser's
    for the name when the browser proves it (`usual`), else its address's and its name's."""
    keys = [usual] if usual else [_address_key(address), _account_key(name)]
    blocked = dict(session.execute(select(LoginThrottle.key, LoginThrottle.blocked_until).where(
        LoginThrottle.key.in_(keys), LoginThrottle.blocked_until > now)).all())
    if not blocked:
        return
    waiting = next(key for key in keys if key in blocked)
    # One refusal kept per wait: a flood of posts must not fill the trail (the failures that
    # started the wait are kept each).
    started = session.scalar(select(LoginThrottle.last_at).where(LoginThrottle.key == waiting))
    kept = None
    if started is not None:
        refusals = select(LoginAttempt.id).where(
            LoginAttempt.address == address[:NAME_LENGTH], LoginAttempt.outcome == "throttled",
            LoginAttempt.at >= started)
        if waiting == usual:  # the browser's wait is the name's own, not the address's
            refusals = refusals.where(LoginAttempt.username == name)
        kept = session.scalar(refusals.limit(1))
    minutes = _minutes(blocked[waiting], now)
    if waiting == usual:
        message = ngettext("Too many failed log-ins for this user name on this computer. Try "
                           "again in %(num)s minute.", "Too many failed log-ins for this user "
                           "name on this computer. Try again in %(num)s minutes.", minutes)
    elif waiting == _address_key(address):
        message = ngettext("Too many failed log-ins from this computer. Try again in "
                           "%(num)s minute.", "Too many failed log-ins from this computer. "
                           "Try again in %(num)s minutes.", minutes)
    else:
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


def admit(session: Session, name: str, address: str, usual: str | None,
          now: datetime) -> Admission:
    """Count an attempt as a failure before its password is checked, and commit: on its
    browser's key when the browser proves the name (`usual`, from usual_computer), else on its
    address and its name; refuse it unchecked (Throttled) when one of them waits. Counting
    first, each counter locked, is what keeps attempts made at the same moment from all passing
    the check: each sees the ones before it, so no more than the limit reach a password check.
    A right password takes its count back (release)."""
    if usual:
        keys = [(usual, ACCOUNT_LIMIT, ACCOUNT_WAIT)]
    else:
        keys = [(_address_key(address), ADDRESS_LIMIT, ADDRESS_WAIT),
                (_account_key(name), ACCOUNT_LIMIT, ACCOUNT_WAIT)]
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
    message or, when its count made the browser, the address or the name wait, with the
    waiting one."""
    session.execute(delete(LoginThrottle).where(
        LoginThrottle.last_at < now - STALE,
        or_(LoginThrottle.blocked_until.is_(None), LoginThrottle.blocked_until < now)))
    record(session, name, address, "failed", now)
    waits = admission.until(_address_key(address))
    account = admission.until(_account_key(name))
    proof = next((c.until for c in admission.counted if c.key.startswith(BROWSER_KEY)), None)
    if proof is not None:
        minutes = _minutes(proof, now)
        raise Throttled(ngettext("Wrong user name or password. Too many failed log-ins for this "
                                 "user name on this computer: try again in %(num)s minute.",
                                 "Wrong user name or password. Too many failed log-ins for this "
                                 "user name on this computer: try again in %(num)s minutes.",
                                 minutes), minutes)
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


def forget_address_failures(session: Session, address: str, usual: str | None,
                            now: datetime) -> None:
    """Start the computer's count again after a successful log-in counted on it ("failures in
    a row"); one let through on its browser's proof (`usual`) was not counted there and starts
    nothing. A wait already running stays."""
    if usual:
        return
    session.execute(delete(LoginThrottle).where(
        LoginThrottle.key == _address_key(address),
        or_(LoginThrottle.blocked_until.is_(None), LoginThrottle.blocked_until < now)))


def lift_account_wait(session: Session, name: str) -> None:
    """Forget the failures counted against a user name, from any computer and on each browser
    that proves it (an administrator's unlock)."""
    prefix = _browser_key(name, "")
    session.execute(delete(LoginThrottle).where(or_(
        LoginThrottle.key == _account_key(name),
        LoginThrottle.key.startswith(prefix, autoescape=True)
        & (func.length(LoginThrottle.key) == len(prefix) + _ID_LENGTH))))


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
