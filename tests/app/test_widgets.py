"""The forms' widgets (edc.views.widgets) write the same HTML as WTForms' own, byte for byte,
for every kind of field the forms declare, every value and every keyword the pages pass."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, time
from itertools import product
from pathlib import Path
from typing import Any

import pytest
import wtforms
from flask import Flask
from flask_babel import Babel
from flask_wtf.file import FileField as FlaskFileField
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import fields, validators
from wtforms.fields.choices import Choice, SelectChoice, SelectFieldBase
from wtforms.widgets import ListWidget, PasswordInput

from edc.protocol.study import load_study
from edc.views import widgets
from edc.views.admin.forms import NewUserForm
from edc.views.crf_forms import enrolment_form, results_form
from edc.views.fields import (
    Form,
    IsoDateField,
    IsoTimeField,
    MultiCheckboxField,
    NumberField,
    Subform,
    WholeNumberField,
)
from edc.views.queries.forms import RaiseForm
from edc.views.review.forms import SignForm, VerifyForm

ROOT = Path(__file__).resolve().parents[2]
STUDY = load_study(ROOT / "forms")

NASTY = '<b>"引号" & \'单\'</b> ２４．５\u3000x'
# What a field may hold, and what may be typed into it.
VALUES: list[Any] = ["", None, "plain", NASTY, "中文：全角１２３", Markup('<i>"m"</i>'), 0, 3.5]
TYPED = ["", "abc", NASTY, "12", "2026-01-31", "yes", "b"]
# What a page passes when it renders a field.
KEYWORDS: list[dict[str, Any]] = [
    {},
    {"class_": "a b", "data_foo_bar": "1", "aria_label": "标签 <x>", "for_": "z"},
    {"required": True, "disabled": False, "readonly": True, "checked": False},
    {"value": None},
    {"value": NASTY},
    {"placeholder": '"q"', "size": 10, "inputmode": "decimal", "aria-invalid": "true"},
    {"id": 'x&"y"', "autocomplete": Markup('o"ff'), "title": Markup("<em>m</em>")},
    {"data-x": "<", "class": "c", "class_": "d", "min": date(2026, 1, 2), "rows": 2},
    {"a&b": True, "q<\"": "v", "aria_": 0, "data__": ""},
]
CHOICES = [SelectChoice("", "—"), SelectChoice("a", "甲 <A>"), SelectChoice("b", 'B "b"'),
           SelectChoice('c"&<', "", render_kw={"data_k": "v", "disabled": True})]
GROUPED = [SelectChoice("x", "X", optgroup="组 <1>"), SelectChoice("y", "Y", optgroup="组 <1>"),
           SelectChoice("z", "Z")]


class _Flagged:
    """A validator that sets the flags a page may meet, some callable, some false."""

    field_flags = {"maxlength": 5, "minlength": 0, "pattern": lambda: "[0-9]+",
                   "min": date(2026, 1, 1), "readonly": False, "step": "any"}

    def __call__(self, form: Any, field: Any) -> None:
        pass


class Everything(wtforms.Form):
    """One of each field a form of the app declares, with WTForms' own widgets."""

    text = fields.StringField("Text <T>", validators=[validators.InputRequired(),
                                                      validators.Length(min=2, max=5)])
    suggested = fields.StringField("S", render_kw={"list": "s-suggestions", "autocomplete": "off"})
    flagged = fields.StringField("F", validators=[_Flagged()])
    number = fields.FloatField("N", widget=wtforms.widgets.TextInput(),
                               render_kw={"inputmode": "decimal"})
    whole = fields.IntegerField("W", validators=[validators.NumberRange(min=1, max=2**31 - 1)])
    stepped = fields.IntegerField("W", widget=wtforms.widgets.NumberInput(step=2, min=0, max=9))
    day = fields.DateField("D", validators=[validators.Optional(), _Flagged()])
    clock = fields.TimeField("T")
    hidden = fields.HiddenField(validators=[validators.InputRequired()])
    secret = fields.PasswordField("P", validators=[validators.InputRequired()])
    shown = fields.PasswordField("P", widget=PasswordInput(hide_value=False))
    box = fields.BooleanField("B", validators=[validators.Optional()])
    area = fields.TextAreaField("A", validators=[validators.Length(max=2000)])
    select = fields.SelectField("S", choices=CHOICES, validate_choice=False,
                                validators=[validators.InputRequired()])
    grouped = fields.SelectField("G", choices=GROUPED)
    flags = fields.SelectField("F", choices=[SelectChoice(True, "是"), SelectChoice(False, "否")],
                               coerce=bool)
    several = fields.SelectMultipleField("M", choices=CHOICES)
    radio = fields.RadioField("R", choices=CHOICES[1:], validators=[validators.InputRequired()])
    radio_first = fields.RadioField("R", choices=CHOICES[1:],
                                    widget=ListWidget(html_tag="ol", prefix_label=True))
    boxes = MultiCheckboxField("C", choices=CHOICES[1:])
    upload = fields.FileField("U")
    uploads = fields.MultipleFileField("U")


def _forms() -> Iterator[wtforms.Form]:
    """The form as opened with each value, and as posted with each text."""
    for value in VALUES:
        data = {name: value for name in Everything().data}
        if value:  # a date box holds a date, a clock a time
            data.update(day=date(2026, 3, 2), clock=time(9, 30))
        yield Everything(data=data)
    for typed in TYPED:
        posted = MultiDict([(name, typed) for name in Everything().data])
        posted.add("several", "a")
        posted.add("boxes", "b")
        form = Everything(formdata=posted)
        form.validate()
        yield form


def _pairs() -> Iterator[tuple[Any, Any]]:
    """Every field, and every option of a field of options, with its WTForms widget."""
    for form in _forms():
        for field in form:
            yield field, field.widget
            if isinstance(field, SelectFieldBase):
                for option in field:
                    yield option, field.option_widget


@pytest.fixture(scope="module")
def pairs() -> list[tuple[Any, Any]]:
    return list(_pairs())


@pytest.mark.parametrize("keywords", KEYWORDS, ids=range(len(KEYWORDS)))
def test_every_field_is_written_as_wtforms_writes_it(keywords: dict[str, Any],
                                                    pairs: list[tuple[Any, Any]]) -> None:
    rendered = 0
    for field, theirs in pairs:
        ours = widgets.fast(theirs)
        assert type(ours).__module__ == "edc.views.widgets", theirs
        assert isinstance(ours, type(theirs))
        try:
            expected = theirs(field, **keywords)
        except TypeError as refused:  # a keyword the widget refuses: ours refuses it too
            with pytest.raises(type(refused)):
                ours(field, **keywords)
            continue
        got = ours(field, **keywords)
        assert got == expected, (field.name, keywords)
        assert isinstance(got, Markup)
        rendered += 1
    assert rendered > 200


def test_fields_rendered_through_the_form_keep_render_kw_and_labels(
        pairs: list[tuple[Any, Any]]) -> None:
    for (field, theirs), keywords in product(pairs, KEYWORDS[:3]):
        expected = field(**keywords)
        field.widget = widgets.fast(theirs)
        try:
            assert field(**keywords) == expected
        finally:
            field.widget = theirs
        assert widgets.label_html(field.label) == str(field.label)


def test_select_options_alone_are_written_as_wtforms_writes_them() -> None:
    options = [Choice(c.value, c.label, selected, c.render_kw)
               for c, selected in product([*CHOICES, *GROUPED, SelectChoice(True, "t")],
                                          [True, False])]
    for choice, keywords in product(options, [{}, {"class_": "o"}, {"selected": False}]):
        assert (widgets.Select.render_option(choice, **keywords)
                == wtforms.widgets.Select.render_option(choice, **keywords))


def test_a_changed_attribute_is_noticed() -> None:
    """The comparison sees a difference of one character (a widget that drifts fails)."""
    field = Everything(data={"text": "x"}).text
    assert widgets.fast(field.widget)(field) == field.widget(field)
    assert widgets.fast(field.widget)(field, size=1) != field.widget(field)


@pytest.fixture
def request_context() -> Iterator[None]:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="t", WTF_CSRF_ENABLED=False)
    Babel(app)
    with app.test_request_context():
        yield


class _Declared(Form):
    """Fields as the app's forms declare them, on the app's Form."""

    text = fields.StringField("T")
    number = NumberField("N", unit="kg")
    whole = WholeNumberField("W", unit="d")
    day = IsoDateField("D")
    clock = IsoTimeField("T")
    hidden = fields.HiddenField()
    secret = fields.PasswordField("P")
    box = fields.BooleanField("B")
    area = fields.TextAreaField("A")
    select = fields.SelectField("S", choices=CHOICES)
    radio = fields.RadioField("R", choices=CHOICES[1:])
    boxes = MultiCheckboxField("C", choices=CHOICES[1:])
    upload = FlaskFileField("U")
    group = fields.FormField(type("Group", (Subform,), {
        "inner": fields.StringField("I"),
        "yes": fields.RadioField("Y", choices=[SelectChoice("y"), SelectChoice("n")])}))


def _widgets_of(form: Any) -> Iterator[Any]:
    for field in form:
        if isinstance(field, fields.FormField):
            yield from _widgets_of(field.form)
            continue
        yield field.widget
        if isinstance(field, SelectFieldBase):
            yield field.option_widget


@pytest.mark.usefixtures("request_context")
@pytest.mark.parametrize("form_class", [
    _Declared, NewUserForm, RaiseForm, SignForm, VerifyForm,
    lambda: results_form(STUDY.results)(),
    lambda: enrolment_form(STUDY)(),
], ids=["declared", "new-user", "raise-query", "sign", "verify", "results", "enrolment"])
def test_the_forms_use_these_widgets(form_class: Any) -> None:
    form = form_class()
    found = list(_widgets_of(form))
    assert found
    for widget in found:
        assert type(widget).__module__ == "edc.views.widgets", widget
    # The administrator's temporary password stays in its box; a hidden input stays hidden.
    if isinstance(form, NewUserForm):
        assert form.password.widget.hide_value is False
    if isinstance(form, _Declared):
        assert form.secret.widget.hide_value is True
        assert form.hidden_tag() == '<input id="hidden" name="hidden" type="hidden" value="">'
