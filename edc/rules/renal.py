"""Compute renal measures: eGFR (bedside Schwartz, CKiD U25), BSA, CKD stage, remission status.

Pure: standard library only, no other edc module. Inputs come in the units the equations need
(creatinine mg/dL, cystatin C mg/L, height cm, weight kg); converting what the lab reported is
edc.rules.numbers' job. Outcome thresholds are required parameters: their only copy is
forms/outcomes.toml (edc.protocol.outcomes), which the caller passes in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Literal

from edc.protocol.codes import Sex

DAYS_PER_YEAR = 365.25
BEDSIDE_SCHWARTZ_K = 41.3

# "not_assessable": a value but no baseline to judge it against (PROTOCOL: never "no remission").
ProteinuriaStatus = Literal["complete", "partial", "none", "not_assessable"]
ReferenceMethod = Literal["u25_combined", "u25_creatinine", "u25_cystatin"]
# The equations in the protocol's order of preference: combined when cystatin C is present, else
# creatinine; cystatin C alone only when there is no creatinine eGFR.
EQUATIONS: tuple[ReferenceMethod, ...] = ("u25_combined", "u25_creatinine", "u25_cystatin")

# Equality within this relative tolerance counts as reaching a threshold: 110 vs 100 * 1.1 must be
# "exactly 10 %", but binary floating point makes 100 * 1.1 = 110.00000000000001.
_REL_TOL = 1e-9


def _require_positive(name: str, value: float, unit: str) -> None:
    if not value > 0:  # written so that NaN fails too
        raise ValueError(f"Got {name} {value} {unit}. Expected a value above 0.")


def _require_non_negative(name: str, value: float, unit: str) -> None:
    if not value >= 0:  # written so that NaN fails too
        raise ValueError(f"Got {name} {value} {unit}. Expected a value of 0 or more.")


def _require_sex_and_age(sex: str, age_years: float) -> None:
    if sex not in tuple(Sex):
        raise ValueError(f"Got sex '{sex}'. Expected '{Sex.MALE}' or '{Sex.FEMALE}'.")
    if not age_years >= 0:
        raise ValueError(f"Got age {age_years} years. Expected an age of 0 or more.")


def _at_least(value: float, limit: float) -> bool:
    return value >= limit or math.isclose(value, limit, rel_tol=_REL_TOL)


def age_in_years(date_of_birth: date, on: date) -> float:
    """Return the age on a date in decimal years (days / 365.25), as the U25 equations expect."""
    if on < date_of_birth:
        raise ValueError(
            f"Got date {on.isoformat()} before date of birth {date_of_birth.isoformat()}. "
            "Expected a date on or after the birth date."
        )
    return (on - date_of_birth).days / DAYS_PER_YEAR


def bsa_mosteller(weight_kg: float, height_cm: float) -> float:
    """Return body surface area in m² by Mosteller: sqrt(weight_kg * height_cm / 3600)."""
    _require_positive("weight", weight_kg, "kg")
    _require_positive("height", height_cm, "cm")
    return math.sqrt(weight_kg * height_cm / 3600)


def protein_per_m2_per_hour(protein_mg_24h: float, bsa_m2: float) -> float:
    """Return 24-hour urine protein in mg/m²/h: mg/24h / (BSA * 24)."""
    _require_non_negative("24-h urine protein", protein_mg_24h, "mg/24h")
    _require_positive("body surface area", bsa_m2, "m²")
    return protein_mg_24h / (bsa_m2 * 24)


def protein_per_kg(protein_mg_24h: float, weight_kg: float) -> float:
    """Return 24-hour urine protein in mg/kg/24h."""
    _require_non_negative("24-h urine protein", protein_mg_24h, "mg/24h")
    _require_positive("weight", weight_kg, "kg")
    return protein_mg_24h / weight_kg


def egfr_bedside_schwartz(height_cm: float, creatinine_mg_dl: float) -> float:
    """Return bedside Schwartz 2009 eGFR in mL/min/1.73m²: 41.3 * height_m / SCr."""
    _require_positive("height", height_cm, "cm")
    _require_positive("serum creatinine", creatinine_mg_dl, "mg/dL")
    return BEDSIDE_SCHWARTZ_K * (height_cm / 100) / creatinine_mg_dl


def k_creatinine(sex: str, age_years: float) -> float:
    """Return the CKiD U25 creatinine constant K_cr for sex and age (Pierce 2021)."""
    _require_sex_and_age(sex, age_years)
    if sex == Sex.MALE:
        if age_years < 12:
            return 39.0 * 1.008 ** (age_years - 12)
        if age_years < 18:
            return 39.0 * 1.045 ** (age_years - 12)
        return 50.8
    if age_years < 12:
        return 36.1 * 1.008 ** (age_years - 12)
    if age_years < 18:
        return 36.1 * 1.023 ** (age_years - 12)
    return 41.4


def k_cystatin(sex: str, age_years: float) -> float:
    """Return the CKiD U25 cystatin C constant K_cys for sex and age (Pierce 2021)."""
    _require_sex_and_age(sex, age_years)
    # The male curve bends at 15, the female one at 12; both are flat from 18.
    if sex == Sex.MALE:
        if age_years < 15:
            return 87.2 * 1.011 ** (age_years - 15)
        if age_years < 18:
            return 87.2 * 0.960 ** (age_years - 15)
        return 77.1
    if age_years < 12:
        return 79.9 * 1.004 ** (age_years - 12)
    if age_years < 18:
        return 79.9 * 0.974 ** (age_years - 12)
    return 68.3


def egfr_u25_creatinine(
    sex: str, age_years: float, height_cm: float, creatinine_mg_dl: float
) -> float:
    """Return CKiD U25 creatinine eGFR in mL/min/1.73m²: K_cr * height_m / SCr."""
    k = k_creatinine(sex, age_years)
    _require_positive("height", height_cm, "cm")
    _require_positive("serum creatinine", creatinine_mg_dl, "mg/dL")
    return k * (height_cm / 100) / creatinine_mg_dl


def egfr_u25_cystatin(sex: str, age_years: float, cystatin_mg_l: float) -> float:
    """Return CKiD U25 cystatin C eGFR in mL/min/1.73m²: K_cys / CysC."""
    k = k_cystatin(sex, age_years)
    _require_positive("cystatin C", cystatin_mg_l, "mg/L")
    return k / cystatin_mg_l


def egfr_u25_combined(
    sex: str, age_years: float, height_cm: float, creatinine_mg_dl: float, cystatin_mg_l: float
) -> float:
    """Return CKiD U25 combined eGFR: the mean of the creatinine and cystatin C equations."""
    creatinine = egfr_u25_creatinine(sex, age_years, height_cm, creatinine_mg_dl)
    cystatin = egfr_u25_cystatin(sex, age_years, cystatin_mg_l)
    return (creatinine + cystatin) / 2


def ckd_stage(egfr: float) -> str:
    """Return the KDIGO GFR category (G1-G5) of an unrounded eGFR; lower bounds are inclusive."""
    if math.isnan(egfr):
        raise ValueError("Got eGFR nan. Expected a number.")
    # Unrounded on purpose: 89.99 is G2 even though a report would print it as 90.
    for lower, stage in ((90, "G1"), (60, "G2"), (45, "G3a"), (30, "G3b"), (15, "G4")):
        if egfr >= lower:
            return stage
    return "G5"


def percent_difference(lab_egfr: float, computed_egfr: float) -> float:
    """Return (lab - computed) as a signed percentage of the computed eGFR."""
    _require_positive("computed eGFR", computed_egfr, "mL/min/1.73m²")
    return (lab_egfr - computed_egfr) / computed_egfr * 100


def differs_by_at_least(lab_egfr: float, computed_egfr: float, percent: float) -> bool:
    """Tell whether the lab eGFR is percent or more away from the computed one, either way."""
    # ">= 20 %": a difference of exactly 20 % (to float noise) is flagged.
    return _at_least(abs(percent_difference(lab_egfr, computed_egfr)), percent)


def proteinuria_status(
    upcr: float | None,
    baseline_upcr: float | None,
    unit: str,
    *,
    complete: float,
    upper: float,
    fall_percent: float,
) -> ProteinuriaStatus | None:
    """Classify a UPCR as complete / partial / no remission, or None when the value is missing.

    upcr, baseline_upcr and the thresholds are in the same unit, the one the lab reported
    (0.2 mg/mg pairs with 20 mg/mmol, not 22.6): a baseline reported in another unit is converted
    by the caller. Without a baseline the outcome is "not_assessable" whatever the value
    (PROTOCOL.md): a remission is judged against the child's proteinuria before treatment.
    """
    if upcr is None:
        return None
    _require_non_negative("UPCR", upcr, unit)
    if baseline_upcr is None:
        return "not_assessable"
    if upcr <= complete:
        return "complete"
    if upcr >= upper:
        return "none"
    _require_non_negative("baseline UPCR", baseline_upcr, unit)
    if baseline_upcr > 0 and _at_least((baseline_upcr - upcr) / baseline_upcr * 100, fall_percent):
        return "partial"
    return "none"


def hematuria_remission(
    rbc: float | None,
    unit: str,
    *,
    limit: float,
    too_numerous_to_count: bool = False,
) -> bool | None:
    """Tell whether a urine RBC count is at or below limit (in unit), or None when it is missing.

    A qualitative "too numerous to count" result is passed as rbc=None, too_numerous_to_count=True:
    it is never a remission. Counts per HPF (microscopy) and per uL (analyser) are different tests
    with their own limit; there is no conversion between them.
    """
    if too_numerous_to_count:
        if rbc is not None:
            raise ValueError(
                f"Got urine RBC {rbc} {unit} marked too numerous to count. "
                "Expected either a count or the flag, not both."
            )
        return False
    if rbc is None:
        return None
    _require_non_negative("urine RBC", rbc, unit)
    return rbc <= limit


def renal_function_improved(
    egfr: float | None, baseline_egfr: float | None, threshold_percent: float
) -> bool | None:
    """Tell whether eGFR is at least threshold_percent above baseline; None if either is missing."""
    if egfr is None or baseline_egfr is None:
        return None
    _require_positive("baseline eGFR", baseline_egfr, "mL/min/1.73m²")
    return _at_least((egfr - baseline_egfr) / baseline_egfr * 100, threshold_percent)


@dataclass(frozen=True)
class RenalSummary:
    """Everything computable for one sample; None where an input was missing."""

    age_years: float | None
    bsa_m2: float | None
    protein_mg_m2_h: float | None
    protein_mg_kg_24h: float | None
    egfr_bedside_schwartz: float | None
    egfr_u25_creatinine: float | None
    egfr_u25_cystatin: float | None
    egfr_u25_combined: float | None
    reference_method: ReferenceMethod | None
    egfr_reference: float | None
    ckd_stage: str | None
    lab_egfr: float | None
    lab_percent_difference: float | None  # signed, relative to egfr_reference
    lab_differs: bool | None  # lab eGFR lab_difference_percent or more from the reference


def summarise(
    sex: str | None,
    date_of_birth: date | None,
    sample_date: date | None,
    height_cm: float | None,
    weight_kg: float | None,
    creatinine_mg_dl: float | None,
    cystatin_mg_l: float | None,
    protein_mg_24h: float | None,
    lab_egfr: float | None,
    *,
    lab_difference_percent: float,
) -> RenalSummary:
    """Compute every renal measure the inputs allow and pick the reference eGFR."""
    age = None
    if date_of_birth is not None and sample_date is not None:
        age = age_in_years(date_of_birth, sample_date)
    bsa = None
    if weight_kg is not None and height_cm is not None:
        bsa = bsa_mosteller(weight_kg, height_cm)
    per_m2 = per_kg = None
    if protein_mg_24h is not None and bsa is not None:
        per_m2 = protein_per_m2_per_hour(protein_mg_24h, bsa)
    if protein_mg_24h is not None and weight_kg is not None:
        per_kg = protein_per_kg(protein_mg_24h, weight_kg)
    bedside = None
    if height_cm is not None and creatinine_mg_dl is not None:
        bedside = egfr_bedside_schwartz(height_cm, creatinine_mg_dl)
    u25_cr = u25_cys = None
    if sex is not None and age is not None:
        if height_cm is not None and creatinine_mg_dl is not None:
            u25_cr = egfr_u25_creatinine(sex, age, height_cm, creatinine_mg_dl)
        if cystatin_mg_l is not None:
            u25_cys = egfr_u25_cystatin(sex, age, cystatin_mg_l)
    combined = None if u25_cr is None or u25_cys is None else (u25_cr + u25_cys) / 2
    # Protocol: combined when cystatin C is present, else creatinine. With cystatin C alone (no
    # creatinine) the cystatin equation is the only U25 estimate, so it stands in, labelled as such.
    method: ReferenceMethod | None = None
    reference = None
    if combined is not None:
        method, reference = "u25_combined", combined
    elif u25_cr is not None:
        method, reference = "u25_creatinine", u25_cr
    elif u25_cys is not None:
        method, reference = "u25_cystatin", u25_cys
    difference = differs = None
    if lab_egfr is not None and reference is not None:
        difference = percent_difference(lab_egfr, reference)
        differs = differs_by_at_least(lab_egfr, reference, lab_difference_percent)
    return RenalSummary(
        age_years=age,
        bsa_m2=bsa,
        protein_mg_m2_h=per_m2,
        protein_mg_kg_24h=per_kg,
        egfr_bedside_schwartz=bedside,
        egfr_u25_creatinine=u25_cr,
        egfr_u25_cystatin=u25_cys,
        egfr_u25_combined=combined,
        reference_method=method,
        egfr_reference=reference,
        ckd_stage=None if reference is None else ckd_stage(reference),
        lab_egfr=lab_egfr,
        lab_percent_difference=difference,
        lab_differs=differs,
    )


def egfr_by(summary: RenalSummary, method: ReferenceMethod) -> float | None:
    """Return a summary's eGFR by one equation, or None when it could not be computed."""
    return {
        "u25_combined": summary.egfr_u25_combined,
        "u25_creatinine": summary.egfr_u25_creatinine,
        "u25_cystatin": summary.egfr_u25_cystatin,
    }[method]


@dataclass(frozen=True)
class EgfrComparison:
    """A visit's eGFR against the baseline eGFR by the same equation."""

    method: ReferenceMethod
    egfr: float
    baseline_egfr: float
    percent_change: float
    improved: bool


def compare_egfr(
    visit: RenalSummary, baseline: RenalSummary, threshold_percent: float
) -> EgfrComparison | None:
    """Compare like with like: the first equation of EQUATIONS that both samples have.

    A visit with creatinine and cystatin C against a baseline with creatinine only compares the
    creatinine eGFRs; the other way round too. None when no equation is common to both (say a
    visit with creatinine only against a baseline with cystatin C only): not assessable.
    """
    for method in EQUATIONS:
        now, before = egfr_by(visit, method), egfr_by(baseline, method)
        if now is not None and before is not None:
            improved = renal_function_improved(now, before, threshold_percent)
            assert improved is not None  # both values are given
            return EgfrComparison(method, now, before, (now - before) / before * 100, improved)
    return None
