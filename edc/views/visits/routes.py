"""A visit's page: enter and correct its kidney results, see each field's history, mark missed."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from edc import db, services
from edc.models import Visit
from edc.models.audit import FieldChange
from edc.permissions import Action
from edc.protocol.codes import VisitStatus
from edc.read import history as history_reads
from edc.read import participants as reads
from edc.rules import worklist as rules
from edc.services import Changed, Conflict, Refused, ResultsData, TypedResult
from edc.services.language import label_of, qualifier
from edc.views.crf_forms import results_form
from edc.views.fields import Subform, clean_text
from edc.views.filters import term  # the `term` filter's words, for the history
from edc.views.history_words import of_visit, saves, told_rows
from edc.views.shared import (
    attach_errors,
    calendar,
    clock,
    context,
    permission_required,
    results_definition,
    study,
    trend_error,
)
from edc.views.visits.forms import BookForm, MissedForm

bp = Blueprint("visits", __name__)

# A visit's field history, its own history and the conflict message are told by
# edc/views/history_words.py, the same words as the participant's history page.


def _visit_or_404(visit_id: int) -> Visit:
    visit = reads.load_visit(db.session(), visit_id)
    if visit is None:
        abort(404)
    return visit


def _stored_entry(result: Any) -> dict[str, Any]:
    """One analyte's inputs as stored (an empty entry when nothing is)."""
    return {
        "value": getattr(result, "typed_value", None) or "",
        "unit": getattr(result, "typed_unit", None) or "",
        "qualifier": getattr(result, "qualifier", None) or "",
        "not_done": getattr(result, "not_done_reason", None) is not None,
        "not_done_reason": getattr(result, "not_done_reason", None) or "",
    }


def _state(entry: dict[str, Any], field: Any) -> str:
    """What an analyte's inputs say, as one comparable text (a lone unit is no choice)."""
    unit = entry["unit"] or field.units[0].code if len(field.units) > 1 else ""
    return json.dumps([entry["value"].strip(), unit, entry["qualifier"] or "",
                       bool(entry["not_done"]), entry["not_done_reason"].strip()])


def _stored(visit: Visit) -> dict[str, Any]:
    """The form's data as last saved, so a correction starts from what is stored; each analyte
    remembers what it held when the form was opened."""
    data: dict[str, Any] = {"sample_date": visit.actual_date, "version": str(visit.version),
                            "watermark": str(history_reads.watermark(db.session()))}
    stored = {r.field: r for r in visit.results}
    for field in results_definition().fields:
        entry = _stored_entry(stored.get(field.key))
        data[field.key] = {**entry, "opened": _state(entry, field)}
    return data


def _merge_after_conflict(form: Any, visit: Visit) -> None:
    """Show the other person's values where this person changed nothing, keep what this person
    typed where they did, and say where both changed the same analyte."""
    db.session().expire(visit)
    stored = {r.field: r for r in visit.results}
    for field in results_definition().fields:
        entry = form[field.key].form
        theirs = _stored_entry(stored.get(field.key))
        mine = {name: entry[name].data if name in entry else "" for name in theirs}
        mine = {k: (v or "") if k != "not_done" else bool(v) for k, v in mine.items()}
        opened = entry.opened.data or ""
        if _state(mine, field) == opened:
            for name, value in theirs.items():
                if name in entry:
                    entry[name].data = value
                    entry[name].raw_data = None
        elif _state(theirs, field) not in (opened, _state(mine, field)):
            # Both changed it, to different values (the same value is no conflict).
            unit = field.unit(theirs["unit"]) if theirs["unit"] else None
            entry.value.errors = [*entry.value.errors, _(
                "Someone else changed %(label)s too; theirs is %(value)s. Keep yours or type "
                "theirs, then save.", label=label_of(field),
                value=theirs["not_done_reason"] and _("not done")
                or qualifier(field, theirs["qualifier"])
                or f"{theirs['value']} {label_of(unit) if unit else ''}".strip() or "—")]
        entry.opened.data = _state(theirs, field)


def _posted(name: str) -> str:
    """A posted text without control characters (PostgreSQL refuses NUL), at most 500 long."""
    return clean_text(request.form.get(name, ""))[:500]


def _counter(text: str | None) -> int:
    """A hidden version or audit watermark as posted; anything else counts as 0 (stale)."""
    text = text or ""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else 0


def _typed(entry: Subform) -> TypedResult:
    return TypedResult(
        text=entry.value.data or "",
        unit=entry.unit.data or "" if "unit" in entry else "",
        qualifier=entry.qualifier.data or "" if "qualifier" in entry else "",
        not_done=bool(entry.not_done.data),
        not_done_reason=entry.not_done_reason.data or "",
        confirmed=bool(entry.confirm.data),
    )


@bp.route("/visits/<int:visit_id>", methods=["GET", "POST"])
@permission_required(Action.VIEW, post=Action.ENTER_RESULTS)
def visit(visit_id: int) -> Any:
    visit = _visit_or_404(visit_id)
    form_class = results_form(results_definition())
    if request.method == "POST":
        form = form_class()
    else:
        form = form_class(formdata=None, data=_stored(visit))
    general: list[str] = []
    conflict: list[FieldChange] | None = None
    if form.validate_on_submit():
        typed = {f.key: _typed(form[f.key].form) for f in results_definition().fields}
        data = ResultsData(sample_date=form.sample_date.data, results=typed)
        version, watermark = _counter(form.version.data), _counter(form.watermark.data)
        try:
            services.save_results(context(), visit, data, expected_version=version,
                                  reason=form.reason.data or "")
        except Conflict as clash:
            conflict = history_reads.changes_since(db.session(), visit.participant_id, visit.id,
                                                   watermark)
            _merge_after_conflict(form, visit)
            form.version.data = str(clash.version)
            form.watermark.data = str(history_reads.watermark(db.session()))
        except Refused as refused:
            general = attach_errors(form, refused)
        else:
            flash(_("The results of %(code)s are saved; the visit is done.", code=visit.code),
                  "success")
            return redirect(url_for("visits.visit", visit_id=visit.id))
    status = 409 if conflict is not None else 422 if (form.errors or general) else 200
    return _visit_page(visit, form=form, general=general, conflict=conflict, status=status)


def _visit_page(visit: Visit, *, form: Any = None, general: list[str] | None = None,
                conflict: list[FieldChange] | None = None, book_form: BookForm | None = None,
                missed_form: MissedForm | None = None, status: int = 200) -> Any:
    if form is None:
        form = results_form(results_definition())(formdata=None, data=_stored(visit))
    # The day offered for booking: the suggested clinic day, or once that has passed the clinic
    # day nearest the target in what is left of the window.
    today = clock()
    offered = rules.day_to_offer(visit.suggested_date, visit.target_date, visit.window_start,
                                 visit.window_end, today, calendar())
    # The booking and missed forms are shown only while the visit is planned.
    planned = visit.status == VisitStatus.PLANNED
    if book_form is None and planned:
        # The reason starts empty: it was given for the day booked so far, and a new day needs
        # its own (or none, on a plain clinic day in the window).
        book_form = BookForm(formdata=None, data={
            "date": visit.booked_date or offered or today, "time": visit.booked_time,
            "version": str(visit.version)})
    if missed_form is None and planned:
        missed_form = MissedForm(formdata=None, data={"version": str(visit.version)})
    page = reads.visit_page(db.session(), visit, results_definition(), study().outcomes)
    told = saves(page.trail, results_definition(), term,
                 visit_codes={v.id: v.code for v in visit.participant.visits})
    per_field, own = of_visit(told, visit.code)
    return render_template(
        "visits/visit.html", v=visit, p=visit.participant, form=form, general=general or [],
        conflict=None if conflict is None else told_rows(told, conflict), history=per_field,
        visit_history=own, fields=results_definition().fields,
        stored={r.field: r for r in visit.results},  # one result per field (unique)
        window=visit.sample_window(study().schedule.screening),
        missed_form=missed_form, today=today, offered=offered, row=page.trend_row,
        trend_error=trend_error(page.trend_error), book_form=book_form,
        confirmed_by={key: save.username for key, lines in per_field.items()
                      for save, change in lines if change.confirmed},
        flags=services.booking_flags(visit, book_form.date.data, calendar())
        if book_form is not None and book_form.date.data else [],
    ), status


def _conflict(form: Any, clash: Changed, version: int) -> None:
    """Show someone else's change in the form, which now carries the version stored since."""
    form.form_errors.extend(clash.messages)
    form.version.data = str(version)


@bp.route("/visits/<int:visit_id>/missed", methods=["POST"])
@permission_required(Action.MARK_MISSED)
def missed(visit_id: int) -> Any:
    visit = _visit_or_404(visit_id)
    form = MissedForm()
    try:
        services.mark_missed(context(), visit, _posted("reason"),
                             expected_version=form.expected_version())
    except Changed as clash:
        _conflict(form, clash, visit.version)
        return _visit_page(visit, missed_form=form, status=409)
    except Refused as refused:
        for message in attach_errors(form, refused):
            flash(message, "error")
        return _visit_page(visit, missed_form=form, status=422)
    flash(_("%(code)s is marked missed.", code=visit.code), "success")
    return redirect(url_for("participants.detail", participant_id=visit.participant_id))


@bp.route("/visits/<int:visit_id>/book", methods=["POST"])
@permission_required(Action.BOOK_VISIT)
def book(visit_id: int) -> Any:
    visit = _visit_or_404(visit_id)
    form = BookForm()
    status = 422
    if form.validate_on_submit():
        try:
            services.book_visit(context(), visit, form.date.data, form.time.data,
                                form.reason.data or "", expected_version=form.expected_version())
        except Changed as clash:
            _conflict(form, clash, visit.version)
            status = 409
        except Refused as refused:
            general = attach_errors(form, refused)
            for message in general:
                flash(message, "error")
        else:
            when = form.date.data.isoformat() + (
                f" {form.time.data:%H:%M}" if form.time.data else "")
            flash(_("%(code)s is booked for %(when)s.", code=visit.code, when=when), "success")
            return redirect(url_for("visits.visit", visit_id=visit.id))
    return _visit_page(visit, book_form=form, status=status)
