"""Fields that keep what the nurse typed: cleaning, full-width input, ISO dates and times,
numbers, required, and the record version every changing form carries."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, time
from functools import lru_cache
from typing import Any

import wtforms
from babel import support
from flask import current_app, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from flask_wtf.i18n import translations as flask_wtf_translations
from wtforms import (
    DateField,
    FloatField,
    FormField,
    HiddenField,
    PasswordField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectFieldBase
from wtforms.i18n import messages_path
from wtforms.validators import InputRequired, StopValidation

from edc.rules.numbers import parse_number
from edc.views.widgets import CheckboxInput, ListWidget, TextInput, fast


def clean_text(value: Any) -> Any:
    """Drop characters nobody types (NUL and other controls) before anything sees the value.
    Spaces of every width stay (the ideographic space U+3000 a Chinese keyboard types is one:
    inside a password or a sentence it counts)."""
    if isinstance(value, str):
        return "".join(ch for ch in value
                       if ch.isprintable() or ch in "\t\n" or unicodedata.category(ch) == "Zs")
    return value


def strip_blanks(value: Any) -> Any:
    """Drop blanks at the ends of a text: spaces, tabs, U+00A0 and the ideographic space U+3000
    that a Chinese keyboard types (a reason of only such blanks is no reason)."""
    return value.strip() if isinstance(value, str) else value


# Compatibility forms that only change how a character looks, not what it says: full-width
# digits and punctuation ("２４．５", "９：３０") and no-break spaces. Others that NFKC would also
# rewrite change the number ("2⁴" would become 24, "½" 1⁄2, "①" 1) and are left for the parser
# to refuse.
LOOK_ALIKE_TAGS = ("<wide>", "<narrow>", "<noBreak>")


# A Chinese input method in Chinese punctuation mode types the ideographic full stop for ".".
IDEOGRAPHIC_FULL_STOP = "\u3002"


def as_ascii(text: str) -> str:
    """A typed number, date or time with full-width characters read as their ASCII twins, and
    the ideographic full stop as a decimal point."""
    if text.isascii():
        return text
    return "".join(
        "." if ch == IDEOGRAPHIC_FULL_STOP else
        unicodedata.normalize("NFKC", ch)
        if unicodedata.decomposition(ch).startswith(LOOK_ALIKE_TAGS) else ch
        for ch in text)


# Dashes a Chinese keyboard types for the hyphen of a code (AS-001).
DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-",
                        "\u2014": "-", "\u2015": "-", "\u2212": "-", "\u30fc": "-"})


def typed_code(text: str) -> str:
    """A searched code as typed, with full-width letters, digits and dashes read as ASCII, and
    no blank (a code has none: an input method's space typed inside it is dropped)."""
    return "".join(as_ascii(clean_text(text)).translate(DASHES).split())[:32]


# Full-width digits and Latin letters (U+FF10-FF5A): a Chinese keyboard in full-width mode types
# them for a lot number or a dose, and they say nothing their ASCII twins do not.
FULL_WIDTH_ALNUM = {code: code - 0xFEE0 for start, end in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A),
                                                          (0xFF41, 0xFF5A))
                    for code in range(start, end + 1)}


def narrow_alnum(value: Any) -> Any:
    """A filter for free text: full-width digits and letters read as ASCII ("ＬＯＴ１２" is
    "LOT12"); Chinese punctuation (，。：) stays as typed, it belongs to the sentence."""
    return value.translate(FULL_WIDTH_ALNUM) if isinstance(value, str) else value


def ascii_text(value: Any) -> Any:
    """A filter: a typed value with full-width characters read as ASCII."""
    return as_ascii(value) if isinstance(value, str) else value


def typed_text(valuelist: list[Any] | None) -> str:
    """What was typed into a date, number or time box, ready to parse: no control characters,
    full-width characters read as ASCII, no blanks at the ends."""
    if not valuelist or not isinstance(valuelist[0], str):
        return ""
    return as_ascii(clean_text(valuelist[0])).strip()


@lru_cache(maxsize=8)
def _wtforms_catalogue(locale: str) -> support.Translations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class _WTFormsMessages:
    """WTForms' own words (a field's default label, "Not a valid choice.") in the reader's
    language, as Flask-WTF gives them, from a catalogue read once per language: Flask-WTF reads
    the file again on every request, and every form with a hidden field asks for a word."""

    def _catalogue(self) -> Any:
        if not request or "babel" not in current_app.extensions:
            return None
        locale = get_locale()
        return _wtforms_catalogue(str(locale)) if locale is not None else None

    def gettext(self, string: str) -> str:
        catalogue = self._catalogue()
        return string if catalogue is None else catalogue.ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        catalogue = self._catalogue()
        if catalogue is None:
            return singular if n == 1 else plural
        return catalogue.ungettext(singular, plural, n)


WTFORMS_MESSAGES = _WTFormsMessages()


class _CleanMeta:
    def get_translations(self, form: Any) -> Any:
        found = super().get_translations(form)  # type: ignore[misc]
        return WTFORMS_MESSAGES if found is flask_wtf_translations else found

    def bind_field(self, form: Any, unbound_field: Any, options: dict) -> Any:
        if issubclass(unbound_field.field_class, FormField):  # its own fields are cleaned
            return unbound_field.bind(form=form, **options)
        filters = [clean_text]
        if issubclass(unbound_field.field_class, StringField) and not issubclass(
                unbound_field.field_class, PasswordField):
            filters.append(strip_blanks)
        filters += unbound_field.kwargs.get("filters", ())
        # Every input is written by edc.views.widgets: the same HTML, built without a formatter.
        field_class = unbound_field.field_class
        options = {**options, "widget": fast(unbound_field.kwargs.get("widget")
                                             or field_class.widget)}
        if issubclass(field_class, SelectFieldBase):
            options["option_widget"] = fast(unbound_field.kwargs.get("option_widget")
                                            or field_class.option_widget)
        return unbound_field.bind(form=form, **options, filters=filters)


class Form(FlaskForm):
    """A form whose every field drops control characters (PostgreSQL refuses NUL in text)."""

    class Meta(_CleanMeta):
        pass


class Subform(wtforms.Form):
    """A group of fields inside a Form (no token of its own), cleaned the same way."""

    class Meta(_CleanMeta):
        pass


class NumberField(FloatField):
    """A number in a stated unit; anything else is refused with what was typed and the unit.

    The input is text (with a decimal keypad on phones), not type="number": a browser's number
    input drops what it cannot read (a Chinese keyboard's full-width comma: ２５，５ arrives as
    255), so the server would never see what was typed."""

    widget = TextInput()

    def __init__(self, label: Any = None, unit: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {"inputmode": "decimal"})
        super().__init__(label, **kwargs)
        self.unit = unit

    def process_formdata(self, valuelist: list[str]) -> None:
        typed = typed_text(valuelist)
        if not typed:
            self.data = None
            return
        value = parse_number(typed)
        if value is None:
            self.data = None
            if "," in typed:
                raise ValueError(_("Got %(typed)s. Expected a number in %(unit)s, with a "
                                   "decimal point (24.5, not 24,5).",
                                   typed=repr(valuelist[0][:40]), unit=self.unit))
            raise ValueError(_("Got %(typed)s. Expected a number in %(unit)s.",
                               typed=repr(valuelist[0][:40]), unit=self.unit))
        self.data = value


class WholeNumberField(NumberField):
    """A whole number in a stated unit (a count, days); 2.5 is refused with what was typed."""

    def process_formdata(self, valuelist: list[str]) -> None:
        super().process_formdata(valuelist)
        if self.data is not None and not float(self.data).is_integer():
            self.data = None
            raise ValueError(_("Got %(typed)s. Expected a whole number in %(unit)s.",
                               typed=repr(valuelist[0][:40]), unit=self.unit))
        if self.data is not None:
            self.data = int(self.data)


class MultiCheckboxField(SelectMultipleField):
    """Any number of codes from a list, one checkbox each."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


class IsoDateField(DateField):
    """A calendar date as YYYY-MM-DD (the browser's date picker sends this form)."""

    def process_formdata(self, valuelist: list[str]) -> None:
        typed = typed_text(valuelist)
        if not typed:
            self.data = None
            return
        try:
            if not ISO_DATE.fullmatch(typed):
                raise ValueError(typed)
            self.data = date.fromisoformat(typed)
        except ValueError:
            self.data = None
            raise ValueError(_("Got %(typed)s. Expected a date like 2026-01-31.",
                               typed=repr(valuelist[0][:40]))) from None
        if not 1900 <= self.data.year <= 2200:
            typed, self.data = valuelist[0], None
            raise ValueError(_("Got %(typed)s. Expected a date like 2026-01-31.",
                               typed=repr(typed[:40])))


class Required(InputRequired):
    """Something must be typed; blanks alone (spaces, tabs, U+00A0, U+3000) are nothing."""

    def __call__(self, form: Any, field: Any) -> None:
        typed = field.raw_data[0] if field.raw_data else ""
        if isinstance(typed, str) and clean_text(typed).strip():
            return
        field.errors[:] = []
        raise StopValidation(self.message or field.gettext("This field is required."))


def required(message: Any) -> list[Any]:
    """Return the validators of a required field with its own message."""
    return [Required(message=message)]


def posted_version(text: Any) -> int:
    """A form's hidden version as posted, or -1 when it is missing, blank or not a whole number:
    a version no record has, so the save is refused as stale. A form without its version (a
    crafted request, a form saved from an old page) never skips the check."""
    text = str(text or "").strip()
    return int(text) if text and text.isascii() and text.isdigit() and len(text) < 10 else -1


def field_version(field: Any) -> int:
    """The version a form's hidden field carries as the request posted it (posted_version): a
    value the form was filled with from the stored record (obj=, data=) is not a posted one, so
    a post without the field is refused as stale too."""
    return posted_version(field.data if field.raw_data else None)


class VersionedForm(Form):
    """A form that changes a record: it carries the record's version from when it was opened,
    so a save over someone else's change is refused instead of replacing it."""

    version = HiddenField()

    def expected_version(self) -> int:
        """The version the form was opened on; -1 (refused as stale) when none was posted."""
        return field_version(self.version)


TIME = re.compile(r"([01]?\d|2[0-3]):[0-5]\d", re.ASCII)


class IsoTimeField(StringField):
    """A local clock time as H:MM or HH:MM, or nothing."""

    def process_formdata(self, valuelist: list[str]) -> None:
        typed = typed_text(valuelist)
        self.raw_data = valuelist
        if not typed:
            self.data = None
            return
        if not TIME.fullmatch(typed):
            self.data = None
            raise ValueError(_("Got %(typed)s. Expected a time from 00:00 to 23:59, like 09:30.",
                               typed=repr(clean_text(valuelist[0])[:20])))
        hours, minutes = typed.split(":")
        self.data = time(int(hours), int(minutes))

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%H:%M") if self.data else ""
