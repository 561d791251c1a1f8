"""The use cases: enrol, record infusions, anchor and move follow-up, load the allocation list.

Views and the CLI call these; they never write models directly. Each use case validates first
(collecting every problem, so the nurse sees them all at once), then writes the change and its
audit rows in one transaction, or writes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from dateutil.relativedelta import relativedelta
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from edc.audit import audited
from edc.models import Allocation, Infusion, Participant, User, Visit, utcnow
from edc.schedule import (
    ClinicCalendar,
    PlannedVisit,
    Window,
    plan_visits,
    second_infusion_window,
)
from edc.study import Study

GENERAL = "__all__"


class Refused(Exception):
    """The input was refused; errors maps a form field (or GENERAL) to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(m for ms in errors.values() for m in ms))
        self.errors = errors


class Errors(dict[str, list[str]]):
    def add(self, name: str, message: str) -> None:
        self.setdefault(name, []).append(message)

    def raise_if_any(self) -> None:
        if self:
            raise Refused(dict(self))


def today(study: Study) -> date:
    """Today's date at the study site."""
    return datetime.now(study.tz).date()


def whole_years(born: date, on: date) -> int:
    return relativedelta(on, born).years


def _check_range(
    errors: Errors, name: str, label: str, value: float, unit: str, limits: tuple[float, float]
) -> None:
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


# Enrolment -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EnrolmentData:
    code: str
    date_of_birth: date
    sex: str
    weight_kg: float
    height_cm: float
    consent_date: date
    screening_egfr: float
    eligibility: dict[str, bool | None] = field(default_factory=dict)


def enrol(
    session: Session, study: Study, actor: User, data: EnrolmentData, on: date
) -> Participant:
    """Check eligibility, save the child and assign the next entry of the allocation list."""
    errors = Errors()
    rules = study.enrolment
    code = data.code.strip().upper()
    if not re.fullmatch(study.info.participant_code_pattern, code):
        errors.add(
            "code",
            _(
                "Got %(code)s. Expected a code like %(example)s.",
                code=data.code,
                example=study.info.participant_code_example,
            ),
        )
    elif session.scalar(select(Participant.id).where(Participant.code == code)):
        errors.add("code", _("%(code)s is already enrolled.", code=code))
    if data.consent_date > on:
        errors.add(
            "consent_date",
            _("The consent date %(day)s is in the future.", day=data.consent_date.isoformat()),
        )
    if data.date_of_birth >= data.consent_date:
        errors.add("date_of_birth", _("The date of birth must be before the consent date."))
    else:
        age = whole_years(data.date_of_birth, data.consent_date)
        if not rules.min_age_years <= age <= rules.max_age_years:
            errors.add(
                "date_of_birth",
                _(
                    "Not eligible: the child is %(age)s years old at consent; the study enrols "
                    "children aged %(low)s to %(high)s years.",
                    age=age,
                    low=rules.min_age_years,
                    high=rules.max_age_years,
                ),
            )
    _check_range(errors, "weight_kg", _("Weight"), data.weight_kg, "kg", rules.weight_kg_limits)
    _check_range(errors, "height_cm", _("Height"), data.height_cm, "cm", rules.height_cm_limits)
    _check_range(
        errors,
        "screening_egfr",
        _("eGFR"),
        data.screening_egfr,
        "mL/min/1.73m²",
        rules.screening_egfr_limits,
    )
    if "screening_egfr" not in errors and data.screening_egfr <= rules.screening_egfr_above:
        errors.add(
            "screening_egfr",
            _(
                "Not eligible: eGFR %(value)s mL/min/1.73m² is not above %(limit)s.",
                value=f"{data.screening_egfr:g}",
                limit=f"{rules.screening_egfr_above:g}",
            ),
        )
    for criterion in study.criteria:
        answer = data.eligibility.get(criterion.code)
        name = f"criterion_{criterion.code}"
        if answer is None:
            errors.add(name, _("Answer %(code)s.", code=criterion.code))
        elif answer != criterion.required_answer:
            errors.add(
                name,
                _("Not eligible: inclusion criterion %(code)s is not met.", code=criterion.code)
                if criterion.kind == "inclusion"
                else _("Not eligible: exclusion criterion %(code)s applies.", code=criterion.code),
            )
    errors.raise_if_any()

    with audited(session, actor.username, _("Enrolment")):
        participant = Participant(
            code=code,
            date_of_birth=data.date_of_birth,
            sex=data.sex,
            weight_kg=data.weight_kg,
            height_cm=data.height_cm,
            consent_date=data.consent_date,
            screening_egfr=data.screening_egfr,
            eligibility={c.code: bool(data.eligibility[c.code]) for c in study.criteria},
            status="enrolled",
        )
        session.add(participant)
        try:
            session.flush()
            assigned = _assign_next_allocation(session, participant)
        except IntegrityError:
            session.rollback()
            raise Refused({"code": [_("%(code)s is already enrolled.", code=code)]}) from None
        except StaleDataError:
            session.rollback()
            raise Refused(
                {
                    GENERAL: [
                        _(
                            "Another enrolment took the same allocation at the same moment. "
                            "Nothing was "
                            "saved; please save again."
                        )
                    ]
                }
            ) from None
        if not assigned:
            session.rollback()
            raise Refused(
                {
                    GENERAL: [
                        _(
                            "No allocation is left on the randomisation list, "
                            "so the child cannot be "
                            "enrolled. Nothing was saved. Ask the administrator to load the list."
                        )
                    ]
                }
            )
        session.commit()
    return participant


def _assign_next_allocation(session: Session, participant: Participant) -> bool:
    """Give the participant the lowest free sequence number of the concealed list."""
    entry = session.scalars(
        select(Allocation)
        .where(Allocation.participant_id.is_(None))
        .order_by(Allocation.sequence)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    if entry is None:
        return False
    entry.participant_id, entry.assigned_at = participant.id, utcnow()
    session.flush()  # the version check refuses an entry a concurrent enrolment took first
    return True


def can_see_allocation(user: User) -> bool:
    return user.role == "unblinded"


def arm_for(session: Session, user: User, participant: Participant) -> str:
    """The participant's arm: the one way to read it, and only for the unblinded role."""
    if not can_see_allocation(user):
        raise PermissionError(f"Role {user.role!r} may not see the allocation.")
    return session.scalars(
        select(Allocation.arm).where(Allocation.participant_id == participant.id)
    ).one()


def arms_by_participant(session: Session, user: User) -> dict[int, str]:
    """Arms of every allocated participant, for the unblinded role's list page."""
    if not can_see_allocation(user):
        raise PermissionError(f"Role {user.role!r} may not see the allocation.")
    rows = session.execute(
        select(Allocation.participant_id, Allocation.arm).where(
            Allocation.participant_id.is_not(None)
        )
    )
    return {pid: arm for pid, arm in rows}


# Infusions and the follow-up schedule ----------------------------------------------------------


@dataclass(frozen=True)
class InfusionData:
    date: date
    weight_kg: float
    product_lot: str
    volume_ml: float


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


class NeedsConfirmation(Exception):
    """Saving would move planned visits: show the moves and ask for a reason first."""

    def __init__(self, moves: list[VisitMove]) -> None:
        super().__init__(f"{len(moves)} planned visits would move")
        self.moves = moves


def load_participant(session: Session, participant_id: int) -> Participant | None:
    """The participant with infusions and visits, in three queries whatever the schedule size."""
    return session.scalars(
        select(Participant)
        .where(Participant.id == participant_id)
        .options(selectinload(Participant.infusions), selectinload(Participant.visits))
    ).first()


def planned_dose_cells(study: Study, weight_kg: float) -> float:
    return study.treatment.dose_cells_per_kg * weight_kg


def save_infusion(
    session: Session,
    study: Study,
    calendar: ClinicCalendar,
    actor: User,
    participant: Participant,
    number: int,
    data: InfusionData,
    on: date,
    reason: str = "",
    confirmed_date: date | None = None,
) -> Infusion:
    """Record or correct infusion 1 or 2; the second one anchors the eleven follow-up visits.

    A correction needs a reason. When it would move planned visits, NeedsConfirmation lists the
    moves and nothing is written until the caller confirms the moves for this very date.
    """
    existing = participant.infusion(number)
    first = participant.infusion(1)
    reason = reason.strip()
    errors = Errors()
    if data.date > on:
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
    _check_range(
        errors, "weight_kg", _("Weight"), data.weight_kg, "kg", study.enrolment.weight_kg_limits
    )
    _check_range(
        errors, "volume_ml", _("Volume"), data.volume_ml, "mL", study.treatment.volume_ml_limits
    )
    if not data.product_lot.strip():
        errors.add("product_lot", _("Enter the product lot."))
    errors.raise_if_any()

    becomes_anchor = number == 2 or participant.anchor_infusion == 1
    moves: list[VisitMove] = []
    if becomes_anchor and participant.visits:
        moves = [m for m in preview_moves(study, calendar, participant, data.date) if m.moves]
        if moves or participant.anchor_infusion != number:
            if confirmed_date != data.date:
                raise NeedsConfirmation(moves)
            if not reason:
                raise Refused({"reason": [_("Say why the follow-up visits move.")]})
    if existing is not None and not reason:
        raise Refused({"reason": [_("Say why the saved infusion is being changed.")]})

    with audited(session, actor.username, reason or None):
        infusion = existing or Infusion(participant=participant, number=number)
        infusion.date, infusion.weight_kg = data.date, data.weight_kg
        infusion.product_lot, infusion.volume_ml = data.product_lot.strip(), data.volume_ml
        infusion.dose_cells_per_kg = study.treatment.dose_cells_per_kg
        infusion.planned_cells = planned_dose_cells(study, data.weight_kg)
        session.add(infusion)
        _flag_second_infusion_window(study, participant)
        if becomes_anchor:
            if participant.visits:
                for move in moves:
                    _apply_plan(move.visit, move.new, number, data.date)
                for visit in participant.visits:
                    if visit.status == "planned":
                        visit.anchor_infusion = number
            else:
                _create_visits(session, study, calendar, participant, number, data.date)
            participant.anchor_infusion = number
            if number == 2:
                participant.anchor_reason = None
        session.commit()
    return infusion


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
    session: Session,
    study: Study,
    calendar: ClinicCalendar,
    actor: User,
    participant: Participant,
    reason: str,
) -> None:
    """Start follow-up from infusion 1 when the second will not be given."""
    reason = reason.strip()
    errors = Errors()
    if participant.infusion(1) is None:
        errors.add(GENERAL, _("Record infusion 1 first."))
    if participant.infusion(2) is not None or participant.visits:
        errors.add(GENERAL, _("Follow-up is already scheduled."))
    if not reason:
        errors.add("reason", _("Say why the second infusion is not given."))
    errors.raise_if_any()
    with audited(session, actor.username, reason):
        participant.anchor_infusion, participant.anchor_reason = 1, reason
        _create_visits(session, study, calendar, participant, 1, participant.infusion(1).date)
        session.commit()


def preview_moves(
    study: Study, calendar: ClinicCalendar, participant: Participant, anchor: date
) -> list[VisitMove]:
    """How each planned (not done, missed or cancelled) visit would move for a new day 0."""
    plans = {p.code: p for p in plan_visits(anchor, study.schedule, calendar)}
    return [
        VisitMove(v, plans[v.code])
        for v in participant.visits
        if v.status == "planned" and v.code in plans
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
        visit = Visit(participant=participant, code=plan.code, label=plan.label, status="planned")
        _apply_plan(visit, plan, anchor_infusion, anchor)
        session.add(visit)


def mark_visit_done(session: Session, actor: User, visit: Visit, actual: date) -> None:
    """Record that a visit took place on its actual date."""
    with audited(session, actor.username, None):
        visit.status, visit.actual_date = "done", actual
        session.commit()


# The concealed allocation list -----------------------------------------------------------------


def load_allocation(session: Session, study: Study, actor_name: str, text: str) -> int:
    """Load a randomisation list (CSV with columns sequence,arm); return how many rows."""
    import csv
    import io

    errors = Errors()
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or {"sequence", "arm"} - {f.strip() for f in reader.fieldnames}:
        raise Refused(
            {
                GENERAL: [
                    _(
                        "Got columns %(cols)s. Expected a header line: sequence,arm.",
                        cols=reader.fieldnames,
                    )
                ]
            }
        )
    arms = {a.code for a in study.arms}
    rows: dict[int, str] = {}
    for line, row in enumerate(reader, start=2):
        seq, arm = (row.get("sequence") or "").strip(), (row.get("arm") or "").strip()
        if not seq.isdigit() or int(seq) < 1:
            errors.add(
                GENERAL,
                _(
                    "Line %(line)s: got sequence %(seq)r. Expected a whole number ≥ 1.",
                    line=line,
                    seq=seq,
                ),
            )
        elif int(seq) in rows:
            errors.add(
                GENERAL, _("Line %(line)s: sequence %(seq)s appears twice.", line=line, seq=seq)
            )
        elif arm not in arms:
            errors.add(
                GENERAL,
                _(
                    "Line %(line)s: got an arm that is not one of the study's arm "
                    "codes (%(arms)s).",
                    line=line,
                    arms=", ".join(sorted(arms)),
                ),
            )
        else:
            rows[int(seq)] = arm
    if not rows and not errors:
        errors.add(GENERAL, _("The list is empty."))
    counts = {a: list(rows.values()).count(a) for a in arms}
    if rows and len(set(counts.values())) != 1:
        errors.add(
            GENERAL,
            _(
                "The list is not balanced 1:1 across the arms; it holds %(n)s "
                "entries with unequal arm counts.",
                n=len(rows),
            ),
        )
    taken = set(session.scalars(select(Allocation.sequence).where(Allocation.sequence.in_(rows))))
    if taken:
        errors.add(
            GENERAL,
            _(
                "Sequence numbers already loaded: %(seqs)s.",
                seqs=", ".join(str(s) for s in sorted(taken)),
            ),
        )
    errors.raise_if_any()
    with audited(session, actor_name, _("Allocation list loaded")):
        session.add_all(Allocation(sequence=seq, arm=arm) for seq, arm in sorted(rows.items()))
        session.commit()
    return len(rows)
