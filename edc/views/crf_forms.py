"""Form classes built from the study's case report forms (edc.protocol.crf): one table gives the
WTForms field of each item type; enrolment with its eligibility questions, and a visit's results
(a number on a visit form is a result: a group of inputs per analyte). Labels, units, choices
and messages are the study's, in the reader's language: a form class is built per request
(a visit's results form once per language: it is the largest)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
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

from edc.protocol.crf import CaseReportForm, Field, ResultsForm, unit_key
from edc.protocol.study import Study
from edc.services.language import in_reader_language, label_of, other_label, qualifier
from edc.views.fields import (
    Form,
    IsoDateField,
    IsoTimeField,
    MultiCheckboxField,
    NumberField,
    Subform,
    WholeNumberField,
    ascii_text,
    narrow_alnum,
    required,
)


def _validators(item: Field) -> list[Any]:
    if not item.required:
        return [Optional()]
    message = in_reader_language(item.message, item.message_zh)
    return required(message or _l("%(label)s is required.", label=label_of(item)))


def _result(item: Field) -> Any:
    """A number on a visit form is a result: typed in the unit chosen beside it (the results
    service reads it in that unit and names the unit in its messages), with a qualitative
    result, not done and a confirmation."""
    entry: dict[str, Any] = {
        "value": StringField(label_of(item), description=other_label(item), filters=[ascii_text]),
        "not_done": BooleanField(_l("not done")),
        "not_done_reason": StringField(_l("Why not done")),
        "confirm": BooleanField(_l("confirmed")),
        # What the analyte held when the form was opened, to merge after a conflict.
        "opened": HiddenField(),
    }
    if len(item.units) > 1:
        entry["unit"] = SelectField(
            _l("Unit of %(label)s", label=label_of(item)), validate_choice=False,
            choices=[SelectChoice(u.code, label_of(u)) for u in item.units])
    if item.qualitative:
        entry["qualifier"] = SelectField(
            _l("Qualitative %(label)s", label=label_of(item)), validate_choice=False,
            choices=[SelectChoice("", "—"),
                     *(SelectChoice(q, qualifier(item, q)) for q in item.qualitative)])
    return FormField(type(f"{item.key}_entry", (Subform,), entry), label=label_of(item))


def _number(item: Field, kind: str) -> Any:
    if kind == "visit":
        return _result(item)
    # With several units the unit is chosen beside the number (unit_choice); each is named in
    # the message about a number that cannot be read ("mg or mg/kg", in the reader's words).
    unit = LazyString(lambda: str(_l(" or ")).join(str(label_of(u)) for u in item.units))
    return NumberField(label_of(item), unit=unit, description=other_label(item),
                       validators=_validators(item))


def unit_choice(item: Field) -> Any:
    """The unit chosen beside a number of several units outside a visit's results (a dose in
    mg or mg/kg): stored with the number, as typed."""
    return SelectField(_l("Unit of %(label)s", label=label_of(item)), validate_choice=False,
                       choices=[SelectChoice(u.code, label_of(u)) for u in item.units])


def _integer(item: Field, _kind: str) -> Any:
    return WholeNumberField(label_of(item), unit=label_of(item.canonical_unit),
                            description=other_label(item), validators=_validators(item))


def _text(item: Field, _kind: str) -> Any:
    # A pick list (the template writes its datalist) that still takes any other text.
    offered = {"list": f"{item.key}-suggestions", "autocomplete": "off"} if item.suggestions else {}
    return StringField(label_of(item), description=other_label(item), render_kw=offered or None,
                       validators=[*_validators(item), Length(max=item.max_length)],
                       filters=[narrow_alnum])


def _date(item: Field, _kind: str) -> Any:
    return IsoDateField(label_of(item), description=other_label(item), validators=_validators(item))


def _time(item: Field, _kind: str) -> Any:
    return IsoTimeField(label_of(item), description=other_label(item), validators=_validators(item))


def _codes(item: Field) -> list[SelectChoice]:
    assert item.choices is not None  # the loader gives every choice item its list
    return [SelectChoice(c.code, label_of(c)) for c in item.choices.choices]


def _choice(item: Field, _kind: str) -> Any:
    return SelectField(label_of(item), choices=[SelectChoice("", "—"), *_codes(item)],
                       description=other_label(item), validators=_validators(item))


def _multichoice(item: Field, _kind: str) -> Any:
    return MultiCheckboxField(label_of(item), choices=_codes(item), description=other_label(item),
                              validators=_validators(item))


def _yesno(item: Field, _kind: str) -> Any:
    return RadioField(label_of(item), choices=[SelectChoice("yes", _l("Yes")),
                                           SelectChoice("no", _l("No"))],
                      description=other_label(item), validators=_validators(item))


# The WTForms field of each item type (given the form's kind): the one place an item becomes an
# input.
FIELDS: Mapping[str, Callable[[Field, str], Any]] = MappingProxyType({
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
    fields: dict[str, Any] = {}
    for item in definition.fields:
        fields[item.key] = FIELDS[item.type](item, definition.kind)
        if definition.kind != "visit" and item.type == "number" and len(item.units) > 1:
            fields[unit_key(item)] = unit_choice(item)
    return type(f"{definition.title.replace(' ', '')}Form", (base,), {**fields, **(extra or {})})


def answers(form: Any, definition: CaseReportForm) -> dict[str, Any]:
    """What was typed for each item, as the services take it (yes/no as "yes"/"no"; the unit
    chosen beside a number under unit_key)."""
    typed = {item.key: form[item.key].data for item in definition.fields}
    for item in definition.fields:
        if unit_key(item) in form:
            typed[unit_key(item)] = form[unit_key(item)].data
    return typed


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
    """The form class for a visit's results in the reader's language: made once per definition
    and language (building it costs a visit page a third of its time); each request makes its
    own instance."""
    return _results_form(definition, str(get_locale()))


@lru_cache(maxsize=8)
def _results_form(definition: ResultsForm, _locale: str) -> type[Form]:
    """The sample date, then one result per item, labelled in the language `_locale`."""
    header = {
        "sample_date": IsoDateField(_l("Sample date"),
                                    validators=required(_l("Enter the sample date."))),
        "reason": StringField(_l("Reason for change"), validators=[Optional(), Length(max=500)]),
        "version": HiddenField(),
        "watermark": HiddenField(),
    }
    return crf_form(definition, Form, header)
