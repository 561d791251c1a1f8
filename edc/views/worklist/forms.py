"""The form of the deviations page: a deviation recorded for a child chosen by code."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField

from edc.protocol.crf import CaseReportForm
from edc.views.crf_forms import crf_form
from edc.views.fields import Form, required


class DeviationFormBase(Form):
    # The child's code as typed (a list of every child would not fit a large study); the page
    # checks it names a child of the study.
    child = StringField(_l("Participant code"), validators=required(_l("Enter the child's code.")),
                        render_kw={"maxlength": 32, "size": 10, "autocomplete": "off"})


def deviation_form(definition: CaseReportForm) -> type[DeviationFormBase]:
    """A fresh form class: the child, then the deviation log's items in the reader's language."""
    form = crf_form(definition, base=DeviationFormBase)
    assert issubclass(form, DeviationFormBase)
    return form
