"""Enter, correct and remove the rows of a log form (an adverse event, a medication...), and
acknowledge a serious adverse event.

Items are read from the form's definition (forms/<name>.toml); the dates and the seriousness
by the items' roles. A row is checked whole (required items, the dates against each other and
against consent and today, what the adverse event log needs), then saved with one audit row per
item it changes, or not at all.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from edc.models import LogEntry, Participant, utcnow
from edc.protocol.crf import OTHER, CaseReportForm, Field, LogForm, unit_key
from edc.services.base import (
    GENERAL,
    Changed,
    Context,
    Errors,
    Refused,
    audited,
    check_range,
    check_version,
    saving,
)
from edc.services.language import entry_name, in_reader_language, label_of

# What "no infusion" is coded as in the item with role "infusion".
NO_INFUSION = "NONE"


def chooses_unit(item: Field) -> bool:
    """Whether a number of a log form is typed in a unit chosen beside it (stored with it)."""
    return item.type in ("number", "integer") and len(item.units) > 1


def stored_value(item: Field, value: Any) -> Any:
    """A typed answer as the values column keeps it (None: not answered); a number typed in a
    unit chosen beside it as {"value": 5.0, "unit": "mg"}."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, dict):
        return {"value": float(value["value"]), "unit": value["unit"]}
    if item.type == "date":
        return value.isoformat()
    if item.type == "time":
        return value.strftime("%H:%M")
    if item.type == "yesno":
        return {True: "yes", False: "no"}.get(value, value)
    if item.type == "multichoice":
        return list(value)
    if item.type == "text":
        return str(value).strip() or None
    return value


def typed_value(item: Field, stored: Any) -> Any:
    """A stored value as a form or a rule reads it: a date as a date, yes/no as text."""
    if stored is None:
        return None
    if item.type == "date":
        return date.fromisoformat(stored)
    if item.type == "time":
        return datetime.strptime(stored, "%H:%M").time()
    return stored


def typed_values(form: CaseReportForm, entry: LogEntry) -> dict[str, Any]:
    """Every item of an entry, typed (the form's data when it is opened to be corrected); a
    number's unit chosen beside it under its own name (unit_key)."""
    typed: dict[str, Any] = {}
    for item in form.fields:
        value = typed_value(item, entry.values.get(item.key))
        if chooses_unit(item):
            pair = value if isinstance(value, dict) else {}
            typed[unit_key(item)] = pair.get("unit")
            value = pair.get("value")
        typed[item.key] = value
    return typed


def _role(form: CaseReportForm, role: str) -> Field | None:
    return next((f for f in form.fields if f.role == role), None)


def _day(value: date) -> str:
    return value.isoformat()


def _check_items(errors: Errors, form: CaseReportForm, values: Mapping[str, Any]) -> None:
    """Every required item answered; a number inside its possible range; a code of its list."""
    for item in form.fields:
        value = values.get(item.key)
        if value is None:
            if item.required:
                errors.add(item.key, in_reader_language(item.message, item.message_zh)
                           or _("%(label)s is required.", label=label_of(item)))
            continue
        if isinstance(value, dict):
            chosen = item.unit(value["unit"] or "")
            if chosen is None:
                errors.add(item.key, _("Choose the unit of %(label)s from the list.",
                                       label=label_of(item)))
            else:
                check_range(errors, item.key, label_of(item), float(value["value"]),
                            label_of(chosen), chosen.block)
        elif item.type in ("number", "integer"):
            unit = item.canonical_unit
            check_range(errors, item.key, label_of(item), float(value), label_of(unit),
                        unit.block)
        elif item.type in ("choice", "multichoice") and item.choices is not None:
            codes = value if isinstance(value, list) else [value]
            alone = [c for c in item.choices.choices if c.alone and c.code in codes]
            if any(code not in item.choices.codes for code in codes):
                errors.add(item.key, _("Choose %(label)s from the list.", label=label_of(item)))
            elif alone and len(codes) > 1:
                errors.add(item.key, _("%(choice)s is chosen alone: untick it, or the others.",
                                       choice=label_of(alone[0])))
        elif item.type == "text" and item.max_length and len(value) > item.max_length:
            errors.add(item.key, _("%(label)s is longer than %(n)s characters.",
                                   label=label_of(item), n=item.max_length))


def _check_dates(errors: Errors, ctx: Context, participant: Participant, log: LogForm,
                 values: Mapping[str, Any]) -> None:
    """The start not before consent (unless the log allows it); no date after today; the end
    not before the start; an end date or "ongoing", not both."""
    form = log.form
    start_item, end_item, ongoing_item = (_role(form, r) for r in ("start", "end", "ongoing"))
    assert start_item is not None  # every log form has one (LOG_ROLES)
    start = values.get(start_item.key)
    end = values.get(end_item.key) if end_item else None
    for item, day in ((start_item, start), (end_item, end)):
        if item is not None and day is not None and day > ctx.today:
            errors.add(item.key, _("%(label)s %(day)s is after today.", label=label_of(item),
                                   day=_day(day)))
    if start is not None and start < participant.consent_date and not log.starts_before_consent:
        errors.add(start_item.key, _(
            "%(label)s %(day)s is before consent (%(consent)s).", label=label_of(start_item),
            day=_day(start), consent=_day(participant.consent_date)))
    if end_item is not None and start is not None and end is not None and end < start:
        errors.add(end_item.key, _("%(label)s %(day)s is before %(start)s %(start_day)s.",
                                   label=label_of(end_item), day=_day(end),
                                   start=label_of(start_item), start_day=_day(start)))
    if end_item is None or ongoing_item is None:
        return
    ongoing = values.get(ongoing_item.key) == "yes"
    if ongoing and end is not None:
        errors.add(end_item.key, _("%(ongoing)s cannot be Yes with an end date: clear the "
                                   "end date, or answer No.",
                                   ongoing=label_of(ongoing_item)))
    elif not ongoing and end is None and end_item.key not in errors:
        errors.add(end_item.key, _("Give the end date, or answer Yes to %(ongoing)s.",
                                   ongoing=label_of(ongoing_item)))


def _check_serious(errors: Errors, participant: Participant, form: CaseReportForm,
                   values: Mapping[str, Any]) -> None:
    """Serious criteria exactly when serious; a linked infusion that was given, before onset."""
    serious, criteria = _role(form, "serious"), _role(form, "criteria")
    if serious is not None and criteria is not None:
        chosen = values.get(criteria.key)
        if values.get(serious.key) == "yes" and not chosen:
            errors.add(criteria.key, _("Tick what makes the event serious."))
        elif values.get(serious.key) == "no" and chosen:
            errors.add(criteria.key, _("Serious criteria are ticked but the event is not marked "
                                       "serious: untick them or mark it serious."))
    infusion_item, start_item = _role(form, "infusion"), _role(form, "start")
    if infusion_item is None or start_item is None:
        return
    code = values.get(infusion_item.key)
    if code in (None, NO_INFUSION):
        return
    given = participant.infusion(int(code))
    if given is None:
        errors.add(infusion_item.key, _("Infusion %(n)s is not recorded for %(code)s.", n=code,
                                        code=participant.code))
        return
    onset = values.get(start_item.key)
    if onset is not None and onset < given.date:
        errors.add(start_item.key, _(
            "%(label)s %(day)s is before infusion %(n)s (%(given)s) that it is linked to.",
            label=label_of(start_item), day=_day(onset), n=code, given=_day(given.date)))


def _aware_at(ctx: Context, form: CaseReportForm, values: Mapping[str, Any]) -> datetime | None:
    """When the site learned the event was serious (in UTC), if the entry says: its day and
    clock time at the site."""
    day_item, time_item = _role(form, "aware_date"), _role(form, "aware_time")
    if day_item is None or time_item is None:
        return None
    day, clock = values.get(day_item.key), values.get(time_item.key)
    if day is None or clock is None:
        return None
    day = date.fromisoformat(day) if isinstance(day, str) else day
    clock = time.fromisoformat(clock) if isinstance(clock, str) else clock
    return datetime.combine(day, clock, tzinfo=ctx.study.tz).astimezone(UTC)


def _check_aware(errors: Errors, ctx: Context, form: CaseReportForm,
                 values: Mapping[str, Any], entry: LogEntry | None) -> None:
    """When the site learned the event was serious: only for a serious event, a day and its
    clock time together, not before the onset, not later than now, and not later than the
    event was saved as serious (the site knew it then)."""
    day_item, time_item = _role(form, "aware_date"), _role(form, "aware_time")
    serious, start = _role(form, "serious"), _role(form, "start")
    if day_item is None or time_item is None or day_item.key in errors or time_item.key in errors:
        return
    day, clock = values.get(day_item.key), values.get(time_item.key)
    if day is None and clock is None:
        return
    if serious is not None and values.get(serious.key) != "yes":
        errors.add(day_item.key if day is not None else time_item.key, _(
            "Give when the site learned the event was serious only for a serious event."))
        return
    if day is None or clock is None:
        errors.add(time_item.key if day is not None else day_item.key, _(
            "Give the day and the clock time together: the hours to report count from them."))
        return
    onset = values.get(start.key) if start is not None else None
    now = ctx.now()
    moment = datetime.combine(day, clock)
    if onset is not None and day < onset:
        errors.add(day_item.key, _("%(label)s %(day)s is before the onset (%(onset)s).",
                                   label=label_of(day_item), day=_day(day), onset=_day(onset)))
    # A rehearsal's day (now at its first minute) has no clock time to compare with.
    elif day > ctx.today or (day == ctx.today and moment > now and now.time() != time.min):
        errors.add(time_item.key, _("%(day)s %(time)s is later than now.", day=_day(day),
                                    time=clock.strftime("%H:%M")))
    elif (entry is not None and entry.alert_at is not None and entry.acknowledged_at is None
          and (aware := _aware_at(ctx, form, values)) is not None
          and aware > entry.alert_at):
        errors.add(time_item.key, _(
            "The event was saved as serious on %(saved)s: the site knew it by then.",
            saved=entry.alert_at.astimezone(ctx.study.tz).strftime("%Y-%m-%d %H:%M")))


def _others(ctx: Context, participant: Participant, log: LogForm,
            entry: LogEntry | None) -> Iterator[LogEntry]:
    """The child's other entries of the log, not removed (all of them for a new entry)."""
    return iter(ctx.session.scalars(select(LogEntry).where(
        LogEntry.participant_id == participant.id, LogEntry.form == log.name,
        LogEntry.removed_reason.is_(None), LogEntry.id != (entry.id if entry else None))))


def _check_one_per_time_point(errors: Errors, ctx: Context, participant: Participant,
                              log: LogForm, values: Mapping[str, Any],
                              entry: LogEntry | None) -> None:
    """One row per infusion and time point (vital signs): a second is refused, naming the
    first, which is corrected instead."""
    infusion_item, point_item = _role(log.form, "infusion"), _role(log.form, "timepoint")
    if infusion_item is None or point_item is None or point_item.choices is None:
        return
    pair = (values.get(infusion_item.key), values.get(point_item.key))
    if None in pair:
        return
    for other in _others(ctx, participant, log, entry):
        if (other.values.get(infusion_item.key), other.values.get(point_item.key)) == pair:
            point = next(c for c in point_item.choices.choices if c.code == pair[1])
            errors.add(point_item.key, _(
                "%(point)s of infusion %(n)s is recorded already (entry %(number)s): correct "
                "that entry instead.", point=label_of(point), n=pair[0], number=other.number))
            return


def _check_infusion_day(errors: Errors, participant: Participant, log: LogForm,
                        values: Mapping[str, Any]) -> None:
    """A time point of an infusion (vital signs) is measured on its day, or the next (an
    infusion ending after midnight)."""
    infusion_item, point_item = _role(log.form, "infusion"), _role(log.form, "timepoint")
    start_item = _role(log.form, "start")
    if infusion_item is None or point_item is None or start_item is None:
        return
    code, day = values.get(infusion_item.key), values.get(start_item.key)
    given = participant.infusion(int(code)) if code and str(code).isdigit() else None
    if given is None or day is None or start_item.key in errors:
        return
    if not given.date <= day <= given.date + timedelta(days=1):
        errors.add(start_item.key, _(
            "%(label)s %(day)s is not the day of infusion %(n)s (%(given)s) nor the day after.",
            label=label_of(start_item), day=_day(day), n=code, given=_day(given.date)))


def _check_order(errors: Errors, log: LogForm, values: Mapping[str, Any]) -> None:
    """Measures that come in order (the diastolic pressure below the systolic)."""
    for low_key, high_key in log.ordered:
        low, high = values.get(low_key), values.get(high_key)
        if low is None or high is None or low_key in errors or low < high:
            continue
        low_item, high_item = log.form.field(low_key), log.form.field(high_key)
        errors.add(low_key, _("%(low)s %(low_value)s is not below %(high)s %(high_value)s.",
                              low=label_of(low_item), low_value=f"{low:g}",
                              high=label_of(high_item), high_value=f"{high:g}"))


def _check_courses(errors: Errors, ctx: Context, participant: Participant, log: LogForm,
                   values: Mapping[str, Any], entry: LogEntry | None) -> None:
    """A change coded Other says what it was; a drug's courses do not overlap (a dose change
    is a new row, and the row before it stops the day before)."""
    form = log.form
    change, note = _role(form, "change"), _role(form, "change_note")
    if change is not None and note is not None and values.get(change.key) == OTHER and (
            values.get(note.key) is None):
        errors.add(note.key, _("Say what changed: %(change)s is Other.",
                               change=label_of(change)))
    drug, start_item, end_item = _role(form, "drug"), _role(form, "start"), _role(form, "end")
    if drug is None or start_item is None or end_item is None:
        return
    start, end = values.get(start_item.key), values.get(end_item.key)
    if values.get(drug.key) in (None, OTHER) or start is None or start_item.key in errors:
        return
    for other in _others(ctx, participant, log, entry):
        if other.values.get(drug.key) != values.get(drug.key):
            continue
        if other.start_date <= (end or date.max) and start <= (other.end_date or date.max):
            errors.add(start_item.key, _(
                "%(drug)s is already recorded from %(start)s (entry %(n)s): give that entry "
                "its stop date, the day before this one starts, first.",
                drug=_choice_label(drug, values[drug.key]), start=_day(other.start_date),
                n=other.number))
            return


def _check_other(errors: Errors, form: CaseReportForm, values: Mapping[str, Any]) -> None:
    """The other drug's name exactly when the drug chosen is Other."""
    drug, named = _role(form, "drug"), _role(form, "drug_other")
    if drug is None or named is None:
        return
    if values.get(drug.key) == OTHER and values.get(named.key) is None:
        errors.add(named.key, _("Name the drug: %(drug)s is Other.", drug=label_of(drug)))
    elif values.get(drug.key) not in (OTHER, None) and values.get(named.key) is not None:
        errors.add(named.key, _("Clear %(label)s, or choose Other as %(drug)s.",
                                label=label_of(named), drug=label_of(drug)))


def _cleaned(form: CaseReportForm, values: Mapping[str, Any]) -> dict[str, Any]:
    """The answers with blanks as None and text trimmed, keyed by item; a number typed in a unit
    chosen beside it (given under unit_key) as {"value": 5.0, "unit": "mg"}."""
    cleaned: dict[str, Any] = {}
    for item in form.fields:
        value = values.get(item.key)
        if isinstance(value, str):
            value = value.strip() or None
        if value == []:
            value = None
        if chooses_unit(item) and value is not None:
            value = {"value": value, "unit": values.get(unit_key(item))}
        cleaned[item.key] = value
    return cleaned


def _choice_label(item: Field, code: str) -> str:
    assert item.choices is not None  # the loader checked the outcome rules' items
    return label_of(next(c for c in item.choices.choices if c.code == code))


def _check_outcome(errors: Errors, log: LogForm, values: Mapping[str, Any]) -> None:
    """Grade, outcome, seriousness and dates agree (forms/adverse_events.toml [outcome_rules]):
    death is grade 5, fatal, and serious because of death; an ended event has an outcome of one
    that ended, one going on an outcome of one going on."""
    rules, form = log.outcomes, log.form
    if rules is None:
        return
    grade_item, outcome_item = form.by_role("grade"), form.by_role("outcome")
    serious_item, criteria_item = form.by_role("serious"), form.by_role("criteria")
    grade, outcome = values.get(grade_item.key), values.get(outcome_item.key)
    if grade == rules.fatal_grade and outcome not in (None, rules.fatal_outcome):
        errors.add(outcome_item.key, _(
            "%(grade)s means the event caused death: choose %(fatal)s as the outcome, or "
            "another grade.", grade=_choice_label(grade_item, grade),
            fatal=_choice_label(outcome_item, rules.fatal_outcome)))
    elif outcome == rules.fatal_outcome and grade not in (None, rules.fatal_grade):
        errors.add(grade_item.key, _(
            "A fatal event is %(grade)s.", grade=_choice_label(grade_item, rules.fatal_grade)))
    fatal = rules.fatal_outcome in (outcome,) or rules.fatal_grade in (grade,)
    criteria = values.get(criteria_item.key) or []
    if fatal and (values.get(serious_item.key) != "yes"
                  or rules.death_criterion not in criteria) and criteria_item.key not in errors:
        errors.add(criteria_item.key, _(
            "A fatal event is serious: mark it serious and tick %(death)s.",
            death=_choice_label(criteria_item, rules.death_criterion)))
    if outcome is None or outcome_item.key in errors:
        return
    end_item, ongoing_item = form.by_role("end"), form.by_role("ongoing")
    if values.get(ongoing_item.key) == "yes" and outcome not in rules.ongoing:
        errors.add(outcome_item.key, _(
            "%(outcome)s is the outcome of an event that has ended, but %(ongoing)s says yes: "
            "answer no, or choose another outcome.", outcome=_choice_label(outcome_item, outcome),
            ongoing=label_of(ongoing_item)) if values.get(end_item.key) is not None else _(
            "%(outcome)s is the outcome of an event that has ended: give its end date, or "
            "choose another outcome.", outcome=_choice_label(outcome_item, outcome)))
    elif values.get(end_item.key) is not None and outcome not in rules.ended:
        errors.add(outcome_item.key, _(
            "%(outcome)s is the outcome of an event still going on, but it has an end date.",
            outcome=_choice_label(outcome_item, outcome)))


def checked_row(ctx: Context, participant: Participant, log: LogForm,
                values: Mapping[str, Any], entry: LogEntry | None = None,
                ) -> tuple[dict[str, Any], Errors]:
    """A row cleaned, and every problem of it at its item (for a caller that adds its own)."""
    form = log.form
    cleaned = _cleaned(form, values)
    errors = Errors()
    _check_items(errors, form, cleaned)
    _check_dates(errors, ctx, participant, log, cleaned)
    _check_serious(errors, participant, form, cleaned)
    _check_aware(errors, ctx, form, cleaned, entry)
    _check_one_per_time_point(errors, ctx, participant, log, cleaned, entry)
    _check_other(errors, form, cleaned)
    _check_courses(errors, ctx, participant, log, cleaned, entry)
    _check_outcome(errors, log, cleaned)
    _check_infusion_day(errors, participant, log, cleaned)
    _check_order(errors, log, cleaned)
    return cleaned, errors


def check_log_entry(ctx: Context, participant: Participant, log: LogForm,
                    values: Mapping[str, Any], entry: LogEntry | None = None) -> dict[str, Any]:
    """Check a row whole; return it cleaned, or raise Refused with every problem at its item."""
    cleaned, errors = checked_row(ctx, participant, log, values, entry)
    errors.raise_if_any()
    return cleaned


def _next_number(ctx: Context, participant: Participant, name: str) -> int:
    highest = ctx.session.scalar(select(func.max(LogEntry.number)).where(
        LogEntry.participant_id == participant.id, LogEntry.form == name))
    return (highest or 0) + 1


def _alert(log: LogForm, entry: LogEntry, was_serious: bool, now: datetime,
           aware: datetime | None) -> None:
    """Start the reporting window when the entry becomes serious: from when the site learned
    it (`aware`, if the entry gives it), else now. Once started, only an investigator's
    acknowledgement ends it: marking the event not serious, or removing it, leaves the alert
    for an investigator to see. An event acknowledged, then marked not serious and serious
    again, starts a new window. Until acknowledged, a corrected awareness moves it."""
    serious = _role(log.form, "serious")
    if not log.alert_hours or serious is None or entry.values.get(serious.key) != "yes":
        return
    if entry.alert_at is None or (entry.acknowledged_at is not None and not was_serious):
        entry.alert_at, entry.acknowledged_at, entry.acknowledged_by = aware or now, None, None
    elif aware is not None and entry.acknowledged_at is None and aware != entry.alert_at:
        entry.alert_at = aware


def is_serious(log: LogForm, entry: LogEntry) -> bool:
    """Whether the entry is marked serious now."""
    serious = _role(log.form, "serious")
    return serious is not None and entry.values.get(serious.key) == "yes"


@contextmanager
def _adding(session: Session, what: str) -> Iterator[None]:
    """Commit a new entry inside this block; one that lost its number to an entry someone else
    added at the same moment is rolled back and refused."""
    try:
        yield
    except (StaleDataError, IntegrityError):
        session.rollback()
        raise Changed({GENERAL: [_(
            "Someone else added to %(what)s at the same moment, so nothing was saved. What you "
            "typed is still in the form: check the list and save again.", what=what)]}) from None


def save_log_entry(ctx: Context, participant: Participant, log: LogForm,
                   values: Mapping[str, Any], *, entry: LogEntry | None = None,
                   reason: str = "", expected_version: int | None = None) -> LogEntry:
    """Add a row to a child's log, or correct one (a correction needs its reason)."""
    session = ctx.session
    title = label_of(log.form)
    what = (_("%(form)s of %(code)s", form=title, code=participant.code) if entry is None else
            _("%(entry)s of %(code)s", entry=entry_name(log.form, entry.number),
              code=participant.code))
    if entry is not None:
        check_version(session, entry, expected_version, what)
        if entry.removed_reason is not None:
            raise Refused({GENERAL: [_("This entry was removed; it cannot be changed.")]})
    cleaned = check_log_entry(ctx, participant, log, values, entry)
    stored = {item.key: stored_value(item, cleaned[item.key]) for item in log.form.fields}
    if entry is not None and entry.values == stored:
        return entry  # nothing changed: nothing to save or audit
    reason = reason.strip()
    if entry is not None and not reason:
        raise Refused({"reason": [_("Say why the entry is corrected.")]})
    start_item, end_item = _role(log.form, "start"), _role(log.form, "end")
    assert start_item is not None
    with audited(session, ctx.actor.username, reason or None), (
            _adding(session, what) if entry is None else saving(session, entry, what)):
        if entry is None:
            entry = LogEntry(participant_id=participant.id, form=log.name,
                             number=_next_number(ctx, participant, log.name))
            session.add(entry)
        was_serious = is_serious(log, entry) if entry.values else False
        entry.values = stored
        entry.start_date = cleaned[start_item.key]
        entry.end_date = cleaned[end_item.key] if end_item else None
        _alert(log, entry, was_serious, utcnow(), _aware_at(ctx, log.form, cleaned))
        session.commit()
    return entry


def remove_log_entry(ctx: Context, participant: Participant, entry: LogEntry, reason: str, *,
                     expected_version: int | None = None) -> None:
    """Mark a row entered in error: it stays in the record, struck through, and counts no more."""
    session = ctx.session
    what = _("Entry %(n)s of %(code)s", n=entry.number, code=participant.code)
    check_version(session, entry, expected_version, what)
    reason = reason.strip()
    if not reason:
        raise Refused({"reason": [_("Say why the entry is removed.")]})
    if entry.removed_reason is not None:
        raise Refused({GENERAL: [_("This entry was removed already.")]})
    with audited(session, ctx.actor.username, reason), saving(session, entry, what):
        entry.removed_reason = reason
        session.commit()


def acknowledge(ctx: Context, participant: Participant, entry: LogEntry, *,
                expected_version: int | None = None) -> None:
    """An investigator has seen a serious adverse event: its alert stops."""
    session = ctx.session
    what = _("Adverse event %(n)s of %(code)s", n=entry.number, code=participant.code)
    check_version(session, entry, expected_version, what)
    if entry.alert_at is None:
        raise Refused({GENERAL: [_("This event is not serious: there is nothing to "
                                   "acknowledge.")]})
    if entry.acknowledged_at is not None:
        raise Refused({GENERAL: [_("%(who)s acknowledged this event already.",
                                   who=entry.acknowledged_by)]})
    with audited(session, ctx.actor.username, None), saving(session, entry, what):
        entry.acknowledged_at, entry.acknowledged_by = utcnow(), ctx.actor.username
        session.commit()
