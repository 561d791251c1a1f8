"""The research nurse's day: the worklist (the home page) and the deviations page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from edc import db, services
from edc.models import utcnow
from edc.permissions import Action, may
from edc.protocol.crf import LogForm
from edc.protocol.study import ADVERSE_EVENTS, DEVIATIONS
from edc.read import deviations as deviation_reads
from edc.read import participants as participant_reads
from edc.read import worklist as worklist_reads
from edc.rules import worklist as rules
from edc.rules.safety import hours_left
from edc.services import Refused
from edc.services.language import label_of
from edc.views.crf_forms import answers
from edc.views.fields import as_ascii, clean_text, typed_code
from edc.views.shared import (
    SAFETY_ALERTS,
    attach_errors,
    calendar,
    clock,
    context,
    id_links,
    page_number,
    permission_required,
    results_definition,
    study,
)
from edc.views.worklist.forms import deviation_form

bp = Blueprint("worklist", __name__)

# How each kind of deviation is named in the filter and on each line.
DEVIATION_WORDS = {
    "infusion": _l("Infusion 2 outside its window"),
    "sample": _l("Sample outside the visit window"),
    "booking": _l("Booking outside the window or on a closed day"),
    "missed": _l("Missed visit"),
    "recorded": _l("Recorded by the study team"),
}
# The kind of the deviations entered by hand (forms/deviations.toml) in the page's filter.
RECORDED = "recorded"
MAX_PAGE = 100_000  # a list's page further than any study holds is a typing error


def page() -> Any:
    """The worklist: what is due in a week, booked today and tomorrow, overdue, incomplete."""
    today = clock()
    typed = clean_text(request.args.get("week", ""))[:40]
    week = rules.parse_week(as_ascii(typed), today)  # "＋1" or "２０２６-05-04" as typed too
    error = None
    if week is None:
        error = (_("Got week %(typed)s. Expected a week at most %(years)s years from today. "
                   "This week is shown.", typed=repr(typed[:40]),
                   years=round(rules.MAX_WEEK_OFFSET * rules.WEEK_DAYS / 365.25))
                 if rules.parse_week(as_ascii(typed), today, most_weeks=None) else
                 _("Got week %(typed)s. Expected a date like %(example)s, or +1 for next week "
                   "and -1 for last week. This week is shown.", typed=repr(typed[:40]),
                   example=today.isoformat()))
        week = rules.Week(today)
    section = clean_text(request.args.get("section", "")).strip()
    typed_page = as_ascii(clean_text(request.args.get("page", ""))).strip() or "1"
    page_number = int(typed_page) if typed_page.isascii() and typed_page.isdigit() else 0
    if section not in worklist_reads.SECTIONS or not 1 <= page_number <= MAX_PAGE:
        if section or "page" in request.args:
            # A link typed or cut short: say so rather than show a page that looks complete.
            problem = _("Got section %(section)s, page %(page)s. Expected a section of this "
                        "page (%(known)s) and a page number such as 2. Every list is shown "
                        "from its start.", section=repr(section[:40]),
                        page=repr(typed_page[:40]), known=", ".join(worklist_reads.SECTIONS))
            error = f"{error} {problem}" if error else problem
        section, page_number = "", 1  # the worklist as it opens: each list from its start
    required = {f.key: label_of(f) for f in results_definition().fields if f.required}

    def read(offsets: dict[str, int]) -> worklist_reads.Worklist:
        return worklist_reads.worklist(db.session(), calendar(), week, today,
                                       rules.longest_window_days(study().schedule), required,
                                       study().schedule.second_infusion,
                                       study().log(ADVERSE_EVENTS), DEVIATIONS, offsets)

    offset = (page_number - 1) * worklist_reads.SECTION_ROWS
    work = read({section: offset} if section else {})
    if section and offset and offset >= work.totals[section]:
        # A page past the list's end (it has shrunk since the link was made): say so.
        pages = max(1, -(-work.totals[section] // worklist_reads.SECTION_ROWS))
        problem = _("Got page %(page)s. Expected a page from 1 to %(pages)s. Every list is "
                    "shown from its start.", page=page_number, pages=pages)
        error = f"{error} {problem}" if error else problem
        work = read({})
    g.setdefault(SAFETY_ALERTS, work.alerts)  # the banner shows the same, read once
    hours = study().log(ADVERSE_EVENTS).alert_hours
    return render_template("worklist/index.html", work=work, error=error, typed=typed,
                           page_size=worklist_reads.SECTION_ROWS,
                           alert_hours_left={(a.code, a.number): hours_left(
                               a.alert_at, hours, utcnow()) for a in work.alerts},
                           deviation_count=work.deviation_count, **_row_parts(),
                           this_week=week == rules.Week(today),
                           last_week=rules.week_argument(week.shifted(-1), today),
                           next_week=rules.week_argument(week.shifted(1), today)), (
        400 if error else 200)



def _row_parts() -> dict[str, Any]:
    """What every row of the lists offers, worked out once for the page: the reader's actions,
    their words, and the rows' links (a list's rows are most of the page's time)."""
    role = current_user.role
    can = {"book": may(role, Action.BOOK_VISIT), "results": may(role, Action.ENTER_RESULTS),
           "missed": may(role, Action.MARK_MISSED), "infuse": may(role, Action.RECORD_INFUSION)}
    can["any"] = can["book"] or can["results"] or can["missed"]
    links = {
        "participant": id_links("participants.detail", "participant_id"),
        "visit": id_links("visits.visit", "visit_id"),
        "book": id_links("visits.visit", "visit_id", book=1, _anchor="booking"),
        "missed": id_links("visits.visit", "visit_id", missed=1, _anchor="missed"),
        "infusion": {n: id_links("participants.infusion", "participant_id", number=n)
                     for n in (1, 2)},
    }
    words = {"book": _("Book"), "results": _("Enter results"), "missed": _("Mark missed")}
    return {"can": can, "links": links, "words": words}


@bp.route("/deviations", methods=["GET", "POST"])
@permission_required(Action.VIEW, post=Action.RECORD_SAFETY)
def deviations() -> Any:
    """The deviations the record holds, a page at a time, filtered by child (code) and kind;
    the study team records one for a child (by code) here."""
    session = db.session()
    code = typed_code(request.args.get("participant", ""))
    kind = clean_text(request.args.get("kind", "")).strip()[:40]
    log = study().log(DEVIATIONS)
    form = deviation_form(log.form)(formdata=None if request.method == "GET" else request.form)
    form.child.render_kw = {**form.child.render_kw,
                            "placeholder": study().info.participant_code_example}
    if request.method == "GET" and code:
        form.child.data = code  # the child the list is filtered to
    status = 200
    if request.method == "POST":
        saved = _record(form, log)
        if saved is not None:
            return saved
        status = 422
    errors = []
    participant_id = None
    if code:
        participant_id = deviation_reads.participant_id_for(session, code)
        if participant_id is None:
            errors.append(_("Got participant %(code)s. Expected the code of an enrolled child, "
                            "e.g. %(example)s. All children are shown.", code=repr(code),
                            example=study().info.participant_code_example))
    kinds = (*rules.DEVIATION_KINDS, RECORDED)
    if kind and kind not in kinds:
        errors.append(_("Got kind %(kind)s. Expected one of: %(kinds)s. All kinds are shown.",
                        kind=repr(kind), kinds=", ".join(str(DEVIATION_WORDS[k])
                                                        for k in kinds)))
        kind = ""
    page = page_number(request.args.get("page", ""), errors)
    rows = deviation_reads.DeviationPage([], 0, 1)
    if kind != RECORDED:
        rows = deviation_reads.deviations(session, participant_id, kind or None, page)
        if not rows.rows and page > 1:
            errors.append(_("Got page %(page)s. Expected a page from 1 to %(pages)s. The "
                            "first page is shown.", page=page, pages=rows.pages))
            rows = deviation_reads.deviations(session, participant_id, kind or None)
    recorded = ([] if kind and kind != RECORDED else
                deviation_reads.recorded(session, log.name, participant_id))
    return render_template(
        "worklist/deviations.html", rows=rows, recorded=recorded, log=log, form=form,
        errors=errors, code=code, kind=kind, kinds=kinds, words=DEVIATION_WORDS,
        second=study().schedule.second_infusion,
    ), 400 if errors else status


def _record(form: Any, log: LogForm) -> Any:
    """Save the posted deviation and go back to the page; None when it is refused (the
    messages are on the form's fields)."""
    if not form.validate_on_submit():
        return None
    code = typed_code(form.child.data or "")
    participant_id = deviation_reads.participant_id_for(db.session(), code)
    participant = (None if participant_id is None
                   else participant_reads.load_participant(db.session(), participant_id))
    if participant is None:
        form.child.errors = [*form.child.errors, _(
            "Got %(code)s. Expected the code of a child of the study, e.g. %(example)s.",
            code=repr(code), example=study().info.participant_code_example)]
        return None
    try:
        saved = services.save_log_entry(context(), participant, log, answers(form, log.form))
    except Refused as refused:
        for message in attach_errors(form, refused):
            flash(message, "error")
        return None
    flash(_("%(title)s of %(code)s: entry %(n)s is saved.",
            title=label_of(log.form), n=saved.number,
            code=participant.code), "success")
    return redirect(url_for("worklist.deviations"))
