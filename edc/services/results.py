"""Enter, check and correct a visit's kidney results; mark visits missed; add unscheduled visits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import case, exists, func, literal, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from edc.models import Participant, Result, Visit, utcnow
from edc.protocol.codes import ParticipantStatus, VisitKind, VisitStatus
from edc.protocol.crf import Field
from edc.protocol.study import Study
from edc.rules.checks import Finding, check_value
from edc.rules.numbers import grouped_thousands, parse_number, significant, significant_bound
from edc.rules.renal import age_in_years, bsa_mosteller
from edc.rules.schedule import Window, screening_window
from edc.rules.worklist import missing_results, required_results
from edc.services.base import (
    GENERAL,
    HORIZON,
    Context,
    Errors,
    Refused,
    audited,
    check_version,
    flag_words,
    saving,
)
from edc.services.language import label_of, qualifier
from edc.services.queries import raise_automatic_queries
from edc.services.termination import records_end


@dataclass(frozen=True)
class TypedResult:
    """One analyte as the nurse entered it."""

    text: str = ""
    unit: str = ""
    qualifier: str = ""
    not_done: bool = False
    not_done_reason: str = ""
    confirmed: bool = False


@dataclass(frozen=True)
class ResultsData:
    sample_date: date
    results: dict[str, TypedResult]


class Conflict(Exception):
    """Someone else saved the visit since the form was opened; it now has this version.

    What they changed is read from the audit trail after the watermark the form carried
    (edc.read.history.changes_since)."""

    def __init__(self, version: int) -> None:
        super().__init__(f"The visit was saved by someone else; it is now version {version}.")
        self.version = version


def finding_message(finding: Finding) -> str:
    """What a nurse reads for a check's finding."""
    field, unit = finding.field, finding.unit
    shown = dict(label=label_of(field), value=f"{finding.value:g}", unit=label_of(unit))
    if finding.kind == "not_integer":
        return _("%(label)s %(value)s %(unit)s: a count per high-power field is a whole number.",
                 **shown)
    if finding.kind == "above_age_median":
        rule = field.warn_above_age_median
        return _("%(label)s %(value)s %(unit)s is above %(times)s × the median for age "
                 "%(age)s years (%(limit)s %(unit)s). Check it against the lab report and tick "
                 "“confirmed” to save it.", times=f"{rule.multiplier:g}" if rule else "",
                 age=f"{finding.age_years or 0:.1f}",
                 limit=significant_bound(finding.high or 0, upward=False), **shown)
    if finding.kind == "rate_high":
        return _("%(label)s %(value)s %(unit)s is %(rate)s mg/m²/h, at or above %(limit)s "
                 "mg/m²/h. Check it against the lab report and tick “confirmed” to save it.",
                 rate=significant(finding.rate or 0), limit=f"{finding.high:g}", **shown)
    limits = dict(low=significant_bound(finding.low or 0, upward=True),
                  high=significant_bound(finding.high or 0, upward=False))
    if finding.kind in ("below_range", "above_range"):
        text = (_("%(label)s %(value)s %(unit)s is below the possible range "
                  "%(low)s-%(high)s %(unit)s.", **shown, **limits)
                if finding.kind == "below_range" else
                _("%(label)s %(value)s %(unit)s is above the possible range "
                  "%(low)s-%(high)s %(unit)s.", **shown, **limits))
        if finding.other_unit is not None:
            text = _("%(refusal)s Did you mean %(unit)s?", refusal=text,
                     unit=label_of(finding.other_unit))
        return text
    if finding.kind == "below_plausible":
        return _("%(label)s %(value)s %(unit)s is below the usual range %(low)s-%(high)s "
                 "%(unit)s. Check it against the lab report and tick “confirmed” to save it.",
                 **shown, **limits)
    return _("%(label)s %(value)s %(unit)s is above the usual range %(low)s-%(high)s %(unit)s. "
             "Check it against the lab report and tick “confirmed” to save it.",
             **shown, **limits)


def _number_of(data: ResultsData, key: str) -> float | None:
    typed = data.results.get(key)
    return parse_number(typed.text) if typed and typed.text.strip() and not typed.not_done else None


def _checked_row(field: Field, typed: TypedResult, bsa_m2: float | None, errors: Errors,
                 prior: Result | None = None, age_years: float | None = None) -> dict | None:
    """The stored columns for one analyte, or None when nothing was entered."""
    name = field.key
    text, reason = typed.text.strip(), typed.not_done_reason.strip()
    if typed.not_done:
        if text or typed.qualifier:
            errors.add(f"{name}-value", _("Enter a value or mark %(label)s not done, not both.",
                                          label=label_of(field)))
        elif not reason:
            errors.add(f"{name}-not_done_reason", _("Say why %(label)s was not done.",
                                                    label=label_of(field)))
        return {"not_done_reason": reason, "typed_value": None, "typed_unit": None,
                "value": None, "unit": None, "qualifier": None, "warn_confirmed": False,
                "test_code": field.canonical_unit.cdisc, "loinc": field.canonical_unit.loinc}
    unit = field.unit(typed.unit) if typed.unit else field.canonical_unit
    if unit is None:
        errors.add(f"{name}-unit", _("Got unit %(unit)r. Expected one of: %(units)s.",
                                     unit=typed.unit[:20],
                                     units=", ".join(label_of(u) for u in field.units)))
        return None
    if typed.qualifier:
        if typed.qualifier not in field.qualitative:
            errors.add(f"{name}-qualifier", _("Choose a result from the list."))
            return None
        if text:
            errors.add(f"{name}-value", _("Enter a number or “%(q)s”, not both.",
                                          q=qualifier(field, typed.qualifier)))
            return None
        return {"qualifier": typed.qualifier, "typed_value": None, "typed_unit": unit.code,
                "value": None, "unit": unit.canonical, "not_done_reason": None,
                "warn_confirmed": False, "test_code": unit.cdisc, "loinc": unit.loinc}
    if not text:
        if field.required:
            errors.add(f"{name}-value", _("Enter %(label)s or mark it not done.",
                                          label=label_of(field)))
        return None
    value = parse_number(text)
    if value is None and (plain := grouped_thousands(text)) is not None:
        errors.add(f"{name}-value", _(
            "%(label)s: got %(typed)s. Type the number without a thousands separator: "
            "%(plain)s.", label=label_of(field), typed=repr(text), plain=plain))
        return None
    if value is None or len(text) > 32:
        errors.add(f"{name}-value", (_(
            "%(label)s: got %(typed)s. Expected a number in %(unit)s, with a decimal point "
            "(0.45, not 0,45).", label=label_of(field), typed=repr(text[:32]), unit=label_of(unit))
            if "," in text else _(
            "%(label)s: got %(typed)s. Expected a number in %(unit)s.", label=label_of(field),
            typed=repr(text[:32]), unit=label_of(unit))))
        return None
    findings = check_value(field, unit, value, bsa_m2=bsa_m2, age_years=age_years)
    # A confirmation holds for the value it was given to: the same text in the same unit.
    confirmed = typed.confirmed or (prior is not None and prior.warn_confirmed
                                    and prior.typed_value == text
                                    and prior.typed_unit == unit.code)
    for finding in findings:
        if finding.level == "block":
            errors.add(f"{name}-value", finding_message(finding))
        elif not confirmed:
            errors.add(f"{name}-confirm", finding_message(finding))
    return {"typed_value": text, "typed_unit": unit.code, "value": unit.to_canonical(value),
            "unit": unit.canonical, "qualifier": None, "not_done_reason": None,
            "warn_confirmed": bool(findings), "test_code": unit.cdisc, "loinc": unit.loinc}


def refresh_results_missing(session: Session, study: Study) -> None:
    """Work out again, in one statement, which required results each done visit lacks: after
    an upgrade, or when forms/results.toml changes which analytes are required."""
    missing = literal("")
    for key in required_results(study.results):
        has_row = exists().where(Result.visit_id == Visit.id, Result.field == key)
        missing = missing + case((has_row, literal("")), else_=literal(key + " "))
    session.execute(update(Visit).values(results_missing=case(
        (Visit.status == VisitStatus.DONE, func.nullif(func.trim(missing), "")), else_=None)))
    session.commit()


def save_results(ctx: Context, visit: Visit, data: ResultsData, *, expected_version: int,
                 reason: str) -> Visit:
    """Check and store a visit's results; the visit becomes done on the sample date."""
    session, form = ctx.session, ctx.study.results
    if visit.version != expected_version:
        raise Conflict(visit.version)
    errors = Errors()
    if data.sample_date > ctx.today:
        errors.add("sample_date", _("The sample date %(day)s is in the future.",
                                    day=data.sample_date.isoformat()))
    elif data.sample_date < visit.participant.date_of_birth:
        errors.add("sample_date", _("The sample date %(day)s is before the date of birth.",
                                    day=data.sample_date.isoformat()))
    elif (visit.kind == VisitKind.SCHEDULED and visit.anchor_date is not None
          and data.sample_date < visit.anchor_date):
        errors.add("sample_date", _(
            "The sample date %(day)s is before infusion %(n)s (%(anchor)s), from which %(code)s "
            "counts: a follow-up sample is taken after it. A sample from before the infusions "
            "belongs to the screening visit.", day=data.sample_date.isoformat(),
            n=visit.anchor_infusion, anchor=visit.anchor_date.isoformat(), code=visit.code))
    elif (ended := records_end(ctx, visit.participant)) and data.sample_date > ended:
        errors.add("sample_date", _after_the_end(visit.participant, data.sample_date, ended))
    height = _number_of(data, form.by_role("height").key)
    weight = _number_of(data, form.by_role("weight").key)
    bsa = bsa_mosteller(weight, height) if height and weight and height > 0 and weight > 0 \
        else None
    born = visit.participant.date_of_birth
    age = age_in_years(born, data.sample_date) if data.sample_date >= born else None
    rows = {}
    prior = {r.field: r for r in visit.results}
    for field in form.fields:
        row = _checked_row(field, data.results.get(field.key, TypedResult()), bsa, errors,
                           prior.get(field.key), age)
        if row is not None:
            rows[field.key] = row
    errors.raise_if_any()

    existing = {r.field: r for r in visit.results}
    changed = _would_change(visit, existing, rows, data.sample_date)
    reason = reason.strip()
    if visit.results_saved_at is not None and changed and not reason:
        raise Refused({"reason": [_("Say why the saved results are being changed.")]})
    if visit.status == VisitStatus.MISSED and not reason:
        raise Refused({"reason": [_("This visit was marked missed: say why it has results.")]})
    participant = visit.participant
    with audited(session, ctx.actor.username, reason or None):
        for key, row in rows.items():
            result = existing.get(key) or Result(visit=visit, participant_id=visit.participant_id,
                                                 field=key)
            for column, value in row.items():
                setattr(result, column, value)
            session.add(result)
        for key, result in existing.items():
            if key not in rows:
                session.delete(result)
        window = visit.sample_window(ctx.study.schedule.screening)
        if visit.kind == VisitKind.SCREENING:
            visit.target_date, visit.window_start, visit.window_end = (
                window.due, window.start, window.end)
        visit.status, visit.actual_date = VisitStatus.DONE, data.sample_date
        visit.missed_reason = None
        visit.sample_deviation_days = visit.sample_deviation(ctx.study.schedule.screening,
                                                             data.sample_date)
        visit.results_saved_at = utcnow()
        visit.results_missing = missing_results(ctx.study.results, rows)
        complete_if_last_visit(participant)
        try:
            session.commit()
        except StaleDataError:
            session.rollback()
            fresh = session.get(Visit, visit.id)
            raise Conflict(fresh.version) from None
    raise_automatic_queries(ctx, visit)
    return visit


def _would_change(visit: Visit, existing: dict[str, Result], rows: dict[str, dict],
                  sample_date: date) -> bool:
    if visit.actual_date != sample_date or set(existing) != set(rows):
        return True
    return any(getattr(existing[key], column) != value
               for key, row in rows.items() for column, value in row.items())


def mark_missed(ctx: Context, visit: Visit, reason: str, *,
                expected_version: int | None = None) -> None:
    """Record that a planned visit did not happen, and why: once its window has opened (a visit
    still to come is rebooked, not missed)."""
    session = ctx.session
    check_version(session, visit, expected_version, visit.code)
    reason = reason.strip()
    errors = Errors()
    if visit.status != VisitStatus.PLANNED:
        errors.add(GENERAL, _("Only a planned visit can be marked missed."))
    elif ctx.today < visit.window_start:
        errors.add(GENERAL, _("%(code)s's window opens on %(day)s: a visit can be marked missed "
                              "once its window has opened. To move it, book another day.",
                              code=visit.code, day=visit.window_start.isoformat()))
    elif visit.booked_date is not None and ctx.today < visit.booked_date:
        # The family is expected on that day: they miss it only once it has come.
        errors.add(GENERAL, _("%(code)s is booked for %(day)s: it can be marked missed from "
                              "that day. If the family will not come, book another day.",
                              code=visit.code, day=visit.booked_date.isoformat()))
    if not reason:
        errors.add("reason", _("Say why the visit was missed."))
    errors.raise_if_any()
    with audited(session, ctx.actor.username, reason), saving(session, visit, visit.code):
        visit.status, visit.missed_reason = VisitStatus.MISSED, reason
        complete_if_last_visit(visit.participant)
        session.commit()


def complete_if_last_visit(participant: Participant) -> None:
    """Follow-up is complete once its last visit (M12) is done or missed."""
    follow_up = participant.follow_up
    if (participant.status == ParticipantStatus.ENROLLED and follow_up
            and follow_up[-1].status in (VisitStatus.DONE, VisitStatus.MISSED)):
        participant.status = ParticipantStatus.COMPLETED


def _after_the_end(participant: Participant, day: date, ended: date) -> str:
    return _("%(day)s is after %(code)s left the study on %(ended)s (%(why)s): nothing from "
             "after that day is recorded.", day=day.isoformat(), code=participant.code,
             ended=ended.isoformat(), why=participant.withdrawn_reason)


def add_visit(ctx: Context, participant: Participant, kind: str, on: date | None, reason: str,
              *, expected_version: int | None = None) -> Visit:
    """Add a screening (baseline) visit or an unscheduled visit between scheduled ones.

    An unscheduled visit's date lies from the consent date to a year after today: a visit may be
    planned ahead, but a date further off is a slip of the year that every calendar would carry.
    """
    session, today = ctx.session, ctx.today
    check_version(session, participant, expected_version, participant.code)
    reason = reason.strip()
    errors = Errors()
    ended = records_end(ctx, participant)
    if kind == VisitKind.UNSCHEDULED:
        if on is None:
            errors.add("date", _("Enter the visit date."))
        elif on < participant.consent_date:
            errors.add("date", _("The visit date %(day)s is before the consent date (%(consent)s). "
                                 "Enter a day from the consent date on.", day=on.isoformat(),
                                 consent=participant.consent_date.isoformat()))
        elif ended and on > ended:
            errors.add("date", _after_the_end(participant, on, ended))
        elif on > today + HORIZON:
            errors.add("date", _("The visit date %(day)s is more than a year after today. Enter "
                                 "a day up to %(latest)s.", day=on.isoformat(),
                                 latest=(today + HORIZON).isoformat()))
        elif on >= today and (closed := ctx.calendar.closed_reason(on)):
            # A day gone by is recorded as it was; a family is never sent to a closed clinic.
            errors.add("date", _("The clinic is closed on %(day)s (%(why)s). Choose a clinic "
                                 "day for the family to come.", day=on.isoformat(),
                                 why=flag_words(closed, on, ctx.calendar)))
    if kind not in (VisitKind.SCREENING, VisitKind.UNSCHEDULED):
        errors.add(GENERAL, _("Choose screening or unscheduled."))
    if kind == VisitKind.SCREENING and any(v.kind == VisitKind.SCREENING
                                           for v in participant.visits):
        errors.add(GENERAL, _("This child already has a screening visit."))
    if kind == VisitKind.UNSCHEDULED and not reason:
        errors.add("reason", _("Say why the unscheduled visit is needed."))
    errors.raise_if_any()
    first = participant.infusion(1)
    if kind == VisitKind.SCREENING:
        code, label = "SCR", "Screening (baseline)"
        due = first.date if first else participant.consent_date
        window = screening_window(due, ctx.study.schedule.screening)
    else:
        count = sum(1 for v in participant.visits if v.kind == VisitKind.UNSCHEDULED)
        code, label = f"U{count + 1:02d}", "Unscheduled"
        assert on is not None
        window = Window(on, on, on)
    anchor = participant.infusion(participant.anchor_infusion or 0)
    with audited(session, ctx.actor.username, reason or None), saving(session, participant,
                                                                      participant.code):
        visit = Visit(participant=participant, code=code, label=label, kind=VisitKind(kind),
                      status=VisitStatus.PLANNED, target_date=window.due, window_start=window.start,
                      window_end=window.end, suggested_date=window.due,
                      suggested_is_clinic_day=True,
                      anchor_infusion=anchor.number if anchor else None,
                      anchor_date=anchor.date if anchor else None)
        session.add(visit)
        session.commit()
    return visit
