"""Form classes built from the study's case report forms (edc.protocol.crf): one table gives the
WTForms field of each item type; enrolment with its eligibility questions, and a visit's results
with one group of inputs per analyte."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from edc.protocol.crf import CaseReportForm, Field, ResultsForm
from edc.protocol.study import Study
from edc.views.fields import (
    Form,
    IsoDateField,
    IsoTimeField,
    MultiCheckboxField,
    NumberField,
    Subform,
    WholeNumberField,
    ascii_text,
    required,
)


def _validators(item: Field) -> list[Any]:
    if not item.required:
        return [Optional()]
    return required(item.message or _l("%(label)s is required.", label=item.label))


def _number(item: Field) -> Any:
    return NumberField(item.label, unit=item.canonical_unit.label, description=item.label_zh,
                       validators=_validators(item))


def _integer(item: Field) -> Any:
    return WholeNumberField(item.label, unit=item.canonical_unit.label,
                            description=item.label_zh, validators=_validators(item))


def _text(item: Field) -> Any:
    return StringField(item.label, description=item.label_zh,
                       validators=[*_validators(item), Length(max=item.max_length)])


def _date(item: Field) -> Any:
    return IsoDateField(item.label, description=item.label_zh, validators=_validators(item))


def _time(item: Field) -> Any:
    return IsoTimeField(item.label, description=item.label_zh, validators=_validators(item))


def _codes(item: Field) -> list[SelectChoice]:
    assert item.choices is not None  # the loader gives every choice item its list
    return [SelectChoice(c.code, c.label) for c in item.choices.choices]


def _choice(item: Field) -> Any:
    return SelectField(item.label, choices=[SelectChoice("", "—"), *_codes(item)],
                       description=item.label_zh, validators=_validators(item))


def _multichoice(item: Field) -> Any:
    return MultiCheckboxField(item.label, choices=_codes(item), description=item.label_zh,
                              validators=_validators(item))


def _yesno(item: Field) -> Any:
    return RadioField(item.label, choices=[SelectChoice("yes", _l("Yes")),
                                           SelectChoice("no", _l("No"))],
                      description=item.label_zh, validators=_validators(item))


# The WTForms field of each item type: the one place an item becomes an input.
FIELDS: Mapping[str, Callable[[Field], Any]] = MappingProxyType({
    "number": _number,
    "integer": _integer,
    "text": _text,
    "date": _date,
    "time": _time,
    "choice": _choice,
    "yesno": _yesno,
    "multichoice": _multichoice,
})


def crf_form(definition: CaseReportForm, base: type[Form] = Form,
             extra: Mapping[str, Any] | None = None) -> type[Form]:
    """A fresh form class with one field per item, in order (for a log form: one row)."""
    fields: dict[str, Any] = {item.key: FIELDS[item.type](item) for item in definition.fields}
    return type(f"{definition.title.replace(' ', '')}Form", (base,), {**fields, **(extra or {})})


def yes_no(answer: Any) -> bool | None:
    """A yes/no item's answer as True, False or None (not answered)."""
    return {"yes": True, "no": False}.get(answer)


class EnrolmentFormBase(Form):
    confirm_measures = BooleanField(_l("I have checked the weight and height"))

    criteria: tuple = ()

    def eligibility_answers(self) -> dict[str, bool | None]:
        return {c.code: yes_no(self[c.key].data) for c in self.criteria}


def enrolment_form(study: Study) -> type[EnrolmentFormBase]:
    """A fresh form class: the child's items, then one yes/no question per criterion."""
    form = crf_form(study.enrolment_form, EnrolmentFormBase, {"criteria": study.criteria})
    assert issubclass(form, EnrolmentFormBase)
    return form


def results_form(definition: ResultsForm) -> type[Form]:
    """A fresh form class for a visit's results: one group of inputs per analyte.

    A result is entered as typed text (the results service reads it in the chosen unit and
    names the unit in its messages), with its unit, a qualitative result, not done and a
    confirmation; so a results item is a group, not the number field of FIELDS.
    """
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
