"""The forms of verification and signing."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, IntegerField, PasswordField
from wtforms.validators import InputRequired, NumberRange

from edc.views.fields import VersionedForm


class VerifyForm(VersionedForm):
    entity = HiddenField(validators=[InputRequired()])
    # A row id as the database holds it (a 32-bit integer), never a number it cannot store.
    entity_id = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=2**31 - 1)])
    back = HiddenField()  # the page the button was on, to go back to


class SignForm(VersionedForm):
    confirmed = BooleanField(_l("I sign with this meaning"))
    password = PasswordField(_l("Your password"))
