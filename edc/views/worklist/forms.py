"""The form of the deviations page: a deviation recorded for a child chosen by code."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from edc.protocol.crf import CaseReportForm
from edc.views.crf_forms import crf_form
from edc.views.fields import Form, required


class DeviationFormBase(Form):
    # The child's code; the page checks it names a child of the study.
    child = SelectField(_l("Participant code"), choices=[], validate_choice=False,
                        validators=required(_l("Choose the child.")))

    def offer(self, codes: Iterable[str]) -> None:
        """Offer these children's codes, after a blank."""
        self.child.choices = [SelectChoice("", "—"), *(SelectChoice(c, c) for c in codes)]


def deviation_form(definition: CaseReportForm) -> type[DeviationFormBase]:
    """A fresh form class: the child, then the deviation log's items in the reader's language."""
    form = crf_form(definition, base=DeviationFormBase)
    assert issubclass(form, DeviationFormBase)
    return form
