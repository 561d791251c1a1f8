"""Unit tests of edc.rules.renal: hand-checked numbers, no app."""

from __future__ import annotations

import ast
import sys
from datetime import date
from pathlib import Path

import pytest

from edc.protocol.outcomes import load_outcomes
from edc.protocol.toml import read_toml
from edc.rules import renal
from edc.rules.renal import (
    age_in_years,
    bsa_mosteller,
    ckd_stage,
    egfr_bedside_schwartz,
    egfr_u25_combined,
    egfr_u25_creatinine,
    egfr_u25_cystatin,
    percent_difference,
    protein_per_kg,
    protein_per_m2_per_hour,
)
from tests.support.paths import FORMS

TOL = 0.05
# The thresholds are the study's (forms/outcomes.toml); the expectations below are worked by hand
# for its values: complete 0.2 mg/mg or 20 mg/mmol, upper 2 or 200, fall 50 %, RBC 5/HPF or 28/uL,
# improvement 10 %, lab difference 20 %.
OUTCOMES = load_outcomes(read_toml(FORMS, "outcomes.toml"))


def proteinuria_status(upcr: float | None, baseline: float | None, unit: str,
                       **changed: float) -> str | None:
    """renal.proteinuria_status with the study's thresholds for unit, some changed."""
    limits = OUTCOMES.proteinuria(unit)
    return renal.proteinuria_status(upcr, baseline, unit, **{
        "complete": limits.complete, "upper": limits.upper, "fall_percent": limits.fall_percent,
        **changed})


def hematuria_remission(rbc: float | None, unit: str, *,
                        too_numerous_to_count: bool = False) -> bool | None:
    """renal.hematuria_remission with the study's limit for unit."""
    return renal.hematuria_remission(rbc, unit, limit=OUTCOMES.hematuria_limit(unit),
                                     too_numerous_to_count=too_numerous_to_count)


def differs_by_at_least(lab: float, computed: float,
                        percent: float = OUTCOMES.lab_difference_percent) -> bool:
    return renal.differs_by_at_least(lab, computed, percent)


def renal_function_improved(egfr: float | None, baseline: float | None) -> bool | None:
    return renal.renal_function_improved(egfr, baseline, OUTCOMES.improvement_percent)


def summarise(*inputs) -> renal.RenalSummary:
    return renal.summarise(*inputs, lab_difference_percent=OUTCOMES.lab_difference_percent)


def compare_egfr(visit: renal.RenalSummary,
                 baseline: renal.RenalSummary) -> renal.EgfrComparison | None:
    return renal.compare_egfr(visit, baseline, OUTCOMES.improvement_percent)


# --- PROTOCOL.md check values ---------------------------------------------------------------

CHECK_VALUES = [
    # sex, age, height cm, SCr mg/dL, CysC mg/L, U25 cr, U25 cys, U25 combined
    ("M", 3, 95, 0.25, 0.85, 137.94, 89.97, 113.96),
    ("F", 5, 108, 0.35, 0.90, 105.35, 86.33, 95.84),
    ("M", 8, 128, 0.45, 0.95, 107.45, 85.02, 96.24),
    ("F", 10, 138, 0.60, 1.10, 81.72, 72.06, 76.89),
    ("M", 12, 150, 0.80, 1.20, 73.12, 70.32, 71.72),
]


@pytest.mark.parametrize(
    ("sex", "age", "height_cm", "scr", "cys", "cr_egfr", "cys_egfr", "combined"), CHECK_VALUES
)
def test_u25_equations_match_protocol_check_values(
    sex: str,
    age: float,
    height_cm: float,
    scr: float,
    cys: float,
    cr_egfr: float,
    cys_egfr: float,
    combined: float,
) -> None:
    assert egfr_u25_creatinine(sex, age, height_cm, scr) == pytest.approx(cr_egfr, abs=TOL)
    assert egfr_u25_cystatin(sex, age, cys) == pytest.approx(cys_egfr, abs=TOL)
    assert egfr_u25_combined(sex, age, height_cm, scr, cys) == pytest.approx(combined, abs=TOL)


def test_bedside_schwartz_matches_protocol_check_value() -> None:
    # 41.3 * 0.95 / 0.25 = 156.94
    assert egfr_bedside_schwartz(95, 0.25) == pytest.approx(156.94, abs=TOL)


# --- U25 branches beyond the check table ----------------------------------------------------


def test_u25_creatinine_male_uses_1_045_between_12_and_18() -> None:
    # K = 39.0 * 1.045^1.5 = 39.0 * (1.045 * sqrt(1.045)) = 39.0 * (1.045 * 1.022252)
    #   = 39.0 * 1.068254 = 41.6619
    # eGFR = 41.6619 * 1.55 / 0.7 = 41.6619 * 2.214286 = 92.2513
    assert egfr_u25_creatinine("M", 13.5, 155, 0.7) == pytest.approx(92.2513, abs=TOL)


def test_u25_creatinine_female_uses_1_023_between_12_and_18() -> None:
    # K = 36.1 * 1.023^1.5 = 36.1 * (1.023 * 1.011435) = 36.1 * 1.034698 = 37.3526
    # eGFR = 37.3526 * 1.55 / 0.7 = 37.3526 * 2.214286 = 82.7093
    assert egfr_u25_creatinine("F", 13.5, 155, 0.7) == pytest.approx(82.7093, abs=TOL)


def test_u25_cystatin_male_uses_0_960_between_15_and_18() -> None:
    # K = 87.2 * 0.960^(16 - 15) = 83.712; eGFR = 83.712 / 0.9 = 93.0133
    assert egfr_u25_cystatin("M", 16, 0.9) == pytest.approx(93.0133, abs=TOL)


def test_u25_cystatin_female_uses_0_974_between_12_and_18() -> None:
    # K = 79.9 * 0.974^1.5 = 79.9 * (0.974 * 0.986914) = 79.9 * 0.961254 = 76.8042
    # eGFR = 76.8042 / 0.9 = 85.3380
    assert egfr_u25_cystatin("F", 13.5, 0.9) == pytest.approx(85.3380, abs=TOL)


@pytest.mark.parametrize("age", [18, 20])
def test_u25_uses_fixed_constants_from_age_18(age: float) -> None:
    # Male:   K_cr 50.8 -> 50.8 * 1.70 / 1.0 = 86.36;  K_cys 77.1 -> 77.1 / 1.0 = 77.1
    # Female: K_cr 41.4 -> 41.4 * 1.60 / 0.8 = 82.8;   K_cys 68.3 -> 68.3 / 0.8 = 85.375
    assert egfr_u25_creatinine("M", age, 170, 1.0) == pytest.approx(86.36, abs=TOL)
    assert egfr_u25_cystatin("M", age, 1.0) == pytest.approx(77.1, abs=TOL)
    assert egfr_u25_creatinine("F", age, 160, 0.8) == pytest.approx(82.8, abs=TOL)
    assert egfr_u25_cystatin("F", age, 0.8) == pytest.approx(85.375, abs=TOL)


def test_u25_combined_is_the_mean_of_creatinine_and_cystatin() -> None:
    # (92.2513 + K_cys(M, 13.5) / 0.9) / 2, K_cys = 87.2 * 1.011^-1.5 (male bends at 15)
    cr = egfr_u25_creatinine("M", 13.5, 155, 0.7)
    cys = egfr_u25_cystatin("M", 13.5, 0.9)
    assert egfr_u25_combined("M", 13.5, 155, 0.7, 0.9) == pytest.approx((cr + cys) / 2)


# --- BSA, protein, age --------------------------------------------------------------------------


def test_bsa_mosteller_is_root_of_weight_times_height_over_3600() -> None:
    # sqrt(20 * 115 / 3600) = sqrt(0.638889) = 0.799305
    assert bsa_mosteller(20, 115) == pytest.approx(0.7993, abs=1e-4)


def test_protein_per_m2_per_hour_divides_by_bsa_times_24() -> None:
    # 384 / (0.8 * 24) = 384 / 19.2 = 20.0
    assert protein_per_m2_per_hour(384, 0.8) == pytest.approx(20.0)
    # 384 / (0.799305 * 24) = 384 / 19.18333 = 20.0174
    assert protein_per_m2_per_hour(384, bsa_mosteller(20, 115)) == pytest.approx(20.0174, abs=1e-3)


def test_protein_per_kg_divides_24h_protein_by_weight() -> None:
    # 384 / 20 = 19.2
    assert protein_per_kg(384, 20) == pytest.approx(19.2)


def test_age_in_years_is_days_over_365_25() -> None:
    # 2015-03-01 -> 2025-03-01 = 10 * 365 + 3 leap days (2016, 2020, 2024) = 3653 days
    # 3653 / 365.25 = 10.001369
    assert age_in_years(date(2015, 3, 1), date(2025, 3, 1)) == pytest.approx(3653 / 365.25)
    assert age_in_years(date(2015, 3, 1), date(2025, 3, 1)) == pytest.approx(10.001369, abs=1e-6)


def test_age_on_birth_day_is_zero() -> None:
    assert age_in_years(date(2020, 1, 1), date(2020, 1, 1)) == 0


# --- CKD stage, lab comparison ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("egfr", "stage"),
    [
        (120, "G1"),
        (90, "G1"),
        (89.99, "G2"),
        (60, "G2"),
        (59.99, "G3a"),
        (45, "G3a"),
        (44.99, "G3b"),
        (30, "G3b"),
        (29.99, "G4"),
        (15, "G4"),
        (14.99, "G5"),
        (3, "G5"),
    ],
)
def test_ckd_stage_lower_bounds_are_inclusive_on_the_unrounded_value(
    egfr: float, stage: str
) -> None:
    assert ckd_stage(egfr) == stage


def test_percent_difference_is_relative_to_the_computed_egfr() -> None:
    # (120 - 100) / 100 * 100 = 20 %; (80 - 100) / 100 * 100 = -20 %
    assert percent_difference(120, 100) == pytest.approx(20.0)
    assert percent_difference(80, 100) == pytest.approx(-20.0)


def test_lab_egfr_differing_by_20_percent_or_more_either_way_is_flagged() -> None:
    # (120 - 100) / 100 = +20 % exactly: flagged; (119.9 - 100) / 100 = +19.9 %: not flagged.
    assert differs_by_at_least(120, 100) is True
    assert differs_by_at_least(119.9, 100) is False
    # (80 - 100) / 100 = -20 %: flagged; (80.1 - 100) / 100 = -19.9 %: not flagged.
    assert differs_by_at_least(80, 100) is True
    assert differs_by_at_least(80.1, 100) is False
    # 31 * 1.2 = 37.2 is exactly 20 %, though floating point makes it 20.000000000000004 %;
    # 31 * 0.8 = 24.8 is -20 %, which floating point makes -19.999999999999996 %: both flagged.
    assert differs_by_at_least(37.2, 31) is True
    assert differs_by_at_least(24.8, 31) is True
    # 100 * 1.199 = 119.9 against 100: 19.9 %, under the line even with float noise.
    assert differs_by_at_least(31 * 1.199, 31) is False
    assert differs_by_at_least(110, 100, percent=10.0) is True


# --- Proteinuria remission ------------------------------------------------------------------


def test_upcr_at_0_2_mg_mg_is_complete_remission() -> None:
    assert proteinuria_status(0.2, 1.0, "mg/mg") == "complete"


def test_upcr_at_20_mg_mmol_is_complete_remission_in_the_reported_unit() -> None:
    assert proteinuria_status(20, 150, "mg/mmol") == "complete"
    # 0.2 mg/mg * 113.12 = 22.6 mg/mmol, but guidelines pair 0.2 with 20: 22.6 is not complete.
    # Fall (150 - 22.6) / 150 = 84.9 % and 20 < 22.6 < 200, so it is partial.
    assert proteinuria_status(22.6, 150, "mg/mmol") == "partial"


def test_partial_remission_needs_a_fall_of_at_least_50_percent() -> None:
    # (0.42 - 0.21) / 0.42 = 50 % exactly: partial
    assert proteinuria_status(0.21, 0.42, "mg/mg") == "partial"
    # (0.41 - 0.21) / 0.41 = 48.8 %: none
    assert proteinuria_status(0.21, 0.41, "mg/mg") == "none"


def test_partial_remission_needs_upcr_below_2_mg_mg() -> None:
    # Both fall (10 - x) / 10 >= 80 %; only the value below 2 is partial.
    assert proteinuria_status(1.99, 10, "mg/mg") == "partial"
    assert proteinuria_status(2.0, 10, "mg/mg") == "none"
    assert proteinuria_status(199, 1000, "mg/mmol") == "partial"
    assert proteinuria_status(200, 1000, "mg/mmol") == "none"


def test_without_baseline_proteinuria_is_not_assessable_never_no_remission() -> None:
    # PROTOCOL: "Without a baseline value an outcome is 'not assessable', never 'no remission'."
    assert proteinuria_status(0.3, None, "mg/mg") == "not_assessable"
    assert proteinuria_status(5.0, None, "mg/mg") == "not_assessable"  # even above 2 mg/mg
    assert proteinuria_status(0.2, None, "mg/mg") == "not_assessable"  # even at remission level
    assert proteinuria_status(15, None, "mg/mmol") == "not_assessable"


def test_missing_upcr_has_no_status() -> None:
    assert proteinuria_status(None, 1.0, "mg/mg") is None


def test_proteinuria_thresholds_are_parameters() -> None:
    assert proteinuria_status(0.3, 1.0, "mg/mg", complete=0.3) == "complete"
    # (1.0 - 0.7) / 1.0 = 30 % fall: partial when the statistician sets 30 %.
    assert proteinuria_status(0.7, 1.0, "mg/mg", fall_percent=30.0) == "partial"


# --- Hematuria remission --------------------------------------------------------------------


def test_hematuria_remission_is_at_most_5_per_hpf() -> None:
    assert hematuria_remission(5, "/HPF") is True
    assert hematuria_remission(6, "/HPF") is False


def test_hematuria_remission_is_at_most_28_per_ul_by_analyser() -> None:
    assert hematuria_remission(28, "/uL") is True
    assert hematuria_remission(29, "/uL") is False


def test_too_numerous_to_count_is_not_remission() -> None:
    assert hematuria_remission(None, "/HPF", too_numerous_to_count=True) is False


def test_missing_rbc_count_has_no_remission_status() -> None:
    assert hematuria_remission(None, "/HPF") is None


# --- Renal function improvement -------------------------------------------------------------


def test_renal_function_improved_at_exactly_10_percent_above_baseline() -> None:
    # (110 - 100) / 100 = 10 %
    assert renal_function_improved(110, 100) is True
    # 60.1 * 1.1 = 66.11; in floating point the rise comes out as 9.999999999999996 %
    assert renal_function_improved(66.11, 60.1) is True


def test_renal_function_not_improved_at_9_9_percent_above_baseline() -> None:
    # (109.9 - 100) / 100 = 9.9 %
    assert renal_function_improved(109.9, 100) is False


def test_renal_function_improvement_unknown_without_baseline_or_value() -> None:
    assert renal_function_improved(None, 100) is None
    assert renal_function_improved(110, None) is None


# Boy aged 8.0 (born 2016-03-01, sample 2024-03-01), 128 cm: the PROTOCOL check row gives
# creatinine 0.45 mg/dL -> U25 cr 107.45, cystatin C 0.95 -> U25 cys 85.02, combined 96.24.
# 4 months later (2024-07-01, 122 days: age 8 + 122 / 365.25 = 8.33402), creatinine 0.40 and
# cystatin C 0.80:
#   K_cr  = 39.0 x 1.008^(8.33402 - 12) = 37.8772; U25 cr  = 37.8772 x 1.28 / 0.40 = 121.207
#   K_cys = 87.2 x 1.011^(8.33402 - 15) = 81.0672; U25 cys = 81.0672 / 0.80        = 101.334
#   combined = (121.207 + 101.334) / 2 = 111.271
BORN_M = date(2016, 3, 1)
BASE_DAY, VISIT_DAY = date(2024, 3, 1), date(2024, 7, 1)


def test_visit_with_both_equations_against_a_creatinine_only_baseline_compares_creatinine():
    baseline = summarise("M", BORN_M, BASE_DAY, 128, None, 0.45, None, None, None)
    visit = summarise("M", BORN_M, VISIT_DAY, 128, None, 0.40, 0.80, None, None)
    assert (baseline.reference_method, visit.reference_method) == ("u25_creatinine",
                                                                   "u25_combined")
    got = compare_egfr(visit, baseline)
    assert got.method == "u25_creatinine"
    assert (got.egfr, got.baseline_egfr) == (pytest.approx(121.21, abs=TOL),
                                              pytest.approx(107.45, abs=TOL))
    # (121.207 - 107.453) / 107.453 = +12.80 %: improved. Combined 111.271 against the
    # creatinine 107.453 would have read +3.55 %, "not improved": unlike with unlike.
    assert got.percent_change == pytest.approx(12.80, abs=0.05) and got.improved is True


def test_visit_with_creatinine_only_against_a_combined_baseline_compares_creatinine():
    baseline = summarise("M", BORN_M, BASE_DAY, 128, None, 0.45, 0.95, None, None)
    visit = summarise("M", BORN_M, VISIT_DAY, 128, None, 0.40, None, None, None)
    got = compare_egfr(visit, baseline)
    assert got.method == "u25_creatinine"
    assert got.baseline_egfr == pytest.approx(107.45, abs=TOL)  # not the combined 96.24
    assert got.improved is True  # +12.8 %, as above


def test_both_combined_compares_the_combined_eGFRs():
    baseline = summarise("M", BORN_M, BASE_DAY, 128, None, 0.45, 0.95, None, None)
    visit = summarise("M", BORN_M, VISIT_DAY, 128, None, 0.40, 0.80, None, None)
    got = compare_egfr(visit, baseline)
    assert got.method == "u25_combined"
    # (111.271 - 96.238) / 96.238 = +15.62 %
    assert (got.egfr, got.baseline_egfr) == (pytest.approx(111.27, abs=TOL),
                                              pytest.approx(96.24, abs=TOL))
    assert got.percent_change == pytest.approx(15.62, abs=0.05) and got.improved is True


def test_baseline_without_height_compares_cystatin_c_with_a_visit_that_has_both():
    # No height at baseline: no creatinine eGFR, so the cystatin C eGFR 85.02 is its only one.
    baseline = summarise("M", BORN_M, BASE_DAY, None, None, 0.45, 0.95, None, None)
    visit = summarise("M", BORN_M, VISIT_DAY, 128, None, 0.40, 0.80, None, None)
    got = compare_egfr(visit, baseline)
    assert got.method == "u25_cystatin"
    # (101.334 - 85.023) / 85.023 = +19.18 %
    assert got.percent_change == pytest.approx(19.18, abs=0.05) and got.improved is True


def test_no_equation_in_common_is_not_assessable():
    baseline = summarise("M", BORN_M, BASE_DAY, None, None, 0.45, 0.95, None, None)  # cys only
    visit = summarise("M", BORN_M, VISIT_DAY, 128, None, 0.40, None, None, None)  # cr only
    assert compare_egfr(visit, baseline) is None


def test_equal_eGFRs_by_the_same_equation_are_not_an_improvement():
    baseline = summarise("M", BORN_M, BASE_DAY, 128, None, 0.45, 0.95, None, None)
    got = compare_egfr(baseline, baseline)
    assert (got.method, got.percent_change, got.improved) == ("u25_combined", 0.0, False)


# --- Summary --------------------------------------------------------------------------------


def test_summary_uses_u25_combined_as_reference_when_cystatin_present() -> None:
    # 2016-03-01 -> 2024-03-01 = 8 * 365 + 2 leap days (2020, 2024) = 2922 days = 8.0 years,
    # so the protocol's M 8 row applies: 107.45 / 85.02 / 96.24 (G1).
    summary = summarise("M", date(2016, 3, 1), date(2024, 3, 1), 128, 25, 0.45, 0.95, 400, 120)
    assert summary.age_years == 8.0
    assert summary.egfr_u25_creatinine == pytest.approx(107.45, abs=TOL)
    assert summary.egfr_u25_cystatin == pytest.approx(85.02, abs=TOL)
    assert summary.reference_method == "u25_combined"
    assert summary.egfr_reference == pytest.approx(96.24, abs=TOL)
    assert summary.ckd_stage == "G1"
    # 41.3 * 1.28 / 0.45 = 117.476
    assert summary.egfr_bedside_schwartz == pytest.approx(117.476, abs=TOL)
    # sqrt(25 * 128 / 3600) = sqrt(0.888889) = 0.942809; 400 / (0.942809 * 24) = 17.678
    assert summary.bsa_m2 == pytest.approx(0.942809, abs=1e-5)
    assert summary.protein_mg_m2_h == pytest.approx(17.678, abs=1e-3)
    assert summary.protein_mg_kg_24h == pytest.approx(16.0)
    # (120 - 96.238) / 96.238 = 24.7 % >= 20 %
    assert summary.lab_percent_difference == pytest.approx(24.69, abs=0.05)
    assert summary.lab_differs is True


def test_summary_falls_back_to_u25_creatinine_without_cystatin() -> None:
    # 2012-03-01 -> 2024-03-01 = 12 * 365 + 3 leap days = 4383 days = 12.0 years: M 12 row, 73.12.
    summary = summarise("M", date(2012, 3, 1), date(2024, 3, 1), 150, None, 0.8, None, None, 75)
    assert summary.reference_method == "u25_creatinine"
    assert summary.egfr_reference == pytest.approx(73.12, abs=TOL)
    assert summary.egfr_u25_combined is None
    assert summary.ckd_stage == "G2"
    assert summary.bsa_m2 is None and summary.protein_mg_m2_h is None
    assert summary.lab_differs is False


def test_summary_with_cystatin_only_uses_u25_cystatin() -> None:
    summary = summarise("M", date(2016, 3, 1), date(2024, 3, 1), None, None, None, 0.95, None, None)
    assert summary.reference_method == "u25_cystatin"
    assert summary.egfr_reference == pytest.approx(85.02, abs=TOL)
    assert summary.egfr_bedside_schwartz is None
    assert summary.lab_differs is None


def test_summary_without_inputs_is_all_none() -> None:
    summary = summarise(None, None, None, None, None, None, None, None, None)
    assert all(value is None for value in vars(summary).values())


def test_summary_without_sex_gives_bedside_but_no_u25() -> None:
    summary = summarise(None, date(2016, 3, 1), date(2024, 3, 1), 128, None, 0.45, 0.95, None, None)
    assert summary.egfr_bedside_schwartz == pytest.approx(117.476, abs=TOL)
    assert summary.egfr_reference is None and summary.ckd_stage is None


# --- Errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("sex", ["X", "m", "", "male"])
def test_sex_other_than_m_or_f_is_refused(sex: str) -> None:
    with pytest.raises(ValueError, match=f"^Got sex '{sex}'. Expected 'M' or 'F'.$"):
        egfr_u25_creatinine(sex, 8, 128, 0.45)
    with pytest.raises(ValueError, match=f"^Got sex '{sex}'. Expected 'M' or 'F'.$"):
        egfr_u25_cystatin(sex, 8, 0.95)


@pytest.mark.parametrize("creatinine", [0, -0.3])
def test_non_positive_creatinine_is_refused(creatinine: float) -> None:
    message = f"Got serum creatinine {creatinine} mg/dL. Expected a value above 0."
    with pytest.raises(ValueError, match=f"^{message}$"):
        egfr_u25_creatinine("M", 8, 128, creatinine)
    with pytest.raises(ValueError, match=f"^{message}$"):
        egfr_bedside_schwartz(128, creatinine)


def test_non_positive_cystatin_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^Got cystatin C 0 mg/L\. Expected a value above 0\.$"):
        egfr_u25_cystatin("F", 8, 0)


def test_non_positive_height_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^Got height 0 cm\. Expected a value above 0\.$"):
        egfr_u25_creatinine("F", 8, 0, 0.45)
    with pytest.raises(ValueError, match=r"^Got height -1 cm\. Expected a value above 0\.$"):
        bsa_mosteller(20, -1)


def test_sample_before_birth_is_refused() -> None:
    with pytest.raises(ValueError, match="^Got date 2019-12-31 before date of birth 2020-01-01"):
        age_in_years(date(2020, 1, 1), date(2019, 12, 31))


def test_unknown_units_are_refused() -> None:
    with pytest.raises(ValueError, match="^Got UPCR unit 'g/g'. Expected 'mg/mg' or 'mg/mmol'.$"):
        OUTCOMES.proteinuria("g/g")
    with pytest.raises(ValueError, match="^Got urine RBC unit '/ml'. Expected '/HPF' or '/uL'.$"):
        OUTCOMES.hematuria_limit("/ml")


def test_rbc_count_and_too_numerous_flag_together_are_refused() -> None:
    with pytest.raises(ValueError, match="Expected either a count or the flag, not both"):
        hematuria_remission(50, "/HPF", too_numerous_to_count=True)


# --- Purity ----------------------------------------------------------------------------------


def test_renal_imports_only_the_standard_library_and_the_study_codes() -> None:
    tree = ast.parse(Path(renal.__file__).read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "relative import"
            imported.add(node.module or "")
    imported = {name for name in imported if name != "edc.protocol.codes"}
    assert {name.split(".")[0] for name in imported} <= set(sys.stdlib_module_names), imported
