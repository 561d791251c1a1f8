"""User accounts: creation, the password policy, roles, deactivation, password resets, lock-out
after repeated failed log-ins.

Every change of an account acts in a Context like every write, the administrator as the actor.
Logging in does not: before it there is no actor, only the typed user name, so authenticate takes
the session and the moment.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from edc.models import ROLES, User, utcnow
from edc.permissions import Role
from edc.services.base import GENERAL, N_, Context, Errors, Refused, audited

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10
PASSWORD_METHOD = "scrypt"


# Passwords a guess tries first (lower case): refused whatever their length.
COMMON_PASSWORDS = frozenset({
    "1234567890", "0123456789", "12345678910", "1234567890a", "a1234567890", "qwertyuiop",
    "1qaz2wsx3edc", "qwerty123456", "password123", "password1234", "passw0rd123", "abc1234567",
    "abcdefghij", "iloveyou123", "admin12345", "administrator", "welcome123", "changeme123",
    "11223344556", "woaini1314", "5201314520", "aa12345678", "zxcvbnm123", "1q2w3e4r5t",
    "letmein1234", "trustno1234", "p@ssw0rd123", "q1w2e3r4t5y6", "123qweasdzxc", "1234qwer!@#$",
})


def typed_password(text: str) -> str:
    """A password as typed, with full-width letters, digits and punctuation (a Chinese input
    method's) and the ideographic space read as their ASCII twins, so that it is the same
    password whichever mode the keyboard was in."""
    if text.isascii():
        return text
    return "".join(unicodedata.normalize("NFKC", ch)
                   if unicodedata.decomposition(ch).startswith(("<wide>", "<narrow>")) else ch
                   for ch in text)


def password_problems(password: str, username: str) -> list[str]:
    """What is wrong with a new password for this user name (an empty list: nothing)."""
    password = typed_password(password)
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(
            _("The password must have at least %(n)s characters.", n=MIN_PASSWORD_LENGTH))
    elif len(set(password)) == 1:
        problems.append(_("The password is one character repeated. Choose one that is hard "
                          "to guess."))
    # A name of one or two letters is in too many good passwords to refuse them all.
    if len(username.strip()) >= 3 and username.strip().casefold() in password.casefold():
        problems.append(_("The password contains the user name. Choose one that does not."))
    if password.casefold() in COMMON_PASSWORDS:
        problems.append(_("This password is one of the first that anyone guessing tries. "
                          "Choose another."))
    return problems


def create_user(ctx: Context, username: str, role: str, password: str) -> User:
    """Create an account with a hashed password; it reads the site's language until its
    person chooses another."""
    session = ctx.session
    username = username.strip()
    errors = Errors()
    if (
        not username
        or len(username) > 64
        or not username.replace(".", "").replace("-", "").replace("_", "").isalnum()
    ):
        errors.add("username", _("Got user name %(name)r. Expected letters, digits, '.', '-' "
                                 "or '_'.", name=username))
    elif session.scalar(select(User.id).where(User.username == username)):
        errors.add("username", _("User %(name)s already exists.", name=username))
    if role not in ROLES:
        errors.add("role", _("Got role %(role)r. Expected one of: %(roles)s.", role=role,
                             roles=", ".join(ROLES)))
    for problem in password_problems(password, username):
        errors.add("password", problem)
    errors.raise_if_any()
    with audited(session, ctx.actor.username, N_("Account created")):
        user = User(
            username=username,
            role=role,
            password_hash=generate_password_hash(typed_password(password), PASSWORD_METHOD),
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
    refuse_if_locked(user, now, GENERAL)
    if not user.active or not password_matches(user, password):
        # Whoever typed the password is unknown: the trail must not name the account's owner.
        count_failure(session, user, "(log-in form)", N_("Failed log-in"), now, GENERAL, wrong)
    clear_failures(session, user, N_("Successful log-in"))
    return user


def refuse_if_locked(user: User, now: datetime, field: str) -> None:
    """Refuse, at `field`, a password typed for an account locked after failed log-ins."""
    if user.locked_until and user.locked_until > now:
        raise Refused({field: [_(
            "This account is locked after %(n)s failed log-ins. Try again in %(minutes)s "
            "minutes, or ask an administrator to unlock it.", n=MAX_FAILED_LOGINS,
            minutes=max(1, round((user.locked_until - now).total_seconds() / 60)))]})


def count_failure(session: Session, user: User, who: str, reason: str, now: datetime,
                  field: str, wrong: str) -> None:
    """Count a wrong password against the account (the fifth locks it) and refuse it."""
    with audited(session, who, reason):
        user.failed_logins += 1
        locked = user.failed_logins >= MAX_FAILED_LOGINS
        if locked:
            user.failed_logins, user.locked_until = 0, now + LOCKOUT
        session.commit()
    if locked:
        raise Refused({field: [_(
            "Too many failed log-ins: this account is locked for %(minutes)s minutes.",
            minutes=int(LOCKOUT.total_seconds() // 60))]})
    raise Refused({field: [wrong]})


def clear_failures(session: Session, user: User, reason: str) -> None:
    """Forget the failed attempts once the right password is typed."""
    if user.failed_logins or user.locked_until:
        with audited(session, user.username, reason):
            user.failed_logins, user.locked_until = 0, None
            session.commit()


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


def password_matches(user: User, password: str) -> bool:
    """Whether the password typed (full-width read as ASCII) is the user's."""
    typed = typed_password(password)
    # A password set before full-width input was read as ASCII is still accepted as typed.
    return check_password_hash(user.password_hash, typed) or (
        typed != password and check_password_hash(user.password_hash, password))


def account(ctx: Context, username: str) -> User:
    """Return the account with this user name; Refused when there is none."""
    user = ctx.session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise Refused({GENERAL: [_("There is no user %(name)s.", name=username)]})
    return user


def unlock(ctx: Context, username: str) -> User:
    """Lift a lock-out after failed log-ins."""
    session = ctx.session
    user = account(ctx, username)
    with audited(session, ctx.actor.username, N_("Account unlocked")):
        user.failed_logins, user.locked_until = 0, None
        session.commit()
    return user


def _check_state(user: User, expected: str | None, now: str) -> None:
    """Refuse a change made from a page that showed the account otherwise than it is now (a
    user has no version column: the state the form was opened on stands in for it)."""
    if expected is not None and expected != now:
        raise Refused({GENERAL: [_(
            "The account %(name)s was changed by someone else after you opened this page. "
            "Nothing was saved: look at it again and repeat the change if it is still needed.",
            name=user.username)]})


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise Refused({"reason": [_("Say why.")]})
    return reason


def _active_admins(ctx: Context) -> int:
    return len(ctx.session.scalars(select(User.id).where(
        User.role == Role.ADMIN, User.active.is_(True))).all())


def _not_the_last_admin(ctx: Context, user: User) -> None:
    """Refuse to take away an administrator's rights from themselves or from the last one:
    nobody could then manage the accounts."""
    if user.username == ctx.actor.username:
        raise Refused({GENERAL: [_(
            "You cannot deactivate your own account or change your own role: ask another "
            "administrator.")]})
    if user.role == Role.ADMIN and user.active and _active_admins(ctx) <= 1:
        raise Refused({GENERAL: [_(
            "%(name)s is the last active administrator: make another account an administrator "
            "first.", name=user.username)]})


def change_role(ctx: Context, user: User, role: str, reason: str,
                expected_role: str | None = None) -> User:
    """Give an account another role, saying why."""
    _check_state(user, expected_role, user.role)
    if role not in ROLES:
        raise Refused({"role": [_("Got role %(role)r. Expected one of: %(roles)s.", role=role,
                                  roles=", ".join(ROLES))]})
    reason = _reason(reason)
    if role == user.role:
        return user
    if user.role == Role.ADMIN:
        _not_the_last_admin(ctx, user)
    with audited(ctx.session, ctx.actor.username, reason):
        user.role = role
        ctx.session.commit()
    return user


def set_active(ctx: Context, user: User, active: bool, reason: str,
               expected_active: bool | None = None) -> User:
    """Deactivate an account (its person can no longer log in, and a session open in a browser
    ends at its next page) or reactivate it, saying why."""
    _check_state(user, None if expected_active is None else str(expected_active),
                 str(user.active))
    reason = _reason(reason)
    if user.active == active:
        return user
    if not active:
        _not_the_last_admin(ctx, user)
    with audited(ctx.session, ctx.actor.username, reason):
        user.active = active
        ctx.session.commit()
    return user


def reset_password(ctx: Context, user: User, password: str) -> User:
    """Give an account a temporary password the administrator typed, under the same policy as
    a new one; a lock-out after failed log-ins ends with it."""
    problems = password_problems(password, user.username)
    if problems:
        raise Refused({"password": problems})
    with audited(ctx.session, ctx.actor.username, N_("Password reset by an administrator")):
        user.password_hash = generate_password_hash(typed_password(password), PASSWORD_METHOD)
        user.failed_logins, user.locked_until = 0, None
        ctx.session.commit()
    return user
