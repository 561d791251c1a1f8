"""Entering a visit's kidney results, as the research nurse sees it: the form, the unit choices,
the checks that refuse or ask for confirmation, what is stored and audited, corrections, two
nurses on one visit, missed and added visits, who may write, and the trend on the participant page.

"Today" at the site is 2026-04-27 (support.apps.TODAY). The `scheduled` child AS-001 (girl, born
2018-05-10) had infusion 1 on 2026-03-02 and infusion 2 on 2026-03-16 (day 0), so W02 is due
2026-03-30 with window 2026-03-27..04-02, W04 2026-04-13 and W06 2026-04-27 with window
2026-04-24..04-30. Numbers below are worked out by hand.
"""

from __future__ import annotations

import html
import re
from datetime import date

import pytest
from flask import Flask

from tests.support.audit import audit_count, audit_rows
from tests.support.forms import RESULTS, results_form, submit
from tests.support.pages import page
from tests.support.records import stored_results, stored_visit, visit_id, visits_of
from tests.support.results import (
    CONFIRM,
    NOTHING_SAVED,
    add_visit,
    assert_nothing_stored,
    refused,
    saved,
)

LABELS = [
    "Sample date",
    "24-hour urine protein",
    "Urine volume (mL)",
    "UPCR",
    "Urine RBC",
    "Dysmorphic RBC (%)",
    "Serum creatinine",
    "Urea / BUN",
    "Cystatin C",
    "eGFR (lab)",
    "Height (cm)",
    "Weight (kg)",
]
# Analytes with more than one unit: (stored code, label shown), canonical unit first.
UNIT_CHOICES = {
    "protein_24h": [("mg/24h", "mg/24h"), ("g/24h", "g/24h")],
    "upcr": [("mg/mg", "mg/mg"), ("mg/mmol", "mg/mmol"), ("mg/g", "mg/g")],
    "urine_rbc": [("/HPF", "/HPF"), ("/uL", "/µL")],
    "creatinine": [("umol/L", "µmol/L"), ("mg/dL", "mg/dL")],
    "urea": [("mmol/L", "mmol/L (urea)"), ("mg/dL BUN", "mg/dL (BUN)")],
}
# Analytes with one unit, and the unit written beside the box instead of a choice.
SINGLE_UNITS = {
    "urine_volume": "mL",
    "dysmorphic_rbc": "%",
    "cystatin_c": "mg/L",
    "egfr_lab": "mL/min/1.73m²",
    "height": "cm",
    "weight": "kg",
}
CONFLICT = "Someone else saved this visit after you opened it"


# Database checks ------------------------------------------------------------------------------


@pytest.fixture
def w06(app: Flask, scheduled: int) -> int:
    return visit_id(app, scheduled, "W06")


# The form -------------------------------------------------------------------------------------


def test_visit_page_labels_read_exactly_as_the_crf_in_order(nurse, w06):
    response = nurse.get(f"/visits/{w06}")
    assert response.status_code == 200
    p = page(response)
    boxes = [text for target, text in p.labels
             if target == "sample_date" or target.endswith("-value")]
    assert boxes == LABELS
    assert [t for t, _ in p.labels if t == "sample_date" or t.endswith("-value")] == [
        "sample_date", *(f"{key}-value" for key in RESULTS)]
    assert p.input("sample_date")["type"] == "date"


def test_unit_choice_only_beside_analytes_with_more_than_one_unit(nurse, w06):
    p = page(nurse.get(f"/visits/{w06}"))
    unit_selects = {name.removesuffix("-unit"): options for name, options in p.options.items()
                    if name.endswith("-unit")}
    assert unit_selects == UNIT_CHOICES
    for key, unit in SINGLE_UNITS.items():
        assert f"{key}-unit" not in p.inputs, key
        assert p.results[key].cells[2] == unit, key
    # A fresh form posts the canonical unit unless the nurse picks another.
    posted = p.form_data()
    assert {k: posted[f"{k}-unit"] for k in UNIT_CHOICES} == {
        k: units[0][0] for k, units in UNIT_CHOICES.items()}
    # Urine RBC may be qualitative instead of a count.
    assert p.options["urine_rbc-qualifier"] == [("", "—"),
                                                ("too numerous to count", "too numerous to count")]
    # Each analyte can be marked not done, with a reason.
    for key in RESULTS:
        assert p.input(f"{key}-not_done")["type"] == "checkbox", key
        assert f"{key}-not_done_reason" in p.inputs, key


# A valid save ---------------------------------------------------------------------------------


def test_valid_save_marks_visit_done_on_sample_date_and_stores_typed_and_canonical_values(
        app, nurse, w06):
    # Height 150 cm, weight 45 kg: BSA = sqrt(45 x 150 / 3600) = sqrt(1.875) = 1.3693 m², so
    # 1200 mg/24h is 1200 / (1.3693 x 24) = 36.5 mg/m²/h, under the 40 that needs confirming.
    saved(nurse, w06, sample_date="2026-04-27",
          protein_24h=("1.2", "g/24h"), upcr=("22.6", "mg/mmol"), creatinine=("0.50", "mg/dL"),
          urea=("14", "mg/dL BUN"), height=("150", ""), weight=("45", ""))
    v = stored_visit(app, w06)
    assert (v.status, v.actual_date, v.sample_deviation_days) == ("done", date(2026, 4, 27), 0)
    assert v.missed_reason is None
    rows = stored_results(app, w06)
    assert set(rows) == set(RESULTS)  # one row per analyte entered
    expected = {
        # key: (typed_value, typed_unit, value, unit, test_code, loinc)
        "protein_24h": ("1.2", "g/24h", 1200, "mg/24h", "PROTEXR", "2889-4"),
        "urine_volume": ("900", "mL", 900, "mL", "VOLUME", "3167-4"),
        "upcr": ("22.6", "mg/mmol", 22.6 / 113.12, "mg/mg", "PROTCRT", "2890-2"),
        "urine_rbc": ("12", "/HPF", 12, "/HPF", "RBC", "13945-1"),
        "creatinine": ("0.50", "mg/dL", 44.2, "umol/L", "CREAT", "2160-0"),
        "urea": ("14", "mg/dL BUN", 14 / 2.8014, "mmol/L", "UREAN", "3094-0"),
        "cystatin_c": ("0.9", "mg/L", 0.9, "mg/L", "CYSTATC", "33863-2"),
        "egfr_lab": ("105", "mL/min/1.73m2", 105, "mL/min/1.73m2", "GFRE", "50384-7"),
        "height": ("150", "cm", 150, "cm", "HEIGHT", "8302-2"),
        "weight": ("45", "kg", 45, "kg", "WEIGHT", "29463-7"),
    }
    for key, (typed, typed_unit, value, unit, code, loinc) in expected.items():
        r = rows[key]
        assert (r.typed_value, r.typed_unit, r.unit, r.test_code, r.loinc) == (
            typed, typed_unit, unit, code, loinc), key
        assert r.value == pytest.approx(value, rel=1e-9), key
        assert (r.qualifier, r.not_done_reason, r.warn_confirmed) == (None, None, False), key
        assert r.participant_id == v.participant_id
    dysmorphic = rows["dysmorphic_rbc"]
    assert (dysmorphic.test_code, dysmorphic.value, dysmorphic.unit) == ("RBCDYSM", 60, "%")
    assert not dysmorphic.loinc  # PROTOCOL: no LOINC for dysmorphic RBC
    assert not {r.test_code for r in rows.values()} & {"BUN", "EGFR"}


def test_valid_save_is_audited_and_the_page_says_done(app, nurse, w06):
    before = audit_count(app)
    saved(nurse, w06)
    rows = stored_results(app, w06)
    created = audit_rows(app, entity="result", entity_id=rows["creatinine"].id)
    assert {(e.action, e.field, e.old, e.new) for e in created} == {
        ("create", "field", None, "creatinine"), ("create", "visit_id", None, str(w06)),
        ("create", "typed_value", None, "40"), ("create", "typed_unit", None, "umol/L")}
    # The value in the canonical unit and the analyte's codes are derived: stored, not audited.
    assert (rows["creatinine"].value, rows["creatinine"].test_code) == (40, "CREAT")
    assert {e.username for e in created} == {"nurse"}
    status = [(e.old, e.new) for e in audit_rows(app, entity="visit", entity_id=w06,
                                                 field="status")]
    assert status[-1] == ("planned", "done")
    assert audit_count(app) > before
    p = page(nurse.get(f"/visits/{w06}"))
    assert ("success", "The results of W06 are saved; the visit is done.") in p.flashes
    assert "done (2026-04-27 Mon)" in p.text
    assert p.value("creatinine-value") == "40"


def test_creatinine_in_umol_per_litre_is_coded_with_the_molar_loinc(app, nurse, w06):
    saved(nurse, w06, creatinine=("40", "umol/L"), urea=("4.2", "mmol/L"))
    rows = stored_results(app, w06)
    assert (rows["creatinine"].test_code, rows["creatinine"].loinc,
            rows["creatinine"].value) == ("CREAT", "14682-9", 40)
    assert (rows["urea"].test_code, rows["urea"].loinc, rows["urea"].unit,
            rows["urea"].value) == ("UREA", "22664-7", "mmol/L", pytest.approx(4.2))


# Urine RBC ------------------------------------------------------------------------------------


def test_urine_rbc_per_microlitre_is_its_own_test_and_never_converted(app, nurse, w06):
    saved(nurse, w06, urine_rbc=("250", "/uL"))
    r = stored_results(app, w06)["urine_rbc"]
    assert (r.typed_value, r.typed_unit, r.value, r.unit, r.test_code, r.loinc) == (
        "250", "/uL", 250, "/uL", "RBC", "30391-7")


def test_urine_rbc_too_numerous_to_count_is_stored_as_qualifier_without_value(app, nurse, w06):
    saved(nurse, w06, urine_rbc={"value": "", "qualifier": "too numerous to count"})
    r = stored_results(app, w06)["urine_rbc"]
    assert r.qualifier == "too numerous to count"
    assert (r.typed_value, r.value, r.not_done_reason) == (None, None, None)
    assert (r.test_code, r.typed_unit, r.loinc) == ("RBC", "/HPF", "13945-1")
    p = page(nurse.get(f"/visits/{w06}"))
    assert p.value("urine_rbc-qualifier") == "too numerous to count"
    assert p.value("urine_rbc-value") == ""


def test_urine_rbc_count_together_with_too_numerous_to_count_is_refused(app, nurse, w06):
    p = refused(app, nurse, w06,
                urine_rbc={"value": "12", "qualifier": "too numerous to count"})
    assert p.all_row_messages() == {
        "urine_rbc": {"value": ["Enter a number or “too numerous to count”, not both."]}}
    assert p.value("urine_rbc-value") == "12"
    assert p.value("urine_rbc-qualifier") == "too numerous to count"


def test_urine_rbc_fraction_per_high_power_field_is_refused(app, nurse, w06):
    p = refused(app, nurse, w06, urine_rbc=("12.5", "/HPF"))
    assert p.all_row_messages() == {"urine_rbc": {"value": [
        "Urine RBC 12.5 /HPF: a count per high-power field is a whole number."]}}


def test_urine_rbc_fraction_per_microlitre_is_accepted(app, nurse, w06):
    saved(nurse, w06, urine_rbc=("12.5", "/uL"))
    assert stored_results(app, w06)["urine_rbc"].value == 12.5


# Block: impossible values ---------------------------------------------------------------------


def test_creatinine_below_possible_range_in_umol_is_refused_suggesting_mg_dl_and_form_kept(
        app, nurse, w06):
    before = audit_count(app)
    posted = results_form(nurse, w06, sample_date="2026-04-26",
                          creatinine=("0.45", "umol/L"), upcr=("22.6", "mg/mmol"),
                          urea=("14", "mg/dL BUN"), protein_24h=("0.42", "g/24h"),
                          urine_rbc=("250", "/uL"))
    response = nurse.post(f"/visits/{w06}", data=posted)
    assert response.status_code == 422
    p = page(response)
    assert p.all_row_messages() == {"creatinine": {"value": [
        "Serum creatinine 0.45 µmol/L is below the possible range 8.8-884 µmol/L. "
        "Did you mean mg/dL?"]}}
    assert p.field_errors == {}
    assert ("error", NOTHING_SAVED) in p.flashes
    assert p.input("creatinine-value")["aria-invalid"] == "true"
    # Everything typed is back, with the units chosen.
    assert p.value("sample_date") == "2026-04-26"
    for key in RESULTS:
        assert p.value(f"{key}-value") == posted[f"{key}-value"], key
    assert {k: p.value(f"{k}-unit") for k in UNIT_CHOICES} == {
        "protein_24h": "g/24h", "upcr": "mg/mmol", "urine_rbc": "/uL", "creatinine": "umol/L",
        "urea": "mg/dL BUN"}
    assert p.value("version") == posted["version"]
    assert_nothing_stored(app, w06, before)


def test_creatinine_above_possible_range_in_mg_dl_is_refused_suggesting_umol(app, nurse, w06):
    # 12 mg/dL x 88.4 = 1061 µmol/L > 884; the range in mg/dL is 8.8/88.4 = 0.099547 to 10,
    # written with its low end rounded up (0.0996) so that 0.0995 never reads as inside it.
    p = refused(app, nurse, w06, creatinine=("12", "mg/dL"))
    assert p.all_row_messages() == {"creatinine": {"value": [
        "Serum creatinine 12 mg/dL is above the possible range 0.0996-10 mg/dL. "
        "Did you mean µmol/L?"]}}
    assert p.value("creatinine-unit") == "mg/dL"


def test_creatinine_impossible_in_either_unit_has_no_did_you_mean(app, nurse, w06):
    p = refused(app, nurse, w06, creatinine=("5000", "umol/L"))
    assert p.all_row_messages() == {"creatinine": {"value": [
        "Serum creatinine 5000 µmol/L is above the possible range 8.8-884 µmol/L."]}}


def test_negative_upcr_is_refused_with_its_range(app, nurse, w06):
    p = refused(app, nurse, w06, upcr=("-0.1", "mg/mg"))
    assert p.all_row_messages() == {"upcr": {"value": [
        "UPCR -0.1 mg/mg is below the possible range 0-30 mg/mg."]}}


# Warn: implausible values need a confirmation -------------------------------------------------


def test_creatinine_above_usual_range_needs_confirmation_beside_the_field(app, nurse, w06):
    # Girl born 2018-05-10, sample 2026-04-27: 2909 days = 7.96441 years. 1.5 x Pottel's Q:
    # 1.5 x (0.0270 x 7.96441 + 0.2329) = 0.671909 mg/dL x 88.4 = 59.3967 umol/L (shown 59.3).
    p = refused(app, nurse, w06, creatinine=("80", "umol/L"))
    assert p.all_row_messages() == {"creatinine": {"confirm": [
        "Serum creatinine 80 µmol/L is above 1.5 × the median for age 8.0 years "
        f"(59.3 µmol/L). {CONFIRM}"]}}
    assert p.results["creatinine"].confirm_box_inputs == ["creatinine-confirm"]
    assert p.input("creatinine-confirm")["type"] == "checkbox"
    assert p.checkboxes["creatinine-confirm"] is False
    # Only the field that warns gets a confirmation box.
    assert [k for k, row in p.results.items() if row.confirm_box_inputs] == ["creatinine"]
    assert p.value("creatinine-value") == "80"


def test_confirmed_warning_saves_and_the_confirmation_is_stored_and_audited(app, nurse, w06):
    saved(nurse, w06, creatinine={"value": "80", "unit": "umol/L", "confirm": "y"})
    r = stored_results(app, w06)["creatinine"]
    assert (r.typed_value, r.value, r.warn_confirmed) == ("80", 80, True)
    assert stored_results(app, w06)["cystatin_c"].warn_confirmed is False
    trail = audit_rows(app, entity="result", entity_id=r.id, field="warn_confirmed")
    assert [(e.new, e.username) for e in trail] == [("yes", "nurse")]
    # The box is not ticked in advance: the confirmation holds for 80 µmol/L only.
    html = nurse.get(f"/visits/{w06}").text
    assert 'id="creatinine-confirm"' not in html
    assert re.search(r'id="result-creatinine".*?confirmed by nurse', html, re.S)


def test_a_confirmation_does_not_carry_over_to_a_changed_value(app, nurse, w06):
    saved(nurse, w06, creatinine={"value": "80", "unit": "umol/L", "confirm": "y"})
    changed = results_form(nurse, w06, creatinine={"value": "700", "unit": "umol/L"},
                           reason="Lab re-issued the report")
    response = nurse.post(f"/visits/{w06}", data=changed)
    assert response.status_code == 422
    assert "Serum creatinine 700 µmol/L is above 1.5 × the median for age" in response.text
    assert stored_results(app, w06)["creatinine"].typed_value == "80"
    same = results_form(nurse, w06, creatinine={"value": "80", "unit": "umol/L"},
                        cystatin_c=("0.95", ""), reason="Cystatin C re-measured")
    assert nurse.post(f"/visits/{w06}", data=same).status_code == 302  # 80 stays confirmed


def test_upcr_of_exactly_2_mg_per_mg_needs_confirmation(app, nurse, w06):
    p = refused(app, nurse, w06, upcr=("2", "mg/mg"))
    assert p.all_row_messages() == {"upcr": {"confirm": [
        f"UPCR 2 mg/mg is above the usual range 0.02-2 mg/mg. {CONFIRM}"]}}


def test_upcr_just_under_2_mg_per_mg_saves_without_confirmation(app, nurse, w06):
    saved(nurse, w06, upcr=("1.99", "mg/mg"))
    assert stored_results(app, w06)["upcr"].warn_confirmed is False


def test_24_hour_protein_at_40_mg_per_m2_per_hour_for_the_childs_size_needs_confirmation(
        app, nurse, w06):
    # Height 126 cm, weight 25 kg (RESULTS): BSA = sqrt(25 x 126 / 3600) = sqrt(0.875)
    # = 0.93541 m²; x 24 h = 22.450. 900 mg/24h / 22.450 = 40.09 mg/m²/h (>= 40: confirm);
    # 890 mg/24h / 22.450 = 39.64 (saves).
    p = refused(app, nurse, w06, protein_24h=("900", "mg/24h"))
    assert p.all_row_messages() == {"protein_24h": {"confirm": [
        f"24-hour urine protein 900 mg/24h is 40.1 mg/m²/h, at or above 40 mg/m²/h. {CONFIRM}"]}}
    saved(nurse, w06, protein_24h=("890", "mg/24h"))
    assert stored_results(app, w06)["protein_24h"].warn_confirmed is False


def test_24_hour_protein_rate_uses_the_height_and_weight_entered_with_it(app, nurse, w06):
    # 900 mg/24h for 150 cm, 45 kg: BSA = sqrt(1.875) = 1.3693, 900 / 32.863 = 27.4 mg/m²/h.
    saved(nurse, w06, protein_24h=("0.9", "g/24h"), height=("150", ""), weight=("45", ""))
    assert stored_results(app, w06)["protein_24h"].value == 900


# Not done -------------------------------------------------------------------------------------


def test_analyte_not_done_with_reason_stores_reason_and_no_value(app, nurse, w06):
    saved(nurse, w06,
          creatinine={"value": "", "not_done": "y", "not_done_reason": "haemolysed"})
    r = stored_results(app, w06)["creatinine"]
    assert r.not_done_reason == "haemolysed"
    assert (r.typed_value, r.typed_unit, r.value, r.unit, r.qualifier) == (
        None, None, None, None, None)
    assert r.test_code == "CREAT"
    p = page(nurse.get(f"/visits/{w06}"))
    assert p.checkboxes["creatinine-not_done"] is True
    assert p.value("creatinine-not_done_reason") == "haemolysed"


def test_analyte_not_done_without_reason_is_refused_at_the_reason(app, nurse, w06):
    p = refused(app, nurse, w06, creatinine={"value": "", "not_done": "y"})
    assert p.all_row_messages() == {"creatinine": {"not_done": [
        "Say why Serum creatinine was not done."]}}
    assert p.checkboxes["creatinine-not_done"] is True


def test_analyte_not_done_and_a_value_is_refused(app, nurse, w06):
    p = refused(app, nurse, w06, creatinine={"value": "40", "not_done": "y",
                                             "not_done_reason": "haemolysed"})
    assert p.all_row_messages() == {"creatinine": {"value": [
        "Enter a value or mark Serum creatinine not done, not both."]}}
    assert p.value("creatinine-not_done_reason") == "haemolysed"


@pytest.mark.parametrize("key, label", [("height", "Height (cm)"), ("weight", "Weight (kg)")])
def test_required_height_and_weight_missing_is_refused(app, nurse, w06, key, label):
    p = refused(app, nurse, w06, **{key: ("", "")})
    assert p.all_row_messages() == {key: {"value": [f"Enter {label} or mark it not done."]}}


def test_optional_analyte_left_empty_stores_no_row(app, nurse, w06):
    saved(nurse, w06, cystatin_c=("", ""), dysmorphic_rbc=("", ""))
    assert set(stored_results(app, w06)) == set(RESULTS) - {"cystatin_c", "dysmorphic_rbc"}


# Garbage --------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed, unit, shown", [
    ("abc", "umol/L", "µmol/L"),
    ("4,5", "mg/dL", "mg/dL"),
    ("nan", "umol/L", "µmol/L"),
    ("1e999", "umol/L", "µmol/L"),
])
def test_text_that_is_not_a_number_is_refused_naming_what_was_typed_and_the_unit(
        app, nurse, w06, typed, unit, shown):
    p = refused(app, nurse, w06, creatinine=(typed, unit))
    comma = ", with a decimal point (0.45, not 0,45)" if "," in typed else ""
    assert p.all_row_messages() == {"creatinine": {"value": [
        f"Serum creatinine: got '{typed}'. Expected a number in {shown}{comma}."]}}
    assert p.value("creatinine-value") == typed


def test_unknown_unit_code_is_refused_not_a_server_error(app, nurse, w06):
    p = refused(app, nurse, w06, creatinine=("40", "mmol/day"))
    assert p.all_row_messages() == {"creatinine": {"value": [
        "Got unit 'mmol/day'. Expected one of: µmol/L, mg/dL."]}}


def test_unknown_qualifier_is_refused(app, nurse, w06):
    p = refused(app, nurse, w06, urine_rbc={"value": "", "qualifier": "lots"})
    assert p.all_row_messages() == {"urine_rbc": {"value": ["Choose a result from the list."]}}


def test_sample_date_that_is_not_a_date_is_refused_at_the_sample_date(app, nurse, w06):
    p = refused(app, nurse, w06, sample_date="2026-02-30")
    assert p.field_errors == {
        "sample_date": ["Got '2026-02-30'. Expected a date like 2026-01-31."]}
    assert p.value("sample_date") == "2026-02-30"


# Sample date ----------------------------------------------------------------------------------


@pytest.mark.parametrize("sample, days, badge", [
    ("2026-04-04", 2, "sample 2 days after the window"),  # window ends 2026-04-02
    ("2026-04-03", 1, "sample 1 day after the window"),
    ("2026-03-24", -3, "sample 3 days before the window"),  # window starts 2026-03-27
])
def test_sample_outside_the_window_is_saved_and_flagged_with_its_offset(
        app, nurse, scheduled, sample, days, badge):
    w02 = visit_id(app, scheduled, "W02")
    saved(nurse, w02, sample_date=sample)
    v = stored_visit(app, w02)
    assert (v.status, v.actual_date.isoformat(), v.sample_deviation_days) == (
        "done", sample, days)
    assert badge in page(nurse.get(f"/visits/{w02}")).text


@pytest.mark.parametrize("sample", ["2026-03-27", "2026-04-02"])
def test_sample_on_either_edge_of_the_window_is_no_deviation(app, nurse, scheduled, sample):
    w02 = visit_id(app, scheduled, "W02")
    saved(nurse, w02, sample_date=sample)
    assert stored_visit(app, w02).sample_deviation_days == 0
    text = page(nurse.get(f"/visits/{w02}")).text
    assert "after the window" not in text and "before the window" not in text


@pytest.mark.parametrize("sample", ["2026-04-28", "2026-05-02"])
def test_sample_date_after_today_is_refused(app, nurse, w06, sample):
    p = refused(app, nurse, w06, sample_date=sample)
    assert p.field_errors == {"sample_date": [f"The sample date {sample} is in the future."]}
    assert p.all_row_messages() == {}


# Corrections ----------------------------------------------------------------------------------


def test_changing_a_saved_value_without_reason_is_refused_at_reason_and_nothing_changes(
        app, nurse, w06):
    saved(nurse, w06)
    before, visit_before = audit_count(app), stored_visit(app, w06)
    response = nurse.post(f"/visits/{w06}",
                          data=results_form(nurse, w06, creatinine=("45", "umol/L")))
    assert response.status_code == 422
    p = page(response)
    assert p.field_errors == {"reason": ["Say why the saved results are being changed."]}
    assert p.all_row_messages() == {}
    assert p.value("creatinine-value") == "45"
    assert stored_results(app, w06)["creatinine"].typed_value == "40"
    assert stored_visit(app, w06).version == visit_before.version
    assert audit_count(app) == before


def test_correction_with_reason_is_saved_audited_and_shown_in_the_field_history(
        app, nurse, w06):
    saved(nurse, w06)
    creatinine_id = stored_results(app, w06)["creatinine"].id
    data = results_form(nurse, w06, creatinine=("45", "umol/L"))
    data["reason"] = "lab re-issued the report"
    response = nurse.post(f"/visits/{w06}", data=data)
    assert response.status_code == 302, response.text
    r = stored_results(app, w06)["creatinine"]
    assert (r.id, r.typed_value, r.value) == (creatinine_id, "45", 45)
    trail = audit_rows(app, entity="result", entity_id=r.id, action="update")
    assert {(e.field, e.old, e.new, e.reason, e.username) for e in trail} == {
        ("typed_value", "40", "45", "lab re-issued the report", "nurse"),
    }
    assert all(e.at is not None for e in trail)
    history = page(nurse.get(f"/visits/{w06}")).results["creatinine"].history
    assert any(line.endswith("nurse: 40 → 45 µmol/L (lab re-issued the report)")
               for line in history), history
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d nurse: 40 → 45 µmol/L", history[-1]), history


def test_field_history_on_a_visit_page_shows_only_that_visits_changes(
        app, nurse, scheduled):
    w02, w06 = visit_id(app, scheduled, "W02"), visit_id(app, scheduled, "W06")
    saved(nurse, w02, sample_date="2026-03-30", creatinine=("35", "umol/L"))
    saved(nurse, w06, creatinine=("41", "umol/L"))
    w06_history = page(nurse.get(f"/visits/{w06}")).results["creatinine"].history
    assert any(line.endswith("nurse: 41 µmol/L") for line in w06_history), w06_history
    assert not any(line.endswith("35 µmol/L") for line in w06_history), w06_history
    w02_history = page(nurse.get(f"/visits/{w02}")).results["creatinine"].history
    assert any(line.endswith("nurse: 35 µmol/L") for line in w02_history), w02_history
    assert not any(line.endswith("41 µmol/L") for line in w02_history), w02_history


def test_saving_the_same_values_again_needs_no_reason(app, nurse, w06):
    saved(nurse, w06)
    before = audit_count(app)
    saved(nurse, w06)
    assert stored_results(app, w06)["creatinine"].typed_value == "40"
    assert audit_rows(app)[before:] == []


def test_changing_only_the_sample_date_needs_a_reason(app, nurse, w06):
    saved(nurse, w06)
    response = nurse.post(f"/visits/{w06}",
                          data=results_form(nurse, w06, sample_date="2026-04-26"))
    assert response.status_code == 422
    assert page(response).field_errors == {
        "reason": ["Say why the saved results are being changed."]}
    assert stored_visit(app, w06).actual_date == date(2026, 4, 27)


def test_clearing_an_analyte_on_correction_deletes_its_row_and_audits_the_deletion(
        app, nurse, w06):
    saved(nurse, w06)
    cystatin_id = stored_results(app, w06)["cystatin_c"].id
    data = results_form(nurse, w06, cystatin_c=("", ""))
    data["reason"] = "belongs to another child"
    response = nurse.post(f"/visits/{w06}", data=data)
    assert response.status_code == 302, response.text
    assert "cystatin_c" not in stored_results(app, w06)
    deleted = audit_rows(app, entity="result", entity_id=cystatin_id, action="delete")
    assert {(e.field, e.old, e.new) for e in deleted} >= {
        ("field", "cystatin_c", None), ("typed_value", "0.9", None)}
    assert {(e.username, e.reason) for e in deleted} == {("nurse", "belongs to another child")}
    # The field's history on the page keeps its entry and its clearing, with the reason.
    history = page(nurse.get(f"/visits/{w06}")).results["cystatin_c"].history
    assert any(line.endswith("nurse: 0.9 mg/L") for line in history), history
    assert any(line.endswith("nurse: 0.9 mg/L removed (belongs to another child)")
               for line in history), history


# Two nurses on one visit (optimistic locking) -------------------------------------------------


def test_second_save_from_a_stale_form_is_refused_showing_the_other_change_and_keeping_typing(
        app, as_role, w06):
    first, second = as_role("nurse"), as_role("investigator")
    first_form = results_form(first, w06, creatinine=("45", "umol/L"))
    second_form = results_form(second, w06, creatinine=("50", "umol/L"), upcr=("0.4", "mg/mg"))
    assert first_form["version"] == second_form["version"]

    assert first.post(f"/visits/{w06}", data=first_form).status_code == 302
    response = second.post(f"/visits/{w06}", data=second_form)
    assert response.status_code == 409, response.text
    p = page(response)
    assert CONFLICT in p.text
    assert p.conflict, "the other nurse's changes are listed"
    creatinine_lines = [line for line in p.conflict if "Serum creatinine" in line]
    assert creatinine_lines and all(" nurse: " in line for line in creatinine_lines)
    assert any(line.endswith("Serum creatinine 45 µmol/L") for line in creatinine_lines), (
        creatinine_lines)
    # The second nurse's typing is still on the form; the database keeps the first save.
    assert p.value("creatinine-value") == "50"
    assert p.value("upcr-value") == "0.4"
    assert p.value("sample_date") == "2026-04-27"
    assert stored_results(app, w06)["creatinine"].typed_value == "45"
    assert stored_results(app, w06)["upcr"].typed_value == "0.45"
    # The re-shown form carries the version now stored.
    assert p.value("version") == str(stored_visit(app, w06).version)
    assert p.value("version") != second_form["version"]

    # Saving again from that form is a correction of a saved visit: it needs a reason.
    again = p.form_data()
    assert again["creatinine-value"] == "50"
    response = second.post(f"/visits/{w06}", data=again)
    assert response.status_code == 422, response.text
    p = page(response)
    assert p.field_errors == {"reason": ["Say why the saved results are being changed."]}
    again = p.form_data()
    again["reason"] = "value checked against the lab report"
    response = second.post(f"/visits/{w06}", data=again)
    assert response.status_code == 302, response.text
    rows = stored_results(app, w06)
    assert (rows["creatinine"].typed_value, rows["upcr"].typed_value) == ("50", "0.4")
    trail = audit_rows(app, entity="result", entity_id=rows["creatinine"].id,
                       field="typed_value")
    assert [(e.old, e.new, e.username) for e in trail] == [
        (None, "45", "nurse"), ("45", "50", "investigator")]


def test_stale_version_is_refused_even_when_the_first_save_changed_nothing_typed(
        app, as_role, w06):
    first, second = as_role("nurse"), as_role("investigator")
    second_form = results_form(second, w06)
    saved(first, w06)
    response = second.post(f"/visits/{w06}", data=second_form)
    assert response.status_code == 409
    assert CONFLICT in page(response).text


def test_conflict_lists_an_analyte_the_other_nurse_cleared(app, as_role, w06):
    first, second = as_role("nurse"), as_role("investigator")
    saved(first, w06)
    first_form = results_form(first, w06, cystatin_c=("", ""))
    first_form["reason"] = "belongs to another child"
    second_form = results_form(second, w06, creatinine=("42", "umol/L"))
    second_form["reason"] = "typo"
    assert first.post(f"/visits/{w06}", data=first_form).status_code == 302
    response = second.post(f"/visits/{w06}", data=second_form)
    assert response.status_code == 409, response.text
    p = page(response)
    assert p.value("creatinine-value") == "42"  # what she typed stays
    # She did not touch cystatin C: the form now shows the other nurse's change (cleared), so
    # saving again does not silently undo it.
    assert p.value("cystatin_c-value") == ""
    assert any(line.endswith("nurse: Cystatin C 0.9 mg/L removed (belongs to another child)")
               for line in p.conflict or []), p.conflict
    assert "cystatin_c" not in stored_results(app, w06)
    assert stored_results(app, w06)["creatinine"].typed_value == "40"


def test_after_a_conflict_saving_again_keeps_the_other_change_and_flags_shared_fields(
        app, as_role, w06):
    first, second = as_role("nurse"), as_role("investigator")
    saved(first, w06)
    first_form = results_form(first, w06, creatinine=("45", "umol/L"), upcr=("0.5", "mg/mg"),
                              reason="Lab re-issued the report")
    second_form = results_form(second, w06, upcr=("0.6", "mg/mg"), reason="Typo in UPCR")
    assert first.post(f"/visits/{w06}", data=first_form).status_code == 302
    clash = second.post(f"/visits/{w06}", data=second_form)
    assert clash.status_code == 409
    p = page(clash)
    assert p.value("creatinine-value") == "45"  # the other change, shown
    assert p.value("upcr-value") == "0.6"  # both changed it: hers is kept, and it is said
    assert ("Someone else changed UPCR too; theirs is 0.5 mg/mg. Keep yours or type theirs, "
            "then save.") in clash.text
    again = {name: value for name, value in re.findall(
        r'<(?:input|select)[^>]*name="([^"]+)"[^>]*value="([^"]*)"', clash.text)}
    resubmit = {**second_form, **{k: html.unescape(v) for k, v in again.items()
                                  if k in ("version", "watermark") or k.endswith("-opened")},
                "creatinine-value": p.value("creatinine-value"), "upcr-value": "0.6"}
    assert second.post(f"/visits/{w06}", data=resubmit).status_code == 302
    stored = stored_results(app, w06)
    assert (stored["creatinine"].typed_value, stored["upcr"].typed_value) == ("45", "0.6")


def test_marking_the_visit_missed_while_another_nurse_has_it_open_is_reported_to_her(
        app, as_role, scheduled):
    w02 = visit_id(app, scheduled, "W02")
    first, second = as_role("nurse"), as_role("investigator")
    second_form = results_form(second, w02, sample_date="2026-04-01")
    assert submit(first, f"/visits/{w02}/missed", {"reason": "no show"}).status_code == 302
    response = second.post(f"/visits/{w02}", data=second_form)
    assert response.status_code == 409, response.text
    p = page(response)
    assert any(line.endswith("nurse: status planned → missed (no show)")
               for line in p.conflict or []), (
        p.conflict)
    assert p.value("sample_date") == "2026-04-01"
    assert stored_results(app, w02) == {}
    assert stored_visit(app, w02).status == "missed"


@pytest.mark.parametrize("version", ["abc", "", "999"])
def test_tampered_version_is_a_conflict_not_a_server_error(app, nurse, w06, version):
    data = results_form(nurse, w06)
    data["version"] = version
    before = audit_count(app)
    response = nurse.post(f"/visits/{w06}", data=data)
    assert response.status_code == 409, response.text
    assert CONFLICT in page(response).text
    assert_nothing_stored(app, w06, before)


# Missed visits --------------------------------------------------------------------------------


def test_missed_with_reason_marks_the_visit_missed_and_audits_it(app, nurse, scheduled):
    w02 = visit_id(app, scheduled, "W02")
    response = submit(nurse, f"/visits/{w02}/missed", {"reason": "family travelling"})
    assert response.status_code == 302
    assert response.location == f"/participants/{scheduled}"
    v = stored_visit(app, w02)
    assert (v.status, v.missed_reason, v.actual_date) == ("missed", "family travelling", None)
    trail = audit_rows(app, entity="visit", entity_id=w02, action="update")
    assert {(e.field, e.old, e.new, e.reason, e.username) for e in trail} == {
        ("status", "planned", "missed", "family travelling", "nurse"),
        ("missed_reason", None, "family travelling", "family travelling", "nurse"),
    }
    p = page(nurse.get(response.location))
    assert ("success", "W02 is marked missed.") in p.flashes


def test_missed_without_reason_is_refused_and_the_visit_stays_planned(app, nurse, scheduled):
    w02 = visit_id(app, scheduled, "W02")
    before = audit_count(app)
    response = submit(nurse, f"/visits/{w02}/missed", {"reason": "   "})
    assert response.status_code == 422
    missed = response.text[response.text.index('id="missed"'):]
    assert missed.startswith('id="missed" open')  # the form stays open, the message at its field
    assert "Say why the visit was missed." in missed[:missed.index("</details>")]
    assert stored_visit(app, w02).status == "planned"
    assert audit_count(app) == before


def test_a_done_visit_cannot_be_marked_missed(app, nurse, w06):
    saved(nurse, w06)
    response = submit(nurse, f"/visits/{w06}/missed", {"reason": "clicked by mistake"},
                      follow_redirects=True)
    assert ("error", "Only a planned visit can be marked missed.") in page(response).flashes
    v = stored_visit(app, w06)
    assert (v.status, v.missed_reason) == ("done", None)


def test_saving_results_for_a_missed_visit_makes_it_done_and_clears_the_reason(
        app, nurse, scheduled):
    w02 = visit_id(app, scheduled, "W02")
    submit(nurse, f"/visits/{w02}/missed", {"reason": "no show"})
    refused = nurse.post(f"/visits/{w02}", data=results_form(nurse, w02, sample_date="2026-04-01"))
    assert refused.status_code == 422
    assert "This visit was marked missed: say why it has results." in refused.text
    saved(nurse, w02, sample_date="2026-04-01", reason="Came a day late after all")
    v = stored_visit(app, w02)
    assert (v.status, v.missed_reason, v.actual_date) == ("done", None, date(2026, 4, 1))


# Unscheduled and screening visits -------------------------------------------------------------


def test_unscheduled_visits_are_numbered_and_listed_between_scheduled_ones_by_date(
        app, nurse, scheduled):
    response = add_visit(nurse, scheduled, kind="unscheduled", date="2026-04-10",
                         reason="gross haematuria")
    assert response.status_code == 302
    visits = visits_of(app, scheduled)
    assert response.location == f"/visits/{visits['U01'].id}"
    assert add_visit(nurse, scheduled, kind="unscheduled", date="2026-04-20",
                     reason="fever").status_code == 302
    visits = visits_of(app, scheduled)
    u01, u02 = visits["U01"], visits["U02"]
    assert (u01.kind, u01.status, u01.target_date, u01.window_start, u01.window_end) == (
        "unscheduled", "planned", date(2026, 4, 10), date(2026, 4, 10), date(2026, 4, 10))
    assert (u02.kind, u02.target_date) == ("unscheduled", date(2026, 4, 20))
    assert [e.reason for e in audit_rows(app, entity="visit", entity_id=u01.id,
                                         field="code")] == ["gross haematuria"]
    # W02 due 03-30, W04 04-13, W06 04-27.
    codes = page(nurse.get(f"/participants/{scheduled}")).visit_codes
    assert codes[:5] == ["W02", "U01", "W04", "U02", "W06"]
    assert len(codes) == 13


def test_unscheduled_visit_without_reason_is_refused(app, nurse, scheduled):
    response = add_visit(nurse, scheduled, kind="unscheduled", date="2026-04-10", reason="")
    assert response.status_code == 422
    p = page(response)
    assert p.errors == {"reason": ["Say why the unscheduled visit is needed."]}
    assert p.inputs["date"][0].get("value") == "2026-04-10"
    assert "U01" not in visits_of(app, scheduled)


def test_unscheduled_visit_with_a_bad_date_is_refused_without_error_page(app, nurse, scheduled):
    response = add_visit(nurse, scheduled, kind="unscheduled", date="10/04/2026",
                         reason="fever")
    assert response.status_code == 422
    p = page(response)
    assert p.errors == {"date": ["Got '10/04/2026'. Expected a date like 2026-01-31."]}
    assert p.inputs["date"][0].get("value") == "10/04/2026"
    assert "U01" not in visits_of(app, scheduled)


def test_screening_visit_window_is_the_28_days_before_infusion_1_and_only_one_is_allowed(
        app, nurse, scheduled):
    response = add_visit(nurse, scheduled, kind="screening")
    assert response.status_code == 302
    scr = visits_of(app, scheduled)["SCR"]
    assert response.location == f"/visits/{scr.id}"
    assert (scr.kind, scr.status, scr.window_start, scr.window_end, scr.target_date) == (
        "screening", "planned", date(2026, 2, 2), date(2026, 3, 2), date(2026, 3, 2))
    assert "Window 2026-02-02 Mon to 2026-03-02 Mon" in page(nurse.get(response.location)).text
    response = add_visit(nurse, scheduled, kind="screening")
    assert response.status_code == 422
    assert ("error", "This child already has a screening visit.") in page(response).flashes
    assert [c for c in visits_of(app, scheduled) if c.startswith("SCR")] == ["SCR"]


def test_screening_sample_before_its_window_is_flagged(app, nurse, scheduled):
    add_visit(nurse, scheduled, kind="screening")
    scr = visits_of(app, scheduled)["SCR"].id
    saved(nurse, scr, sample_date="2026-01-30")  # window starts 2026-02-02
    v = stored_visit(app, scr)
    assert (v.status, v.sample_deviation_days) == ("done", -3)


def test_unknown_visit_kind_is_refused(app, nurse, scheduled):
    before = set(visits_of(app, scheduled))
    response = add_visit(nurse, scheduled, kind="bonus", reason="x")
    assert response.status_code == 422
    assert ("error", "Choose screening or unscheduled.") in page(response).flashes
    assert set(visits_of(app, scheduled)) == before


# Roles ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["monitor", "unblinded"])
def test_read_only_roles_cannot_save_results_mark_missed_or_add_visits(
        app, nurse, as_role, scheduled, role):
    w06 = visit_id(app, scheduled, "W06")
    data = results_form(nurse, w06)
    client = as_role(role)
    before = audit_count(app)
    assert client.post(f"/visits/{w06}", data=data).status_code == 403
    assert submit(client, f"/visits/{w06}/missed", {"reason": "x"}).status_code == 403
    assert add_visit(client, scheduled, kind="unscheduled", date="2026-04-10",
                     reason="x").status_code == 403
    assert add_visit(client, scheduled, kind="screening").status_code == 403
    assert_nothing_stored(app, w06, before)
    assert not {"U01", "SCR"} & set(visits_of(app, scheduled))


def test_monitor_sees_the_values_read_only(app, nurse, as_role, w06):
    saved(nurse, w06, creatinine=("0.50", "mg/dL"),
          urine_rbc={"value": "", "qualifier": "too numerous to count"},
          cystatin_c={"value": "", "not_done": "y", "not_done_reason": "no sample"})
    response = as_role("monitor").get(f"/visits/{w06}")
    assert response.status_code == 200
    p = page(response)
    assert "creatinine-value" not in p.inputs
    assert not [name for name in p.inputs if name.endswith(("-value", "-unit"))]
    forms = re.findall(r"<form[^>]*>", response.text.split("<main", 1)[1].split("</main>")[0])
    # The forms a monitor has there raise a query on a value, and mark the visit verified.
    assert sum('/verify"' in form for form in forms) == 1, forms
    assert all('action="/queries/new"' in form or '/verify"' in form for form in forms), forms
    shown = {cells[0]: cells[1] for cells in p.table_rows if len(cells) == 3}
    assert shown["Serum creatinine"] == "0.50 mg/dL"
    assert shown["Urine RBC"] == "too numerous to count"
    assert shown["Cystatin C"] == "not done: no sample"
    assert shown["Height (cm)"] == "126 cm"


# Trends on the participant page ---------------------------------------------------------------


def test_participant_trend_shows_change_from_baseline_and_partial_remission_with_svg_chart(
        app, nurse, scheduled):
    add_visit(nurse, scheduled, kind="screening")
    scr = visits_of(app, scheduled)["SCR"].id
    saved(nurse, scr, sample_date="2026-02-25", upcr=("1.2", "mg/mg"))
    saved(nurse, visit_id(app, scheduled, "W06"), upcr=("0.5", "mg/mg"))
    response = nurse.get(f"/participants/{scheduled}")
    assert response.status_code == 200
    p = page(response)
    assert list(p.trend) == ["SCR", "W06"]
    w06 = p.trend["W06"]
    # (0.5 - 1.2) / 1.2 = -58.3 %: a fall of at least 50 % to above 0.2 and below 2 mg/mg.
    assert w06.cells["m-upcr"] == "0.5 mg/mg -58 %"
    assert "partial remission" in w06.text
    assert "baseline" in p.trend["SCR"].text
    assert "-58 %" not in p.trend["SCR"].text
    html = response.get_data(as_text=True)
    assert re.search(r"<svg[^>]*xmlns=\"http://www.w3.org/2000/svg\"", html)
    assert "<script" not in html.lower()
    assert "<img" not in html.lower()


def test_the_results_table_lists_every_visit_with_its_sample_or_why_there_is_none(
        app, nurse, scheduled):
    w06 = visit_id(app, scheduled, "W06")
    saved(nurse, w06)
    submit(nurse, f"/visits/{visit_id(app, scheduled, 'W02')}/missed", {"reason": "Flu"})
    html = nurse.get(f"/participants/{scheduled}").text
    rows = re.findall(r'<tr data-trend="(\w+)"', html)
    assert rows == ["W02", "W04", "W06", "W08", "M03", "M04", "M05", "M06", "M08", "M10", "M12"]
    w02 = re.search(r'data-trend="W02".*?</tr>', html, re.S).group(0)
    assert "missed: Flu" in w02
    w08 = re.search(r'data-trend="W08".*?</tr>', html, re.S).group(0)
    assert "no sample yet" in w08
    header = re.search(r'<table class="grid trend">.*?</thead>', html, re.S).group(0)
    assert [h for h in ("24-hour urine protein", "UPCR", "Urine RBC", "Serum creatinine",
                        "eGFR (lab)", "Cystatin C") if h in header] == [
        "24-hour urine protein", "UPCR", "Urine RBC", "Serum creatinine", "eGFR (lab)"]


def test_a_visit_is_not_done_without_its_primary_outcome_results(app, nurse, w06):
    """UPCR, urine RBC and serum creatinine carry the trial's outcomes: each is entered or
    marked not done with a reason, never silently left out."""
    blank = {key: ("", unit) for key, (_value, unit) in RESULTS.items()}
    response = nurse.post(f"/visits/{w06}", data=results_form(
        nurse, w06, **{**blank, "height": ("126", ""), "weight": ("25", "")}))
    assert response.status_code == 422
    text = html.unescape(response.text)
    for label in ("UPCR", "Urine RBC", "Serum creatinine"):
        assert f"Enter {label} or mark it not done." in text
    assert "Enter Cystatin C or mark it not done." not in text
    assert stored_visit(app, w06).status == "planned"


def test_a_shared_change_names_the_other_value_in_its_unit_and_the_same_value_is_no_conflict(
        app, as_role, w06):
    first, second = as_role("nurse"), as_role("investigator")
    saved(first, w06)
    first_form = results_form(first, w06, creatinine=("45", "umol/L"), upcr=("0.5", "mg/mg"),
                              reason="Lab re-issued the report")
    second_form = results_form(second, w06, creatinine=("47", "umol/L"), upcr=("0.5", "mg/mg"),
                               reason="Lab re-issued the report")
    assert first.post(f"/visits/{w06}", data=first_form).status_code == 302
    clash = second.post(f"/visits/{w06}", data=second_form)
    assert clash.status_code == 409
    text = html.unescape(clash.text)
    assert ("Someone else changed Serum creatinine too; theirs is 45 µmol/L. Keep yours or "
            "type theirs, then save.") in text
    assert "Someone else changed UPCR too" not in text  # both typed 0.5 mg/mg


def test_a_follow_up_sample_from_before_its_infusion_is_refused(app: Flask, nurse,
                                                                  scheduled: int) -> None:
    """W02 counts from infusion 2: a sample dated before it cannot be an outcome of the
    treatment (the screening visit holds the samples from before)."""
    w02 = visits_of(app, scheduled)["W02"]
    anchor = w02.anchor_date
    before = date.fromordinal(anchor.toordinal() - 1).isoformat()
    shown = refused(app, nurse, w02.id, sample_date=before)
    assert shown.errors["sample_date"] == [
        f"The sample date {before} is before infusion 2 ({anchor.isoformat()}), from which W02 "
        "counts: a follow-up sample is taken after it. A sample from before the infusions "
        "belongs to the screening visit."]
    saved(nurse, w02.id, sample_date=anchor.isoformat())  # the day of the infusion is after it
    assert stored_visit(app, w02.id).actual_date == anchor


@pytest.mark.parametrize("typed", ["1,200", "１，２００", "12,500.5"])
def test_a_number_with_thousands_separators_is_refused_with_the_number_to_type(
        app, nurse, w06, typed):
    """A nurse copying 1,200 mg/24h from a lab report is told to type 1200, not to use a
    decimal point (which would make it 1.200, a thousand times less)."""
    p = refused(app, nurse, w06, protein_24h=(typed, "mg/24h"))
    plain = typed.replace("１，２００", "1,200")
    assert p.all_row_messages() == {"protein_24h": {"value": [
        f"24-hour urine protein: got '{plain}'. Type the number without a thousands separator: "
        f"{plain.replace(',', '')}."]}}
    assert p.value("protein_24h-value") == plain  # full-width read as its ASCII twin


@pytest.mark.parametrize("item, typed, unit, message", [
    # 1.200 for 1,200 mg/24h: 1.2 mg in a day's urine is under what an assay measures.
    ("protein_24h", "1.200", "mg/24h",
     "24-hour urine protein 1.2 mg/24h is below the usual range 10-20000 mg/24h. Check it "
     "against the lab report"),
    # 0.8 typed in mg/g for 0.8 mg/mg: 0.0008 mg/mg would read as complete remission.
    ("upcr", "0.8", "mg/g", "UPCR 0.8 mg/g is below the usual range 20-2000 mg/g. Check it "
     "against the lab report"),
])
def test_a_result_below_what_an_assay_measures_needs_confirming(app, nurse, w06, item, typed,
                                                               unit, message):
    p = refused(app, nurse, w06, **{item: (typed, unit)})
    assert p.all_row_messages()[item]["confirm"][0].startswith(message)
