"""The forms of a visit's page: booking and marking it missed."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import Length, Optional

from edc.views.fields import (
    IsoDateField,
    IsoTimeField,
    Required,
    VersionedForm,
    required,
)


class BookForm(VersionedForm):
    date = IsoDateField(_l("Appointment date"),
                        validators=required(_l("Enter the appointment date.")))
    time = IsoTimeField(_l("Time (optional)"))
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=500)])


class MissedForm(VersionedForm):
    reason = StringField(_l("Reason"), validators=[
        Required(message=_l("Say why the visit was missed.")), Length(max=500)])
