"""Enrol a child: eligibility checks, then the next entry of the concealed allocation list."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from edc.models import Participant
from edc.protocol.codes import ParticipantStatus
from edc.services.allocation import assign_next_allocation
from edc.services.base import (
    GENERAL,
    HORIZON,
    N_,
    Context,
    Errors,
    Refused,
    audited,
    check_measure,
    check_range,
    whole_years,
)
from edc.services.language import label_of


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
    measures_confirmed: bool = False


def _taken(code: str) -> str:
    """The refusal of a code another child has (entered before, or at the same moment)."""
    return _("%(code)s is taken: another child was enrolled with this code. Check the code on "
             "the consent form.", code=code)


def enrol(ctx: Context, data: EnrolmentData) -> Participant:
    """Check eligibility, save the child and assign the next entry of the allocation list."""
    session, study, on = ctx.session, ctx.study, ctx.today
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
        errors.add("code", _taken(code))
    if data.consent_date > on:
        errors.add(
            "consent_date",
            _("The consent date %(day)s is in the future.", day=data.consent_date.isoformat()),
        )
    elif data.consent_date < on - HORIZON:
        # Screening takes the 28 days before infusion 1: a consent a year old is a slip of the
        # year (or a consent to take again), and would plan a schedule long past.
        errors.add(
            "consent_date",
            _("The consent date %(day)s is more than a year ago. Check the year: the earliest "
              "is %(earliest)s.", day=data.consent_date.isoformat(),
              earliest=(on - HORIZON).isoformat()),
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
    for name, key, label, value in (("weight_kg", "weight", _("Weight"), data.weight_kg),
                                     ("height_cm", "height", _("Height"), data.height_cm)):
        check_measure(errors, study, name, key, label, value, data.measures_confirmed,
                      "confirm_measures")
    egfr_unit = study.results.by_role("egfr_lab").canonical_unit  # the lab eGFR's unit and range
    check_range(errors, "screening_egfr", _("eGFR"), data.screening_egfr, label_of(egfr_unit),
                egfr_unit.block)
    if "screening_egfr" not in errors and data.screening_egfr <= rules.screening_egfr_above:
        errors.add(
            "screening_egfr",
            _(
                "Not eligible: eGFR %(value)s %(unit)s is not above %(limit)s.",
                value=f"{data.screening_egfr:g}",
                unit=label_of(egfr_unit),
                limit=f"{rules.screening_egfr_above:g}",
            ),
        )
    for criterion in study.criteria:
        answer = data.eligibility.get(criterion.code)
        name = criterion.key
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

    with audited(session, ctx.actor.username, N_("Enrolment")):
        participant = Participant(
            code=code,
            date_of_birth=data.date_of_birth,
            sex=data.sex,
            weight_kg=data.weight_kg,
            height_cm=data.height_cm,
            consent_date=data.consent_date,
            screening_egfr=data.screening_egfr,
            eligibility={c.code: bool(data.eligibility[c.code]) for c in study.criteria},
            status=ParticipantStatus.ENROLLED,
        )
        session.add(participant)
        try:
            session.flush()
            assigned = assign_next_allocation(session, participant)
        except IntegrityError:
            session.rollback()
            raise Refused({"code": [_taken(code)]}) from None
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
