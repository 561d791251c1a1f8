"""Lay out a participant's kidney results over time: baseline, change, eGFR, remission, charts.

Pure: the standard library, edc.protocol and other pure rules and formats (no Flask, no
SQLAlchemy). The web layer turns stored results into VisitResults; this module applies the
PROTOCOL's outcome definitions to them. Baseline = the last value before the first infusion.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Literal

from edc.protocol.crf import RESULT_ROLES, ResultsForm
from edc.protocol.outcomes import RBC_UNITS, UPCR_UNITS, Outcomes
from edc.rules import renal

EGFR_UNIT = "mL/min/1.73m²"

# The inputs of renal.summarise, by results role; each is read in its role's unit.
_SUMMARY_ROLES = ("creatinine", "cystatin_c", "height", "weight", "protein_24h", "egfr_lab")


@dataclass(frozen=True)
class Measurement:
    """One stored result: value in the stored unit, plus what the lab reported.

    For converted fields `unit` is the canonical unit ("umol/L", "mg/mg"); urine RBC keeps "/HPF"
    or "/uL", two tests that are never converted. A qualitative result ("too numerous to count")
    has value None and a qualifier; a test not done has not_done True and no value.
    """

    key: str
    value: float | None
    unit: str
    typed_value: float | None
    typed_unit: str
    qualifier: str | None = None
    not_done: bool = False

    @property
    def is_number(self) -> bool:
        """Tell whether this is a numeric result (not missing, qualitative or not done)."""
        return self.value is not None and self.qualifier is None and not self.not_done

    @property
    def is_result(self) -> bool:
        """Tell whether anything was recorded: a number or a qualitative result."""
        return not self.not_done and (self.value is not None or self.qualifier is not None)


@dataclass(frozen=True)
class VisitResults:
    """The results of one visit (scheduled, screening or unscheduled), keyed by field key."""

    code: str
    label: str
    sample_date: date | None  # None: no sample yet (such a visit is left out of the trend)
    measurements: Mapping[str, Measurement]


@dataclass(frozen=True)
class Baseline:
    """A baseline measurement and the visit it came from."""

    measurement: Measurement
    code: str
    sample_date: date


@dataclass(frozen=True)
class Change:
    """Change from baseline: absolute in the stored unit; percent None when the baseline is 0."""

    absolute: float
    percent: float | None


HematuriaStatus = Literal["remission", "none", "not_assessable"]
RenalFunctionStatus = Literal["improved", "not_improved", "not_assessable"]


@dataclass(frozen=True)
class TrendRow:
    """One visit with a sample date: its results, change from baseline, eGFR and outcomes.

    baseline_period rows (sample on or before the first infusion, or every row when there is
    no infusion yet) have no changes and no outcomes. An outcome is None when the visit has no
    value for it, and "not_assessable" when it has one but there is no baseline to judge it by.
    `summary` holds the computed eGFRs: egfr_reference (U25 combined when cystatin C is present,
    else U25 creatinine), reference_method, ckd_stage and lab_differs (lab eGFR at least the
    study's lab_difference_percent away). `egfr_comparison` says which equation was compared
    with the baseline for renal function, and the two values.
    """

    code: str
    label: str
    sample_date: date
    baseline_period: bool
    measurements: Mapping[str, Measurement]
    changes: Mapping[str, Change]  # only keys whose change is computable
    summary: renal.RenalSummary
    proteinuria: renal.ProteinuriaStatus | None
    hematuria: HematuriaStatus | None
    renal_function: RenalFunctionStatus | None
    egfr_comparison: renal.EgfrComparison | None = None

    def change(self, key: str) -> Change | None:
        """Return the change from baseline of one field, or None when it cannot be computed."""
        return self.changes.get(key)

    @property
    def hematuria_remission(self) -> bool | None:
        """True or False when assessed; None when missing or not assessable."""
        return {"remission": True, "none": False}.get(self.hematuria or "")

    @property
    def renal_improved(self) -> bool | None:
        """True or False when assessed; None when missing or not assessable."""
        return {"improved": True, "not_improved": False}.get(self.renal_function or "")

    @property
    def egfr_compared(self) -> renal.ReferenceMethod | None:
        """The equation compared with the baseline for renal function, if any."""
        return None if self.egfr_comparison is None else self.egfr_comparison.method


@dataclass(frozen=True)
class Trend:
    """Baselines and one row per sampled visit, in sample-date order.

    baseline is keyed by (field key, stored unit): one per key for converted fields (always stored
    in the canonical unit), one per test for urine RBC (/HPF and /uL). egfr_baseline_row is the
    last baseline-period row with a reference eGFR: the baseline for renal function, compared
    by an equation it shares with each visit (renal.compare_egfr).
    """

    baseline: Mapping[tuple[str, str], Baseline]
    egfr_baseline_row: TrendRow | None
    rows: tuple[TrendRow, ...]
    upcr_key: str  # the key of the results field with the role upcr (the chart draws it)
    outcomes: Outcomes  # the thresholds the outcomes were judged by

    @property
    def baseline_egfr(self) -> float | None:
        """Return the reference eGFR at baseline, or None when there is none."""
        row = self.egfr_baseline_row
        return None if row is None else row.summary.egfr_reference

    def baseline_for(self, key: str, unit: str) -> Measurement | None:
        """Return the baseline measurement of a field in a stored unit, or None."""
        found = self.baseline.get((key, unit))
        return None if found is None else found.measurement


def _value_in(form: ResultsForm, measurement: Measurement | None, code: str) -> float | None:
    """Return a numeric measurement's value in the field's unit `code`, converted by the form."""
    if measurement is None or not measurement.is_number:
        return None
    value = measurement.value
    assert value is not None  # is_number guarantees it
    if measurement.unit == code:
        return value
    field = form.field(measurement.key)
    stored, wanted = field.unit(measurement.unit), field.unit(code)
    if stored is None or wanted is None or stored.factor is None or wanted.factor is None:
        raise ValueError(
            f"Got {field.label} in '{measurement.unit}'. Expected a unit convertible to '{code}'."
        )
    return wanted.from_canonical(stored.to_canonical(value))


def _summary(visit: VisitResults, form: ResultsForm, sex: str, born: date,
             outcomes: Outcomes) -> renal.RenalSummary:
    """Compute the renal summary of one visit from its stored results."""
    values = {role: _value_in(form, visit.measurements.get(form.by_role(role).key),
                              RESULT_ROLES[role].unit)
              for role in _SUMMARY_ROLES}
    return renal.summarise(
        sex, born, visit.sample_date, values["height"], values["weight"], values["creatinine"],
        values["cystatin_c"], values["protein_24h"], values["egfr_lab"],
        lab_difference_percent=outcomes.lab_difference_percent,
    )


def _change(now: Measurement, base: Baseline | None) -> Change | None:
    """Return the change from baseline, or None when either is not a number or units differ."""
    if base is None or not now.is_number or not base.measurement.is_number:
        return None
    if now.unit != base.measurement.unit:
        return None
    before, after = base.measurement.value, now.value
    assert before is not None and after is not None  # is_number guarantees it
    return Change(after - before, None if before == 0 else (after - before) / before * 100)


def _upcr_as_reported(measurement: Measurement | None) -> tuple[float, str] | None:
    """Return a UPCR in the unit the lab reported (else as stored), or None if not a number."""
    if measurement is None or not measurement.is_number:
        return None
    if measurement.typed_value is not None and measurement.typed_unit in UPCR_UNITS:
        return measurement.typed_value, measurement.typed_unit
    if measurement.value is not None and measurement.unit in UPCR_UNITS:
        return measurement.value, measurement.unit
    return None


def _proteinuria(now: Measurement | None, base: Baseline | None, form: ResultsForm,
                 outcomes: Outcomes) -> renal.ProteinuriaStatus | None:
    """Classify proteinuria in the lab's reported unit against the baseline as reported, the
    baseline converted to that unit by forms/results.toml when the lab reported it in another."""
    reported = _upcr_as_reported(now)
    if reported is None:
        return None
    value, unit = reported
    limits = outcomes.proteinuria(unit)
    baseline = _upcr_as_reported(None if base is None else base.measurement)
    baseline_value = None
    if baseline is not None:
        baseline_value, baseline_unit = baseline
        if baseline_unit != unit:
            field = form.by_role("upcr")
            given, wanted = field.unit(baseline_unit), field.unit(unit)
            if given is None or wanted is None:
                raise ValueError(f"Got UPCR units '{baseline_unit}' and '{unit}'. "
                                 f"Expected units of {field.key} in forms/results.toml.")
            baseline_value = wanted.from_canonical(given.to_canonical(baseline_value))
    return renal.proteinuria_status(value, baseline_value, unit, complete=limits.complete,
                                    upper=limits.upper, fall_percent=limits.fall_percent)


def _hematuria(rbc: Measurement | None, has_baseline: bool, form: ResultsForm,
               outcomes: Outcomes) -> HematuriaStatus | None:
    """Classify a urine RBC result; a qualitative result (too numerous to count, as listed in
    forms/results.toml) is never a remission. Without a baseline urine RBC (of either test: it
    shows the child's hematuria before treatment) a result is not assessable."""
    if rbc is None or rbc.not_done:
        return None
    if rbc.qualifier is not None:
        known = {q.lower() for q in form.by_role("urine_rbc").qualitative}
        if rbc.qualifier.strip().lower() not in known:
            return None
        remission = False
    elif rbc.value is None or rbc.unit not in RBC_UNITS:
        return None
    else:
        remission = bool(renal.hematuria_remission(
            rbc.value, rbc.unit, limit=outcomes.hematuria_limit(rbc.unit)))
    if not has_baseline:
        return "not_assessable"
    return "remission" if remission else "none"


def _renal_function(summary: renal.RenalSummary, baseline_row: TrendRow | None,
                    outcomes: Outcomes) -> tuple[RenalFunctionStatus | None,
                                                 renal.EgfrComparison | None]:
    """Judge the visit's eGFR against the baseline's by the same equation (renal.compare_egfr)."""
    if summary.egfr_reference is None:
        return None, None
    comparison = (None if baseline_row is None else renal.compare_egfr(
        summary, baseline_row.summary, outcomes.improvement_percent))
    if comparison is None:
        return "not_assessable", None
    return ("improved" if comparison.improved else "not_improved"), comparison


def trend(
    visits: Sequence[VisitResults],
    *,
    form: ResultsForm,
    sex: str,
    date_of_birth: date,
    first_infusion: date | None,
    outcomes: Outcomes,
) -> Trend:
    """Build the trend of a participant's visits: baselines, changes, eGFR and outcomes."""
    sampled = sorted((v for v in visits if v.sample_date is not None),
                     key=lambda v: v.sample_date or date.min)  # stable: ties keep input order

    def before_infusion(visit: VisitResults) -> bool:
        # A sample of the first infusion's day is drawn before the dose: it is still baseline.
        return (first_infusion is not None and visit.sample_date is not None
                and visit.sample_date <= first_infusion)

    baseline: dict[tuple[str, str], Baseline] = {}
    for visit in filter(before_infusion, sampled):
        assert visit.sample_date is not None
        for key, m in visit.measurements.items():
            if m.is_result:  # later visits overwrite earlier ones: the last value wins
                baseline[(key, m.unit)] = Baseline(m, visit.code, visit.sample_date)

    rows: list[TrendRow] = []
    egfr_baseline_row: TrendRow | None = None
    upcr_key, rbc_key = form.by_role("upcr").key, form.by_role("urine_rbc").key
    for visit in sampled:
        assert visit.sample_date is not None
        summary = _summary(visit, form, sex, date_of_birth, outcomes)
        measurements = MappingProxyType(dict(visit.measurements))
        if first_infusion is None or before_infusion(visit):
            row = TrendRow(visit.code, visit.label, visit.sample_date, True, measurements,
                           MappingProxyType({}), summary, None, None, None, None)
            if summary.egfr_reference is not None:
                egfr_baseline_row = row
            rows.append(row)
            continue
        changes = {key: change for key, m in visit.measurements.items()
                   if (change := _change(m, baseline.get((key, m.unit)))) is not None}
        upcr = visit.measurements.get(upcr_key)
        upcr_base = None if upcr is None else baseline.get((upcr_key, upcr.unit))
        rbc_baseline = any(key == rbc_key for key, _unit in baseline)
        # Samples are in date order, so every baseline-period row has been seen by now.
        renal_function, comparison = _renal_function(summary, egfr_baseline_row, outcomes)
        rows.append(TrendRow(
            code=visit.code,
            label=visit.label,
            sample_date=visit.sample_date,
            baseline_period=False,
            measurements=measurements,
            changes=MappingProxyType(changes),
            summary=summary,
            proteinuria=_proteinuria(upcr, upcr_base, form, outcomes),
            hematuria=_hematuria(visit.measurements.get(rbc_key), rbc_baseline, form,
                                 outcomes),
            renal_function=renal_function,
            egfr_comparison=comparison,
        ))
    return Trend(MappingProxyType(baseline), egfr_baseline_row, tuple(rows), upcr_key, outcomes)


@dataclass(frozen=True)
class BelowEnrolment:
    """A baseline eGFR at or below the study's limit for enrolment (eGFR must be above it):
    the tool's reference eGFR (method: its equation) or the laboratory's own (method "lab")."""

    code: str  # the visit of the sample
    sample_date: date
    egfr: float
    method: str


def baseline_below(trend: Trend, limit: float) -> list[BelowEnrolment]:
    """The last baseline sample's eGFRs not above the enrolment limit: the reference eGFR
    first, then the laboratory's; none when the baseline has no eGFR or both are above it."""
    rows = [r for r in trend.rows if r.baseline_period
            and (r.summary.egfr_reference is not None or r.summary.lab_egfr is not None)]
    if not rows:
        return []
    row, found = rows[-1], []
    summary = row.summary
    if summary.egfr_reference is not None and summary.egfr_reference <= limit:
        assert summary.reference_method is not None  # set with the reference
        found.append(BelowEnrolment(row.code, row.sample_date, summary.egfr_reference,
                                    summary.reference_method))
    if summary.lab_egfr is not None and summary.lab_egfr <= limit:
        found.append(BelowEnrolment(row.code, row.sample_date, summary.lab_egfr, "lab"))
    return found
