"""What every use case shares: the context it acts in, and refusals with messages per field."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, time, tzinfo
from typing import Any, Protocol

from dateutil.relativedelta import relativedelta
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from edc import audit
from edc.audit import AUDITED, LockedWrite
from edc.models import AuditEvent, utcnow
from edc.models.audit import field_changes
from edc.protocol.study import Study
from edc.rules.schedule import ClinicCalendar
from edc.services.language import label_of, reads_chinese

GENERAL = "__all__"


def N_(message: str) -> str:
    """Mark a message stored as written (an audit reason) and translated where it is shown."""
    return message

OUTSIDE_WINDOW = "outside window"
# The stored flags and closures (edc.rules.schedule) that are words, for people to read.
FLAG_WORDS = {OUTSIDE_WINDOW: _l("outside window"), "weekend": _l("weekend"),
              "clinic closure": _l("clinic closure")}

# How far from today a date may lie where no study rule bounds it: a visit a year ahead is
# planning, one further off (or a consent older than that) is a slip of the year.
HORIZON = relativedelta(years=1)


class Actor(Protocol):
    """Who acts, as the audit trail names them: a logged-in User, or an Operator."""

    @property
    def username(self) -> str: ...


@dataclass(frozen=True)
class Operator:
    """Someone acting without an account in the app (a command run on the server, the demo
    loader): the trail names them, and no role applies because the server is theirs."""

    username: str


@dataclass(frozen=True)
class Context:
    """What every write use case acts in: the request's database session, the study and its
    clinic calendar, who acts, and today's date at the site (from the app's clock, so a test
    or the demo sets the day instead of patching it)."""

    session: Session
    study: Study
    calendar: ClinicCalendar
    actor: Actor
    today: date

    def now(self) -> datetime:
        """Now at the site (local, naive), on the context's day."""
        return site_now(self.study.tz, self.today)

    def on(self, day: date) -> Context:
        """Return the same context on another day, for entering a step on the day it happened."""
        return replace(self, today=day)

    def by(self, actor: Actor) -> Context:
        """Return the same context acted in by someone else."""
        return replace(self, actor=actor)


def site_now(tz: tzinfo, today: date) -> datetime:
    """Now at the site (local, naive): today at the real time of day; a day other than the real
    one (a rehearsal's or a test's clock) at its first minute."""
    now = utcnow().astimezone(tz).replace(tzinfo=None)
    return now if now.date() == today else datetime.combine(today, time.min)


class Refused(Exception):
    """The input was refused; errors maps a form field (or GENERAL) to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(m for ms in errors.values() for m in ms))
        self.errors = errors

    @property
    def messages(self) -> list[str]:
        """Return every message, field by field, for a caller that shows them in one place."""
        return [message for messages in self.errors.values() for message in messages]


class Changed(Refused):
    """Someone else changed the record after the form was opened, or at the same moment:
    nothing was saved, and the message says what they saved."""


# The stored columns named in a conflict message, in a nurse's words.
FIELD_WORDS = {
    "booked_date": _l("appointment date"),
    "booked_time": _l("appointment time"),
    "booking_reason": _l("booking reason"),
    "booking_flags": _l("booking flags"),
    "status": _l("status"),
    "missed_reason": _l("missed because"),
    "cancelled_reason": _l("cancelled because"),
    "withdrawn_reason": _l("withdrawn because"),
    "calendar_token": _l("calendar link"),
    "anchor_infusion": _l("anchored on infusion"),
    "anchor_reason": _l("anchor reason"),
    "code": _l("visit"),
    "target_date": _l("target date"),
}


def _secret(text: str | None) -> str:
    """A stored value as a conflict message shows it; a secret the trail hides, in words."""
    if text == "(set)":
        return _("(set)")
    if text == "(changed)":
        return _("(changed)")
    return text or "—"


def their_changes(session: Session, record: Any) -> str:
    """The newest change to a record in the audit trail: who, and old -> new per field."""
    rows = session.scalars(
        select(AuditEvent).where(AuditEvent.entity == AUDITED[type(record)],
                                 AuditEvent.entity_id == record.id)
        .order_by(AuditEvent.id.desc()).limit(20)).all()
    rows = field_changes(rows)
    if not rows:
        return ""
    newest = [r for r in rows if (r.at, r.username) == (rows[0].at, rows[0].username)]
    fields = ", ".join(
        f"{FIELD_WORDS.get(r.field or '', r.field)} {_secret(r.old)} → {_secret(r.new)}"
        for r in reversed(newest) if r.field in FIELD_WORDS)
    return f"{rows[0].username}: {fields}" if fields else rows[0].username


def changed(session: Session, record: Any, what: str) -> Changed:
    """The refusal for a save over someone else's change to record, naming what they saved."""
    session.rollback()  # nothing half-saved; the record is read again from the database
    session.refresh(record)
    theirs = their_changes(session, record)
    message = (_("%(what)s was changed by someone else after you opened this page (%(theirs)s). "
                 "Nothing was saved; what you typed is still in the form: check it against "
                 "what is stored now and save again.", what=what, theirs=theirs)
               if theirs else
               _("%(what)s was changed by someone else after you opened this page. Nothing was "
                 "saved; what you typed is still in the form: check it against what is stored "
                 "now and save again.", what=what))
    return Changed({GENERAL: [message]})


def check_version(session: Session, record: Any, expected: int | None, what: str) -> None:
    """Refuse a save from a form opened on another version of the record than the stored one
    (None: the form carried no version)."""
    if expected is not None and record.version != expected:
        raise changed(session, record, what)


@contextmanager
def saving(session: Session, record: Any, what: str) -> Iterator[None]:
    """Commit inside this block; a write that lost a race with another one (the row's version
    moved, or a unique key was taken at the same moment) is rolled back whole and refused."""
    try:
        yield
    except (StaleDataError, IntegrityError):
        raise changed(session, record, what) from None


@contextmanager
def audited(session: Session, username: str, reason: str | None = None) -> Iterator[None]:
    """Attribute every write made inside the block to username, with reason (edc.audit); a
    change of a frozen record or of a locked database is rolled back whole and refused, with
    the message at the top of the form and what was typed kept."""
    with audit.audited(session, username, reason):
        try:
            yield
        except LockedWrite as locked:
            session.rollback()
            raise Refused({GENERAL: [locked_message(locked)]}) from None


def locked_message(locked: LockedWrite) -> str:
    """Why a write was refused by a freeze or the database lock, in the reader's language."""
    if locked.participant_codes:
        return _("%(codes)s is frozen: nothing can be changed until it is unfrozen, with a "
                 "reason. Nothing was saved.", codes=", ".join(locked.participant_codes))
    return _("The database is locked for analysis: nothing can be changed until an "
             "administrator unlocks it. Nothing was saved.")


class Errors(dict[str, list[str]]):
    """Messages collected per field, so every problem is reported at once."""

    def add(self, name: str, message: str) -> None:
        self.setdefault(name, []).append(message)

    def raise_if_any(self) -> None:
        if self:
            raise Refused(dict(self))


def whole_years(born: date, on: date) -> int:
    """Age in completed years, as on a birthday card."""
    return relativedelta(on, born).years


def check_range(
    errors: Errors, name: str, label: str, value: float, unit: str, limits: tuple[float, float]
) -> None:
    """Refuse a value outside its possible range, naming the value, unit and range."""
    low, high = limits
    if not low <= value <= high:
        errors.add(
            name,
            _(
                "%(label)s %(value)s %(unit)s is outside the possible range "
                "%(low)s-%(high)s %(unit)s.",
                label=label,
                value=f"{value:g}",
                unit=unit,
                low=f"{low:g}",
                high=f"{high:g}",
            ),
        )


WEIGHT_CHANGE_PERCENT = 10  # a weight this much off the last recorded one is worth a second look


def check_measure(errors: Errors, study: Study, name: str, role: str, label: str, value: float,
                  confirmed: bool, confirm_name: str) -> None:
    """Height or weight (by role) against its ranges in forms/results.toml: outside the possible
    range is refused; outside the usual range needs the nurse's confirmation."""
    field = study.results.by_role(role)
    unit = field.canonical_unit
    check_range(errors, name, label, value, label_of(unit), unit.block)
    if name in errors or confirmed or unit.warn is None:
        return
    low, high = unit.warn
    if not low <= value <= high:
        errors.add(confirm_name, _(
            "%(label)s %(value)s %(unit)s is outside the usual range %(low)s-%(high)s %(unit)s "
            "for these children. Check it and tick the box to save it.", label=label,
            value=f"{value:g}", unit=label_of(unit), low=f"{low:g}", high=f"{high:g}"))


def flag_words(flags: str | list[str] | None, day: date | None,
               calendar: ClinicCalendar) -> str:
    """Stored booking flags (or a closure) in the reader's language: a holiday by its name in
    that language, a closed weekday by its name."""
    if not flags:
        return ""
    language = "zh_CN" if reads_chinese() else "en_US"
    words = []
    for flag in flags.split(", ") if isinstance(flags, str) else flags:
        if flag in FLAG_WORDS:
            words.append(str(FLAG_WORDS[flag]))
        elif day is not None and flag == day.strftime("%A"):
            words.append(format_date(day, "EEEE"))
        elif day is not None and flag == calendar.holiday_name(day):
            words.append(calendar.holiday_name_in(day, language) or flag)
        else:
            words.append(flag)
    return _(", ").join(words)
