"""The forms of the queries: raise one on a value, answer, close, re-open."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import Length, Optional

from edc.views.fields import Form, VersionedForm

# The service says what is missing, at the field; the form only bounds the length.
LONG = [Optional(), Length(max=2000)]


class RaiseForm(Form):
    text = TextAreaField(_l("What is doubtful about the value?"), validators=LONG)
    entity = HiddenField()
    entity_id = HiddenField()
    # Where one form serves several values (an infusion, a log entry), the value is chosen.
    field = SelectField(_l("Value"), validate_choice=False)
    next = HiddenField()


class AnswerForm(VersionedForm):
    answer = TextAreaField(_l("Answer"), validators=LONG)


class CloseForm(VersionedForm):
    pass


class ReopenForm(VersionedForm):
    reason = TextAreaField(_l("Why is the query re-opened?"), validators=LONG)
