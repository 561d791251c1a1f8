"""Book visits on clinic days, say why a visit was not done before a withdrawal, and issue or
revoke the family's calendar link."""

from __future__ import annotations

import secrets
from datetime import date, datetime, time

from flask_babel import gettext as _

from edc.models import Participant, Visit
from edc.protocol.codes import VisitKind, VisitStatus
from edc.rules.schedule import ClinicCalendar
from edc.services.base import (
    GENERAL,
    HORIZON,
    N_,
    OUTSIDE_WINDOW,
    Context,
    Errors,
    audited,
    check_version,
    flag_words,
    saving,
)


def booking_flags(visit: Visit, day: date, calendar: ClinicCalendar) -> list[str]:
    """Why a day is not a plain booking: outside the window, or the clinic is closed (stored
    as these English words; flag_words says them in the reader's language)."""
    flags = []
    # Screening's window is the days before infusion 1: until that has a date, the window
    # drawn from the consent date is no rule a booking can break (samples follow consent).
    unknown = visit.kind == VisitKind.SCREENING and visit.participant.infusion(1) is None
    if not unknown and not visit.window_start <= day <= visit.window_end:
        flags.append(OUTSIDE_WINDOW)
    closed = calendar.closed_reason(day)
    if closed:
        flags.append(closed)
    return flags


def judge_booking(visit: Visit, calendar: ClinicCalendar) -> None:
    """Store why the visit's booked day is not a plain booking, as the schedule stands now."""
    flags = booking_flags(visit, visit.booked_date, calendar) if visit.booked_date else []
    visit.booking_flags = ", ".join(flags)[:64] or None


def book_visit(ctx: Context, visit: Visit, day: date, at: time | None, reason: str, *,
               expected_version: int | None = None) -> Visit:
    """Book a planned visit on a day (and time); off the window or a closed day needs a reason.

    A booking is for today or later, and today not at a time gone by (a visit that took place is
    recorded with its results), and at most a year after the window ends: later than that is a
    slip of the year, and a date the family calendar and the clinic feed could not carry.
    """
    session, on = ctx.session, ctx.today
    check_version(session, visit, expected_version, visit.code)
    reason = reason.strip()
    errors = Errors()
    if visit.status != VisitStatus.PLANNED:
        errors.add(GENERAL, _("Only a planned visit can be booked; %(code)s is %(status)s.",
                              code=visit.code, status=visit.status))
    latest = visit.window_end + HORIZON
    if day < on:
        errors.add("date", _("The appointment date %(day)s is in the past (today is %(today)s). "
                             "Book today or a later day; a visit that took place is recorded "
                             "by entering its results.", day=day.isoformat(),
                             today=on.isoformat()))
    elif at is not None and datetime.combine(day, at) < ctx.now():
        errors.add("time", _("%(time)s today has passed (it is %(now)s). Book a later time or "
                             "another day.", time=f"{at:%H:%M}", now=f"{ctx.now():%H:%M}"))
    elif day > latest:
        errors.add("date", _("The appointment date %(day)s is more than a year after the window "
                             "of %(code)s ends (%(end)s). Choose a day up to %(latest)s.",
                             day=day.isoformat(), code=visit.code,
                             end=visit.window_end.isoformat(), latest=latest.isoformat()))
    errors.raise_if_any()
    flags = booking_flags(visit, day, ctx.calendar)
    if flags and not reason:
        errors.add("reason", _("To book %(day)s (%(why)s), give a reason.",
                               day=day.isoformat(),
                               why=flag_words(flags, day, ctx.calendar)))
    errors.raise_if_any()
    with audited(session, ctx.actor.username, reason or None), saving(session, visit, visit.code):
        visit.booked_date, visit.booked_time = day, at
        visit.booking_reason = reason or None
        judge_booking(visit, ctx.calendar)
        session.commit()
    return visit


# Stored as written whoever withdraws the child; the pages say it in the reader's language.
NOT_DONE_BEFORE_WITHDRAWAL = N_("Not done before the withdrawal: %(reason)s")


def missed_words(text: str | None) -> str:
    """Why a visit was missed, in the reader's language where the app wrote it."""
    prefix = NOT_DONE_BEFORE_WITHDRAWAL.split("%")[0]
    if text and text.startswith(prefix):
        return _(NOT_DONE_BEFORE_WITHDRAWAL, reason=text.removeprefix(prefix))
    return text or ""


def issue_calendar_link(ctx: Context, participant: Participant, *,
                        expected_version: int | None = None) -> str:
    """Give the family a new calendar link; any earlier link stops working."""
    session = ctx.session
    check_version(session, participant, expected_version, participant.code)
    with audited(session, ctx.actor.username, N_("Calendar link issued")), saving(
            session, participant, participant.code):
        participant.calendar_token = secrets.token_urlsafe(24)  # 192 random bits
        session.commit()
    return participant.calendar_token


def revoke_calendar_link(ctx: Context, participant: Participant, *,
                         expected_version: int | None = None) -> None:
    """Stop the family's calendar link from working."""
    session = ctx.session
    check_version(session, participant, expected_version, participant.code)
    with audited(session, ctx.actor.username, N_("Calendar link revoked")), saving(
            session, participant, participant.code):
        participant.calendar_token = None
        session.commit()
