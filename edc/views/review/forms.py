"""The forms of verification and signing."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, IntegerField, PasswordField, StringField
from wtforms.validators import InputRequired, Length, NumberRange

from edc.views.fields import VersionedForm


class VerifyForm(VersionedForm):
    entity = HiddenField(validators=[InputRequired()])
    # A row id as the database holds it (a 32-bit integer), never a number it cannot store.
    entity_id = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=2**31 - 1)])
    back = HiddenField()  # the page the button was on, to go back to


class SignForm(VersionedForm):
    printed_name = StringField(_l("Your name, as printed"), validators=[Length(max=200)])
    confirmed = BooleanField(_l("I sign with this meaning"))
    password = PasswordField(_l("Your password"))
