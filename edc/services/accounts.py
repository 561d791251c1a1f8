"""User accounts: creation, password checks, lock-out after repeated failed log-ins.

Creating and unlocking an account act in a Context like every write. Logging in does not: before
it there is no actor, only the typed user name, so authenticate takes the session and the moment.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from edc.models import ROLES, User, utcnow
from edc.services.base import GENERAL, N_, Context, Refused, audited

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10
PASSWORD_METHOD = "scrypt"


def create_user(ctx: Context, username: str, role: str, password: str) -> User:
    """Create an account with a hashed password; it reads the site's language until its
    person chooses another."""
    session = ctx.session
    username = username.strip()
    problems = []
    if (
        not username
        or len(username) > 64
        or not username.replace(".", "").replace("-", "").replace("_", "").isalnum()
    ):
        problems.append(
            _("Got user name %(name)r. Expected letters, digits, '.', '-' or '_'.", name=username)
        )
    if role not in ROLES:
        problems.append(
            _("Got role %(role)r. Expected one of: %(roles)s.", role=role, roles=", ".join(ROLES))
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(
            _("The password must have at least %(n)s characters.", n=MIN_PASSWORD_LENGTH)
        )
    if session.scalar(select(User.id).where(User.username == username)):
        problems.append(_("User %(name)s already exists.", name=username))
    if problems:
        raise Refused({GENERAL: problems})
    with audited(session, ctx.actor.username, N_("Account created")):
        user = User(
            username=username,
            role=role,
            password_hash=generate_password_hash(password, PASSWORD_METHOD),
            active=True,
            failed_logins=0,
        )
        session.add(user)
        session.commit()
    return user


def authenticate(
    session: Session, username: str, password: str, now: datetime | None = None
) -> User:
    """Return the user for these credentials; Refused with a message otherwise.

    Five failed attempts lock the account for 15 minutes. An unknown user name and a wrong
    password get the same message, so the form does not reveal which accounts exist.
    """
    now = now or utcnow()
    wrong = _("Wrong user name or password.")
    user = session.scalars(select(User).where(User.username == username.strip())).first()
    if user is None:
        raise Refused({GENERAL: [wrong]})
    if user.locked_until and user.locked_until > now:
        raise Refused({GENERAL: [_(
            "This account is locked after %(n)s failed log-ins. Try again in %(minutes)s "
            "minutes, or ask an administrator to unlock it.", n=MAX_FAILED_LOGINS,
            minutes=max(1, round((user.locked_until - now).total_seconds() / 60)))]})
    if not user.active or not check_password_hash(user.password_hash, password):
        # Whoever typed the password is unknown: the trail must not name the account's owner.
        with audited(session, "(log-in form)", N_("Failed log-in")):
            user.failed_logins += 1
            locked = user.failed_logins >= MAX_FAILED_LOGINS
            if locked:
                user.failed_logins, user.locked_until = 0, now + LOCKOUT
            session.commit()
        if locked:
            raise Refused({GENERAL: [_(
                "Too many failed log-ins: this account is locked for %(minutes)s minutes.",
                minutes=int(LOCKOUT.total_seconds() // 60))]})
        raise Refused({GENERAL: [wrong]})
    if user.failed_logins or user.locked_until:
        with audited(session, user.username, N_("Successful log-in")):
            user.failed_logins, user.locked_until = 0, None
            session.commit()
    return user


def choose_language(ctx: Context, user: User, language: str, languages: tuple[str, ...]) -> None:
    """Remember the language a person reads the app in."""
    if language not in languages:
        raise Refused({"language": [_("Got language %(got)r. Expected one of: %(languages)s.",
                                      got=language, languages=", ".join(languages))]})
    if user.language == language:
        return
    with audited(ctx.session, ctx.actor.username, None):
        user.language = language
        ctx.session.commit()


def unlock(ctx: Context, username: str) -> User:
    """Lift a lock-out after failed log-ins."""
    session = ctx.session
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise Refused({GENERAL: [_("There is no user %(name)s.", name=username)]})
    with audited(session, ctx.actor.username, N_("Account unlocked")):
        user.failed_logins, user.locked_until = 0, None
        session.commit()
    return user
