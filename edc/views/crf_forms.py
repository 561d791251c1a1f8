"""Form classes built from the study definition: enrolment with its eligibility questions, and
a visit's results with one group of inputs per analyte."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FormField, HiddenField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from edc.protocol.crf import ResultsForm
from edc.protocol.study import Study
from edc.views.fields import (
    Form,
    IsoDateField,
    NumberField,
    Required,
    Subform,
    ascii_text,
    required,
)


class EnrolmentFormBase(Form):
    code = StringField(_l("Participant code"), validators=[
        Required(message=_l("Enter the participant code.")), Length(max=32)])
    date_of_birth = IsoDateField(_l("Date of birth"),
                                 validators=required(_l("Enter the date of birth.")))
    sex = SelectField(_l("Sex"), choices=[SelectChoice("", "—"), SelectChoice("M", _l("Male")),
                               SelectChoice("F", _l("Female"))],
                      validators=required(_l("Choose the sex.")))
    weight_kg = NumberField(_l("Weight (kg)"), unit="kg",
                            validators=required(_l("Enter the weight in kg.")))
    height_cm = NumberField(_l("Height (cm)"), unit="cm",
                            validators=required(_l("Enter the height in cm.")))
    consent_date = IsoDateField(_l("Consent date"),
                                validators=required(_l("Enter the consent date.")))
    screening_egfr = NumberField(_l("Screening eGFR (mL/min/1.73m²)"), unit="mL/min/1.73m²",
                                 validators=required(_l("Enter the screening eGFR.")))
    confirm_measures = BooleanField(_l("I have checked the weight and height"))

    criteria: tuple = ()

    def eligibility_answers(self) -> dict[str, bool | None]:
        answers = {}
        for criterion in self.criteria:
            data = self[f"criterion_{criterion.code}"].data
            answers[criterion.code] = {"yes": True, "no": False}.get(data)
        return answers


def enrolment_form(study: Study) -> type[EnrolmentFormBase]:
    """A fresh form class with one yes/no question per eligibility criterion."""
    fields: dict[str, Any] = {"criteria": study.criteria}
    for criterion in study.criteria:
        fields[f"criterion_{criterion.code}"] = RadioField(
            f"{criterion.code}. {criterion.text}",
            choices=[SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))],
            validators=required(_l("Answer %(code)s.", code=criterion.code)),
            description=criterion.text_zh,
        )
    return type("EnrolmentForm", (EnrolmentFormBase,), fields)


def results_form(definition: ResultsForm) -> type[Form]:
    """A fresh form class for a visit's results: one group of inputs per analyte."""
    fields: dict[str, Any] = {
        "sample_date": IsoDateField(_l("Sample date"),
                                    validators=required(_l("Enter the sample date."))),
        "reason": StringField(_l("Reason for change"), validators=[Optional(), Length(max=500)]),
        "version": HiddenField(),
        "watermark": HiddenField(),
    }
    for field in definition.fields:
        entry: dict[str, Any] = {
            "value": StringField(field.label, description=field.label_zh,
                                 filters=[ascii_text]),
            "not_done": BooleanField(_l("not done")),
            "not_done_reason": StringField(_l("Why not done")),
            "confirm": BooleanField(_l("confirmed")),
            # What the analyte held when the form was opened, to merge after a conflict.
            "opened": HiddenField(),
        }
        if len(field.units) > 1:
            entry["unit"] = SelectField(
                _l("Unit of %(label)s", label=field.label), validate_choice=False,
                choices=[SelectChoice(u.code, u.label) for u in field.units])
        if field.qualitative:
            entry["qualifier"] = SelectField(
                _l("Qualitative %(label)s", label=field.label), validate_choice=False,
                choices=[SelectChoice("", "—"), *(SelectChoice(q, q) for q in field.qualitative)])
        fields[field.key] = FormField(type(f"{field.key}_entry", (Subform,), entry),
                                      label=field.label)
    return type("ResultsEntryForm", (Form,), fields)
