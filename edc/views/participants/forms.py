"""The forms of a child's page: infusions, anchoring, withdrawal, an added visit, the family's
calendar link."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from edc.models import LogEntry
from edc.protocol.crf import CaseReportForm
from edc.services.language import label_of, other_label
from edc.views.crf_forms import crf_form
from edc.views.fields import (
    Form,
    IsoDateField,
    NumberField,
    Required,
    VersionedForm,
    ascii_text,
    field_version,
    required,
)


class InfusionForm(Form):
    date = IsoDateField(_l("Infusion date"), validators=required(_l("Enter the infusion date.")))
    weight_kg = NumberField(_l("Weight (kg)"), unit="kg",
                            validators=required(_l("Enter the weight in kg.")))
    # A lot as printed on the label, whichever mode the keyboard was in ("ＬＯＴ－２０２６").
    product_lot = StringField(_l("Product lot"), filters=[ascii_text], validators=[
        Required(message=_l("Enter the product lot.")), Length(max=64)])
    volume_ml = NumberField(_l("Volume (mL)"), unit="mL",
                            validators=required(_l("Enter the volume in mL.")))
    confirm_weight = BooleanField(_l("I have checked the weight"))
    reason = StringField(_l("Reason for change"), validators=[Optional(), Length(max=500)])
    # The infusion date whose visit moves the nurse was shown and accepted.
    confirmed = HiddenField()
    # The stored version the form was opened on: a save over someone else's change is refused.
    version = HiddenField()

    def expected_version(self) -> int:
        """The version the form was opened on (NOT_RECORDED, 0, when the infusion was not
        recorded yet); -1 (refused as stale) when none was posted. The form is filled from the
        stored infusion (obj=), whose version is never taken for a posted one."""
        return field_version(self.version)

    def confirmed_date(self) -> date | None:
        try:
            return date.fromisoformat(self.confirmed.data or "")
        except ValueError:
            return None


class AnchorForm(VersionedForm):
    reason = StringField(_l("Why is the second infusion not given?"), validators=[
        Required(message=_l("Say why the second infusion is not given.")), Length(max=500)])


def _event_number(raw: Any) -> int | None:
    """The adverse event chosen, by its number (None: none chosen, or not a number)."""
    text = str(raw if raw is not None else "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 7 else None


def withdraw_form(definition: CaseReportForm) -> type[Form]:
    """The early termination's items (forms/termination.toml); the adverse event is chosen
    from the child's log (set `events` on the form), and the service checks it is there."""
    event = definition.by_role("event")
    chooser = SelectField(label_of(event), description=other_label(event), choices=[],
                          coerce=_event_number, validate_choice=False)
    return crf_form(definition, base=VersionedForm, extra={event.key: chooser})


def correction_form(definition: CaseReportForm) -> type[Form]:
    """The early termination's form with the reason for a correction."""
    base = withdraw_form(definition)
    reason = StringField(_l("Reason for change"), validators=[Optional(), Length(max=500)])
    return type("TerminationCorrectionForm", (base,), {"change_reason": reason})


def event_choices(entries: Iterable[LogEntry], term_key: str) -> list[SelectChoice]:
    """The child's adverse events not removed, by number and term, after a blank."""
    return [SelectChoice("", "—"), *(
        SelectChoice(str(e.number), f"{e.number} · {e.values.get(term_key) or ''}")
        for e in entries if e.removed_reason is None)]


class AddVisitForm(VersionedForm):
    date = IsoDateField(_l("Visit date"), validators=[Optional()])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=500)])


class CalendarLinkForm(VersionedForm):
    """Issue or revoke the family's calendar link (no input but the participant's version)."""
