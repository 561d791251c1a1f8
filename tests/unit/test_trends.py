"""Unit tests of edc.rules.trends: baselines, change, eGFR and outcomes, hand-checked."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from edc.formats.charts import chart_series
from edc.protocol.crf import load_results_form
from edc.protocol.outcomes import load_outcomes
from edc.protocol.toml import read_toml
from edc.rules.trends import Change, Measurement, Trend, VisitResults, trend
from tests.support.paths import FORMS

FORM = load_results_form(FORMS)
OUTCOMES = load_outcomes(read_toml(FORMS, "outcomes.toml"))  # complete 0.2 mg/mg, fall 50 %, ...
TOL = 0.05
# Born 2017-01-01: 2025-01-01 is 2922 days later (8 x 365 + 2 leap days, 2020 and 2024), and
# 2922 / 365.25 = 8.0 exactly, so the PROTOCOL check value for a boy of 8 applies that day.
BORN = date(2017, 1, 1)
AGE_8 = date(2025, 1, 1)
INFUSION = date(2025, 1, 20)

CANONICAL = {"protein_24h": "mg/24h", "urine_volume": "mL", "upcr": "mg/mg",
             "dysmorphic_rbc": "%", "creatinine": "umol/L", "urea": "mmol/L",
             "cystatin_c": "mg/L", "egfr_lab": "mL/min/1.73m2", "height": "cm", "weight": "kg"}


def m(key: str, typed: float | None, unit: str = "", *, qualifier: str | None = None,
      not_done: bool = False) -> Measurement:
    """Return a measurement typed in `unit` (default canonical), stored as the form converts it."""
    if key == "urine_rbc":  # /HPF and /uL are tests of their own: stored as typed
        return Measurement(key, typed, unit, typed, unit, qualifier, not_done)
    field = FORM.field(key)
    typed_unit = field.unit(unit or CANONICAL[key])
    assert typed_unit is not None
    stored = None if typed is None else typed_unit.to_canonical(typed)
    return Measurement(key, stored, field.canonical_unit.code, typed, typed_unit.code, qualifier,
                       not_done)


def visit(code: str, day: date | None, *measurements: Measurement) -> VisitResults:
    return VisitResults(code, f"Visit {code}", day, {x.key: x for x in measurements})


def build(*visits: VisitResults, first_infusion: date | None = INFUSION) -> Trend:
    return trend(visits, form=FORM, sex="M", date_of_birth=BORN, first_infusion=first_infusion,
                 outcomes=OUTCOMES)


def row(result: Trend, code: str):
    return next(r for r in result.rows if r.code == code)


# --- baseline ---------------------------------------------------------------------------------

def test_baseline_is_the_last_value_before_the_first_infusion() -> None:
    result = build(
        visit("SCR", date(2024, 12, 20), m("creatinine", 50)),
        visit("UNS", date(2025, 1, 10), m("creatinine", 40)),  # later pre-infusion value wins
        visit("W02", date(2025, 2, 3), m("creatinine", 30)),
    )
    base = result.baseline[("creatinine", "umol/L")]
    assert (base.measurement.value, base.code, base.sample_date) == (40, "UNS", date(2025, 1, 10))
    assert result.baseline_for("creatinine", "umol/L") == base.measurement


def test_a_value_of_the_first_infusion_day_is_baseline_as_it_is_drawn_before_the_dose() -> None:
    result = build(
        visit("SCR", date(2024, 12, 20), m("creatinine", 50)),
        visit("INF", INFUSION, m("creatinine", 40), m("upcr", 1.0)),
        visit("W02", INFUSION + timedelta(days=1), m("creatinine", 30)),
    )
    assert result.baseline[("creatinine", "umol/L")].measurement.value == 40
    assert result.baseline_for("upcr", "mg/mg").value == 1.0
    assert row(result, "INF").baseline_period is True
    assert row(result, "W02").baseline_period is False
    assert row(result, "W02").change("creatinine") == Change(-10, -25)  # 30 - 40; -10 / 40


def test_baselines_of_different_fields_can_come_from_different_visits() -> None:
    result = build(
        visit("SCR", date(2024, 12, 20), m("upcr", 1.2), m("creatinine", 50)),
        visit("UNS", date(2025, 1, 10), m("creatinine", 40)),  # no UPCR at this visit
    )
    assert result.baseline[("upcr", "mg/mg")].code == "SCR"
    assert result.baseline[("creatinine", "umol/L")].code == "UNS"


def test_urine_rbc_per_hpf_and_per_ul_keep_a_baseline_each_and_change_only_within_a_test() -> None:
    result = build(
        visit("SCR", date(2024, 12, 20), m("urine_rbc", 30, "/uL")),
        visit("UNS", date(2025, 1, 10), m("urine_rbc", 40, "/HPF")),
        visit("W02", date(2025, 2, 3), m("urine_rbc", 10, "/HPF")),
        visit("W04", date(2025, 2, 17), m("urine_rbc", 21, "/uL")),
    )
    assert result.baseline[("urine_rbc", "/uL")].measurement.value == 30
    assert result.baseline[("urine_rbc", "/HPF")].measurement.value == 40
    assert row(result, "W02").change("urine_rbc") == Change(-30, -75)  # 10 - 40; -30 / 40
    assert row(result, "W04").change("urine_rbc") == Change(-9, -30)  # 21 - 30; -9 / 30


def test_not_done_is_never_baseline() -> None:
    result = build(
        visit("SCR", date(2024, 12, 20), m("creatinine", 40)),
        visit("UNS", date(2025, 1, 10), m("creatinine", None, not_done=True)),
    )
    assert result.baseline[("creatinine", "umol/L")].code == "SCR"


def test_without_a_first_infusion_there_is_no_baseline_and_every_row_is_baseline_period() -> None:
    result = build(visit("SCR", date(2024, 12, 20), m("creatinine", 40), m("upcr", 0.1)),
                   first_infusion=None)
    assert result.baseline == {}
    only = result.rows[0]
    assert only.baseline_period and only.proteinuria is None and only.changes == {}


def test_baseline_period_rows_get_no_change_and_no_outcome() -> None:
    result = build(visit("SCR", date(2024, 12, 20), m("upcr", 0.1), m("urine_rbc", 2, "/HPF"),
                         m("creatinine", 39.78), m("height", 128)))
    scr = result.rows[0]
    assert scr.baseline_period and scr.changes == {}
    assert (scr.proteinuria, scr.hematuria, scr.renal_function) == (None, None, None)
    assert scr.summary.egfr_reference is not None  # the eGFR itself is still computed


# --- change from baseline ---------------------------------------------------------------------

def test_change_from_baseline_is_absolute_in_the_stored_unit_and_percent_of_baseline() -> None:
    result = build(
        visit("SCR", date(2025, 1, 10), m("creatinine", 40), m("upcr", 1.2)),
        # 0.5 mg/dL x 88.4 = 44.2 umol/L stored: change 44.2 - 40 = 4.2 umol/L, 4.2 / 40 = 10.5 %
        visit("W02", date(2025, 2, 3), m("creatinine", 0.5, "mg/dL"), m("upcr", 0.5)),
    )
    w02 = row(result, "W02")
    assert w02.changes["creatinine"].absolute == pytest.approx(4.2)
    assert w02.changes["creatinine"].percent == pytest.approx(10.5)
    # UPCR 0.5 - 1.2 = -0.7 mg/mg; -0.7 / 1.2 = -58.33 %
    assert w02.changes["upcr"].absolute == pytest.approx(-0.7)
    assert w02.changes["upcr"].percent == pytest.approx(-58.333, abs=0.001)


def test_change_is_none_when_qualitative_missing_or_without_baseline() -> None:
    tntc = m("urine_rbc", None, "/HPF", qualifier="too numerous to count")
    result = build(
        visit("SCR", date(2025, 1, 10), m("urine_rbc", 40, "/HPF"), m("creatinine", 40)),
        visit("W02", date(2025, 2, 3), tntc, m("creatinine", None, not_done=True),
              m("cystatin_c", 0.9)),  # no cystatin C baseline
    )
    assert row(result, "W02").changes == {}


def test_percent_change_is_none_when_the_baseline_is_zero() -> None:
    result = build(visit("SCR", date(2025, 1, 10), m("urine_rbc", 0, "/HPF")),
                   visit("W02", date(2025, 2, 3), m("urine_rbc", 3, "/HPF")))
    assert row(result, "W02").change("urine_rbc") == Change(3, None)


# --- proteinuria (classified in the unit the lab reported) ------------------------------------

@pytest.mark.parametrize(
    ("baseline", "value", "expected"),
    [
        (m("upcr", 1.2), m("upcr", 0.15), "complete"),  # 0.15 <= 0.2 mg/mg
        (m("upcr", 1.2), m("upcr", 0.2), "complete"),  # the threshold itself is remission
        (m("upcr", 1.2), m("upcr", 0.5), "partial"),  # (1.2 - 0.5) / 1.2 = 58.3 % >= 50 %
        (m("upcr", 1.2), m("upcr", 0.8), "none"),  # (1.2 - 0.8) / 1.2 = 33.3 % < 50 %
        (m("upcr", 1.2), m("upcr", 0.6), "partial"),  # (1.2 - 0.6) / 1.2 = 50 % exactly
        (m("upcr", 5.0), m("upcr", 2.0), "none"),  # a 60 % fall, but not below 2 mg/mg
        (m("upcr", 1.2), m("upcr", 18, "mg/mmol"), "complete"),  # 18 <= 20 mg/mmol
        # 21 mg/mmol is 21 / 113.12 = 0.1856 mg/mg, yet above 20 mg/mmol: not complete; the fall
        # from 1.2 x 113.12 = 135.744 mg/mmol is (135.744 - 21) / 135.744 = 84.5 %: partial.
        (m("upcr", 1.2), m("upcr", 21, "mg/mmol"), "partial"),
        # Baseline reported as 135.744 mg/mmol = 1.2 mg/mg: 0.5 mg/mg is a 58.3 % fall.
        (m("upcr", 135.744, "mg/mmol"), m("upcr", 0.5), "partial"),
        # The baseline converts by results.toml's unit: 1.0 mg/mg = 113.12 mg/mmol, so 56 mg/mmol
        # is a (113.12 - 56) / 113.12 = 50.5 % fall (partial) and 57 a 49.6 % one (none).
        (m("upcr", 1.0), m("upcr", 56, "mg/mmol"), "partial"),
        (m("upcr", 1.0), m("upcr", 57, "mg/mmol"), "none"),
        # 150 mg/mmol / 113.12 = 1.3260 mg/mg: 0.6 is a 54.8 % fall, 0.7 only 47.2 %
        # (unconverted, 0.7 against 150 would be a 99.5 % fall).
        (m("upcr", 150, "mg/mmol"), m("upcr", 0.6), "partial"),
        (m("upcr", 150, "mg/mmol"), m("upcr", 0.7), "none"),
        # Without a baseline UPCR: "not assessable", never "no remission", whatever the value.
        (None, m("upcr", 0.5), "not_assessable"),
        (None, m("upcr", 3.0), "not_assessable"),
        (None, m("upcr", 0.1), "not_assessable"),
        (m("upcr", None, not_done=True), m("upcr", 0.5), "not_assessable"),  # not done: none
        (m("upcr", 1.2), m("upcr", None, not_done=True), None),
    ],
)
def test_proteinuria_status_is_classified_in_the_lab_unit_against_baseline(
    baseline: Measurement | None, value: Measurement, expected: str | None
) -> None:
    before = [visit("SCR", date(2025, 1, 10), baseline)] if baseline else []
    result = build(*before, visit("W02", date(2025, 2, 3), value))
    assert row(result, "W02").proteinuria == expected


# --- hematuria --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("rbc", "expected"),
    [
        (m("urine_rbc", 5, "/HPF"), True),  # <= 5 /HPF
        (m("urine_rbc", 6, "/HPF"), False),
        (m("urine_rbc", 28, "/uL"), True),  # <= 28 /uL (analyser)
        (m("urine_rbc", 29, "/uL"), False),
        (m("urine_rbc", None, "/HPF", qualifier="too numerous to count"), False),
        (m("urine_rbc", None, "/HPF", not_done=True), None),
    ],
)
def test_hematuria_remission_is_at_most_5_per_hpf_or_28_per_ul_and_never_when_too_numerous(
    rbc: Measurement, expected: bool | None
) -> None:
    result = build(visit("SCR", date(2025, 1, 10), m("urine_rbc", 40, "/HPF")),
                   visit("W02", date(2025, 2, 3), rbc))
    assert row(result, "W02").hematuria_remission is expected


@pytest.mark.parametrize("rbc", [m("urine_rbc", 3, "/HPF"), m("urine_rbc", 60, "/HPF"),
                                 m("urine_rbc", 10, "/uL"),
                                 m("urine_rbc", None, "/HPF", qualifier="too numerous to count")])
def test_hematuria_without_a_baseline_is_not_assessable_never_no_remission(rbc) -> None:
    result = build(visit("SCR", date(2025, 1, 10), m("urine_rbc", None, "/HPF", not_done=True)),
                   visit("W02", date(2025, 2, 3), rbc))
    w02 = row(result, "W02")
    assert (w02.hematuria, w02.hematuria_remission) == ("not_assessable", None)


def test_hematuria_baseline_of_either_test_makes_a_visit_assessable() -> None:
    # Baseline too numerous to count by microscopy; the visit counted 20 /uL by analyser.
    result = build(
        visit("SCR", date(2025, 1, 10),
              m("urine_rbc", None, "/HPF", qualifier="too numerous to count")),
        visit("W02", date(2025, 2, 3), m("urine_rbc", 20, "/uL")),  # 20 <= 28 /uL
    )
    assert row(result, "W02").hematuria == "remission"


def test_a_visit_without_the_value_has_no_outcome_rather_than_not_assessable() -> None:
    result = build(visit("W02", date(2025, 2, 3), m("creatinine", 40)))
    w02 = row(result, "W02")
    assert (w02.proteinuria, w02.hematuria, w02.renal_function) == (None, None, None)


# --- eGFR and renal function improvement ------------------------------------------------------

# Boy aged 8.0, 128 cm, creatinine 0.45 mg/dL = 0.45 x 88.4 = 39.78 umol/L stored, CysC 0.95:
#   K_cr  = 39.0 x 1.008^(8 - 12) = 37.7766; eGFR_cr  = 37.7766 x 1.28 / 0.45 = 107.453
#   K_cys = 87.2 x 1.011^(8 - 15) = 80.7715; eGFR_cys = 80.7715 / 0.95       =  85.023
#   combined = (107.453 + 85.023) / 2 = 96.238 (PROTOCOL check value 96.24)
BASELINE_VISIT = visit("SCR", AGE_8, m("creatinine", 39.78), m("cystatin_c", 0.95),
                       m("height", 128), m("egfr_lab", 120))
# 2025-02-17 is 2969 days after birth: age 2969 / 365.25 = 8.12868; creatinine 0.36 mg/dL
# (= 31.824 umol/L), CysC 0.80:
#   K_cr  = 39.0 x 1.008^(-3.87132) = 37.8153; eGFR_cr  = 37.8153 x 1.28 / 0.36 = 134.454
#   K_cys = 87.2 x 1.011^(-6.87132) = 80.8853; eGFR_cys = 80.8853 / 0.80       = 101.107
#   combined = (134.454 + 101.107) / 2 = 117.781; 117.781 / 96.238 = 1.2239: +22.4 % >= 10 %
IMPROVED_VISIT = visit("W02", date(2025, 2, 17), m("creatinine", 31.824),
                       m("cystatin_c", 0.80), m("height", 128), m("egfr_lab", 110))
# 2025-03-03: age 2983 / 365.25 = 8.16701, baseline's values again: only K moves with age:
#   37.8269 x 1.28 / 0.45 = 107.596; 80.9193 / 0.95 = 85.178; combined 96.387: +0.16 % < 10 %
STEADY_VISIT = visit("W04", date(2025, 3, 3), m("creatinine", 39.78), m("cystatin_c", 0.95),
                     m("height", 128), m("egfr_lab", 76))


def test_baseline_egfr_is_u25_combined_from_creatinine_converted_by_the_form() -> None:
    result = build(BASELINE_VISIT)
    summary = result.rows[0].summary
    assert summary.egfr_u25_creatinine == pytest.approx(107.45, abs=TOL)
    assert summary.egfr_u25_cystatin == pytest.approx(85.02, abs=TOL)
    assert result.baseline_egfr == pytest.approx(96.24, abs=TOL)
    assert summary.reference_method == "u25_combined" and summary.ckd_stage == "G1"
    assert result.egfr_baseline_row is result.rows[0]


def test_renal_function_improved_when_reference_egfr_is_at_least_10_percent_above_baseline(
) -> None:
    result = build(BASELINE_VISIT, IMPROVED_VISIT, STEADY_VISIT)
    improved, steady = row(result, "W02"), row(result, "W04")
    assert improved.summary.egfr_reference == pytest.approx(117.78, abs=TOL)
    assert (improved.renal_function, improved.egfr_compared) == ("improved", "u25_combined")
    assert improved.egfr_comparison.percent_change == pytest.approx(22.39, abs=0.05)
    assert steady.summary.egfr_reference == pytest.approx(96.39, abs=TOL)
    assert (steady.renal_function, steady.egfr_compared) == ("not_improved", "u25_combined")


def test_renal_improvement_compares_the_same_equation_at_baseline_and_at_the_visit() -> None:
    # 2025-03-03 with the baseline's creatinine but no cystatin C: the reference is U25
    # creatinine 107.596 (see STEADY_VISIT), compared with the baseline's U25 creatinine 107.453
    # (+0.13 %), not with its combined 96.238 (which would read as +11.8 %, "improved").
    no_cystatin = visit("W04", date(2025, 3, 3), m("creatinine", 39.78), m("height", 128))
    result = build(BASELINE_VISIT, no_cystatin)
    w04 = row(result, "W04")
    assert w04.summary.reference_method == "u25_creatinine"
    assert w04.summary.egfr_reference == pytest.approx(107.60, abs=TOL)
    assert w04.renal_improved is False


def test_renal_function_without_a_baseline_egfr_is_not_assessable() -> None:
    result = build(IMPROVED_VISIT)
    w02 = result.rows[0]
    assert result.baseline_egfr is None
    assert (w02.renal_function, w02.renal_improved, w02.egfr_compared) == (
        "not_assessable", None, None)


# Baseline with creatinine only (no cystatin C): U25 creatinine 107.453 (see BASELINE_VISIT).
CREATININE_ONLY_BASELINE = visit("SCR", AGE_8, m("creatinine", 39.78), m("height", 128))


def test_visit_with_cystatin_against_a_creatinine_only_baseline_compares_creatinine() -> None:
    # IMPROVED_VISIT has both: its reference is combined 117.781, but the baseline has only
    # the creatinine equation, so its U25 creatinine 134.454 is compared with 107.453:
    # (134.454 - 107.453) / 107.453 = +25.13 %: improved, by CKiD U25 creatinine.
    result = build(CREATININE_ONLY_BASELINE, IMPROVED_VISIT)
    w02 = row(result, "W02")
    assert w02.summary.reference_method == "u25_combined"
    assert (w02.renal_function, w02.egfr_compared) == ("improved", "u25_creatinine")
    assert (w02.egfr_comparison.egfr, w02.egfr_comparison.baseline_egfr) == (
        pytest.approx(134.45, abs=TOL), pytest.approx(107.45, abs=TOL))
    assert w02.egfr_comparison.percent_change == pytest.approx(25.13, abs=0.05)


def test_creatinine_only_baseline_and_a_steady_creatinine_is_not_improved() -> None:
    # STEADY_VISIT: U25 creatinine 107.596 against 107.453: +0.13 %, though its combined 96.387
    # against the creatinine baseline would read -10.3 %. Like with like: not improved.
    result = build(CREATININE_ONLY_BASELINE, STEADY_VISIT)
    w04 = row(result, "W04")
    assert (w04.renal_function, w04.egfr_compared) == ("not_improved", "u25_creatinine")
    assert w04.egfr_comparison.percent_change == pytest.approx(0.13, abs=0.05)


def test_baseline_without_height_is_compared_by_cystatin_c() -> None:
    # No height at baseline: no creatinine eGFR, only U25 cystatin C 85.023. IMPROVED_VISIT's
    # cystatin C eGFR 101.107: (101.107 - 85.023) / 85.023 = +18.92 %: improved.
    no_height = visit("SCR", AGE_8, m("creatinine", 39.78), m("cystatin_c", 0.95))
    result = build(no_height, IMPROVED_VISIT)
    w02 = row(result, "W02")
    assert (w02.renal_function, w02.egfr_compared) == ("improved", "u25_cystatin")
    assert w02.egfr_comparison.percent_change == pytest.approx(18.92, abs=0.05)


def test_baseline_without_height_or_cystatin_gives_no_baseline_egfr() -> None:
    no_height = visit("SCR", AGE_8, m("creatinine", 39.78))
    result = build(no_height, IMPROVED_VISIT)
    assert result.egfr_baseline_row is None
    assert row(result, "W02").renal_function == "not_assessable"


def test_no_equation_shared_with_the_baseline_is_not_assessable() -> None:
    # Baseline: cystatin C only; visit: creatinine and height only.
    result = build(visit("SCR", AGE_8, m("cystatin_c", 0.95)),
                   visit("W04", date(2025, 3, 3), m("creatinine", 39.78), m("height", 128)))
    w04 = row(result, "W04")
    assert w04.summary.reference_method == "u25_creatinine"
    assert (w04.renal_function, w04.egfr_compared) == ("not_assessable", None)


def test_lab_egfr_20_percent_or_more_from_the_computed_reference_is_flagged() -> None:
    result = build(BASELINE_VISIT, IMPROVED_VISIT, STEADY_VISIT)
    # (120 - 96.238) / 96.238 = +24.7 %: flagged
    assert row(result, "SCR").summary.lab_differs is True
    # (110 - 117.781) / 117.781 = -6.6 %: not flagged
    assert row(result, "W02").summary.lab_differs is False
    # (76 - 96.387) / 96.387 = -21.2 %: flagged, lower side too
    assert row(result, "W04").summary.lab_differs is True


def test_lab_egfr_exactly_20_percent_from_the_computed_is_flagged_and_19_9_is_not() -> None:
    # Girl born 2012-03-01, sample 2024-03-01: 12 x 365 + 3 leap days = 4383 days = 12.0 years,
    # so K_cys = 79.9 x 0.974^0 = 79.9 and cystatin C 1.0 mg/L gives the reference 79.9 exactly.
    # 79.9 x 1.2 = 95.88 (+20 %) and 79.9 x 0.8 = 63.92 (-20 %) are flagged;
    # 79.9 x 1.199 = 95.8001 (+19.9 %) and 79.9 x 0.801 = 63.9999 (-19.9 %) are not.
    def lab(value: float):
        return trend([visit("SCR", date(2024, 3, 1), m("cystatin_c", 1.0),
                            m("egfr_lab", value))],
                     form=FORM, sex="F", date_of_birth=date(2012, 3, 1),
                     first_infusion=INFUSION, outcomes=OUTCOMES).rows[0].summary
    assert lab(95.88).egfr_reference == pytest.approx(79.9, abs=1e-9)
    assert [lab(v).lab_differs for v in (95.88, 95.8001, 63.92, 63.9999)] == [
        True, False, True, False]


# --- rows and charts --------------------------------------------------------------------------

def test_rows_are_in_sample_date_order_and_visits_without_a_sample_are_left_out() -> None:
    result = build(
        visit("W04", date(2025, 2, 17), m("upcr", 0.5)),
        visit("M03", None),  # not sampled yet
        visit("SCR", date(2025, 1, 2), m("upcr", 1.2)),
        visit("UNS", date(2025, 2, 10), m("upcr", 0.7)),  # unscheduled, between W02 and W04
        visit("W02", date(2025, 2, 3), m("upcr", 0.9)),
    )
    assert [r.code for r in result.rows] == ["SCR", "W02", "UNS", "W04"]


def test_chart_series_are_upcr_in_mg_per_mg_with_the_0_2_line_and_the_reference_egfr() -> None:
    result = build(
        visit("SCR", AGE_8, m("upcr", 1.2), m("creatinine", 39.78), m("cystatin_c", 0.95),
              m("height", 128)),
        visit("W02", date(2025, 2, 3), m("upcr", 18, "mg/mmol")),  # 18 / 113.12 = 0.15912
        visit("W04", date(2025, 2, 17), m("upcr", None, not_done=True)),
    )
    upcr, egfr = chart_series(result)
    assert (upcr.name, upcr.unit, upcr.reference) == ("UPCR", "mg/mg", 0.2)
    assert [(p.label, p.day) for p in upcr.points] == [("SCR", AGE_8), ("W02", date(2025, 2, 3))]
    assert [p.value for p in upcr.points] == pytest.approx([1.2, 0.15912], abs=1e-5)
    assert (egfr.name, egfr.unit, egfr.reference) == ("eGFR", "mL/min/1.73m²", None)
    assert [(p.label, p.day) for p in egfr.points] == [("SCR", AGE_8)]
    assert egfr.points[0].value == pytest.approx(96.24, abs=TOL)



def test_a_threshold_changed_in_outcomes_toml_changes_the_outcomes_and_the_chart_line(
        tmp_path: Path) -> None:
    import shutil

    from edc.protocol.study import load_study

    forms = shutil.copytree(FORMS, tmp_path / "forms")
    text = (forms / "outcomes.toml").read_text(encoding="utf-8")
    for old, new in (("complete_mg_mg = 0.2", "complete_mg_mg = 0.3"),
                     ("max_per_hpf = 5", "max_per_hpf = 8")):
        assert old in text
        text = text.replace(old, new)
    (forms / "outcomes.toml").write_text(text, encoding="utf-8")
    changed = load_study(forms)
    assert load_study(FORMS).outcomes.lab_difference_percent == 20  # flagged at 20 % or more
    visits = (visit("SCR", date(2025, 1, 10), m("upcr", 1.2), m("urine_rbc", 9, "/HPF")),
              visit("W02", date(2025, 2, 3), m("upcr", 0.25), m("urine_rbc", 8, "/HPF")))
    default = build(*visits)
    looser = trend(visits, form=changed.results, sex="M", date_of_birth=BORN,
                   first_infusion=INFUSION, outcomes=changed.outcomes)
    assert (row(default, "W02").proteinuria, row(default, "W02").hematuria_remission) == (
        "partial", False)
    assert (row(looser, "W02").proteinuria, row(looser, "W02").hematuria_remission) == (
        "complete", True)
    assert chart_series(default)[0].reference == 0.2
    assert chart_series(looser)[0].reference == 0.3


def test_a_results_form_without_the_units_the_thresholds_are_written_in_fails_to_load(
        tmp_path: Path) -> None:
    import shutil

    from edc.protocol.study import StudyDefinitionError, load_study

    forms = shutil.copytree(FORMS, tmp_path / "forms")
    text = (forms / "results.toml").read_text(encoding="utf-8")
    old = '    { code = "mg/mmol", label = "mg/mmol", divisor = 113.12 },\n'
    assert old in text
    (forms / "results.toml").write_text(text.replace(old, ""), encoding="utf-8")
    with pytest.raises(StudyDefinitionError, match=r"^results\.toml: fields\.upcr\.units: got "
                       r"\['mg/mg', 'mg/g'\]\. Expected the units mg/mg, mg/mmol for the upcr "):
        load_study(forms)
