"""The case report form definition (edc.protocol.crf): item types, coded choice lists, CDISC
domain and variable, per-visit, once and log forms, and the roles the rules find items by."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from edc.protocol.crf import ITEM_TYPES, RESULT_ROLES, load_form, load_results_form
from edc.protocol.study import StudyDefinitionError, load_study
from edc.rules.trends import Measurement, VisitResults, trend
from tests.support.study_files import edit, load_error

FORMS = Path(__file__).resolve().parents[2] / "forms"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def log_error(tmp_path: Path, old: str, new: str) -> StudyDefinitionError:
    shutil.copy(FIXTURES / "adverse_events.toml", tmp_path / "adverse_events.toml")
    edit(tmp_path, "adverse_events.toml", old, new)
    with pytest.raises(StudyDefinitionError) as info:
        load_form(tmp_path, "adverse_events.toml")
    return info.value


# --- a repeating log form ---------------------------------------------------------------------


def test_a_log_form_loads_with_one_item_of_every_type() -> None:
    log = load_form(FIXTURES, "adverse_events.toml")
    assert (log.kind, log.domain, log.title_zh) == ("log", "AE", "不良事件")
    assert [(f.key, f.type) for f in log.fields] == [
        ("term", "text"), ("start_date", "date"), ("start_time", "time"), ("severity", "choice"),
        ("serious", "yesno"), ("actions", "multichoice"), ("duration_days", "integer"),
        ("temperature", "number")]
    assert {f.type for f in log.fields} == set(ITEM_TYPES)


def test_a_log_forms_items_take_its_domain_and_name_their_cdisc_variable() -> None:
    log = load_form(FIXTURES, "adverse_events.toml")
    assert [(f.domain, f.variable) for f in log.fields] == [
        ("AE", "AETERM"), ("AE", "AESTDTC"), ("AE", "AESTTIM"), ("AE", "AESEV"), ("AE", "AESER"),
        ("AE", "AEACN"), ("AE", "AEDUR"), ("VS", "VSTESTCD")]
    assert log.field("temperature").canonical_unit.cdisc == "TEMP"


def test_coded_choices_carry_their_labels_in_english_and_chinese() -> None:
    log = load_form(FIXTURES, "adverse_events.toml")
    severity = log.field("severity").choices
    assert [(c.code, c.label, c.label_zh) for c in severity.choices] == [
        ("MILD", "Mild", "轻度"), ("MODERATE", "Moderate", "中度"), ("SEVERE", "Severe", "重度")]
    assert log.field("actions").choices.codes == ("NONE", "INTERRUPTED", "MEDICATION")


def test_an_integer_item_takes_only_whole_numbers_and_a_number_keeps_its_limits() -> None:
    log = load_form(FIXTURES, "adverse_events.toml")
    assert log.field("duration_days").canonical_unit.integer is True
    temperature = log.field("temperature").canonical_unit
    assert (temperature.label, temperature.block, temperature.warn) == ("°C", (34, 43), (35, 40))
    assert log.field("term").max_length == 200


def test_a_log_form_without_a_domain_is_refused(tmp_path: Path) -> None:
    error = log_error(tmp_path, 'domain = "AE"\n\n[choices]', "[choices]")
    assert str(error) == ("forms/adverse_events.toml: domain: got None. Expected the domain of "
                          "each row of the log: one of AE, CM, DM, DS, DV, IE, LB, MH, VS.")


@pytest.mark.parametrize(("old", "new", "message"), [
    ('type = "date"', 'type = "datetime"',
     "fields[1].type: got 'datetime'. Expected one of number, integer, text, date, time, choice, "
     "yesno, multichoice."),
    ('choices = "severity"', 'choices = "grade"',
     "fields[3].choices: got 'grade'. Expected the name of a list under [choices]: severity, "
     "action."),
    ('variable = "AESTDTC"', 'variable = "AESTDTC"\nunits = [{ code = "d", label = "d" }]',
     "fields[1].units: got [{'code': 'd', 'label': 'd'}]. Expected no units: only number and "
     "integer items have it (this item is date)."),
    ('{ code = "MILD"', '{ code = "MODERATE"',
     "choices.severity: got ['MODERATE', 'MODERATE', 'SEVERE']. Expected distinct codes."),
    ('max_length = 200\n', '',
     "fields[0].max_length: got None. Expected a value (the key is missing)."),
    ('kind = "log"', 'kind = "repeating"',
     "kind: got 'repeating'. Expected one of visit, once, log."),
    ('variable = "AETERM"', 'variable = "ae term"',
     "fields[0].variable: got 'ae term'. Expected a string matching [A-Z][A-Z0-9]{1,7}."),
    ('type = "choice"\nchoices = "severity"', 'type = "choice"',
     "fields[3].choices: got None. Expected a value (the key is missing)."),
])
def test_a_broken_item_names_the_file_the_key_what_it_got_and_expected(
        tmp_path: Path, old: str, new: str, message: str) -> None:
    assert str(log_error(tmp_path, old, new)) == f"forms/adverse_events.toml: {message}"


# --- roles: what the rules find items by -------------------------------------------------------


def test_every_role_the_rules_use_is_declared_once_in_results_toml() -> None:
    results = load_results_form(FORMS)
    assert {f.role for f in results.fields if f.role} == set(RESULT_ROLES) == {
        "creatinine", "cystatin_c", "height", "weight", "upcr", "urine_rbc", "protein_24h",
        "egfr_lab"}
    assert results.by_role("cystatin_c").label == "Cystatin C"


@pytest.mark.parametrize("role", sorted(RESULT_ROLES))
def test_a_role_removed_from_results_toml_stops_start_up(forms: Path, role: str) -> None:
    edit(forms, "results.toml", f'role = "{role}"\n', "")
    error = load_error(forms)
    assert (error.file, error.key) == ("forms/results.toml", "fields.role")
    assert str(error).startswith("forms/results.toml: fields.role: got [")
    assert f"'{role}'" not in str(error).split(". Expected")[0]
    assert f'Expected exactly one field with role = "{role}": ' in str(error)


def test_a_renamed_role_stops_start_up_naming_the_roles_it_may_be(forms: Path) -> None:
    edit(forms, "results.toml", 'role = "cystatin_c"', 'role = "cystatin"')
    assert str(load_error(forms)) == (
        "forms/results.toml: fields[7].role: got 'cystatin'. Expected one of creatinine, "
        "cystatin_c, height, weight, upcr, urine_rbc, protein_24h, egfr_lab.")


def test_a_role_declared_twice_stops_start_up(forms: Path) -> None:
    edit(forms, "results.toml", 'key = "urea"\n', 'key = "urea"\nrole = "creatinine"\n')
    error = load_error(forms)
    assert error.key == "fields.role"
    assert 'Expected exactly one field with role = "creatinine"' in str(error)


def test_a_role_without_the_unit_the_rules_read_it_in_stops_start_up(forms: Path) -> None:
    edit(forms, "results.toml", '{ code = "mg/L", label = "mg/L", factor = 1 }',
         '{ code = "mg/dL", label = "mg/dL", factor = 1 }')
    assert str(load_error(forms)) == (
        "forms/results.toml: fields[7].units: got ['mg/dL']. Expected a number with the unit "
        "mg/L (role cystatin_c).")


def test_a_renamed_key_keeps_its_role_and_the_cystatin_egfr(forms: Path) -> None:
    edit(forms, "results.toml", 'key = "cystatin_c"', 'key = "cystatin"')
    study = load_study(forms)
    results = study.results
    assert results.by_role("cystatin_c").key == "cystatin"

    def m(key: str, value: float, unit: str) -> Measurement:
        return Measurement(key, value, unit, value, unit)

    sample = VisitResults("SCR", "Screening", date(2025, 1, 10), {
        "creatinine": m("creatinine", 39.78, "umol/L"), "cystatin": m("cystatin", 0.95, "mg/L"),
        "height": m("height", 128, "cm")})
    [row] = trend([sample], form=results, sex="M", date_of_birth=date(2017, 1, 10),
                  first_infusion=None, outcomes=study.outcomes).rows
    assert row.summary.reference_method == "u25_combined"
    assert row.summary.egfr_u25_cystatin is not None


def test_a_results_item_that_is_not_a_number_is_refused(forms: Path) -> None:
    edit(forms, "results.toml", 'key = "urine_volume"\n',
         'key = "urine_volume"\ntype = "integer"\n')
    assert str(load_error(forms)) == (
        "forms/results.toml: fields[1].type: got 'integer'. Expected number (every results item "
        "is a lab value or measure).")


def test_an_unknown_key_or_role_is_a_key_error_naming_what_there_is() -> None:
    results = load_results_form(FORMS)
    with pytest.raises(KeyError) as key:
        results.field("cystatin")
    assert str(key.value).startswith("forms/results.toml: got key 'cystatin'. Expected one of "
                                     "protein_24h, urine_volume, upcr,")
    with pytest.raises(KeyError) as role:
        results.by_role("albumin")
    assert str(role.value).startswith("forms/results.toml: got role 'albumin'. Expected one of "
                                      "protein_24h, upcr, urine_rbc,")


# --- the enrolment form ------------------------------------------------------------------------


def test_the_enrolment_form_has_the_childs_items_then_a_yes_no_question_per_criterion() -> None:
    study = load_study(FORMS)
    form = study.enrolment_form
    assert form.kind == "once"
    keys = [f.key for f in form.fields]
    assert keys[:7] == ["code", "date_of_birth", "sex", "weight_kg", "height_cm",
                        "consent_date", "screening_egfr"]
    assert keys[7:] == [f"criterion_{c.code}" for c in study.criteria]
    question = form.field("criterion_EX15")
    assert (question.type, question.domain, question.variable, question.required) == (
        "yesno", "IE", "IEORRES", True)
    assert question.label == ("EX15. Other circumstances the investigator deems inappropriate "
                              "for inclusion")
    assert (question.label_zh, question.message, question.message_zh) == (
        "EX15. 研究者认为不适合入组的其他情况", "Answer EX15.", "请回答EX15。")


def test_enrolment_sex_is_a_coded_choice_in_dm_with_english_and_chinese_labels() -> None:
    sex = load_study(FORMS).enrolment_form.field("sex")
    assert (sex.type, sex.domain, sex.variable) == ("choice", "DM", "SEX")
    assert [(c.code, c.label, c.label_zh) for c in sex.choices.choices] == [
        ("M", "Male", "男"), ("F", "Female", "女")]


def test_enrolment_weight_and_height_are_the_results_items_under_their_own_keys() -> None:
    study = load_study(FORMS)
    for key, role in (("weight_kg", "weight"), ("height_cm", "height")):
        item = study.enrolment_form.by_role(role)
        assert item.key == key
        assert item.units == study.results.by_role(role).units
        assert item.label == study.results.by_role(role).label


def test_enrolment_taking_a_role_results_toml_lacks_is_refused(forms: Path) -> None:
    edit(forms, "enrolment.toml", 'from_results = "weight"', 'from_results = "mass"')
    assert str(load_error(forms)) == (
        "forms/enrolment.toml: fields[3].from_results: got 'mass'. Expected a role of "
        "forms/results.toml: protein_24h, upcr, urine_rbc, creatinine, cystatin_c, egfr_lab, "
        "height, weight.")


def test_enrolment_without_its_weight_stops_start_up(forms: Path) -> None:
    edit(forms, "enrolment.toml", '[[fields]]\nkey = "weight_kg"\nfrom_results = "weight"\n'
         'required = true\nmessage = "Enter the weight in kg."\n'
         'message_zh = "请填写体重 (kg)。"\n', "")
    error = load_error(forms)
    assert (error.file, error.key) == ("forms/enrolment.toml", "fields.role")
    assert 'Expected exactly one field with role = "weight"' in str(error)


def test_a_missing_enrolment_file_stops_start_up(forms: Path) -> None:
    (forms / "enrolment.toml").unlink()
    error = load_error(forms)
    assert (error.file, error.key) == ("forms/enrolment.toml", "(file)")
