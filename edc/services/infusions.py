"""Record the two infusions; plan, anchor and move the follow-up visits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from edc.models import Infusion, Participant, Visit
from edc.protocol.codes import VisitKind, VisitStatus
from edc.protocol.study import Study
from edc.rules.schedule import (
    ClinicCalendar,
    PlannedVisit,
    Window,
    plan_visits,
    second_infusion_window,
)
from edc.rules.worklist import missing_results
from edc.services.base import (
    GENERAL,
    WEIGHT_CHANGE_PERCENT,
    Context,
    Errors,
    Refused,
    audited,
    check_measure,
    check_range,
    check_version,
    saving,
)
from edc.services.booking import judge_booking

# The version a form opened on an infusion not yet recorded carries: a save from it is refused
# when someone recorded the infusion meanwhile, instead of correcting what they saved.
NOT_RECORDED = 0


@dataclass(frozen=True)
class InfusionData:
    date: date
    weight_kg: float
    product_lot: str
    volume_ml: float
    weight_confirmed: bool = False


@dataclass(frozen=True)
class VisitMove:
    """One visit's planned dates before and after a change of day 0."""

    visit: Visit
    new: PlannedVisit

    @property
    def moves(self) -> bool:
        v, n = self.visit, self.new
        return (v.target_date, v.window_start, v.window_end, v.suggested_date) != (
            n.target,
            n.window_start,
            n.window_end,
            n.suggested,
        )

    @property
    def booked_outside_new_window(self) -> bool:
        """A booking kept through the move that falls outside the new window."""
        day = self.visit.booked_date
        return day is not None and not self.new.window_start <= day <= self.new.window_end

    @property
    def done_outside_new_window(self) -> bool:
        """A visit already done whose date falls outside the window of the new day 0."""
        day = self.visit.actual_date
        return day is not None and not self.new.window_start <= day <= self.new.window_end


class NeedsConfirmation(Exception):
    """Saving would move planned visits: show the moves and ask for a reason first.

    `kept` lists the visits already done, which keep their dates, each with the window it would
    have for the new day 0, so a visit that now falls outside it is seen before saving.
    """

    def __init__(self, moves: list[VisitMove], kept: list[VisitMove]) -> None:
        super().__init__(f"{len(moves)} planned visits would move")
        self.moves, self.kept = moves, kept


def planned_dose_cells(study: Study, weight_kg: float) -> float:
    return study.treatment.dose_cells_per_kg * weight_kg


def save_infusion(
    ctx: Context,
    participant: Participant,
    number: int,
    data: InfusionData,
    reason: str = "",
    confirmed_date: date | None = None,
    expected_version: int | None = None,
) -> Infusion:
    """Record or correct infusion 1 or 2; the second one anchors the eleven follow-up visits.

    A correction needs a reason. When it would move planned visits, NeedsConfirmation lists the
    moves and nothing is written until the caller confirms the moves for this very date.
    """
    session, study, calendar = ctx.session, ctx.study, ctx.calendar
    existing = participant.infusion(number)
    if existing is not None and expected_version == NOT_RECORDED:
        raise Refused({GENERAL: [_(
            "Infusion %(n)s was recorded by someone else after you opened this form: %(day)s, "
            "%(weight)s kg, lot %(lot)s, %(volume)s mL. Nothing was saved; what you typed is "
            "still in the form. To change what is stored, give a reason and save again.",
            n=number, day=existing.date.isoformat(), weight=f"{existing.weight_kg:g}",
            lot=existing.product_lot, volume=f"{existing.volume_ml:g}")]})
    if existing is not None and expected_version is not None and (
            existing.version != expected_version):
        raise Refused({GENERAL: [_(
            "Infusion %(n)s was changed by someone else after you opened this form. Nothing was "
            "saved: open the infusion again to see what is stored now.", n=number)]})
    first = participant.infusion(1)
    reason = reason.strip()
    errors = Errors()
    if data.date > ctx.today:
        errors.add("date", _("The infusion date %(day)s is in the future.", day=data.date))
    if data.date < participant.consent_date:
        errors.add(
            "date",
            _(
                "The infusion date is before the consent date (%(day)s).",
                day=participant.consent_date,
            ),
        )
    if number == 2:
        if first is None:
            errors.add(GENERAL, _("Record infusion 1 first."))
        elif data.date <= first.date:
            errors.add("date", _("Infusion 2 must be after infusion 1 (%(day)s).", day=first.date))
    if number == 1 and participant.infusion(2) and data.date >= participant.infusion(2).date:
        errors.add(
            "date",
            _("Infusion 1 must be before infusion 2 (%(day)s).", day=participant.infusion(2).date),
        )
    screening = next((v for v in participant.visits if v.kind == VisitKind.SCREENING
                      and v.actual_date is not None), None)
    if number == 1 and screening is not None and data.date < screening.actual_date:
        # Baseline is the last value before infusion 1: an infusion before the screening
        # sample would leave the child without one, so one of the two dates is wrong.
        errors.add("date", _(
            "The screening sample was taken on %(sample)s, after this infusion date: baseline "
            "labs come before infusion 1. Check the infusion date, or correct the screening "
            "sample date first.", sample=screening.actual_date.isoformat()))
    # A weight already saved (and so already looked at) needs no new confirmation.
    weight_seen = data.weight_confirmed or (existing is not None
                                            and existing.weight_kg == data.weight_kg)
    check_measure(errors, study, "weight_kg", "weight", _("Weight"), data.weight_kg,
                  weight_seen, "confirm_weight")
    if not weight_seen:
        _check_weight_change(errors, participant, number, data)
    check_range(
        errors, "volume_ml", _("Volume"), data.volume_ml, "mL", study.treatment.volume_ml_limits
    )
    if not data.product_lot.strip():
        errors.add("product_lot", _("Enter the product lot."))
    errors.raise_if_any()

    becomes_anchor = number == 2 or participant.anchor_infusion == 1
    # Screening and unscheduled visits are not follow-up: only scheduled visits move.
    has_follow_up = bool(participant.follow_up)
    planned: list[VisitMove] = []
    if becomes_anchor and has_follow_up:
        planned = preview_moves(study, calendar, participant, data.date)
        moves = [m for m in planned if m.moves]
        if moves or participant.anchor_infusion != number:
            if confirmed_date != data.date:
                kept = preview_moves(study, calendar, participant, data.date,
                                     statuses=(VisitStatus.DONE, VisitStatus.MISSED))
                raise NeedsConfirmation(moves, kept)
            if existing is None and not reason:
                # A first recording asks for no reason: what it moves is said for it.
                reason = _("Infusion %(n)s recorded: follow-up now counts from it.", n=number)
            if not reason:
                raise Refused({"reason": [_("Say why the follow-up visits move.")]})
    if existing is not None and not reason and _changes(existing, data):
        raise Refused({"reason": [_("Say why the saved infusion is being changed.")]})

    # Two first recordings at the same moment: the second finds the number taken.
    with audited(session, ctx.actor.username, reason or None), saving(
            session, participant, participant.code):
        infusion = existing or Infusion(participant=participant, number=number)
        infusion.date, infusion.weight_kg = data.date, data.weight_kg
        infusion.product_lot, infusion.volume_ml = data.product_lot.strip(), data.volume_ml
        infusion.dose_cells_per_kg = study.treatment.dose_cells_per_kg
        infusion.planned_cells = planned_dose_cells(study, data.weight_kg)
        session.add(infusion)
        _flag_second_infusion_window(study, participant)
        if number == 1:
            _rejudge_screening(study, participant)
        if becomes_anchor:
            if has_follow_up:
                # Every planned visit counts from the new day 0, even one whose dates stay.
                for move in planned:
                    _apply_plan(move.visit, move.new, number, data.date)
                    if move.visit.booked_date is not None:  # judged again in its new window
                        judge_booking(move.visit, calendar)
                # A visit done or missed keeps the day it took place, but its window is the
                # protocol's for the new day 0: a sample is judged against that window.
                for kept in preview_moves(study, calendar, participant, data.date,
                                          statuses=(VisitStatus.DONE, VisitStatus.MISSED)):
                    _apply_plan(kept.visit, kept.new, number, data.date)
                    if kept.visit.actual_date is not None:
                        kept.visit.sample_deviation_days = kept.visit.sample_deviation(
                            study.schedule.screening, kept.visit.actual_date)
            else:
                _create_visits(session, study, calendar, participant, number, data.date)
            participant.anchor_infusion = number
            if number == 2:
                participant.anchor_reason = None
        session.commit()
    return infusion


def _changes(infusion: Infusion, data: InfusionData) -> bool:
    return (infusion.date, infusion.weight_kg, infusion.product_lot, infusion.volume_ml) != (
        data.date, data.weight_kg, data.product_lot.strip(), data.volume_ml)


def _check_weight_change(errors: Errors, participant: Participant, number: int,
                         data: InfusionData) -> None:
    """The dose follows the weight: one far from the last recorded weight needs a second look."""
    if "weight_kg" in errors or "confirm_weight" in errors:
        return
    earlier = participant.infusion(1) if number == 2 else None
    last, when = ((earlier.weight_kg, earlier.date) if earlier
                  else (participant.weight_kg, participant.consent_date))
    change = (data.weight_kg - last) / last * 100
    if abs(change) > WEIGHT_CHANGE_PERCENT:
        errors.add("confirm_weight", _(
            "Weight %(value)s kg is %(change)s %% from the %(last)s kg recorded on %(day)s, and "
            "the dose follows it. Check it and tick the box to save it.",
            value=f"{data.weight_kg:g}", change=f"{change:+.0f}", last=f"{last:g}",
            day=when.isoformat()))


def _rejudge_screening(study: Study, participant: Participant) -> None:
    """Screening is the days before infusion 1 (schedule.toml): its window follows that
    infusion's date."""
    for visit in participant.visits:
        if visit.kind == VisitKind.SCREENING:
            window = visit.sample_window(study.schedule.screening)
            visit.target_date, visit.window_start, visit.window_end = (
                window.due, window.start, window.end)
            visit.suggested_date = window.due
            if visit.actual_date is not None:
                visit.sample_deviation_days = visit.sample_deviation(study.schedule.screening,
                                                                     visit.actual_date)


def _flag_second_infusion_window(study: Study, participant: Participant) -> None:
    first, second = participant.infusion(1), participant.infusion(2)
    if first and second:
        window = second_infusion_window(first.date, study.schedule.second_infusion)
        second.window_deviation_days = window.offset(second.date)


def second_infusion_due(study: Study, participant: Participant) -> Window | None:
    """The second infusion's window, once the first is recorded."""
    first = participant.infusion(1)
    return second_infusion_window(first.date, study.schedule.second_infusion) if first else None


def anchor_on_first_infusion(
    ctx: Context, participant: Participant, reason: str, *, expected_version: int | None = None
) -> None:
    """Start follow-up from infusion 1 when the second will not be given."""
    session = ctx.session
    check_version(session, participant, expected_version, participant.code)
    reason = reason.strip()
    errors = Errors()
    if participant.infusion(1) is None:
        errors.add(GENERAL, _("Record infusion 1 first."))
    if participant.infusion(2) is not None or participant.follow_up:
        errors.add(GENERAL, _("Follow-up is already scheduled."))
    if not reason:
        errors.add("reason", _("Say why the second infusion is not given."))
    errors.raise_if_any()
    with audited(session, ctx.actor.username, reason), saving(session, participant,
                                                              participant.code):
        participant.anchor_infusion, participant.anchor_reason = 1, reason
        _create_visits(session, ctx.study, ctx.calendar, participant, 1,
                       participant.infusion(1).date)
        session.commit()


def preview_moves(
    study: Study,
    calendar: ClinicCalendar,
    participant: Participant,
    anchor: date,
    statuses: tuple[str, ...] = (VisitStatus.PLANNED,),
) -> list[VisitMove]:
    """Each scheduled visit of these statuses with its plan for a new day 0."""
    plans = {p.code: p for p in plan_visits(anchor, study.schedule, calendar)}
    return [
        VisitMove(v, plans[v.code])
        for v in participant.visits
        if v.status in statuses and v.code in plans
    ]


def _apply_plan(visit: Visit, plan: PlannedVisit, anchor_infusion: int, anchor: date) -> None:
    visit.target_date, visit.window_start, visit.window_end = (
        plan.target,
        plan.window_start,
        plan.window_end,
    )
    visit.suggested_date, visit.suggested_is_clinic_day = (
        plan.suggested,
        plan.suggested_is_clinic_day,
    )
    visit.anchor_infusion, visit.anchor_date = anchor_infusion, anchor


def _create_visits(
    session: Session,
    study: Study,
    calendar: ClinicCalendar,
    participant: Participant,
    anchor_infusion: int,
    anchor: date,
) -> None:
    for plan in plan_visits(anchor, study.schedule, calendar):
        visit = Visit(participant=participant, code=plan.code, label=plan.label,
                      status=VisitStatus.PLANNED)
        _apply_plan(visit, plan, anchor_infusion, anchor)
        session.add(visit)


def mark_visit_done(ctx: Context, visit: Visit, actual: date) -> None:
    """Record that a visit took place on its actual date."""
    with audited(ctx.session, ctx.actor.username, None):
        visit.status, visit.actual_date = VisitStatus.DONE, actual
        visit.results_missing = missing_results(ctx.study.results,
                                                {r.field for r in visit.results})
        ctx.session.commit()
