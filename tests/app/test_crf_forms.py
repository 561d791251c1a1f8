"""Form classes built from the case report forms: one table gives each item type its field."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import Babel
from werkzeug.datastructures import MultiDict

from edc.protocol.crf import ITEM_TYPES, load_form
from edc.protocol.study import load_study
from edc.views.crf_forms import FIELDS, crf_form, enrolment_form, results_form
from edc.views.fields import Form

ROOT = Path(__file__).resolve().parents[2]
STUDY = load_study(ROOT / "forms")
AE_LOG = load_form(ROOT / "tests" / "fixtures", "adverse_events.toml")


@pytest.fixture(autouse=True)
def request_context() -> Iterator[None]:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="t", WTF_CSRF_ENABLED=False)
    Babel(app)
    with app.test_request_context():
        yield


def posted(form_class: type, **data: str | list[str]) -> Form:
    formdata = MultiDict()
    for key, value in data.items():
        for one in value if isinstance(value, list) else [value]:
            formdata.add(key, one)
    form = form_class(formdata=formdata)
    form.validate()
    return form


def test_the_table_has_one_field_per_item_type_and_cannot_be_changed() -> None:
    assert tuple(FIELDS) == ITEM_TYPES
    with pytest.raises(TypeError):
        FIELDS["text"] = FIELDS["number"]  # type: ignore[index]


def test_each_item_type_gives_its_field() -> None:
    form = posted(crf_form(AE_LOG))
    assert {f.key: form[f.key].type for f in AE_LOG.fields} == {
        "term": "StringField", "start_date": "IsoDateField", "start_time": "IsoTimeField",
        "severity": "SelectField", "serious": "RadioField", "actions": "MultiCheckboxField",
        "duration_days": "WholeNumberField", "temperature": "NumberField"}
    assert [f.label.text for f in form] == [f.label for f in AE_LOG.fields]
    assert [f.description for f in form] == [f.label_zh for f in AE_LOG.fields]


def test_a_required_item_left_empty_shows_its_message() -> None:
    form = posted(crf_form(AE_LOG))
    assert form.errors == {"term": ["Enter the adverse event."],
                           "start_date": ["Start date is required."],
                           "severity": ["Severity is required."],
                           "serious": ["Serious is required."]}


def test_a_complete_row_is_read_into_typed_values() -> None:
    form = posted(crf_form(AE_LOG), term="Fever", start_date="2026-03-03", start_time="９:30",
                  severity="MILD", serious="no", actions=["NONE", "MEDICATION"],
                  duration_days="２", temperature="38.5")
    assert form.errors == {}
    assert (form.term.data, str(form.start_date.data), str(form.start_time.data)) == (
        "Fever", "2026-03-03", "09:30:00")
    assert (form.severity.data, form.serious.data, form.actions.data) == (
        "MILD", "no", ["NONE", "MEDICATION"])
    assert (form.duration_days.data, form.temperature.data) == (2, 38.5)


def test_coded_choices_offer_their_labels_and_refuse_other_codes() -> None:
    form = posted(crf_form(AE_LOG), severity="GRADE5", actions=["NONE", "OTHER"])
    assert [(c[0], str(c[1])) for c in form.severity.iter_choices()] == [
        ("", "—"), ("MILD", "Mild"), ("MODERATE", "Moderate"), ("SEVERE", "Severe")]
    assert [(c[0], str(c[1])) for c in form.serious.iter_choices()] == [
        ("yes", "Yes"), ("no", "No")]
    assert form.severity.errors == ["Not a valid choice."]
    assert form.actions.errors == ["'OTHER' is not a valid choice for this field."]


def test_an_integer_item_refuses_a_fraction_naming_what_was_typed_and_the_unit() -> None:
    form = posted(crf_form(AE_LOG), duration_days="2.5")
    assert form.duration_days.errors == ["Got '2.5'. Expected a whole number in days."]


def test_every_build_is_a_fresh_class_and_leaves_the_shared_classes_alone() -> None:
    first, second = crf_form(AE_LOG), crf_form(AE_LOG)
    assert first is not second and issubclass(first, Form)
    assert not hasattr(Form, "term")
    assert enrolment_form(STUDY) is not enrolment_form(STUDY)


def test_the_results_form_class_is_made_once_and_each_instance_is_its_own() -> None:
    shared = results_form(STUDY.results)
    assert results_form(STUDY.results) is shared  # the same language, the same class
    first, second = posted(shared, sample_date="2026-04-13"), posted(shared)
    assert first.sample_date.data is not None and second.sample_date.data is None


def test_the_enrolment_form_is_built_from_the_enrolment_definition() -> None:
    form = posted(enrolment_form(STUDY))
    assert [(form[k].type, form[k].label.text) for k in (
        "code", "date_of_birth", "sex", "weight_kg", "height_cm", "consent_date",
        "screening_egfr")] == [
        ("StringField", "Participant code"), ("IsoDateField", "Date of birth"),
        ("SelectField", "Sex"), ("NumberField", "Weight (kg)"), ("NumberField", "Height (cm)"),
        ("IsoDateField", "Consent date"), ("NumberField", "Screening eGFR (mL/min/1.73m²)")]
    assert (form.weight_kg.unit, form.height_cm.unit, form.screening_egfr.unit) == (
        "kg", "cm", "mL/min/1.73m²")
    assert [(c[0], str(c[1])) for c in form.sex.iter_choices()] == [
        ("", "—"), ("M", "Male"), ("F", "Female")]
    assert form.errors["code"] == ["Enter the participant code."]
    assert form.errors["sex"] == ["Choose the sex."]
    assert form.errors["criterion_IN01"] == ["Answer IN01."]
    assert form.criterion_IN01.label.text == "IN01. 3 years old ≤ age ≤ 12 years old"
    assert form.eligibility_answers()["IN01"] is None


def test_a_number_on_a_visit_form_is_a_result_group_from_the_same_table() -> None:
    form = posted(results_form(STUDY.results), **{"creatinine-value": "５３",
                                                  "creatinine-unit": "umol/L"})
    assert [f.name for f in form][:4] == ["sample_date", "reason", "version", "watermark"]
    assert [f.name for f in form][4:] == [item.key for item in STUDY.results.fields]
    creatinine = form["creatinine"]
    assert creatinine.type == "FormField"
    assert [f.name for f in creatinine] == [
        "creatinine-value", "creatinine-not_done", "creatinine-not_done_reason",
        "creatinine-confirm", "creatinine-opened", "creatinine-unit"]
    assert creatinine["value"].data == "53"  # typed text, read in its unit by the service
    assert [c[0] for c in creatinine["unit"].iter_choices()] == [
        u.code for u in STUDY.results.field("creatinine").units]
    assert "qualifier" in form["urine_rbc"].form._fields
    assert "unit" not in form["urine_volume"].form._fields  # one unit: nothing to choose


def test_the_participant_code_is_at_most_32_characters() -> None:
    form = posted(enrolment_form(STUDY), code="A" * 33)
    assert form.errors["code"] == ["Field cannot be longer than 32 characters."]
