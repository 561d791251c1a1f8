"""The research nurse's day: the worklist (the home page) and the deviations page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from edc import db
from edc.models import utcnow
from edc.permissions import Action
from edc.protocol.study import ADVERSE_EVENTS
from edc.read import deviations as deviation_reads
from edc.read import worklist as worklist_reads
from edc.rules import worklist as rules
from edc.rules.safety import hours_left
from edc.services.language import label_of
from edc.views.fields import clean_text
from edc.views.shared import calendar, clock, permission_required, results_definition, study

bp = Blueprint("worklist", __name__)

# How each kind of deviation is named in the filter and on each line.
DEVIATION_WORDS = {
    "infusion": _l("Infusion 2 outside its window"),
    "sample": _l("Sample outside the visit window"),
    "booking": _l("Booking outside the window or on a closed day"),
    "missed": _l("Missed visit"),
}


def page() -> Any:
    """The worklist: what is due in a week, booked today and tomorrow, overdue, incomplete."""
    today = clock()
    typed = clean_text(request.args.get("week", ""))[:40]
    week = rules.parse_week(typed, today)
    error = None
    if week is None:
        error = _("Got week %(typed)s. Expected a date like %(example)s, or +1 for next week "
                  "and -1 for last week. This week is shown.", typed=repr(typed[:40]),
                  example=today.isoformat())
        week = rules.Week(today)
    required = {f.key: label_of(f) for f in results_definition().fields if f.required}
    work = worklist_reads.worklist(db.session(), calendar(), week, today,
                                   rules.longest_window_days(study().schedule), required,
                                   study().schedule.second_infusion,
                                   study().log(ADVERSE_EVENTS))
    hours = study().log(ADVERSE_EVENTS).alert_hours
    return render_template("worklist/index.html", work=work, error=error, typed=typed,
                           alert_hours_left={(a.code, a.number): hours_left(
                               a.alert_at, hours, utcnow()) for a in work.alerts},
                           deviation_count=work.deviation_count,
                           this_week=week == rules.Week(today)), 400 if error else 200


@bp.route("/deviations")
@permission_required(Action.VIEW)
def deviations() -> Any:
    """Every deviation the record holds, filtered by child (code) and kind."""
    session = db.session()
    code = clean_text(request.args.get("participant", "")).strip()[:40]
    kind = clean_text(request.args.get("kind", "")).strip()[:40]
    errors = []
    participant_id = None
    if code:
        participant_id = deviation_reads.participant_id_for(session, code)
        if participant_id is None:
            errors.append(_("Got participant %(code)s. Expected the code of an enrolled child, "
                            "e.g. %(example)s. All children are shown.", code=repr(code),
                            example=study().info.participant_code_example))
    if kind and kind not in rules.DEVIATION_KINDS:
        errors.append(_("Got kind %(kind)s. Expected one of: %(kinds)s. All kinds are shown.",
                        kind=repr(kind), kinds=", ".join(str(DEVIATION_WORDS[k])
                                                        for k in rules.DEVIATION_KINDS)))
        kind = ""
    rows = deviation_reads.deviations(session, participant_id, kind or None)
    return render_template(
        "worklist/deviations.html", rows=rows, errors=errors, code=code, kind=kind,
        kinds=rules.DEVIATION_KINDS, words=DEVIATION_WORDS,
        second=study().schedule.second_infusion,
    ), 400 if errors else 200
