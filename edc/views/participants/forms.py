"""The forms of a child's page: infusions, anchoring, withdrawal, an added visit, the family's
calendar link."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import Length, Optional

from edc.views.fields import (
    Form,
    IsoDateField,
    NumberField,
    Required,
    VersionedForm,
    required,
)


class InfusionForm(Form):
    date = IsoDateField(_l("Infusion date"), validators=required(_l("Enter the infusion date.")))
    weight_kg = NumberField(_l("Weight (kg)"), unit="kg",
                            validators=required(_l("Enter the weight in kg.")))
    product_lot = StringField(_l("Product lot"), validators=[
        Required(message=_l("Enter the product lot.")), Length(max=64)])
    volume_ml = NumberField(_l("Volume (mL)"), unit="mL",
                            validators=required(_l("Enter the volume in mL.")))
    confirm_weight = BooleanField(_l("I have checked the weight"))
    reason = StringField(_l("Reason for change"), validators=[Optional(), Length(max=500)])
    # The infusion date whose visit moves the nurse was shown and accepted.
    confirmed = HiddenField()
    # The stored version the form was opened on: a save over someone else's change is refused.
    version = HiddenField()

    def expected_version(self) -> int | None:
        data = str(self.version.data or "")
        return int(data) if data.isascii() and data.isdigit() and len(data) < 10 else None

    def confirmed_date(self) -> date | None:
        try:
            return date.fromisoformat(self.confirmed.data or "")
        except ValueError:
            return None


class AnchorForm(VersionedForm):
    reason = StringField(_l("Why is the second infusion not given?"), validators=[
        Required(message=_l("Say why the second infusion is not given.")), Length(max=500)])


class WithdrawForm(VersionedForm):
    reason = StringField(_l("Why is the child withdrawn?"), validators=[
        Required(message=_l("Say why the child is withdrawn.")), Length(max=500)])


class AddVisitForm(VersionedForm):
    date = IsoDateField(_l("Visit date"), validators=[Optional()])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=500)])


class CalendarLinkForm(VersionedForm):
    """Issue or revoke the family's calendar link (no input but the participant's version)."""
