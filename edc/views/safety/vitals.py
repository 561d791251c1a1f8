"""The vital signs of one infusion: a row per time point of forms/vital_signs.toml, each saved as
one entry of the vital signs log. A measure outside its usual range is saved and warned at the
value, with a link to record the adverse event it suggests; outside its possible range it is
refused at the field, and what was typed in every row stays on the page."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from edc import db, services
from edc.models import Infusion, LogEntry, Participant
from edc.permissions import Action, may
from edc.protocol.crf import Choice, Field, LogForm
from edc.protocol.study import ADVERSE_EVENTS, VITAL_SIGNS
from edc.read import participants as participant_reads
from edc.read import safety as reads
from edc.rules.checks import check_value
from edc.services import Refused
from edc.services.language import label_of
from edc.views.crf_forms import crf_form
from edc.views.fields import Form, Subform
from edc.views.safety.routes import bp
from edc.views.shared import attach_errors, context, permission_required, study


@dataclass(frozen=True)
class RangeWarning:
    """A measure outside its usual range: the badge at the value and the message."""

    item: Field
    side: str  # "above" or "below"
    message: str


@dataclass
class TimePoint:
    """One row of the page: a time point, its saved entry or the inputs to enter it."""

    choice: Choice
    entry: LogEntry | None = None
    form: Any = None  # the row's inputs while nothing is saved (and the reader may write)
    warnings: list[RangeWarning] = field(default_factory=list)
    general: list[str] = field(default_factory=list)  # the row's messages at no one input
    adverse_event_url: str | None = None

    def warning(self, key: str) -> RangeWarning | None:
        return next((w for w in self.warnings if w.item.key == key), None)


def _keys(log: LogForm) -> tuple[str, str]:
    """The keys of the items that say which infusion and which time point a row is."""
    return log.form.by_role("infusion").key, log.form.by_role("timepoint").key


def _row_items(log: LogForm) -> tuple[Field, ...]:
    """The items typed in a row: all but the infusion and the time point, which the row is."""
    return tuple(f for f in log.form.fields if f.key not in _keys(log))


def _measures(log: LogForm) -> tuple[Field, ...]:
    return tuple(f for f in log.form.fields if f.units)


def usual_range_message(item: Field, value: float, side: str) -> str:
    """What the nurse reads for a measure outside its usual range: value, unit and range."""
    unit = item.canonical_unit
    assert unit.warn is not None  # only a measure with a usual range warns
    shown = dict(label=label_of(item), value=f"{value:g}", unit=label_of(unit),
                 low=f"{unit.warn[0]:g}", high=f"{unit.warn[1]:g}")
    if side == "below":
        return _("%(label)s %(value)s %(unit)s is below the usual range %(low)s-%(high)s "
                 "%(unit)s.", **shown)
    if item.warn_high_inclusive:
        return _("%(label)s %(value)s %(unit)s is outside the usual range, %(low)s to under "
                 "%(high)s %(unit)s.", **shown)
    return _("%(label)s %(value)s %(unit)s is above the usual range %(low)s-%(high)s %(unit)s.",
             **shown)


def warnings_of(log: LogForm, values: dict[str, Any]) -> list[RangeWarning]:
    """The measures of a saved row outside their usual range, in the form's order."""
    found = []
    for item in _measures(log):
        value = values.get(item.key)
        if value is None:
            continue
        for finding in check_value(item, item.canonical_unit, float(value)):
            if finding.level == "warn" and finding.kind in ("above_plausible",
                                                            "below_plausible"):
                side = "above" if finding.kind == "above_plausible" else "below"
                message = usual_range_message(item, float(value), side)
                found.append(RangeWarning(item, side, message))
    return found


def _adverse_event_url(participant: Participant, log: LogForm, infusion: str,
                       entry: LogEntry, warnings: list[RangeWarning]) -> str:
    """The adverse event form, opened with this infusion, the day of the measures and the term
    the first warning in the file's order of suggested terms suggests (none: no term)."""
    sides = {(w.item.key, w.side) for w in warnings}
    term = next((label_of(t) for t in log.suggested_terms if (t.item, t.side) in sides), None)
    arguments = {"infusion": infusion, "onset_date": entry.start_date.isoformat()}
    if term:
        arguments["term"] = term
    return url_for("safety.new_entry", participant_id=participant.id, name=ADVERSE_EVENTS,
                   **arguments)


def _row_form_class(log: LogForm) -> type[Subform]:
    """The inputs of one row: date, clock time and the measures, in the form's order."""
    row = replace(log.form, fields=_row_items(log))
    form_class = crf_form(row, base=Subform)
    assert issubclass(form_class, Subform)
    return form_class


def _typed(row: Any, log: LogForm) -> bool:
    """Whether anything but the (prefilled) date was typed in a row."""
    start = log.form.by_role("start").key
    return any((row[key].raw_data or [""])[0].strip() for key in row._fields if key != start)


def _with_entry(row: TimePoint, participant: Participant, log: LogForm, code: str,
                entry: LogEntry) -> None:
    """Show a row as saved: its entry, its warnings and the adverse event they suggest."""
    row.entry, row.form = entry, None
    row.warnings = warnings_of(log, entry.values)
    row.adverse_event_url = (_adverse_event_url(participant, log, code, entry, row.warnings)
                             if row.warnings else None)


def _time_points(participant: Participant, log: LogForm, infusion: Infusion, code: str,
                 formdata: Any, writable: bool) -> list[TimePoint]:
    """A row per time point: its saved entry with its warnings, or its inputs."""
    infusion_key, point_key = _keys(log)
    saved: dict[str, LogEntry] = {}
    for entry in reads.log_entries(db.session(), participant.id, log.name):
        if entry.removed_reason is None and entry.values.get(infusion_key) == code:
            saved.setdefault(entry.values.get(point_key), entry)
    point_item = log.form.by_role("timepoint")
    assert point_item.choices is not None  # a choice item has its list
    row_class = _row_form_class(log)
    start = log.form.by_role("start").key
    rows = []
    for choice in point_item.choices.choices:
        row = TimePoint(choice)
        form = row_class(formdata=formdata, prefix=f"vs-{choice.code}",
                         data={start: infusion.date}) if writable else None
        # A time point saved by someone else since the page was opened keeps what this nurse
        # typed for it, so that the refusal is seen beside it rather than the typing dropped.
        if choice.code in saved and not (formdata is not None and form is not None
                                         and _typed(form, log)):
            _with_entry(row, participant, log, code, saved[choice.code])
        else:
            row.form = form
        rows.append(row)
    return rows


def _save_rows(participant: Participant, log: LogForm, code: str,
               rows: list[TimePoint]) -> tuple[list[TimePoint], int]:
    """Save every row something was typed in, each on its own; return those saved and how many
    were refused (their messages are at their inputs)."""
    infusion_key, point_key = _keys(log)
    saved, refused = [], 0
    for row in rows:
        if row.form is None or not _typed(row.form, log):
            continue
        if not row.form.validate():
            refused += 1
            continue
        if not any(row.form[item.key].data is not None for item in _measures(log)):
            row.general.append(_("Enter at least one measure, or leave the row empty."))
            refused += 1
            continue
        values = {key: row.form[key].data for key in row.form._fields}
        values |= {infusion_key: code, point_key: row.choice.code}
        try:
            entry = services.save_log_entry(context(), participant, log, values)
        except Refused as refusal:
            row.general.extend(attach_errors(row.form, refusal))
            refused += 1
        else:
            _with_entry(row, participant, log, code, entry)
            saved.append(row)
    return saved, refused


@bp.route("/<int:participant_id>/infusions/<int:number>/vitals", methods=["GET", "POST"])
@permission_required(Action.VIEW, post=Action.RECORD_SAFETY)
def vital_signs(participant_id: int, number: int) -> Any:
    log = study().log(VITAL_SIGNS)
    participant = participant_reads.load_participant(db.session(), participant_id)
    infusion_item = log.form.by_role("infusion")
    code = str(number)
    if participant is None or infusion_item.choices is None or (
            code not in infusion_item.choices.codes):
        abort(404)
    infusion = participant.infusion(number)
    page_form = Form()
    status = 200
    rows: list[TimePoint] = []
    if infusion is not None:
        posted = request.method == "POST"
        rows = _time_points(participant, log, infusion, code, request.form if posted else None,
                            may(current_user.role, Action.RECORD_SAFETY))
        if posted and not page_form.validate_on_submit():
            status = 400
        elif posted:
            saved, refused = _save_rows(participant, log, code, rows)
            for row in saved:
                flash(_("%(point)s is saved.", point=label_of(row.choice)), "success")
            if not refused:
                if not saved:
                    flash(_("Nothing was typed: nothing is saved."), "warning")
                return redirect(url_for("safety.vital_signs", participant_id=participant_id,
                                        number=number))
            status = 422
    return render_template(
        "safety/vitals.html", p=participant, log=log, number=number, infusion=infusion,
        rows=rows, items=_row_items(log), page_form=page_form, refused=status == 422,
        title=label_of(log.form)), status
