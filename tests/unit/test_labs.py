"""The results form definition, unit conversion and the range checks, from forms/results.toml."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from edc.protocol.crf import load_results_form
from edc.protocol.toml import StudyDefinitionError
from edc.rules.checks import check_value
from edc.rules.numbers import parse_number, significant, significant_bound
from tests.support.additions import ALBUMIN

FORMS = Path(__file__).resolve().parents[2] / "forms"
FORM = load_results_form(FORMS)

def finding(key: str, unit: str, value: float, bsa_m2: float | None = None,
            age_years: float | None = None):
    field = FORM.field(key)
    return check_value(field, field.unit(unit), value, bsa_m2=bsa_m2, age_years=age_years)


def test_the_form_has_the_protocol_fields_with_their_labels_in_order() -> None:
    assert [f.label for f in FORM.fields] == [
        "24-hour urine protein", "Urine volume (mL)", "UPCR", "Urine RBC", "Dysmorphic RBC (%)",
        "Serum creatinine", "Urea / BUN", "Cystatin C", "eGFR (lab)", "Height (cm)", "Weight (kg)"]


@pytest.mark.parametrize(
    ("key", "unit", "typed", "canonical"),
    [
        ("protein_24h", "g/24h", 1.25, 1250.0),
        ("upcr", "mg/mmol", 113.12, 1.0),
        ("upcr", "mg/mmol", 22.624, 0.2),
        ("creatinine", "mg/dL", 0.5, 44.2),
        ("urea", "mg/dL BUN", 14.007, 5.0),
        ("urine_rbc", "/uL", 28, 28),  # a test of its own: never converted to /HPF
    ],
)
def test_typed_values_convert_to_the_canonical_unit(key, unit, typed, canonical) -> None:
    assert FORM.field(key).unit(unit).to_canonical(typed) == pytest.approx(canonical, rel=1e-12)


def test_urine_rbc_per_hpf_and_per_ul_are_different_tests_with_their_own_codes() -> None:
    hpf, per_ul = FORM.field("urine_rbc").units
    assert (hpf.canonical, hpf.loinc, hpf.integer) == ("/HPF", "13945-1", True)
    assert (per_ul.canonical, per_ul.loinc, per_ul.integer) == ("/uL", "30391-7", False)
    assert hpf.cdisc == per_ul.cdisc == "RBC"
    assert FORM.field("urine_rbc").qualitative == ("too numerous to count",)


def test_codes_follow_the_protocol_table() -> None:
    codes = {(f.key, u.code): (u.cdisc, u.loinc) for f in FORM.fields for u in f.units}
    assert codes[("creatinine", "umol/L")] == ("CREAT", "14682-9")
    assert codes[("creatinine", "mg/dL")] == ("CREAT", "2160-0")
    assert codes[("urea", "mmol/L")] == ("UREA", "22664-7")
    assert codes[("urea", "mg/dL BUN")] == ("UREAN", "3094-0")
    assert codes[("upcr", "mg/mg")] == ("PROTCRT", "2890-2")
    assert codes[("egfr_lab", "mL/min/1.73m2")] == ("GFRE", "50384-7")
    assert not {"BUN", "EGFR"} & {cdisc for cdisc, _ in codes.values()}


def test_creatinine_in_the_wrong_unit_is_blocked_with_the_range_and_the_likely_unit() -> None:
    [f] = finding("creatinine", "umol/L", 0.45)
    assert (f.level, f.kind, f.low, f.high, f.other_unit.label) == (
        "block", "below_range", 8.8, 884, "mg/dL")
    [f] = finding("creatinine", "mg/dL", 12)
    assert (f.level, f.kind, significant(f.low), significant(f.high), f.other_unit.label) == (
        "block", "above_range", "0.0995", "10", "µmol/L")


def test_a_value_impossible_in_every_unit_suggests_none() -> None:
    [f] = finding("creatinine", "umol/L", 5000)
    assert f.kind == "above_range" and f.other_unit is None


def test_values_inside_the_warn_range_pass_quietly_and_outside_need_confirmation() -> None:
    assert finding("urea", "mmol/L", 6.0) == []
    assert [f.kind for f in finding("urea", "mmol/L", 10.5)] == ["above_plausible"]
    assert [f.kind for f in finding("cystatin_c", "mg/L", 0.45)] == ["below_plausible"]
    assert finding("egfr_lab", "mL/min/1.73m2", 150) == []
    assert [f.level for f in finding("egfr_lab", "mL/min/1.73m2", 150.5)] == ["warn"]


# Creatinine warns above 1.5 x Pottel's Q for the age, Q = 0.0270 x age + 0.2329 mg/dL:
#   3 years:  Q = 0.081 + 0.2329 = 0.3139; x 1.5 = 0.47085 mg/dL; x 88.4 = 41.6231 umol/L
#   8 years:  Q = 0.216 + 0.2329 = 0.4489; x 1.5 = 0.67335 mg/dL; x 88.4 = 59.5241 umol/L
#   12 years: Q = 0.324 + 0.2329 = 0.5569; x 1.5 = 0.83535 mg/dL; x 88.4 = 73.8449 umol/L
#   14 years (the end of the line, used for older ages): 0.6109; x 1.5 = 0.91635 mg/dL = 81.0053
@pytest.mark.parametrize(("age", "limit_umol"), [(3, 41.6231), (8, 59.5241), (12, 73.8449),
                                                 (14, 81.0053), (20, 81.0053), (0.5, 34.4627)])
def test_creatinine_warn_limit_is_1_5_times_the_median_for_age(age, limit_umol) -> None:
    # 0.5 years is below the line's ages (1-14): taken at 1 year, 1.5 x 0.2599 x 88.4 = 34.4627.
    assert FORM.field("creatinine").age_warn_limit(age) == pytest.approx(limit_umol, abs=1e-4)


def test_creatinine_above_the_limit_for_age_needs_confirmation_in_the_typed_unit() -> None:
    assert finding("creatinine", "umol/L", 41.6, age_years=3) == []
    [f] = finding("creatinine", "umol/L", 41.7, age_years=3)
    assert (f.level, f.kind, f.age_years, f.high) == (
        "warn", "above_age_median", 3, pytest.approx(41.6231, abs=1e-4))
    # In mg/dL the limit is given in mg/dL: 0.83535 at 12 years.
    assert finding("creatinine", "mg/dL", 0.835, age_years=12) == []
    [f] = finding("creatinine", "mg/dL", 0.836, age_years=12)
    assert (f.kind, f.high) == ("above_age_median", pytest.approx(0.83535, abs=1e-6))


def test_the_same_creatinine_is_usual_at_12_and_needs_confirming_at_3() -> None:
    # The old flat limit (75 umol/L) let 60 pass at every age; 60 is above 41.6 at 3 years.
    assert finding("creatinine", "umol/L", 60, age_years=12) == []
    assert [f.kind for f in finding("creatinine", "umol/L", 60, age_years=3)] == [
        "above_age_median"]


def test_creatinine_at_exactly_the_limit_for_age_typed_in_mg_dl_does_not_warn() -> None:
    # 0.47085 mg/dL x 88.4 = 41.62314 umol/L, the limit at 3 years itself: not above it.
    assert finding("creatinine", "mg/dL", 0.47085, age_years=3) == []


def test_creatinine_without_an_age_gets_no_age_warning() -> None:
    assert finding("creatinine", "umol/L", 80) == []


def test_upcr_warns_at_2_mg_per_mg_in_either_unit() -> None:
    assert finding("upcr", "mg/mg", 1.99) == []
    assert [f.kind for f in finding("upcr", "mg/mg", 2)] == ["above_plausible"]
    assert [f.kind for f in finding("upcr", "mg/mmol", 226.24)] == ["above_plausible"]


def test_urine_rbc_per_hpf_must_be_a_whole_number() -> None:
    [f] = finding("urine_rbc", "/HPF", 3.5)
    assert (f.level, f.kind) == ("block", "not_integer")
    assert finding("urine_rbc", "/HPF", 3) == []
    assert [f.kind for f in finding("urine_rbc", "/uL", 5001)] == ["above_plausible"]


def test_24_hour_protein_warns_at_40_mg_per_m2_per_hour() -> None:
    # BSA 1.0 m2: 40 mg/m2/h x 24 h = 960 mg/24h.
    assert finding("protein_24h", "mg/24h", 959, bsa_m2=1.0) == []
    [f] = finding("protein_24h", "g/24h", 0.96, bsa_m2=1.0)
    assert (f.kind, f.rate) == ("rate_high", pytest.approx(40.0))
    assert finding("protein_24h", "mg/24h", 5000) == []  # no BSA, no rate to judge


@pytest.mark.parametrize(("value", "upward", "text"), [
    (0.099547, True, "0.0996"), (0.099547, False, "0.0995"), (884, False, "884"),
    (8.8, True, "8.8"), (10.000000001, False, "10"), (0.3 * 2.8014, True, "0.841")])
def test_a_range_limit_is_rounded_away_from_the_inside(value, upward, text) -> None:
    assert significant_bound(value, upward) == text


@pytest.mark.parametrize(("value", "text"), [(884, "884"), (0.09954751, "0.0995"), (10, "10"),
                                             (1234, "1230"), (0.2, "0.2"), (20000, "20000")])
def test_significant_writes_three_significant_digits(value: float, text: str) -> None:
    assert significant(value) == text


def test_an_analyte_added_in_the_file_needs_no_code(tmp_path: Path) -> None:
    shutil.copytree(FORMS, tmp_path / "forms")
    results = tmp_path / "forms" / "results.toml"
    results.write_text(results.read_text() + ALBUMIN)

    form = load_results_form(tmp_path / "forms")
    albumin = form.field("albumin")
    assert [u.code for u in albumin.units] == ["g/L", "g/dL"]
    [f] = check_value(albumin, albumin.unit("g/dL"), 40)
    assert (f.kind, f.high, f.other_unit.code) == ("above_range", 7, "g/L")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('domain = "VS"\ncdisc = "HEIGHT"', 'domain = "XX"\ncdisc = "HEIGHT"',
         "forms/results.toml: fields[9].domain: got 'XX'. Expected one of LB, VS."),
        ('{ code = "umol/L", label = "µmol/L", factor = 1, loinc = "14682-9" },\n    ', "",
         "forms/results.toml: fields[5].units: got ['mg/dL']. "
         "Expected the canonical unit first, with factor = 1."),
        ('key = "upcr"', 'key = "protein_24h"',
         "forms/results.toml: fields: got ['protein_24h', 'urine_volume', 'protein_24h'"),
        ("block = [0.2, 8]", "block = [8, 0.2]",
         "forms/results.toml: fields[7].block: got [8, 0.2]. "
         "Expected a list [low, high] of two numbers with low < high."),
        ('unit = "mg/dL", multiplier', 'unit = "mmol/L", multiplier',
         "forms/results.toml: fields[5].warn_above_age_median.unit: got 'mmol/L'. "
         "Expected one of the field's units: umol/L, mg/dL."),
        ("slope = 0.0270, ", "",
         "forms/results.toml: fields[5].warn_above_age_median.slope: got None. "
         "Expected a value (the key is missing)."),
        ("multiplier = 1.5", "multiplier = 0",
         "forms/results.toml: fields[5].warn_above_age_median.multiplier: got 0.0. "
         "Expected a number above 0."),
        ("ages = [1, 14]", "ages = [14, 1]",
         "forms/results.toml: fields[5].warn_above_age_median.ages: got [14, 1]. "
         "Expected a list [low, high] of two numbers with low < high."),
        ("intercept = 0.2329", "intercept = -0.1",
         "forms/results.toml: fields[5].warn_above_age_median.intercept: got -0.1. "
         "Expected a median above 0 at every age in ages (slope x age + intercept)."),
        ("warn_above_age_median = { slope = 0.0270", "warn_above_age_median = 1.5 # {",
         "forms/results.toml: fields[5].warn_above_age_median: got 1.5. Expected a table."),
    ],
)
def test_a_broken_results_file_names_file_key_got_and_expected(tmp_path, old, new, message):
    shutil.copytree(FORMS, tmp_path / "forms")
    results = tmp_path / "forms" / "results.toml"
    text = results.read_text()
    assert old in text
    results.write_text(text.replace(old, new, 1))
    with pytest.raises(StudyDefinitionError) as error:
        load_results_form(tmp_path / "forms")
    assert str(error.value).startswith(message)


@pytest.mark.parametrize(("text", "value"), [("24.5", 24.5), (" 0.45 ", 0.45), ("1e3", 1000.0),
                                             ("-0", 0.0), (".5", 0.5)])
def test_numbers_are_read_as_written_with_a_decimal_point(text: str, value: float) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["1_000", "١٢", "24,5", "0x10", "nan", "inf", "1e999", "", "e3"])
def test_anything_else_is_not_a_number(text: str) -> None:
    assert parse_number(text) is None


def test_upcr_reported_in_mg_per_g_converts_to_mg_per_mg() -> None:
    # Many laboratories report UPCR in mg/g: 220 mg/g = 0.22 mg/mg, an ordinary value.
    upcr = FORM.field("upcr")
    assert upcr.unit("mg/g").to_canonical(220) == pytest.approx(0.22)
    assert finding("upcr", "mg/g", 220) == []


def test_a_unit_code_longer_than_the_database_keeps_is_refused_at_load(tmp_path: Path) -> None:
    shutil.copytree(FORMS, tmp_path / "forms")
    results = tmp_path / "forms" / "results.toml"
    text = results.read_text().replace('code = "mg/24h"', 'code = "milligrams/24-hours"')
    results.write_text(text)
    with pytest.raises(StudyDefinitionError) as error:
        load_results_form(tmp_path / "forms")
    assert "Expected a unit code of at most 16 characters" in str(error.value)


@pytest.mark.parametrize(("key", "unit", "typed", "stored"), [
    ("creatinine", "mg/dL", 0.55, 48.62),  # 0.55 x 88.4 is 48.620000000000005 in binary
    ("urea", "mg/dL BUN", 14, 4.99750124937531),  # 14 / 2.8014, to 15 significant digits
    ("upcr", "mg/mmol", 22.624, 0.2),
])
def test_a_converted_value_is_stored_as_the_arithmetic_gives_it_without_binary_noise(
        key, unit, typed, stored) -> None:
    assert FORM.field(key).unit(unit).to_canonical(typed) == stored
    assert repr(FORM.field(key).unit(unit).to_canonical(typed)) == repr(stored)
