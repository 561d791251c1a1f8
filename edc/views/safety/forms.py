"""The forms of the log pages: an entry (built from its definition), removing one,
acknowledging a serious adverse event."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import Length, Optional

from edc.protocol.crf import CaseReportForm, unit_key
from edc.views.crf_forms import crf_form
from edc.views.fields import Form, Required, VersionedForm


class EntryFormBase(VersionedForm):
    # Asked of a correction only (the service says so when it is missing).
    reason = StringField(_l("Reason for change"), validators=[Optional(), Length(max=500)])


def entry_form(definition: CaseReportForm) -> type[Form]:
    """The form of one row of a log, in the reader's language."""
    return crf_form(definition, base=EntryFormBase)


def answers(form: Any, definition: CaseReportForm) -> dict[str, Any]:
    """What was typed for each item, as the service takes it (yes/no as "yes"/"no"; the unit
    chosen beside a number under unit_key)."""
    typed = {item.key: form[item.key].data for item in definition.fields}
    for item in definition.fields:
        if unit_key(item) in form:
            typed[unit_key(item)] = form[unit_key(item)].data
    return typed


class RemoveForm(VersionedForm):
    reason = StringField(_l("Why is this entry removed?"), validators=[
        Required(message=_l("Say why the entry is removed.")), Length(max=500)])


class AcknowledgeForm(VersionedForm):
    pass
