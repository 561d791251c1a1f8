"""A child's logs (adverse events, ...): the list, a new entry, an entry with its correction and
removal, an investigator's acknowledgement of a serious event and its printable report."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from edc import db, services
from edc.models import LogEntry, Participant, utcnow
from edc.permissions import Action
from edc.protocol.crf import LogForm, unit_key
from edc.read import accounts as account_reads
from edc.read import participants as participant_reads
from edc.read import safety as reads
from edc.rules.safety import deadline, hours_left
from edc.services import Changed, Refused
from edc.services.base import whole_years
from edc.services.language import entry_name, label_of
from edc.services.logs import check_log_entry, chooses_unit, is_serious, typed_values
from edc.views.crf_forms import answers
from edc.views.filters import answer
from edc.views.safety.forms import AcknowledgeForm, RemoveForm, entry_form
from edc.views.shared import attach_errors, context, permission_required, study

bp = Blueprint("safety", __name__, url_prefix="/participants")


def _log_or_404(name: str) -> LogForm:
    try:
        return study().log(name)
    except KeyError:
        abort(404)


def _participant_or_404(participant_id: int) -> Participant:
    participant = participant_reads.load_participant(db.session(), participant_id)
    if participant is None:
        abort(404)
    return participant


def _entry_or_404(participant_id: int, name: str, number: int) -> LogEntry:
    entry = reads.log_entry(db.session(), participant_id, name, number)
    if entry is None:
        abort(404)
    return entry


def _title(log: LogForm) -> str:
    return label_of(log.form)


def _window(log: LogForm, entry: LogEntry) -> dict[str, Any]:
    """A serious event's reporting window: its deadline, the hours left (None without one) and
    the investigator who acknowledged it, by name."""
    if entry.alert_at is None:
        return {"deadline": None, "hours_left": None, "acknowledger": None}
    return {"deadline": deadline(entry.alert_at, log.alert_hours),
            "hours_left": hours_left(entry.alert_at, log.alert_hours, utcnow()),
            "acknowledger": entry.acknowledged_by and account_reads.printed_name(
                db.session(), entry.acknowledged_by)}


@bp.route("/<int:participant_id>/log/<name>")
@permission_required(Action.VIEW)
def log(participant_id: int, name: str) -> Any:
    definition = _log_or_404(name)
    participant = _participant_or_404(participant_id)
    entries = reads.log_entries(db.session(), participant_id, name)
    return render_template("safety/log.html", p=participant, log=definition,
                           title=_title(definition), entries=entries,
                           windows={e.number: _window(definition, e) for e in entries})


def _save(participant: Participant, definition: LogForm, form: Any,
          entry: LogEntry | None) -> tuple[LogEntry | None, list[str], int]:
    """Save the posted row; return the saved entry, or the messages and the page's status."""
    try:
        saved = services.save_log_entry(
            context(), participant, definition, answers(form, definition.form), entry=entry,
            reason=form.reason.data or "", expected_version=form.expected_version())
    except Refused as refused:
        return None, attach_errors(form, refused), 409 if isinstance(refused, Changed) else 422
    return saved, [], 200


def _every_problem(participant: Participant, definition: LogForm, form: Any,
                   entry: LogEntry | None) -> None:
    """Beside what the form itself refused, what the service would say of the rest (a date
    before consent, serious criteria missing), so that every problem shows at once."""
    typed = {key: None if form[key].errors else value
             for key, value in answers(form, definition.form).items()}
    try:
        check_log_entry(context(), participant, definition, typed, entry)
    except Refused as refused:
        for key, messages in refused.errors.items():
            if key in typed and not form[key].errors:
                form[key].errors = list(form[key].errors) + messages


def _saved_message(definition: LogForm, saved: LogEntry) -> None:
    flash(_("%(entry)s is saved.", entry=entry_name(definition.form, saved.number)), "success")
    if saved.alert_at is not None and saved.acknowledged_at is None:
        flash(_("This is a serious adverse event: an investigator must acknowledge it within "
                "%(hours)s hours, and it is reported with the printable report.",
                hours=definition.alert_hours), "warning")


@bp.route("/<int:participant_id>/log/<name>/new", methods=["GET", "POST"])
@permission_required(Action.RECORD_SAFETY)
def new_entry(participant_id: int, name: str) -> Any:
    definition = _log_or_404(name)
    participant = _participant_or_404(participant_id)
    form_class = entry_form(definition.form)
    # Opened from another page (the vital signs of an infusion) with some items filled in.
    form = form_class() if request.method == "POST" else form_class(
        formdata=MultiDict(request.args) if request.args else None)
    general: list[str] = []
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            saved, general, status = _save(participant, definition, form, None)
            if saved is not None:
                _saved_message(definition, saved)
                return redirect(url_for("safety.entry", participant_id=participant_id,
                                        name=name, number=saved.number))
        else:
            _every_problem(participant, definition, form, None)
            status = 422
    return render_template("safety/entry.html", p=participant, log=definition,
                           title=_title(definition), form=form, entry=None, general=general,
                           remove_form=None, acknowledge_form=None), status


@bp.route("/<int:participant_id>/log/<name>/<int:number>", methods=["GET", "POST"])
@permission_required(Action.VIEW, post=Action.RECORD_SAFETY)
def entry(participant_id: int, name: str, number: int) -> Any:
    definition = _log_or_404(name)
    participant = _participant_or_404(participant_id)
    found = _entry_or_404(participant_id, name, number)
    form_class = entry_form(definition.form)
    general: list[str] = []
    status = 200
    stored_now, differing = False, set()
    if request.method == "POST":
        form = form_class()
        if form.validate_on_submit():
            saved, general, status = _save(participant, definition, form, found)
            if saved is not None:
                _saved_message(definition, saved)
                return redirect(url_for("safety.entry", participant_id=participant_id,
                                        name=name, number=number))
            if status == 409:
                # Someone saved the entry since the form was opened: what is stored now is
                # shown beside what was typed, merged into it, and a save from this page is
                # made over it.
                stored_now, differing = True, _merge_after_conflict(definition, form, found)
                form.version.data = str(found.version)
        else:
            _every_problem(participant, definition, form, found)
            status = 422
    else:
        values = typed_values(definition.form, found)
        form = form_class(formdata=None, data=values)
        form.version.data, form.opened.data = str(found.version), _snapshot(values)
    return _entry_page(participant, definition, found, form, general,
                       stored_now=stored_now, differing=differing), status


def _comparable(value: Any) -> Any:
    """A form value as the merge compares it: blank as "", a list sorted, the rest as text."""
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, list | tuple):
        return sorted(str(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).strip()


def _snapshot(values: dict[str, Any]) -> str:
    return json.dumps({key: _comparable(value) for key, value in values.items()},
                      sort_keys=True, ensure_ascii=False)


def _merge_after_conflict(definition: LogForm, form: Any, entry: LogEntry) -> set[str]:
    """After someone else's save: show theirs where this person changed nothing since the
    form was opened, keep what they typed where they did, and say where both changed the same
    item (a number and the unit chosen beside it are one item). Return the items whose stored
    value differs from the form now."""
    stored = typed_values(definition.form, entry)
    try:
        opened = json.loads(form.opened.data or "null")
    except ValueError:
        opened = None
    differing: set[str] = set()
    for item in definition.form.fields:
        keys = [item.key, unit_key(item)] if chooses_unit(item) else [item.key]
        mine = [_comparable(form[key].data) for key in keys]
        now = [_comparable(stored[key]) for key in keys]
        was = [opened.get(key) for key in keys] if isinstance(opened, dict) else None
        if was is not None and mine == was and now != was:
            for key in keys:
                form[key].data, form[key].raw_data = stored[key], None
        elif now != mine and now != was:
            form[item.key].errors = [*form[item.key].errors, _(
                "Someone else changed %(label)s too; theirs is %(value)s. Keep yours or type "
                "theirs, then save.", label=label_of(item),
                value=answer(entry.values.get(item.key), item) or "—")]
        if now != [_comparable(form[key].data) for key in keys]:
            differing.add(item.key)
    form.opened.data = _snapshot(stored)
    return differing


def _entry_page(participant: Participant, definition: LogForm, found: LogEntry, form: Any,
                general: list[str], remove_form: RemoveForm | None = None,
                stored_now: bool = False, differing: set[str] | None = None) -> str:
    remove_form = remove_form or RemoveForm(formdata=None)
    acknowledge_form = AcknowledgeForm(formdata=None)
    remove_form.version.data = acknowledge_form.version.data = str(found.version)
    return render_template("safety/entry.html", p=participant, log=definition,
                           title=_title(definition), form=form, entry=found, general=general,
                           entry_title=entry_name(definition.form, found.number),
                           remove_form=remove_form, acknowledge_form=acknowledge_form,
                           serious_now=is_serious(definition, found), stored_now=stored_now,
                           differing=differing or set(),
                           **_window(definition, found))


@bp.route("/<int:participant_id>/log/<name>/<int:number>/remove", methods=["POST"])
@permission_required(Action.RECORD_SAFETY)
def remove(participant_id: int, name: str, number: int) -> Any:
    definition = _log_or_404(name)
    participant = _participant_or_404(participant_id)
    found = _entry_or_404(participant_id, name, number)
    remove_form = RemoveForm()
    general: list[str] = []
    status = 422
    if remove_form.validate_on_submit():
        try:
            services.remove_log_entry(context(), participant, found, remove_form.reason.data,
                                      expected_version=remove_form.expected_version())
        except Refused as refused:
            general = attach_errors(remove_form, refused)
            status = 409 if isinstance(refused, Changed) else 422
        else:
            flash(_("%(title)s %(n)s is removed; it stays in the record, struck through.",
                    title=_title(definition), n=number), "success")
            return redirect(url_for("safety.log", participant_id=participant_id, name=name))
    form = entry_form(definition.form)(formdata=None, data=typed_values(definition.form, found))
    form.version.data = str(found.version)
    return _entry_page(participant, definition, found, form, general, remove_form), status


@bp.route("/<int:participant_id>/log/<name>/<int:number>/acknowledge", methods=["POST"])
@permission_required(Action.ACKNOWLEDGE_SAE)
def acknowledge(participant_id: int, name: str, number: int) -> Any:
    _log_or_404(name)
    participant = _participant_or_404(participant_id)
    found = _entry_or_404(participant_id, name, number)
    form = AcknowledgeForm()
    if form.validate_on_submit():
        try:
            services.acknowledge(context(), participant, found,
                                 expected_version=form.expected_version())
        except Refused as refused:
            for message in refused.messages:
                flash(message, "error")
        else:
            flash(_("The serious adverse event of %(code)s is acknowledged.",
                    code=participant.code), "success")
    return redirect(url_for("safety.entry", participant_id=participant_id, name=name,
                            number=number))


# The report's headings, printed in English and Chinese whoever prints it.
REPORT_WORDS = {
    "title": _l("Serious adverse event report"),
    "study": _l("Study"),
    "site": _l("Site"),
    "participant": _l("Participant"),
    "code": _l("Participant code"),
    "sex": _l("Sex"),
    "age": _l("Age at onset (years)"),
    "consent": _l("Consent date"),
    "infusions": _l("Infusions"),
    "infusion": _l("Infusion"),
    "date": _l("Date"),
    "lot": _l("Product lot"),
    "volume": _l("Volume (mL)"),
    "event": _l("The event"),
    "reporting": _l("Reporting"),
    "entry": _l("Entry"),
    "serious_at": _l("Site learned it was serious"),
    "due": _l("Report due by"),
    "acknowledged": _l("Acknowledged by the investigator"),
    "not_yet": _l("Not yet"),
    "printed": _l("Printed"),
    "reporter": _l("Reported by (name, signature, date)"),
    "investigator": _l("Investigator (name, signature, date)"),
    "blinded": _l("The treatment arm is not shown: the study is blinded."),
    "removed": _l("Removed as entered in error: do not report this case."),
    "not_serious": _l("No longer marked serious since this event was saved as serious."),
    "reason": _l("Reason"),
}


def _in_both(words: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Each word in English and in Chinese."""
    english, chinese = {}, {}
    with force_locale("en"):
        english = {key: str(text) for key, text in words.items()}
    with force_locale("zh_CN"):
        chinese = {key: str(text) for key, text in words.items()}
    return {key: (english[key], chinese[key]) for key in words}


@bp.route("/<int:participant_id>/log/<name>/<int:number>/report")
@permission_required(Action.VIEW)
def report(participant_id: int, name: str, number: int) -> Any:
    definition = _log_or_404(name)
    participant = _participant_or_404(participant_id)
    found = _entry_or_404(participant_id, name, number)
    if found.alert_at is None:
        abort(404)
    sex = study().enrolment_form.field("sex")
    return render_template("safety/report.html", p=participant, log=definition, entry=found,
                           words=_in_both(REPORT_WORDS), sex=sex,
                           serious_now=is_serious(definition, found),
                           age=whole_years(participant.date_of_birth, found.start_date),
                           printed=utcnow(), **_window(definition, found))
