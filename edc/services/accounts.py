"""User accounts: creation, the password policy, roles, deactivation, password resets, the
log-in (guarded by edc.services.signin), the lock after repeated wrong passwords at signing.

Every change of an account acts in a Context like every write, the administrator as the actor.
Logging in does not: before it there is no actor, only the typed user name, so authenticate takes
the session and the moment.

An account that sees the arms (the unblinded role) is made, given, taken away, reset and
(de)activated only by someone who is not blinded: in practice at the server console (`edc
create-user --role unblinded`, `edc reset-password`, `edc deactivate-user`), where no role
applies. A blinded person who could do any of it could log in as that account and read every
child's arm; their attempt is refused and kept in the audit trail.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import cache
from threading import Lock

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from edc.audit import COMPUTER_WAIT, record_event
from edc.models import ROLES, User, utcnow
from edc.permissions import Role, blinded
from edc.protocol.codes import AuditAction
from edc.protocol.study import Study
from edc.services import signin
from edc.services.base import GENERAL, N_, Changed, Context, Errors, Refused, audited

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
    "qwertyuiop123", "asdfghjkl123", "zaq12wsxcde3", "1qazxsw23edc", "abcd12345678",
    "0987654321", "9876543210", "1111122222", "1122334455", "1234512345", "147258369",
    "1472583690", "3692581470", "a123456789", "aa123456789", "q123456789", "w123456789",
    "wang1234567", "zhang123456", "li123456789", "woaini521", "woaini5201314", "520131452013",
    "iloveyou1314", "88888888888", "66666666666", "hospital123", "hospital1234", "nurse12345",
    "doctor12345", "welcome1234", "alport12345", "research123",
})
# Words that a guess tries with digits after them: "password2026", "welcome!!".
COMMON_WORDS = frozenset({
    "password", "passw0rd", "p@ssword", "p@ssw0rd", "welcome", "admin", "administrator",
    "changeme", "letmein", "iloveyou", "woaini", "qwerty", "qwertyuiop", "abc", "abcd",
    "abcdef", "hospital", "nurse", "doctor", "research", "alport", "guangzhou", "china",
    "monkey", "dragon", "sunshine", "test", "user", "login", "secret",
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


def site_words(study: Study) -> tuple[str, ...]:
    """The names anyone guessing a password at this hospital tries first: the study's
    registry number, acronym and title, the sponsor's and the site's names and address, in
    English and in Chinese."""
    info, site = study.info, study.site
    text = " ".join((info.id, info.acronym, info.title, info.sponsor, site.name, site.address,
                     info.title_zh, site.name_zh, site.address_zh))
    return tuple(dict.fromkeys(word for word in re.split(r"[\W_]+", text) if len(word) >= 3
                               or (len(word) >= 2 and not word.isascii())))


def password_problems(password: str, username: str,
                      known: Sequence[str | None] = ()) -> list[str]:
    """What is wrong with a new password for this user name (an empty list: nothing); `known`
    are other words a guess at this account tries first (site_words, the person's name)."""
    # Spaces around a password are easy to type by mistake and add nothing a guess must try.
    password = typed_password(password).strip()
    problems = []
    if not password:
        problems.append(_("The password is empty or only spaces."))
    elif len(password) < MIN_PASSWORD_LENGTH:
        problems.append(
            _("The password must have at least %(n)s characters.", n=MIN_PASSWORD_LENGTH))
    elif len(set("".join(password.split()))) == 1:
        problems.append(_("The password is one character repeated. Choose one that is hard "
                          "to guess."))
    elif _repeated_pattern(password):
        problems.append(_("The password is a short pattern repeated (like abababab). Choose "
                          "one that is hard to guess."))
    name = username.strip().casefold()
    # A name of one or two letters is in too many good passwords to refuse them all.
    if len(name) >= 3 and (name in password.casefold()
                           or "".join(password.casefold().split()) == name):
        problems.append(_("The password contains the user name. Choose one that does not."))
    if password.casefold() in COMMON_PASSWORDS or _common_with_digits(password.casefold()):
        problems.append(_("This password is one of the first that anyone guessing tries. "
                          "Choose another."))
    if not problems and (kind := _made_of(password, (username, *known))) is not None:
        problems.append(_(dict(_WEAK_BECAUSE)[kind]))
    if not problems:
        problems.extend(_guessable(password, (username, *known)))
    return problems


# The words of a date written in Chinese (2026年12月4日).
DATE_WORDS = ("年", "月", "日", "号")
_LETTERS = re.compile(r"[^\W\d_]+")  # a run of letters, Chinese characters among them


def _made_of(password: str, known: Sequence[str | None]) -> str | None:
    """What a password is only made of, digits and signs aside, when it is only names and
    words a guess tries first: "user_inputs" when one of them is the person's, the study's or
    the hospital's name (huangli2026, 广州市妇女儿童医疗中心), else "dictionary" for common
    pinyin names and words (wangxiaoming2015), "date" for a date in Chinese (2026年12月4日);
    None when it holds anything else. zxcvbn reads each name as one word, and knows no pinyin
    but what PINYIN gives it, so a name run together with another escapes it."""
    names = {part for word in known if word for part in _LETTERS.findall(word.casefold())}
    runs = _LETTERS.findall(password.casefold())
    words = [_segmented(run, names | set(PINYIN) | set(DATE_WORDS)) for run in runs]
    if not runs or any(parts is None for parts in words):
        return None
    used = {part for parts in words for part in parts or ()}
    if used & names:
        return "user_inputs"
    return "dictionary" if used - set(DATE_WORDS) else "date"


def _segmented(text: str, vocabulary: set[str]) -> list[str] | None:
    """The text as words of the vocabulary run together, longest first; None if it is not."""
    longest = max(map(len, vocabulary))
    found: dict[int, list[str]] = {0: []}
    for end in range(1, len(text) + 1):
        start = next((start for start in range(max(0, end - longest), end)
                      if start in found and text[start:end] in vocabulary), None)
        if start is not None:
            found[end] = [*found[start], text[start:end]]
    return found.get(len(text))


# At least this many guesses (zxcvbn's score 3: 10^8) before a guesser finds the password.
STRONG_SCORE = 3
# What a guess at a Chinese hospital tries beside zxcvbn's English words: the commonest
# surnames and given-name syllables in pinyin, and words of love and home.
PINYIN = (
    "wang", "li", "zhang", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou", "xu", "sun", "ma",
    "zhu", "hu", "guo", "he", "gao", "lin", "luo", "zheng", "liang", "xie", "song", "tang", "han",
    "feng", "deng", "cao", "peng", "zeng", "xiao", "tian", "dong", "yuan", "pan", "yu", "jiang",
    "cai", "jia", "ding", "wei", "xue", "ye", "yan", "lu", "du", "dai", "zhong", "fan", "qian",
    "qin", "qiu", "hou", "shi", "bai", "kong", "lai", "lei", "fang", "na", "min", "jing",
    "qiang", "jun", "yong", "jie", "juan", "tao", "ming", "chao", "xiu", "xia", "hua", "ping",
    "gang", "hong", "hui", "bin", "bo", "xin", "hao", "yi", "zi", "xuan", "mei", "ling", "ting",
    "qing", "dan", "long", "jian", "jin", "lan", "woaini", "aini", "baobei", "laopo", "laogong",
    "wode", "mima", "nihao", "zhongguo", "beijing", "shanghai", "shenzhen", "guangzhou"
)


@cache
def _estimator() -> tuple[Callable[..., dict], Lock]:
    """zxcvbn with the pinyin words added, and the lock its calls take: it keeps the words it
    is given for one password in a dictionary shared by every thread."""
    from zxcvbn import matching, zxcvbn  # 30,000 passwords and words, loaded on first use

    matching.add_frequency_lists({"pinyin": PINYIN})
    return zxcvbn, Lock()


def _guessable(password: str, known: Sequence[str | None]) -> list[str]:
    """Why a password a guess finds within STRONG_SCORE's guesses is weak, from how zxcvbn
    reads it (words, keyboard rows, runs, repeats, dates): the kind of its longest part."""
    estimate, lock = _estimator()
    with lock:  # zxcvbn reads at most 72 characters; more than that is long enough
        found = estimate(password[:72], user_inputs=[word for word in known if word])
    if found["score"] >= STRONG_SCORE:
        return []
    order = [kind for kind, _text in _WEAK_BECAUSE]
    parts = sorted(
        ((match["j"] - match["i"], _KIND_OF.get(match.get("dictionary_name")
                                                 or match.get("regex_name"), match["pattern"]))
         for match in found["sequence"]),
        key=lambda part: (-part[0], order.index(part[1]) if part[1] in order else len(order)))
    kind = next((kind for _size, kind in parts if kind in order), "")
    return [_(dict(_WEAK_BECAUSE)[kind])]


# zxcvbn's names for a match of the words it was given, and for a recent year.
_KIND_OF = {"user_inputs": "user_inputs", "recent_year": "date"}
_WEAK_BECAUSE = (
    ("user_inputs", N_("This password is made of your name, the study's or the hospital's, "
                       "which anyone guessing here tries first. Choose another.")),
    ("dictionary", N_("This password is a common password, word or name with little added, "
                      "which a guess tries early. Add a few words of your own, or make it "
                      "longer.")),
    ("spatial", N_("This password is mostly keys side by side on the keyboard (like qwerty or "
                   "1qaz), which a guess tries early. Choose another.")),
    ("sequence", N_("This password is mostly a run of letters or digits (like abcd or 4321), "
                    "which a guess tries early. Choose another.")),
    ("repeat", N_("This password is mostly characters or a pattern repeated, which a guess "
                  "tries early. Choose another.")),
    ("date", N_("This password is mostly a date or a year, which a guess tries early. Choose "
                "another.")),
    ("", N_("This password is too easy to guess. Add a few words of your own, or make it "
            "longer.")),
)


def _repeated_pattern(password: str) -> bool:
    """Whether the password, spaces aside, is a few characters said over and over
    ('ababababab', '1212121212', 'abc abc abc a'): a guess tries these right after one
    character repeated."""
    text = "".join(password.casefold().split())
    return any((text[:size] * (len(text) // size + 1))[:len(text)] == text
               for size in range(2, len(text) // 2 + 1))


def _common_with_digits(password: str) -> bool:
    """A common word with digits or '!' added at the end ('password2024!')."""
    return password.rstrip("0123456789!").casefold() in COMMON_WORDS


def _reads_as(name: str) -> str:
    return unicodedata.normalize("NFKC", name).casefold()


# What a refused attempt at an unblinded account is kept as in the trail (field: what it asked).
REFUSED_UNBLINDED = N_("Refused: an account that sees the arms is managed only at the server "
                       "console")


def _acts_blinded(ctx: Context) -> bool:
    """Whether the actor is a logged-in person whose role must not learn the arms (a command
    at the server console is no account and has no role)."""
    return isinstance(ctx.actor, User) and blinded(ctx.actor.role)


def _roles_given(ctx: Context) -> list[str]:
    """The roles the actor may give: a blinded person none that sees the arms."""
    return [role for role in ROLES if blinded(role) or not _acts_blinded(ctx)]


def _refuse_unblinded(ctx: Context, username: str, field: str, asked: str,
                      message: str) -> None:
    """Keep a blinded person's attempt at an unblinded account in the trail and refuse it with
    the message at its field."""
    record_event(ctx.session, ctx.actor.username, REFUSED_UNBLINDED,
                 action=AuditAction.REFUSED, entity="user", field=asked, new=username)
    ctx.session.commit()
    raise Refused({field: [message]})


def _refuse_unblinded_role(ctx: Context, user: User, role: str) -> None:
    """Refuse a blinded person's change of an account's role to or from one that sees the arms
    (taken away, a blinded person could then reset the password and log in as it)."""
    if not _acts_blinded(ctx) or role == user.role or blinded(role) == blinded(user.role):
        return
    if blinded(user.role):
        message = _("The unblinded role is not given here: an account that sees the arms is "
                    "managed only at the server console. The hospital's IT creates a separate "
                    "unblinded account there: edc create-user NAME --role unblinded.")
    else:
        message = _("%(name)s sees the arms: its role is not changed here. The hospital's IT "
                    "deactivates it at the server console (edc deactivate-user %(name)s "
                    "--reason TEXT); its person then gets a blinded account here.",
                    name=user.username)
    _refuse_unblinded(ctx, user.username, "role", "role", message)


def _refuse_unblinded_account(ctx: Context, user: User, field: str, asked: str,
                              message: str) -> None:
    if _acts_blinded(ctx) and not blinded(user.role):
        _refuse_unblinded(ctx, user.username, field, asked, message)


MAX_FULL_NAME = 128


def _full_name(errors: Errors, typed: str) -> str | None:
    """A person's name as typed, its blanks folded; a refusal at the field when too long."""
    name = " ".join((typed or "").split())
    if len(name) > MAX_FULL_NAME:
        errors.add("full_name", _("Got %(n)s characters. Expected at most %(most)s.",
                                  n=len(name), most=MAX_FULL_NAME))
    return name or None


def create_user(ctx: Context, username: str, role: str, password: str,
                full_name: str = "", *, temporary: bool = False,
                rehearsal: bool = False) -> User:
    """Create an account with a hashed password and its person's name (what a signature
    prints); it reads the site's language until its person chooses another. A temporary
    password (typed by someone else for the person) must be replaced at the first log-in.
    A rehearsal account (`edc demo`'s, `edc grow`'s) has the password the README prints,
    which the policy refuses for every other account."""
    session = ctx.session
    username = username.strip()
    if role in ROLES and not blinded(role) and _acts_blinded(ctx):
        _refuse_unblinded(ctx, username, "role", "username", _(
            "An unblinded account sees every child's arm, so it is not created here. The "
            "hospital's IT creates it at the server console: edc create-user %(name)s --role "
            "unblinded.", name=username or "NAME"))
    errors = Errors()
    if (
        not username
        or len(username) > 64
        or not username.replace(".", "").replace("-", "").replace("_", "").isalnum()
    ):
        errors.add("username", _("Got user name %(name)r. Expected letters, digits, '.', '-' "
                                 "or '_'.", name=username))
    else:
        # "Nurse", "NURSE" or a full-width "ｎｕｒｓｅ" beside "nurse" would make the trail's
        # "who" ambiguous: a name that reads the same as an existing one is that one.
        same = next((name for name in session.scalars(select(User.username))
                     if _reads_as(name) == _reads_as(username)), None)
        if same is not None:
            errors.add("username", _("User %(name)s already exists.", name=same))
    if role not in ROLES:
        errors.add("role", _("Got role %(role)r. Expected one of: %(roles)s.", role=role,
                             roles=", ".join(_roles_given(ctx))))
    if not rehearsal:
        for problem in password_problems(password, username,
                                         (*site_words(ctx.study), full_name)):
            errors.add("password", problem)
    name = _full_name(errors, full_name)
    errors.raise_if_any()
    with audited(session, ctx.actor.username, N_("Account created")):
        user = User(
            username=username,
            full_name=name,
            role=role,
            password_hash=generate_password_hash(typed_password(password), PASSWORD_METHOD),
            active=True,
            failed_logins=0,
            password_temporary=temporary,
        )
        session.add(user)
        session.commit()
    return user


def authenticate(session: Session, username: str, password: str, address: str = "unknown",
                 now: datetime | None = None,
                 browser: signin.KnownBrowser | None = None) -> User:
    """Return the user for these credentials; Refused with a message otherwise (Throttled
    when the computer or the user name must wait first: see edc.services.signin).

    An unknown user name and a wrong password get the same message after the same work (a
    password hash checked), so neither the answer nor its time tells which accounts exist.
    Every attempt is kept in the trail, under the name typed. `browser` is what the
    browser's cookie proves of the users who logged in on it (None: no valid cookie).
    """
    now = now or utcnow()
    name = signin.typed_name(username)
    usual = signin.usual_computer(session, name, browser, now)
    admission = signin.admit(session, name, address, usual, now)
    user = session.scalars(select(User).where(User.username == name)).first()
    # The hash is checked whatever the account: an unknown name costs the same time.
    matches = password_matches(user, password) if user is not None else _dummy_check(password)
    if user is None or not user.active or not matches:
        signin.count_failure(session, name, address, admission, now)
    signin.release(session, admission, now)
    # Only wrong passwords typed while logged in lock an account now. Whoever typed them sat
    # at an open session, perhaps not its person: a browser that proves the name (the person's
    # usual computer) still logs in, and the log-in lifts the lock.
    if user.locked_until and user.locked_until > now and usual is None:
        signin.record(session, name, address, "failed", now)
        refuse_if_locked(user, now, GENERAL)
    signin.forget_address_failures(session, address, usual, now)
    signin.record(session, name, address, "success", now)
    clear_failures(session, user, N_("Successful log-in"))
    return user


_DUMMY_HASHES: dict[str, str] = {}


def _dummy_check(password: str) -> bool:
    """Check a password against a hash of nothing, made once per method: the work of a wrong
    password, for a user name that is no account."""
    method = PASSWORD_METHOD
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash(secrets.token_hex(16), method)
    check_password_hash(_DUMMY_HASHES[method], typed_password(password))
    return False


def refuse_if_locked(user: User, now: datetime, field: str) -> None:
    """Refuse, at `field`, a password typed for an account locked after failed log-ins."""
    if user.locked_until and user.locked_until > now:
        raise Refused({field: [_(
            "This account is locked after %(n)s wrong passwords typed while logged in. Try "
            "again in %(minutes)s minutes, or ask an administrator to unlock it.",
            n=MAX_FAILED_LOGINS,
            minutes=max(1, round((user.locked_until - now).total_seconds() / 60)))]})


def count_failure(session: Session, user: User, who: str, reason: str, now: datetime,
                  field: str, wrong: str) -> None:
    """Count a wrong password typed in an open session against the account and refuse it. The
    fifth locks the account and ends its sessions: whoever types them has not proved to be its
    person, who logs in again from their own computer (signin lets it through the lock)."""
    with audited(session, who, reason):
        user.failed_logins += 1
        locked = user.failed_logins >= MAX_FAILED_LOGINS
        if locked:
            user.failed_logins, user.locked_until = 0, now + LOCKOUT
            signin.end_sessions_of(session, user.id)
        session.commit()
    if locked:
        raise Refused({field: [_(
            "Too many wrong passwords: this account is locked for %(minutes)s minutes and "
            "logged out. Its person logs in again from their own computer.",
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
        # The user name's wait after failures from other computers ends too.
        signin.lift_account_wait(session, user.username)
        session.commit()
    return user


def lift_computer_wait(ctx: Context, address: str, reason: str, expected: str | None) -> None:
    """Let a computer that waits after failed log-ins try again at once, saying why (a ward
    computer where several nurses mistyped, say). `expected` is the end of the wait the page
    showed (ISO): a wait that changed since (a further failure, another administrator) is
    refused, so the administrator decides on what is true now."""
    session, now = ctx.session, utcnow()
    until = signin.address_waits_until(session, address, now)
    if until is None:
        raise Changed({GENERAL: [_(
            "The computer %(address)s no longer waits: its wait ended or another administrator "
            "lifted it. Nothing was changed.", address=address)]})
    if expected is not None and expected != until.isoformat():
        raise Changed({GENERAL: [_(
            "The wait of the computer %(address)s changed after you opened this page (another "
            "failed log-in). Nothing was changed: look at it again and repeat the change if it "
            "is still needed.", address=address)]})
    reason = _reason(reason)
    signin.lift_address_wait(session, address)
    record_event(session, ctx.actor.username, reason, action=AuditAction.DELETE,
                 entity=COMPUTER_WAIT, field="address", new=address)
    session.commit()


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
                                  roles=", ".join(_roles_given(ctx)))]})
    _refuse_unblinded_role(ctx, user, role)
    reason = _reason(reason)
    if role == user.role:
        return user
    if user.role == Role.ADMIN:
        _not_the_last_admin(ctx, user)
    with audited(ctx.session, ctx.actor.username, reason):
        user.role = role
        ctx.session.commit()
    return user


def set_full_name(ctx: Context, user: User, full_name: str, reason: str,
                  expected_name: str | None = None) -> User:
    """Give an account its person's name, or correct it, saying why (a signature made before
    keeps the name it printed)."""
    _check_state(user, expected_name, user.full_name or "")
    _refuse_unblinded_account(ctx, user, GENERAL, "full_name", _(
        "%(name)s sees the arms: the account is changed only at the server console, by the "
        "hospital's IT: edc set-name %(name)s --name NAME --reason TEXT.", name=user.username))
    errors = Errors()
    name = _full_name(errors, full_name)
    if name is None:
        errors.add("full_name", _("Enter the person's full name."))
    errors.raise_if_any()
    reason = _reason(reason)
    if name == user.full_name:
        return user
    with audited(ctx.session, ctx.actor.username, reason):
        user.full_name = name
        ctx.session.commit()
    return user


def set_active(ctx: Context, user: User, active: bool, reason: str,
               expected_active: bool | None = None) -> User:
    """Deactivate an account (its person can no longer log in, and a session open in a browser
    ends at its next page) or reactivate it, saying why."""
    _check_state(user, None if expected_active is None else str(expected_active),
                 str(user.active))
    _refuse_unblinded_account(ctx, user, GENERAL, "active", _(
        "%(name)s sees the arms: the account is not deactivated or reactivated here. The "
        "hospital's IT does it at the server console: edc deactivate-user %(name)s --reason "
        "TEXT, or edc reactivate-user %(name)s --reason TEXT.", name=user.username))
    reason = _reason(reason)
    if user.active == active:
        return user
    if not active:
        _not_the_last_admin(ctx, user)
    with audited(ctx.session, ctx.actor.username, reason):
        user.active = active
        if not active:
            signin.end_sessions_of(ctx.session, user.id)
            # The personal clinic calendar link ends too: reactivated, the person issues a new
            # one (a copy of the old may be anywhere).
            user.clinic_feed_token = None
        ctx.session.commit()
    return user


def reset_password(ctx: Context, user: User, password: str) -> User:
    """Give an account a temporary password the administrator typed, under the same policy as
    a new one, to be replaced at the person's next log-in; a lock-out after failed log-ins ends
    with it."""
    _refuse_unblinded_account(ctx, user, "password", "password_hash", _(
        "%(name)s sees the arms: its password is not reset here, since whoever set it could "
        "log in and read them. The hospital's IT resets it at the server console: edc "
        "reset-password %(name)s.", name=user.username))
    problems = password_problems(password, user.username,
                                 (*site_words(ctx.study), user.full_name))
    if problems:
        raise Refused({"password": problems})
    with audited(ctx.session, ctx.actor.username, N_("Password reset by an administrator")):
        user.password_hash = generate_password_hash(typed_password(password), PASSWORD_METHOD)
        user.password_temporary = True
        user.failed_logins, user.locked_until = 0, None
        # Whoever is logged in with the old password is logged out, and the personal clinic
        # calendar link (which the old password's holder could have copied) ends.
        signin.end_sessions_of(ctx.session, user.id)
        user.clinic_feed_token = None
        signin.lift_account_wait(ctx.session, user.username)
        ctx.session.commit()
    return user


def change_own_password(ctx: Context, user: User, current: str, new: str, repeated: str,
                        keep_session: str | None) -> User:
    """Let a person replace their password (the administrator's temporary one, say): the
    current one typed first, the new one twice and under the policy; their other sessions end,
    the one they are using stays open."""
    session, now = ctx.session, utcnow()
    refuse_if_locked(user, now, "current")
    if not password_matches(user, current):
        # Counted like a wrong password at signing: only the logged-in person reaches this.
        count_failure(session, user, user.username, N_("Wrong password at password change"),
                      now, "current", _("This is not your current password."))
    errors = Errors()
    for problem in password_problems(new, user.username,
                                     (*site_words(ctx.study), user.full_name)):
        errors.add("password", problem)
    if not errors and typed_password(new) != typed_password(repeated):
        errors.add("repeated", _("The two new passwords differ. Type the same one twice."))
    if not errors and password_matches(user, new):
        errors.add("password", _("The new password is the current one. Choose another."))
    errors.raise_if_any()
    with audited(session, user.username, N_("Password changed by its owner")):
        user.password_hash = generate_password_hash(typed_password(new), PASSWORD_METHOD)
        user.password_temporary = False
        user.failed_logins, user.locked_until = 0, None
        signin.end_sessions_of(session, user.id, keep=keep_session)
        session.commit()
    return user
