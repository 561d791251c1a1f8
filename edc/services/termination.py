"""Withdraw a child: the early termination's one row (forms/termination.toml: the reason by
category, the date, the last contact, the adverse event it is linked to) is saved with the new
status, and the visits to come are cancelled, in one transaction.

The row is checked whole like any log row (required items, dates against consent and today),
then by what the reasons need: an adverse event of the child's log for AE, words for OTHER, and
a last contact not after the termination.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from edc.models import LogEntry, Participant, Visit
from edc.protocol.codes import ParticipantStatus, VisitStatus
from edc.protocol.crf import ADVERSE_EVENT_REASON, OTHER_REASON, CaseReportForm
from edc.protocol.study import ADVERSE_EVENTS
from edc.rules import worklist as rules
from edc.services.base import (
    GENERAL,
    Context,
    Errors,
    Refused,
    audited,
    changed,
    check_version,
    saving,
)
from edc.services.booking import NOT_DONE_BEFORE_WITHDRAWAL
from edc.services.language import label_of
from edc.services.logs import checked_row, stored_value


def _event_exists(ctx: Context, participant: Participant, number: int | None = None) -> bool:
    """Whether the child's adverse event log holds this event (any event, without a number),
    not removed."""
    numbered = () if number is None else (LogEntry.number == number,)
    return ctx.session.scalar(select(LogEntry.id).where(
        LogEntry.participant_id == participant.id, LogEntry.form == ADVERSE_EVENTS,
        LogEntry.removed_reason.is_(None), *numbered).limit(1)) is not None


def _check_reason(errors: Errors, ctx: Context, participant: Participant,
                  form: CaseReportForm, values: Mapping[str, Any]) -> None:
    """An adverse event exactly when the reason is one, and one of the child's; words for
    OTHER; the last contact neither before consent nor after the termination."""
    category, event, detail = (form.by_role(r) for r in ("category", "event", "detail"))
    start, last = form.by_role("start"), form.by_role("last_contact")
    reason, number = values.get(category.key), values.get(event.key)
    if reason == ADVERSE_EVENT_REASON:
        if number is None and not _event_exists(ctx, participant):
            errors.add(event.key, _("%(code)s has no adverse event recorded. Record the event "
                                    "the child leaves the study for in the adverse event log "
                                    "first, then withdraw.", code=participant.code))
        elif number is None:
            errors.add(event.key, _("Choose the adverse event the child leaves the study for."))
        elif event.key not in errors and not _event_exists(ctx, participant, int(number)):
            errors.add(event.key, _("Adverse event %(n)s is not in the adverse event log of "
                                    "%(code)s.", n=number, code=participant.code))
    elif number is not None and reason is not None:
        errors.add(event.key, _("Link an adverse event only when the reason is an adverse "
                                "event."))
    if reason == OTHER_REASON and values.get(detail.key) is None:
        errors.add(detail.key, _("Say why the child leaves the study."))
    contact, ended = values.get(last.key), values.get(start.key)
    if ended is not None and start.key not in errors and _ends_records(form, reason):
        seen = _last_seen(participant)
        if seen is not None and seen[0] > ended:
            errors.add(start.key, _(
                "%(code)s has %(what)s dated %(day)s, after %(ended)s: a child who leaves for "
                "this reason has nothing recorded after the day they left. Check the date, or "
                "correct that record first.", code=participant.code, what=seen[1],
                day=seen[0].isoformat(), ended=ended.isoformat()))
    if contact is None:
        return
    if contact < participant.consent_date:
        errors.add(last.key, _("%(label)s %(day)s is before consent (%(consent)s).",
                               label=label_of(last), day=contact.isoformat(),
                               consent=participant.consent_date.isoformat()))
    elif ended is not None and contact > ended:
        errors.add(last.key, _("%(label)s %(day)s is after %(start)s %(start_day)s.",
                               label=label_of(last), day=contact.isoformat(),
                               start=label_of(start), start_day=ended.isoformat()))
    elif (seen := _last_seen(participant, ended)) is not None and contact < seen[0]:
        errors.add(last.key, _("%(label)s %(day)s is before %(what)s on %(seen)s, a contact "
                               "with the child.", label=label_of(last), day=contact.isoformat(),
                               what=seen[1], seen=seen[0].isoformat()))


def _ends_records(form: CaseReportForm, reason: Any) -> bool:
    category = form.by_role("category")
    assert category.choices is not None  # the loader gives a choice item its list
    return any(c.code == reason and c.ends_records for c in category.choices.choices)


def _last_seen(participant: Participant, until: date | None = None) -> tuple[date, str] | None:
    """The child's last day at the clinic (on or before `until`, if given): a visit's sample
    or an infusion, with what it was ("W08's sample", "infusion 2")."""
    days = [(v.actual_date, _("%(visit)s's sample", visit=v.code)) for v in participant.visits
            if v.status == VisitStatus.DONE and v.actual_date is not None]
    days += [(i.date, _("infusion %(n)s", n=i.number)) for i in participant.infusions]
    days = [(day, what) for day, what in days if until is None or day <= until]
    return max(days, key=lambda seen: seen[0]) if days else None


def records_end(ctx: Context, participant: Participant) -> date | None:
    """The day after which nothing is recorded for a child: the termination date of one who
    left for a reason that ends the records (forms/termination.toml: consent withdrawn, death);
    None for any other child."""
    if participant.status != ParticipantStatus.WITHDRAWN:
        return None
    log = ctx.study.termination
    entry = ctx.session.scalars(select(LogEntry).where(
        LogEntry.participant_id == participant.id, LogEntry.form == log.name,
        LogEntry.removed_reason.is_(None))).first()
    if entry is None:
        return None
    reason = entry.values.get(log.form.by_role("category").key)
    return entry.start_date if _ends_records(log.form, reason) else None


def termination_summary(form: CaseReportForm, values: Mapping[str, Any]) -> str:
    """The reason in a line (its category, then the words given), in the reader's language."""
    category, detail = form.by_role("category"), form.by_role("detail")
    assert category.choices is not None  # the loader gives a choice item its list
    choice = next(c for c in category.choices.choices if c.code == values[category.key])
    words = values.get(detail.key)
    return (_("%(reason)s: %(detail)s", reason=label_of(choice), detail=words) if words
            else label_of(choice))


def withdraw(ctx: Context, participant: Participant, values: Mapping[str, Any], *,
             expected_version: int | None = None) -> LogEntry:
    """Withdraw a child with the early termination's items (by key, typed): the row is saved,
    the visits to come are cancelled but stay in the record; a follow-up visit whose window
    closed before the termination date without taking place was missed."""
    session = ctx.session
    log = ctx.study.termination
    check_version(session, participant, expected_version, participant.code)
    if participant.status == ParticipantStatus.WITHDRAWN:
        raise Refused({GENERAL: [_("%(code)s is already withdrawn.", code=participant.code)]})
    if session.scalar(select(LogEntry.id).where(
            LogEntry.participant_id == participant.id, LogEntry.form == log.name,
            LogEntry.removed_reason.is_(None))) is not None:
        # Only a withdrawal writes this row: someone withdrew the child since it was read.
        raise changed(session, participant, participant.code)
    cleaned, errors = checked_row(ctx, participant, log, values)
    _check_reason(errors, ctx, participant, log.form, cleaned)
    errors.raise_if_any()
    # Kept as the withdrawing person reads it, as a typed reason was: the status line, the
    # cancelled and missed visits and the audit trail say why in a few words.
    reason = termination_summary(log.form, cleaned)
    start = log.form.by_role("start")
    with audited(session, ctx.actor.username, reason), saving(session, participant,
                                                              participant.code):
        # Number 1: at most one per child, which the unique key (child, form, number) holds to.
        entry = LogEntry(participant_id=participant.id, form=log.name, number=1,
                         values={item.key: stored_value(item, cleaned[item.key])
                                 for item in log.form.fields},
                         start_date=cleaned[start.key], end_date=None)
        session.add(entry)
        participant.status = ParticipantStatus.WITHDRAWN
        participant.withdrawn_reason = reason
        _close_visits([v for v in participant.visits if v.status == VisitStatus.PLANNED],
                      cleaned[start.key], reason)
        session.commit()
    return entry


def _close_visits(visits: list[Visit], ended: date, reason: str) -> None:
    """Close the visits a withdrawal leaves open: a follow-up visit whose window closed before
    the day the child left was missed; any later one (and any other planned visit) will not
    take place, so it is cancelled."""
    for visit in visits:
        # Judged as the withdrawal found it: planned.
        if rules.is_overdue(VisitStatus.PLANNED, visit.kind, visit.window_end, ended):
            visit.status, visit.cancelled_reason = VisitStatus.MISSED, None
            visit.missed_reason = NOT_DONE_BEFORE_WITHDRAWAL % {"reason": reason}
        else:
            visit.status, visit.missed_reason = VisitStatus.CANCELLED, None
            visit.cancelled_reason = reason


def _closed_by_withdrawal(participant: Participant) -> list[Visit]:
    """The visits the child's withdrawal missed or cancelled (by the reason it gave them)."""
    reason = participant.withdrawn_reason
    return [v for v in participant.visits
            if (v.status == VisitStatus.CANCELLED and v.cancelled_reason == reason)
            or (v.status == VisitStatus.MISSED
                and v.missed_reason == NOT_DONE_BEFORE_WITHDRAWAL % {"reason": reason})]


def correct_termination(ctx: Context, participant: Participant, entry: LogEntry,
                        values: Mapping[str, Any], *, reason: str,
                        expected_version: int | None = None) -> LogEntry:
    """Correct a withdrawn child's early termination (a wrong date, a reason misread): checked
    as when it was made, saved with the reason for the change; the status line follows."""
    session = ctx.session
    log = ctx.study.termination
    what = _("The early termination of %(code)s", code=participant.code)
    check_version(session, entry, expected_version, what)
    cleaned, errors = checked_row(ctx, participant, log, values, entry)
    _check_reason(errors, ctx, participant, log.form, cleaned)
    errors.raise_if_any()
    stored = {item.key: stored_value(item, cleaned[item.key]) for item in log.form.fields}
    if stored == entry.values:
        return entry  # nothing changed: nothing to save or audit
    reason = reason.strip()
    if not reason:
        raise Refused({CHANGE_REASON: [_("Say why the termination is corrected.")]})
    start = log.form.by_role("start")
    with audited(session, ctx.actor.username, reason), saving(session, entry, what):
        closed = _closed_by_withdrawal(participant)
        entry.values = stored
        entry.start_date = cleaned[start.key]
        participant.withdrawn_reason = termination_summary(log.form, cleaned)
        # Which visits were missed and which cancelled follows the corrected day and reason.
        _close_visits(closed, entry.start_date, participant.withdrawn_reason)
        session.commit()
    return entry


# The correction form's field for why it is corrected ("reason" is the termination's item).
CHANGE_REASON = "change_reason"
