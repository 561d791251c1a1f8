"""Enrol a child, record infusions, see and re-anchor the follow-up schedule, read the history."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from edc import db, services
from edc.formats.charts import ChartWords, chart_series, trend_svg
from edc.formats.qr import qr_svg
from edc.models import Participant
from edc.permissions import Action, may
from edc.protocol.codes import ParticipantStatus, VisitStatus
from edc.protocol.study import ADVERSE_EVENTS, DEVIATIONS, TERMINATION
from edc.read import deviations as deviation_reads
from edc.read import participant_list as list_reads
from edc.read import participants as reads
from edc.read.participant_list import ListQuery
from edc.rules.numbers import significant
from edc.rules.schedule import screening_window
from edc.rules.trends import Change, Measurement, Trend, TrendRow, baseline_below
from edc.services import Changed, NeedsConfirmation, Refused
from edc.services.language import label_of, qualifier, reads_chinese
from edc.services.logs import typed_values
from edc.services.queries import METHODS
from edc.views.crf_forms import enrolment_form
from edc.views.fields import clean_text, typed_code
from edc.views.filters import percent, term  # `term`: the filter's words, for the history
from edc.views.history_words import for_visit, saves
from edc.views.participants.forms import (
    AddVisitForm,
    AnchorForm,
    CalendarLinkForm,
    InfusionForm,
    correction_form,
    event_choices,
    withdraw_form,
)
from edc.views.participants.medications import dose_changes
from edc.views.shared import (
    attach_errors,
    calendar,
    clock,
    context,
    family_page_url,
    id_links,
    page_number,
    permission_required,
    results_definition,
    study,
    trend_error,
)

bp = Blueprint("participants", __name__, url_prefix="/participants")
TERMS_OF_STATUS = tuple(ParticipantStatus)


def _participant_or_404(participant_id: int) -> Participant:
    participant = reads.load_participant(db.session(), participant_id)
    if participant is None:
        abort(404)
    return participant


# The list's filters by the next visit, in the reader's words.
DUE_WORDS = {"week": _l("Next visit due within 7 days"), "overdue": _l("Has an overdue visit")}
SORT_WORDS = {"code": _l("Participant code"), "next": _l("Next visit")}
def _status_code(typed: str) -> str | None:
    """The status a reader typed or followed a link with: its code, or its word in English or
    in Chinese, as the list shows it ("withdrawn", "Withdrawn", "已退出")."""
    folded = typed.casefold()
    for code in TERMS_OF_STATUS:
        words = {code.casefold()}
        for locale in ("en", "zh_CN"):
            with force_locale(locale):
                words.add(term(code).casefold())
        if folded in words:
            return code
    return None


def _list_query() -> tuple[ListQuery, list[str]]:
    """The list's query arguments, and a message for each one that is not understood (which is
    then left out)."""
    args = request.args
    problems: list[str] = []
    typed_status = clean_text(args.get("status", "")).strip()
    status = _status_code(typed_status) or typed_status
    if status and status not in TERMS_OF_STATUS:
        problems.append(_("Got status %(typed)s. Expected one of: %(known)s. Every status is "
                          "shown.", typed=repr(status[:40]),
                          known=", ".join(term(s) for s in TERMS_OF_STATUS)))
        status = ""
    due = clean_text(args.get("due", "")).strip()
    if due and due not in DUE_WORDS:
        problems.append(_("Got %(typed)s. Expected one of: %(known)s. Every child is shown.",
                          typed=repr(due[:40]),
                          known=", ".join(str(w) for w in DUE_WORDS.values())))
        due = ""
    sort = clean_text(args.get("sort", "")).strip() or "code"
    if sort not in SORT_WORDS:
        problems.append(_("Got sort %(typed)s. Expected one of: %(known)s. Sorted by code.",
                          typed=repr(sort[:40]),
                          known=", ".join(str(w) for w in SORT_WORDS.values())))
        sort = "code"
    page = page_number(args.get("page", ""), problems)
    return ListQuery(search=typed_code(args.get("q", "")), status=status or None,
                     due=due or None, sort=sort, page=page), problems




@bp.route("/")
@permission_required(Action.VIEW)
def index() -> Any:
    on = clock()
    query, problems = _list_query()
    rows = list_reads.participant_list(db.session(), current_user.role, on, calendar(), query)
    if not rows.rows and query.page > 1:
        problems.append(_("Got page %(page)s. Expected a page from 1 to %(pages)s. The first "
                          "page is shown.", page=query.page, pages=rows.pages))
        query = replace(query, page=1)
        rows = list_reads.participant_list(db.session(), current_user.role, on, calendar(),
                                           query)
    arguments = {k: v for k, v in (("q", query.search), ("status", query.status),
                                   ("due", query.due),
                                   ("sort", None if query.sort == "code" else query.sort))
                 if v}
    return render_template("participants/index.html", rows=rows, today=on, problems=problems,
                           arguments=arguments, statuses=TERMS_OF_STATUS, due_words=DUE_WORDS,
                           sort_words=SORT_WORDS,
                           child_link=id_links("participants.detail", "participant_id"),
                           ), 400 if problems else 200


@bp.route("/enrol", methods=["GET", "POST"])
@permission_required(Action.ENROL)
def enrol() -> Any:
    form = enrolment_form(study())()
    general: list[str] = []
    if form.validate_on_submit():
        data = services.EnrolmentData(
            code=typed_code(form.code.data or ""), date_of_birth=form.date_of_birth.data,
            sex=form.sex.data,
            weight_kg=form.weight_kg.data, height_cm=form.height_cm.data,
            consent_date=form.consent_date.data, screening_egfr=form.screening_egfr.data,
            eligibility=form.eligibility_answers(),
            measures_confirmed=bool(form.confirm_measures.data),
        )
        try:
            participant = services.enrol(context(), data)
        except Refused as refused:
            general = attach_errors(form, refused)
        else:
            flash(_("%(code)s is enrolled. Next: add the screening visit and its results, "
                    "then record infusion 1.", code=participant.code), "success")
            return redirect(url_for("participants.detail", participant_id=participant.id))
    status = 422 if form.errors or general else 200
    return render_template("participants/enrol.html", form=form, general=general), status


def _qr(link: str | None) -> Markup | None:
    return Markup(qr_svg(link, _("QR code of the calendar link"))) if link else None


def _withdraw_form(formdata: Any = None) -> Any:
    """The early termination's form, from the posted data or empty."""
    form_class = withdraw_form(study().termination.form)
    return form_class() if formdata is not None else form_class(formdata=None)


# The adverse events' columns on the page, by the role of their item in the form.
AE_COLUMNS = ("term", "start", "end", "grade", "serious", "infusion", "outcome")
# The chart is a pure function of what it draws: the same child unchanged, the same bytes.
_chart_svg = lru_cache(maxsize=256)(trend_svg)


def _entry_links(participant_id: int, log: str) -> Callable[[int], str]:
    """The links to a child's entries of one log form by number, from one url_for (as id_links
    does for ids: the log's name is a keyword of its own)."""
    head, found, tail = url_for("safety.entry", participant_id=participant_id, name=log,
                                number=_STAND_IN).partition(str(_STAND_IN))
    if not found:  # a programming error: the number is not in the URL's path
        raise LookupError("safety.entry", log)
    return lambda number: f"{head}{int(number)}{tail}"


_STAND_IN = 987_654_321  # a number no entry has, replaced in the link built with it


def _page_words() -> dict[str, str]:
    """The words the page's tables repeat on every row, in the reader's language, read once."""
    return {"not_done": _("not done"), "no_sample": _("no sample yet"),
            "baseline": _("baseline"), "yes": _("yes"), "no": _("no"),
            "window_open": _("window open"), "overdue": _("overdue"),
            "no_clinic_day": _("no clinic day in window"),
            "no_clinic_day_title": _("No clinic day in the window"),
            "before_first": _("before infusion 1"), "unscheduled": _("unscheduled"),
            # Filled on each row with % and the row's values.
            "day_after": _("day %(n)s after infusion %(i)s"),
            "lab_differs": _("lab differs by %(p)s %%"),
            "comparison": _("%(equation)s: %(value)s vs %(baseline)s at baseline (%(p)s %%)")}


@dataclass(frozen=True)
class TrendCell:
    """A trend field's cell on a visit's line: whether the visit has a result for it, whether
    it was not done, its value as the reader reads it (as typed, with the unit where the field
    has several), and its change from baseline in percent ("" without one)."""

    key: str
    shown: bool
    not_done: bool = False
    value: str = ""
    change: str = ""


@dataclass(frozen=True)
class TrendLine:
    """A visit's line of the results table: the dose changes listed before it, its trend row
    (None without a sample), each trend field with its measurement and change from baseline,
    and the flags beside its proteinuria."""

    visit: Any
    doses: list[Any]
    row: TrendRow | None
    cells: list[TrendCell]
    flags: list[str]


def _trend_cell(field: Any, measured: Measurement | None, change: Change | None,
                chinese: bool) -> TrendCell:
    if measured is None:
        return TrendCell(field.key, shown=False)
    if measured.qualifier:
        value = qualifier(field, measured.qualifier)
    elif measured.typed_value is not None:
        value = significant(measured.typed_value, 15)  # as typed, not rounded
        if len(field.units) > 1:
            value += " " + label_of(field.unit(measured.typed_unit) or field.units[0])
    else:
        value = ""
    return TrendCell(field.key, shown=True, not_done=measured.not_done, value=value,
                     change=percent(change.percent, chinese)
                     if change and change.percent is not None else "")


def _trend_lines(visits: list[Any], trend: Trend, fields: list[Any],
                 doses: Any) -> list[TrendLine]:
    """The results table's lines, one per visit: looked up here once, not per cell."""
    by_code = {row.code: row for row in trend.rows}
    chinese = reads_chinese()
    lines = []
    for visit in visits:
        row = by_code.get(visit.code)
        cells = [] if row is None else [
            _trend_cell(f, row.measurements.get(f.key), row.changes.get(f.key), chinese)
            for f in fields]
        lines.append(TrendLine(visit, doses.before.get(visit.code, []), row, cells,
                               [] if row is None else doses.flags.get(row.code, [])))
    return lines


def _detail_page(participant: Participant, anchor_form: AnchorForm | None = None,
                 withdrawal: Any = None,
                 add_form: AddVisitForm | None = None) -> str:
    page = reads.child_page(db.session(), current_user.role, participant, results_definition(),
                            study().outcomes)
    termination = study().termination.form
    # The withdrawal form only where the page shows it: a child in follow-up, for who may.
    if withdrawal is None and participant.status == ParticipantStatus.ENROLLED and may(
            current_user.role, Action.WITHDRAW):
        withdrawal = _withdraw_form()
    if withdrawal is not None:
        withdrawal[termination.by_role("event").key].choices = event_choices(
            page.logs.get(ADVERSE_EVENTS, []), study().adverse_events.by_role("term").key)
    ended = page.logs.get(TERMINATION, [])
    anchor_form = AnchorForm(formdata=None) if anchor_form is None else anchor_form
    if not anchor_form.version.data:  # the form carries the version the page shows
        anchor_form.version.data = str(participant.version)
    doses = dose_changes(study().logs, page.logs, participant.visits, page.trend)
    chart, lines = None, []
    trend_fields = [f for f in results_definition().fields if f.trend]
    if page.trend is not None and page.trend.rows:
        lines = _trend_lines(participant.visits, page.trend, trend_fields, doses)
        title = _("%(code)s: UPCR and eGFR over time", code=participant.code)
        words = ChartWords(no_values=_("No values yet"), reference=_("reference"),
                           over_time=_("{names} over time"))
        upcr = label_of(results_definition().by_role("upcr"))
        chart = Markup(_chart_svg(tuple(chart_series(page.trend, upcr_name=upcr)),
                                  title=title, words=words, markers=tuple(doses.markers)))
    return render_template(
        "participants/detail.html", p=participant, arm=page.arm, today=clock(),
        trend=page.trend, trend_error=trend_error(page.trend_error), chart=chart, logs=page.logs,
        doses=doses,
        trend_fields=trend_fields, trend_lines=lines,
        words=_page_words(),
        ae_columns=[(role, study().log(ADVERSE_EVENTS).form.by_role(role))
                    for role in AE_COLUMNS],
        links={"visit": id_links("visits.visit", "visit_id"),
               "entry": {log.name: _entry_links(participant.id, log.name)
                         for log in study().logs}},
        second_window=services.second_infusion_due(study(), participant),
        estimated=", ".join(map(str, calendar().estimated_years(
            v.appointment for v in participant.visits if v.status == VisitStatus.PLANNED))),
        before_first=before_infusion_1(participant, page.trend, clock())
        if participant.status == ParticipantStatus.ENROLLED and participant.infusion(1) is None
        else [],
        anchor_form=anchor_form,
        add_form=add_form or AddVisitForm(formdata=None),
        withdraw_form=withdrawal, termination=termination,
        ended=next((e for e in ended if e.removed_reason is None), None),
        calendar_qr=_qr(family_page_url(participant)),
        # Beside the deviations typed in: those the record computes (the deviations page's).
        deviations_log=DEVIATIONS, computed_deviations=len(deviation_reads.of_child(
            participant.code, participant.infusions, participant.visits)),
    )


def before_infusion_1(participant: Participant, trend: Trend | None, today: date) -> list[str]:
    """What to tell whoever is about to give or record infusion 1: a baseline eGFR not above the
    limit for enrolment (enrolment checked the number typed there), or no baseline at all, and
    screening samples too old for an infusion given today."""
    limit = study().enrolment.screening_egfr_above
    if trend is None:
        return []
    baseline = [row for row in trend.rows if row.baseline_period]
    if not baseline:
        return [_("No screening results are saved yet. Baseline is the last value before "
                  "infusion 1: enter the screening results first, or every outcome of %(code)s "
                  "will be not assessable.", code=participant.code)]
    if all(row.summary.egfr_reference is None and row.summary.lab_egfr is None
           for row in baseline):
        told = [_("The screening results give no eGFR: CKiD U25 needs creatinine with the "
                  "height, or cystatin C, and no laboratory eGFR is entered. The limit for "
                  "enrolment (above %(limit)s) cannot be checked against them, and the renal "
                  "function outcome of %(code)s will be not assessable. Complete them before "
                  "infusion 1.", limit=f"{limit:g}", code=participant.code)]
    else:
        told = [_("The screening sample of %(day)s gives an eGFR of %(egfr)s mL/min/1.73m² "
                  "(%(method)s): not above %(limit)s, the limit for enrolment (enrolment was "
                  "checked with %(typed)s). Tell the investigator before infusion 1.",
                  day=found.sample_date.isoformat(), egfr=f"{found.egfr:.1f}",
                  method=METHODS[found.method][1] if found.method in METHODS
                  else _("laboratory-reported"), limit=f"{limit:g}",
                  typed=f"{participant.screening_egfr:g}")
                for found in baseline_below(trend, limit)]
    last = max(row.sample_date for row in baseline)
    window = screening_window(today, study().schedule.screening)
    if last < window.start:
        told.append(_("The last screening sample (%(day)s) is more than %(days)s days before "
                      "today: infusion 1 given today would leave the baseline outside the "
                      "screening window (%(start)s to %(end)s). Take new screening samples "
                      "first, or tell the investigator.", day=last.isoformat(),
                      days=study().schedule.screening.window_days,
                      start=window.start.isoformat(), end=window.end.isoformat()))
    return told


@bp.route("/<int:participant_id>")
@permission_required(Action.VIEW)
def detail(participant_id: int) -> Any:
    # The page reads the results as rows (reads.child_page), not as records.
    participant = reads.load_participant(db.session(), participant_id, results=False)
    if participant is None:
        abort(404)
    return _detail_page(participant, AnchorForm(formdata=None))


@bp.route("/<int:participant_id>/infusions/<int:number>", methods=["GET", "POST"])
@permission_required(Action.RECORD_INFUSION)
def infusion(participant_id: int, number: int) -> Any:
    if number not in (1, 2):
        abort(404)
    participant = _participant_or_404(participant_id)
    existing = participant.infusion(number)
    form = InfusionForm(obj=existing)
    if request.method == "GET":
        if existing is None:
            form.weight_kg.data = participant.weight_kg
            form.version.data = str(services.NOT_RECORDED)
        else:
            form.version.data = str(existing.version)
    general: list[str] = []
    moves = kept = None
    if form.validate_on_submit():
        data = services.InfusionData(date=form.date.data, weight_kg=form.weight_kg.data,
                                     product_lot=form.product_lot.data or "",
                                     volume_ml=form.volume_ml.data,
                                     weight_confirmed=bool(form.confirm_weight.data))
        try:
            saved = services.save_infusion(
                context(), participant, number, data, reason=form.reason.data or "",
                confirmed_date=form.confirmed_date(), expected_version=form.expected_version())
        except NeedsConfirmation as needs:
            moves, kept = needs.moves, needs.kept
            form.confirmed.data = data.date.isoformat()
        except Refused as refused:
            general = attach_errors(form, refused)
            if existing is not None and form.expected_version() == services.NOT_RECORDED:
                # Recorded by someone else meanwhile: a save from here is now a correction.
                form.version.data = str(existing.version)
        else:
            flash(_("Infusion %(n)s is saved.", n=number), "success")
            if saved.number == 2 and saved.window_deviation_days:
                flash(_deviation_message(saved.window_deviation_days), "warning")
            return redirect(url_for("participants.detail", participant_id=participant.id))
    status = 422 if form.errors or general else 200
    warnings = (before_infusion_1(participant, reads.trend_or_error(
        participant, results_definition(), study().outcomes)[0], clock())
        if number == 1 and participant.infusion(1) is None else [])
    return render_template(
        "participants/infusion.html", p=participant, number=number, form=form,
        before_first=warnings,
        existing=existing, general=general, moves=moves, kept=kept,
        dose_per_kg=study().treatment.dose_cells_per_kg,
        second_window=services.second_infusion_due(study(), participant) if number == 2 else None,
    ), status


def _deviation_message(days: int) -> str:
    if days < 0:
        return ngettext("Infusion 2 was given %(num)s day before its window; it is saved and "
                        "flagged as a deviation.",
                        "Infusion 2 was given %(num)s days before its window; it is saved and "
                        "flagged as a deviation.", -days)
    return ngettext("Infusion 2 was given %(num)s day after its window; it is saved and "
                    "flagged as a deviation.",
                    "Infusion 2 was given %(num)s days after its window; it is saved and "
                    "flagged as a deviation.", days)


@bp.route("/<int:participant_id>/anchor-on-first", methods=["POST"])
@permission_required(Action.ANCHOR_FOLLOW_UP)
def anchor_on_first(participant_id: int) -> Any:
    participant = _participant_or_404(participant_id)
    form = AnchorForm()
    status = 422
    if form.validate_on_submit():
        try:
            services.anchor_on_first_infusion(context(), participant, form.reason.data,
                                              expected_version=form.expected_version())
        except Changed as clash:
            status = _flash_conflict(clash)
            form.version.data = str(participant.version)
        except Refused as refused:
            for message in attach_errors(form, refused):
                flash(message, "error")
        else:
            flash(_("Follow-up is anchored on infusion 1."), "success")
            return redirect(url_for("participants.detail", participant_id=participant.id))
    return _detail_page(participant, form), status


def _flash_conflict(clash: Changed) -> int:
    """Say what someone else saved meanwhile; the page is shown again with the typed input."""
    for message in clash.messages:
        flash(message, "error")
    return 409


@bp.route("/<int:participant_id>/withdraw", methods=["POST"])
@permission_required(Action.WITHDRAW)
def withdraw(participant_id: int) -> Any:
    participant = _participant_or_404(participant_id)
    form = _withdraw_form(request.form)
    status = 422
    if form.validate_on_submit():
        values = {item.key: form[item.key].data for item in study().termination.form.fields}
        try:
            services.withdraw(context(), participant, values,
                              expected_version=form.expected_version())
        except Changed as clash:
            status = _flash_conflict(clash)
        except Refused as refused:
            for message in attach_errors(form, refused):
                flash(message, "error")
        else:
            flash(_("%(code)s is withdrawn; the visits to come are cancelled.",
                    code=participant.code), "success")
            return redirect(url_for("participants.detail", participant_id=participant.id))
    if form.errors:
        # The form is at the foot of a long page: say so at the top too.
        flash(_("%(code)s is not withdrawn: correct the withdrawal form below.",
                code=participant.code), "error")
    return _detail_page(participant, AnchorForm(formdata=None), form), status


@bp.route("/<int:participant_id>/termination", methods=["GET", "POST"])
@permission_required(Action.WITHDRAW)
def termination(participant_id: int) -> Any:
    """Correct the early termination of a withdrawn child, with the reason for the change."""
    participant = _participant_or_404(participant_id)
    page = reads.child_page(db.session(), current_user.role, participant, results_definition(),
                            study().outcomes)
    ended = page.logs.get(TERMINATION, [])
    if not ended:
        abort(404)
    entry, definition = ended[0], study().termination.form
    form_class = correction_form(definition)
    if request.method == "POST":
        form = form_class()
    else:
        form = form_class(formdata=None, data=typed_values(definition, entry))
        form.version.data = str(entry.version)
    form[definition.by_role("event").key].choices = event_choices(
        page.logs.get(ADVERSE_EVENTS, []), study().adverse_events.by_role("term").key)
    general: list[str] = []
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            values = {item.key: form[item.key].data for item in definition.fields}
            try:
                services.correct_termination(
                    context(), participant, entry, values, reason=form.change_reason.data or "",
                    expected_version=form.expected_version())
            except Refused as refused:
                general = attach_errors(form, refused)
                status = 409 if isinstance(refused, Changed) else 422
            else:
                flash(_("The early termination of %(code)s is corrected.",
                        code=participant.code), "success")
                return redirect(url_for("participants.detail", participant_id=participant.id))
    return render_template("participants/termination.html", p=participant, form=form,
                           termination=definition, general=general), status


@bp.route("/<int:participant_id>/history")
@permission_required(Action.VIEW)
def history(participant_id: int) -> Any:
    """Every save, newest first: who, when, why, and its changes in words; by visit if asked."""
    found = reads.child_history(db.session(), current_user.role, participant_id)
    if found is None:
        abort(404)
    participant, events = found.participant, found.trail
    codes = [v.code for v in participant.visits]
    chosen = clean_text(request.args.get("visit", "")).strip()
    problem = ""
    if chosen and chosen not in codes:
        # A link typed or cut short, or another child's visit: say so rather than show the
        # whole history as if it were the visit's.
        problem = _("Got visit %(typed)s. Expected a visit of %(code)s: %(codes)s. Every "
                    "change is shown.", typed=repr(chosen[:40]), code=participant.code,
                    codes=_(", ").join(codes))
        chosen = ""
    entries = saves(events, results_definition(), term,
                    visit_codes={v.id: v.code for v in participant.visits})
    if chosen:
        entries = for_visit(entries, chosen)
    return render_template("participants/history.html", p=participant, saves=entries[::-1],
                           codes=codes, chosen=chosen, problem=problem), 400 if problem else 200


@bp.route("/<int:participant_id>/visits", methods=["POST"])
@permission_required(Action.ADD_VISIT)
def add_visit(participant_id: int) -> Any:
    participant = _participant_or_404(participant_id)
    form = AddVisitForm()
    kind = clean_text(request.form.get("kind", ""))[:500]
    if not form.validate_on_submit():
        return _detail_page(participant, add_form=form), 422
    try:
        new = services.add_visit(context(), participant, kind, form.date.data,
                                 form.reason.data or "",
                                 expected_version=form.expected_version())
    except Refused as refused:
        # A conflict or a refusal: the page again, with what was typed and the message at
        # its field.
        for message in attach_errors(form, refused):
            flash(message, "error")
        return _detail_page(participant, add_form=form), 409 if isinstance(
            refused, Changed) else 422
    return redirect(url_for("visits.visit", visit_id=new.id))


def _change_link(participant_id: int, change: Any, done: str) -> Any:
    """Issue or revoke the link from a page opened on the participant's current version;
    otherwise say what someone else changed and show the page again."""
    participant = _participant_or_404(participant_id)
    form = CalendarLinkForm()
    if form.validate_on_submit():
        try:
            change(context(), participant, expected_version=form.expected_version())
        except Changed as clash:
            status = _flash_conflict(clash)  # flashed before the page is drawn
            return _detail_page(participant), status
        flash(done, "success")
    return redirect(url_for("participants.detail", participant_id=participant_id))


@bp.route("/<int:participant_id>/calendar-link", methods=["POST"])
@permission_required(Action.MANAGE_CALENDAR_LINK)
def issue_calendar_link(participant_id: int) -> Any:
    return _change_link(participant_id, services.issue_calendar_link,
                        _("A new calendar link is issued; any earlier link no longer works."))


@bp.route("/<int:participant_id>/calendar-link/revoke", methods=["POST"])
@permission_required(Action.MANAGE_CALENDAR_LINK)
def revoke_calendar_link(participant_id: int) -> Any:
    return _change_link(participant_id, services.revoke_calendar_link,
                        _("The calendar link is revoked."))
