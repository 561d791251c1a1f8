"""The forms of the log pages: an entry (built from its definition), removing one,
acknowledging a serious adverse event."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField
from wtforms.validators import Length, Optional

from edc.protocol.crf import CaseReportForm
from edc.views.crf_forms import crf_form
from edc.views.fields import Form, Required, VersionedForm


class EntryFormBase(VersionedForm):
    # Asked of a correction only (the service says so when it is missing).
    reason = StringField(_l("Reason for change"), validators=[Optional(), Length(max=500)])
    # The entry's items as the form was opened (JSON): after someone else's save, what this
    # person left alone takes theirs (edc.views.safety.routes).
    opened = HiddenField()


def entry_form(definition: CaseReportForm) -> type[Form]:
    """The form of one row of a log, in the reader's language."""
    return crf_form(definition, base=EntryFormBase)


class RemoveForm(VersionedForm):
    reason = StringField(_l("Why is this entry removed?"), validators=[
        Required(message=_l("Say why the entry is removed.")), Length(max=500)])


class AcknowledgeForm(VersionedForm):
    pass
