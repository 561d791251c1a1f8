"""The HTML of the forms' inputs, written as WTForms writes it, byte for byte, but built as plain
text: WTForms formats every attribute through markupsafe's string formatter, which costs the
visit page (some sixty inputs and their options) as much as its queries.

Each widget here is a subclass of the WTForms widget it stands for (hidden inputs stay hidden
to `hidden_tag`) and keeps its behaviour: attributes sorted by their key, `class_`, `for_`,
`data_*` and `aria_*` keys cleaned, True as a bare attribute and False as none, the field's
`render_kw` and flags (required, maxlength...), checked and selected, every value escaped.
`fast` gives a form's field the widget of this module that stands for its WTForms one; the
forms' Meta does it for every field (edc/views/fields.py). tests/app/test_widgets.py compares
the two renderings."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape
from wtforms import widgets
from wtforms.fields.core import Flags, Label
from wtforms.widgets.core import clean_key

_KEYS: dict[str, str] = {}


def _key(key: str) -> str:
    """An attribute's name as WTForms writes it (cleaned, then escaped), remembered."""
    cleaned = _KEYS.get(key)
    if cleaned is None:
        cleaned = str(escape(clean_key(key)))
        if len(_KEYS) < 1000:  # keys come from code, not from what is typed
            _KEYS[key] = cleaned
    return cleaned


def html_params(**kwargs: Any) -> str:
    """The attributes, as `wtforms.widgets.html_params` writes them."""
    params = []
    for key in sorted(kwargs):
        value = kwargs[key]
        if value is True:
            params.append(_key(key))
        elif value is not False:
            text = str(escape(value))
            if '"' in text:  # only in a value that came as markup
                text = text.replace('"', "&quot;")
            params.append(f'{_key(key)}="{text}"')
    return " ".join(params)


def _flags(field: Any, names: list[str]) -> Any:
    """The field's flags among names, as (name, value) pairs (those set, even when false)."""
    flags = getattr(field, "flags", None)
    if flags is None:
        return ()
    if type(flags) is Flags:
        present = vars(flags)
        return ((k, present[k]) for k in names if k in present)
    present = dir(flags)
    return ((k, getattr(flags, k)) for k in names if k in present)


def label_html(label: Any) -> str:
    """A field's label as `str(field.label)` writes it."""
    if type(label) is not Label:
        return str(label)
    attributes = html_params(**{"for": label.field_id})
    return f"<label{' ' if attributes else ''}{attributes}>{escape(label.text)}</label>"


class _Input:
    input_type: str
    validation_attrs: list[str]

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        kwargs.setdefault("id", field.id)
        kwargs.setdefault("type", self.input_type)
        if "value" not in kwargs:
            kwargs["value"] = field._value()
        datalist = getattr(field, "_datalist", None)
        if datalist is not None and "list" not in kwargs:
            kwargs["list"] = datalist if isinstance(datalist, str) else datalist.id
        for k, value in _flags(field, self.validation_attrs):
            if k not in kwargs:
                kwargs[k] = value() if callable(value) else value
        return Markup(f"<input {html_params(name=field.name, **kwargs)}>")


class TextInput(_Input, widgets.TextInput):
    """A text box."""


class HiddenInput(_Input, widgets.HiddenInput):
    """A hidden input."""


class PasswordInput(_Input, widgets.PasswordInput):
    """A password box, empty unless hide_value is False."""

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        if self.hide_value:
            kwargs["value"] = ""
        return super().__call__(field, **kwargs)


class CheckboxInput(_Input, widgets.CheckboxInput):
    """A checkbox, checked when the field's data is."""

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        if getattr(field, "checked", field.data):
            kwargs.setdefault("checked", True)
        return super().__call__(field, **kwargs)


class RadioInput(_Input, widgets.RadioInput):
    """One radio button of a list."""

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        if field.checked:
            kwargs.setdefault("checked", True)
        return super().__call__(field, **kwargs)


class FileInput(_Input, widgets.FileInput):
    """A file chooser (its value is never written)."""

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        kwargs["value"] = False
        if self.multiple:
            kwargs["multiple"] = True
        return super().__call__(field, **kwargs)


class _DateTimeInput(_Input):
    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        format = getattr(field, "format", None)
        if format is not None:
            format = format[0] if isinstance(format, list) else format
            flags = getattr(field, "flags", {})
            for attr in ("min", "max"):
                value = kwargs.get(attr, getattr(flags, attr, None))
                if callable(value):
                    value = value()
                if hasattr(value, "strftime"):
                    kwargs[attr] = value.strftime(format)
        return super().__call__(field, **kwargs)


class DateInput(_DateTimeInput, widgets.DateInput):
    """A date input."""


class TimeInput(_DateTimeInput, widgets.TimeInput):
    """A time input."""


class NumberInput(_Input, widgets.NumberInput):
    """A number input, with its step, min and max."""

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        if self.step is not None:
            kwargs.setdefault("step", self.step)
        if self.min is not None:
            kwargs.setdefault("min", self.min)
        if self.max is not None:
            kwargs.setdefault("max", self.max)
        return super().__call__(field, **kwargs)


class TextArea(widgets.TextArea):
    """A text area."""

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        kwargs.setdefault("id", field.id)
        for k, value in _flags(field, self.validation_attrs):
            if k not in kwargs:
                kwargs[k] = value
        params = html_params(name=field.name, **kwargs)
        return Markup(f"<textarea {params}>\r\n{escape(field._value())}</textarea>")


def _option(choice: Any, **kwargs: Any) -> str:
    value = choice.value
    if isinstance(value, bool):
        value = str(value)
    options = {"value": value, **(choice.render_kw or {}), **kwargs}
    if choice.selected:
        options["selected"] = True
    return f"<option {html_params(**options)}>{escape(choice.label or choice.value)}</option>"


class Select(widgets.Select):
    """A select with its options (and option groups)."""

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        kwargs.setdefault("id", field.id)
        if self.multiple:
            kwargs["multiple"] = True
        for k, value in _flags(field, self.validation_attrs):
            if k not in kwargs:
                kwargs[k] = value
        html = [f"<select {html_params(name=field.name, **kwargs)}>"]
        if field.has_groups():
            for group, choices in field._iter_groups_normalized():
                if group is not None:
                    html.append(f"<optgroup {html_params(label=group)}>")
                html.extend(_option(choice) for choice in choices)
                if group is not None:
                    html.append("</optgroup>")
        else:
            html.extend(_option(choice) for choice in field._iter_choices_normalized())
        html.append("</select>")
        return Markup("".join(html))

    @classmethod
    def render_option(cls, choice: Any, **kwargs: Any) -> Markup:
        """One option, as WTForms writes it."""
        return Markup(_option(choice, **kwargs))


class Option(widgets.Option):
    """One option of a select, rendered on its own."""

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        return Markup(_option(field.choice, **kwargs))


class ListWidget(widgets.ListWidget):
    """A list of a field's options (radio buttons, checkboxes), each with its label."""

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        kwargs.setdefault("id", field.id)
        html = [f"<{self.html_tag} {html_params(**kwargs)}>"]
        for subfield in field:
            if self.prefix_label:
                html.append(f"<li>{label_html(subfield.label)} {subfield()}</li>")
            else:
                html.append(f"<li>{subfield()} {label_html(subfield.label)}</li>")
        html.append(f"</{self.html_tag}>")
        return Markup("".join(html))


# The widget of this module for each WTForms widget it renders as.
FAST: dict[type, type] = {
    widgets.TextInput: TextInput,
    widgets.HiddenInput: HiddenInput,
    widgets.PasswordInput: PasswordInput,
    widgets.CheckboxInput: CheckboxInput,
    widgets.RadioInput: RadioInput,
    widgets.FileInput: FileInput,
    widgets.DateInput: DateInput,
    widgets.TimeInput: TimeInput,
    widgets.NumberInput: NumberInput,
    widgets.TextArea: TextArea,
    widgets.Select: Select,
    widgets.Option: Option,
    widgets.ListWidget: ListWidget,
}

# The fast twin made of each WTForms widget met (widgets are made once, with their field class).
_TWINS: dict[int, tuple[Any, Any]] = {}


def fast(widget: Any) -> Any:
    """The widget of this module that renders as `widget`, with its settings (hide_value,
    multiple, prefix_label...); any other widget as it is."""
    twin = _TWINS.get(id(widget))
    if twin is not None and twin[0] is widget:
        return twin[1]
    cls = FAST.get(type(widget))
    if cls is None:
        return widget
    made = object.__new__(cls)
    made.__dict__.update(vars(widget))
    if len(_TWINS) < 1000:
        _TWINS[id(widget)] = (widget, made)  # the widget is kept, so its id is not reused
    return made
