"""Why a verification was cleared or a signature voided, in the reader's words.

The stored reason is the audit trail's ("nurse: result 12 value, visit 3 status"): who changed
which field of which record. Here each record is named as the forms name it (the analyte and
its visit, the log form and its entry number, the enrolment item, the infusion)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from edc.audit import DERIVED_ON_CREATE, FROM_SCHEDULE
from edc.read.review import Review
from edc.services.base import FIELD_WORDS
from edc.services.language import entry_name, label_of
from edc.views.filters import local_time
from edc.views.shared import results_definition, study

# Infusion columns in a nurse's words.
INFUSION_WORDS = {"date": _l("Infusion date"), "weight_kg": _l("Weight (kg)"),
                  "product_lot": _l("Product lot"), "volume_ml": _l("Volume (mL)")}

# A visit's columns the schedule sets (its days and what they count from): moved together when an
# infusion date is corrected, so named together.
SCHEDULED_DAYS = FROM_SCHEDULE["visit"] | DERIVED_ON_CREATE["visit"]

# A visit's columns a query may ask about, in a nurse's words.
VISIT_WORDS = {"actual_date": _l("sample date"), "suggested_date": _l("suggested day"),
               "window_start": _l("window"), "window_end": _l("window"),
               "sample_deviation_days": _l("sample days outside the window"),
               "missed_reason": _l("missed because")}


def _label(form: Any, key: str) -> str:
    try:
        return label_of(form.field(key))
    except KeyError:
        return str(FIELD_WORDS.get(key, key))


def _result(review: Review, result_id: int) -> tuple[str, str] | None:
    for visit in review.participant.visits:
        for result in visit.results:
            if result.id == result_id:
                return visit.code, _label(results_definition(), result.field)
    return None


def record_words(review: Review, entity: str, entity_id: int, field: str) -> str:
    """One changed field, named as the forms name it."""
    p = review.participant
    if entity == "result":
        found = _result(review, entity_id)
        if found is not None:
            return f"{found[0]} {found[1]}"
        return _("a result that was removed")
    if entity == "visit":
        code = next((v.code for v in p.visits if v.id == entity_id), "")
        return f"{code} {VISIT_WORDS.get(field) or FIELD_WORDS.get(field, field)}".strip()
    if entity == "infusion":
        number = next((i.number for i in p.infusions if i.id == entity_id), "")
        words = INFUSION_WORDS.get(field)
        return _("Infusion %(n)s", n=number) + " " + str(words or field)
    if entity == "participant":
        if field == "eligibility":
            return _("Eligibility")
        return _label(study().enrolment_form, field)
    if entity == "log_entry":
        entry = next((r.record for r in review.records
                      if r.entity == "log_entry" and r.entity_id == entity_id), None)
        if entry is not None:
            log = study().any_log(entry.form)
            return f"{entry_name(log.form, entry.number)} {_label(log.form, field)}"
    return f"{entity} {entity_id} {field}"


def reason_words(review: Review, stored: str | None) -> tuple[str, str]:
    """Who changed what, from a stored reason ("nurse: result 12 value, ..."). Visits whose
    days moved with the schedule (an infusion date corrected) are named once, together, in
    the order of the schedule."""
    if not stored:
        return "", ""
    who, _sep, rest = stored.partition(": ")
    parts = []
    moved: set[int] = set()
    for item in rest.split(", "):
        pieces = item.split(" ")
        if len(pieces) == 3 and pieces[1].isdigit():
            if pieces[0] == "visit" and pieces[2] in SCHEDULED_DAYS:
                moved.add(int(pieces[1]))
                continue
            text = record_words(review, pieces[0], int(pieces[1]), pieces[2])
        else:
            text = item
        if text not in parts:
            parts.append(text)
    if moved:
        codes = [v.code for v in sorted(review.participant.visits,
                                        key=lambda v: (v.target_date, v.code)) if v.id in moved]
        parts.append(_("the days of %(visits)s, with the schedule", visits=", ".join(codes)))
    return who, _("; ").join(parts)


def cleared_words(review: Review, mark: Any) -> str:
    """A cleared verification, as its record's page says it."""
    who, what = reason_words(review, mark.cleared_reason)
    return _("Verification cleared: %(who)s changed %(what)s on %(when)s.", who=who, what=what,
             when=local_time(mark.cleared_at))


def voided_words(review: Review, signature: Any) -> str:
    """A voided signature, as the participant page and the casebook say it."""
    who, what = reason_words(review, signature.voided_reason)
    return _("Signature voided: %(who)s changed %(what)s on %(when)s.", who=who, what=what,
             when=local_time(signature.voided_at))
