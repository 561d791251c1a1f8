"""The audit trail in a monitor's words: one entry per save, each change as one sentence.

The trail holds one entry per save (one `audited()` block in one transaction: its timestamp,
user and reason) and under it its changes, one per field as edc.read.history gives them (a
created record's values stored as one row are told field by field); grouped by their entry.

The rows are replayed in order, so each change is told against what the record held just before
it: a corrected value keeps the unit it was typed in, and a removed result still has its name.
Both the participant's history page and the visit page (field history, conflict message) read
the trail through `saves`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Protocol

from flask_babel import gettext as _
from flask_babel import ngettext

from edc.protocol.codes import AuditAction, VisitKind
from edc.protocol.crf import ResultsForm
from edc.services.base import flag_words
from edc.services.booking import missed_words
from edc.services.language import entry_name, label_of, qualifier, reads_chinese
from edc.services.queries import status_word
from edc.views.filters import answer, paren
from edc.views.shared import calendar, study

State = dict[str, str | None]
ARROW = "→"
# Columns nobody reads: keys, locks, calendar bookkeeping, values derived from other columns.
TECHNICAL = {
    "id", "version", "created_at", "results_saved_at", "calendar_sequence", "calendar_stamp",
    "calendar_uid", "participant_id", "visit_id", "entity_id", "test_code", "loinc", "value",
    "unit", "field", "number", "kind", "label", "code", "suggested_is_clinic_day",
    "anchor_date", "dose_cells_per_kg", "planned_cells", "assigned_at", "sequence",
    "failed_logins", "locked_until", "password_hash", "password_temporary",
}


class Row(Protocol):
    """What the wording needs of a change (edc.models.audit.FieldChange has it)."""

    id: int
    entry_id: int
    at: datetime
    username: str
    action: str
    entity: str
    entity_id: int | None
    field: str | None
    old: str | None
    new: str | None
    reason: str | None


@dataclass(frozen=True)
class Change:
    """One sentence of a save: the visit it concerns, what it names, and what happened."""

    what: str  # "40 → 42 µmol/L", "booked 2026-03-02 → 2026-03-04"
    subject: str = ""  # "Serum creatinine", "Infusion 2", "" for the visit itself
    visit: str = ""  # the visit code, "" when the change is about no visit
    analyte: str = ""  # the result's key in forms/results.toml
    confirmed: bool = False  # a value outside the usual range was confirmed in this change
    rows: frozenset[int] = frozenset()  # the audit rows it tells
    scoped: bool = True  # the line starts with the visit code (not when the subject names it)
    order: tuple[int, str, str, int, int] = (0, "", "", 0, 0)  # where it stands in its save

    @property
    def text(self) -> str:
        """The change without its visit code (the visit page already says which visit)."""
        return " ".join(part for part in (self.subject, self.what) if part)

    @property
    def line(self) -> str:
        """The change as the participant's history shows it."""
        scope = self.visit if self.scoped else ""
        return " ".join(part for part in (scope, self.subject, self.what) if part)


@dataclass
class Save:
    """One save: who, when (UTC), why, and its changes in the order they were written."""

    at: datetime
    username: str
    reason: str | None
    changes: list[Change] = field(default_factory=list)


def _number(text: str | None) -> str:
    """A stored number as a person writes it: 25.0 -> 25."""
    if text is None:
        return "—"
    try:
        return f"{float(text):g}"
    except ValueError:
        return text


def _day(text: str | None) -> str:
    return text or "—"


def _clock(text: str | None) -> str:
    """A stored time 09:30:00 as 09:30."""
    return text[:5] if text else ""


def _from_to(old: str, new: str) -> str:
    return f"{old} {ARROW} {new}"


def _sex(code: str | None) -> str:
    """The stored sex code (M, F) as English readers have always read it; its label in Chinese."""
    if not code or not reads_chinese():
        return code or "—"
    choices = study().enrolment_form.field("sex").choices
    choice = next((c for c in choices.choices if c.code == code), None) if choices else None
    return label_of(choice) if choice is not None else code


def _set_or_changed(label: str, old: str | None, new: str | None,
                    shown: Callable[[str | None], str] = _day) -> str:
    """'label new' the first time, 'label old → new' after, 'label old → —' when cleared."""
    if old is None:
        return f"{label} {shown(new)}"
    return f"{label} {_from_to(shown(old), shown(new))}"


class Words:
    """Tells the changes of each entity, knowing the study's analytes and its terms."""

    def __init__(self, form: ResultsForm, term: Callable[[str], str]) -> None:
        self.fields = {f.key: f for f in form.fields}
        self.term = term

    # Results -------------------------------------------------------------------------------

    def _unit_label(self, key: str | None, code: str | None) -> str:
        definition = self.fields.get(key or "")
        if definition is None:
            return code or ""
        unit = definition.unit(code) if code else None
        if unit is None and (not code or len(definition.units) == 1):
            unit = definition.canonical_unit
        return label_of(unit) if unit is not None else code or ""

    def _result_value(self, state: State) -> str:
        """A result as one reads it on a lab report: '40 µmol/L', a qualifier, or not done."""
        if state.get("not_done_reason") is not None:
            return _("not done: %(reason)s", reason=state["not_done_reason"])
        if state.get("qualifier"):
            definition = self.fields.get(state.get("field") or "")
            stored = state["qualifier"] or ""
            return qualifier(definition, stored) if definition is not None else stored
        unit = self._unit_label(state.get("field"), state.get("typed_unit"))
        space = "" if unit == "%" and reads_chinese() else " "  # 60%, as Chinese writes it
        return f"{state.get('typed_value') or '—'}{space}{unit}".strip()

    def result(self, before: State | None, after: State | None) -> str | None:
        """What happened to one result in one save, or None when nothing a reader sees."""
        state = after or before or {}
        if after is None:
            return _("%(value)s removed", value=self._result_value(before or {}))
        if after.get("not_done_reason") is not None and (
                before is None or before.get("not_done_reason") is None):
            return _("marked not done: %(reason)s", reason=after["not_done_reason"])
        confirmed = after.get("warn_confirmed") == "yes" and (
            before is None or before.get("warn_confirmed") != "yes")
        new = self._result_value(after)
        if before is None:
            what = new
        else:
            old = self._result_value(before)
            plain = (before.get("typed_unit") == after.get("typed_unit")
                     and not before.get("qualifier") and not after.get("qualifier")
                     and before.get("not_done_reason") is None)
            if old == new:
                what = new if confirmed else None
            elif plain and before.get("typed_value") and after.get("typed_value"):
                unit = self._unit_label(state.get("field"), after.get("typed_unit"))
                space = "" if unit == "%" and reads_chinese() else " "
                what = f"{_from_to(before['typed_value'] or '', after['typed_value'] or '')}" \
                       f"{space}{unit}".strip()
            else:
                what = _from_to(old, new)
        if what is None:
            return None
        if confirmed:
            what = _("%(value)s (outside the usual range, confirmed)", value=what)
        return what

    def position(self, key: str) -> int:
        """Where an analyte stands in forms/results.toml (unknown ones last)."""
        return next((i for i, k in enumerate(self.fields) if k == key), len(self.fields))

    def analyte_label(self, key: str | None) -> str:
        """An analyte's name without the unit its label may end with ("Height (cm)" is
        "Height"): the value beside it always says its unit."""
        definition = self.fields.get(key or "")
        if definition is None:
            return key or ""
        label = label_of(definition)
        for unit in definition.units:
            for written in (f" ({label_of(unit)})", f"（{label_of(unit)}）"):
                if label.endswith(written):
                    return label[:-len(written)]
        return label

    # Visits --------------------------------------------------------------------------------

    def visit(self, before: State | None, after: State | None, reason: str | None,
              changed: Sequence[str]) -> list[str]:
        """What happened to one visit in one save, each as one sentence without its code."""
        if after is None:
            return [_("deleted")]
        if before is None:
            if after.get("kind") == VisitKind.SCHEDULED or after.get("kind") is None:
                return [_("planned: target %(target)s, window %(start)s to %(end)s",
                          target=_day(after.get("target_date")),
                          start=_day(after.get("window_start")),
                          end=_day(after.get("window_end")))]
            return [_("added (%(kind)s): %(day)s", kind=self.term(after.get("kind") or ""),
                      day=_day(after.get("target_date")))]
        lines: list[str] = []
        moved = []
        if "target_date" in changed:
            moved.append(_set_or_changed(_("target"), before.get("target_date"),
                                         after.get("target_date")))
        elif "window_start" in changed or "window_end" in changed:
            moved.append(_("window %(old)s", old=_from_to(
                f"{_day(before.get('window_start'))} – {_day(before.get('window_end'))}",
                f"{_day(after.get('window_start'))} – {_day(after.get('window_end'))}")))
        if "suggested_date" in changed:
            moved.append(_set_or_changed(_("suggested day"), before.get("suggested_date"),
                                         after.get("suggested_date")))
        if "anchor_infusion" in changed:
            moved.append(_set_or_changed(_("counted from infusion"),
                                         before.get("anchor_infusion"),
                                         after.get("anchor_infusion")))
        if moved:
            lines.append(_(", ").join(moved))
        if "actual_date" in changed:
            lines.append(_set_or_changed(_("sample date"), before.get("actual_date"),
                                         after.get("actual_date")))
        if "status" in changed:
            lines.append(_("status %(change)s", change=_from_to(
                self.term(before.get("status") or ""), self.term(after.get("status") or ""))))
        if "missed_reason" in changed and after.get("missed_reason") and (
                after.get("missed_reason") != reason):
            lines.append(_("missed because: %(reason)s",
                           reason=missed_words(after["missed_reason"])))
        if "cancelled_reason" in changed and after.get("cancelled_reason") and (
                after.get("cancelled_reason") != reason):
            lines.append(_("cancelled because: %(reason)s", reason=after["cancelled_reason"]))
        if "sample_deviation_days" in changed:
            lines.append(self._sample_deviation(after.get("sample_deviation_days")))
        if "booked_date" in changed or "booked_time" in changed:
            lines.append(self._booking(before, after))
        if "booking_reason" in changed and after.get("booking_reason") and (
                after.get("booking_reason") != reason):
            lines.append(_("booking reason: %(reason)s", reason=after["booking_reason"]))
        told = {"target_date", "window_start", "window_end", "suggested_date", "anchor_infusion",
                "actual_date", "status", "missed_reason", "cancelled_reason",
                "sample_deviation_days", "booked_date", "booked_time", "booking_reason",
                "booking_flags"}
        lines += [self._other(name, before, after) for name in changed
                  if name not in told and name not in TECHNICAL]
        return lines

    @staticmethod
    def _sample_deviation(days_text: str | None) -> str:
        days = int(days_text or 0)
        if days < 0:
            return ngettext("sample %(num)s day before the window",
                            "sample %(num)s days before the window", -days)
        if days > 0:
            return ngettext("sample %(num)s day after the window",
                            "sample %(num)s days after the window", days)
        return _("sample within the window")

    @staticmethod
    def _booking(before: State, after: State) -> str:
        def when(state: State) -> str | None:
            if not state.get("booked_date"):
                return None
            return f"{state['booked_date']} {_clock(state.get('booked_time'))}".strip()

        old, new = when(before), when(after)
        text = (_("booking removed") if new is None
                else _("booked %(when)s", when=new) if old is None
                else _("booked %(change)s", change=_from_to(old, new)))
        if new is not None and after.get("booking_flags"):
            day = date.fromisoformat(str(after["booked_date"]))
            text += paren(flag_words(after["booking_flags"], day, calendar()))
        return text

    # Infusions, the participant, the allocation -------------------------------------------

    def infusion(self, before: State | None, after: State | None,
                 changed: Sequence[str]) -> list[str]:
        if after is None:
            return [_("deleted")]
        if before is None:
            text = _("recorded: %(day)s, %(weight)s kg, lot %(lot)s, %(volume)s mL",
                     day=_day(after.get("date")), weight=_number(after.get("weight_kg")),
                     lot=after.get("product_lot") or "—", volume=_number(after.get("volume_ml")))
            deviation = int(after.get("window_deviation_days") or 0)
            return [text] + ([self._infusion_deviation(deviation)] if deviation else [])
        lines = []
        for name in changed:
            old, new = before.get(name), after.get(name)
            if name == "date":
                lines.append(_("date %(change)s", change=_from_to(_day(old), _day(new))))
            elif name == "weight_kg":
                lines.append(_("weight %(change)s kg", change=_from_to(_number(old),
                                                                        _number(new))))
            elif name == "product_lot":
                lines.append(_("lot %(change)s", change=_from_to(old or "—", new or "—")))
            elif name == "volume_ml":
                lines.append(_("volume %(change)s mL", change=_from_to(_number(old),
                                                                        _number(new))))
            elif name == "window_deviation_days":
                lines.append(self._infusion_deviation(int(new or 0)))
            elif name not in TECHNICAL:
                lines.append(self._other(name, before, after))
        return lines

    @staticmethod
    def _infusion_deviation(days: int) -> str:
        if days < 0:
            return ngettext("given %(num)s day before its window",
                            "given %(num)s days before its window", -days)
        if days > 0:
            return ngettext("given %(num)s day after its window",
                            "given %(num)s days after its window", days)
        return _("given within its window")

    def participant(self, before: State | None, after: State | None, reason: str | None,
                    changed: Sequence[str]) -> list[str]:
        if before is None and after is not None:
            return [_("%(code)s enrolled: born %(born)s, sex %(sex)s, %(weight)s kg, "
                      "%(height)s cm, consent %(consent)s, screening eGFR %(egfr)s",
                      code=after.get("code") or "", born=_day(after.get("date_of_birth")),
                      sex=_sex(after.get("sex")), weight=_number(after.get("weight_kg")),
                      height=_number(after.get("height_cm")),
                      consent=_day(after.get("consent_date")),
                      egfr=_number(after.get("screening_egfr")))]
        if after is None:
            return [_("Participant deleted")]
        lines = []
        for name in changed:
            old, new = before.get(name), after.get(name)
            if name == "status":
                lines.append(_("Status %(change)s", change=_from_to(self.term(old or ""),
                                                                    self.term(new or ""))))
            elif name == "calendar_token":
                lines.append(_("Calendar link revoked") if new is None
                             else _("Calendar link issued") if old is None
                             else _("Calendar link replaced; the earlier link stops working"))
            elif name == "anchor_infusion":
                lines.append(_set_or_changed(_("Follow-up counted from infusion"), old, new))
            elif name in ("withdrawn_reason", "anchor_reason") and (new is None or new == reason):
                continue
            elif name == "weight_kg":
                lines.append(_("Weight %(change)s kg", change=_from_to(_number(old),
                                                                        _number(new))))
            elif name == "height_cm":
                lines.append(_("Height %(change)s cm", change=_from_to(_number(old),
                                                                        _number(new))))
            elif name == "eligibility":
                lines.append(_("Eligibility answers changed"))
            elif name == "frozen_at":
                lines.append(_("Record frozen") if new else _("Record unfrozen"))
            elif name in ("frozen_by", "frozen_reason"):
                continue  # who froze it and why: the save's own who and why
            elif name not in TECHNICAL or name == "code":
                text = self._other(name, before, after)
                lines.append(text[:1].upper() + text[1:])
        return lines

    @staticmethod
    def allocation(before: State | None, after: State | None) -> list[str]:
        if before is not None and after is not None and before.get("participant_id") is None \
                and after.get("participant_id") is not None:
            return [_("Allocation assigned from the concealed list")]
        return [_("Allocation changed")]

    # Log entries (adverse events, medications...) -----------------------------------------

    @staticmethod
    def _answer(item: Any, text: str | None) -> str:
        """An item's value as the trail wrote it, as the reader reads it."""
        if text is None:
            return "—"
        stored: Any = text
        if item.type == "multichoice" or text.startswith("{"):  # a number with its unit: JSON
            stored = json.loads(text)
        elif item.type in ("number", "integer"):
            stored = float(text)
        return answer(stored, item) or "—"

    def log_entry(self, before: State | None, after: State | None,
                  changed: Sequence[str]) -> list[str]:
        """What happened to one log entry in one save, item by item in the form's words."""
        state = after or before or {}
        try:
            form = study().any_log(state.get("form") or "").form
        except KeyError:
            return [self._other(name, before or {}, after or {}) for name in changed
                    if name not in TECHNICAL]
        items = {item.key: item for item in form.fields}
        if before is None and after is not None:
            told = [f"{label_of(item)} {self._answer(item, after.get(item.key))}"
                    for item in form.fields if after.get(item.key) is not None]
            lines = [_("recorded: %(items)s", items=_("; ").join(told))]
            if after.get("alert_at"):
                lines.append(_("serious: the reporting window starts"))
            return lines
        lines = []
        for name in changed:
            old, new = (before or {}).get(name), (after or {}).get(name)
            if name in items:
                lines.append(f"{label_of(items[name])} " + _from_to(
                    self._answer(items[name], old), self._answer(items[name], new)))
            elif name == "removed_reason" and new is not None:
                lines.append(_("removed as entered in error"))
            elif name == "alert_at":
                # Moved by a corrected awareness, or begun again (acknowledged, then serious
                # again: the acknowledgement is undone in the same save).
                lines.append(_("the reporting window counts from when the site learned it")
                             if new and old and "acknowledged_at" not in changed
                             else _("serious: the reporting window starts")
                             if new else _("no longer serious"))
            elif name == "acknowledged_by" and new:
                lines.append(_("serious event acknowledged by %(who)s", who=new))
            elif name not in TECHNICAL and name not in ("acknowledged_at", "form"):
                lines.append(self._other(name, before or {}, after or {}))
        return lines

    @staticmethod
    def _other(name: str, before: State, after: State) -> str:
        """A column with no words of its own yet: its name in plain letters, old and new."""
        return _from_to(f"{name.replace('_', ' ')} {hidden(before.get(name))}",
                        hidden(after.get(name)))


def hidden(text: str | None) -> str:
    """A stored value as shown, a secret the trail does not keep in the reader's words."""
    if text == "(set)":
        return _("(set)")
    if text == "(changed)":
        return _("(changed)")
    return text or "—"


def saves(rows: Iterable[Row], form: ResultsForm, term: Callable[[str], str],
          visit_codes: dict[int, str] | None = None) -> list[Save]:
    """The rows (oldest first) as saves, oldest first, each with its changes in words.

    visit_codes names visits whose creation is not among the rows (it always is, in practice).
    """
    words = Words(form, term)
    state: dict[tuple[str, int | None], State] = {}
    grouped: dict[int, list[Row]] = {}
    for row in rows:
        grouped.setdefault(row.entry_id, []).append(row)
    out = []
    for group in grouped.values():
        reason = group[0].reason
        save = Save(at=group[0].at, username=group[0].username, reason=reason)
        touched: dict[tuple[str, int | None], list[Row]] = {}
        for row in group:
            touched.setdefault((row.entity, row.entity_id), []).append(row)
        for key, entity_rows in touched.items():
            created = entity_rows[0].action == AuditAction.CREATE
            before = None if created else dict(state.get(key, {}))
            after: State | None = dict(before or {})
            for row in entity_rows:
                if before is not None and row.field is not None and row.field not in before:
                    # A value the record was created with and its create does not repeat (a
                    # default, a planned visit's status): its first change says what it was.
                    before[row.field] = row.old
                    if after is not None and row.field not in after:
                        after[row.field] = row.old
                if row.action == AuditAction.DELETE:
                    after = None
                elif after is not None and row.field is not None:
                    after[row.field] = row.new
            changed = list(dict.fromkeys(r.field for r in entity_rows if r.field))
            state[key] = after if after is not None else dict(before or {})
            save.changes += _tell(words, key, before, after, reason, changed,
                                  frozenset(r.id for r in entity_rows), state, visit_codes or {})
        if save.changes:
            save.changes.sort(key=lambda change: change.order)
            out.append(save)
    return out


def _tell(words: Words, key: tuple[str, int | None], before: State | None, after: State | None,
          reason: str | None, changed: list[str], ids: frozenset[int],
          state: dict[tuple[str, int | None], State], visit_codes: dict[int, str]) -> list[Change]:
    entity, entity_id = key
    current = after or before or {}

    def visit_of(visit_id: Any) -> tuple[str, str]:
        """The code and target date of a visit, as the trail knows it then."""
        if visit_id is None:
            return "", ""
        number = int(visit_id)
        known = state.get(("visit", number), {})
        return (known.get("code") or visit_codes.get(number) or "",
                known.get("target_date") or "")

    if entity == "result":
        what = words.result(before, after)
        if what is None:
            return []
        code, target = visit_of(current.get("visit_id"))
        analyte = current.get("field") or ""
        confirmed = (after or {}).get("warn_confirmed") == "yes" and (
            before is None or before.get("warn_confirmed") != "yes")
        return [Change(what=what, subject=words.analyte_label(analyte), visit=code,
                       analyte=analyte, confirmed=confirmed, rows=ids,
                       order=(3, target, code, 1, words.position(analyte)))]
    if entity == "visit":
        code = current.get("code") or visit_codes.get(entity_id or 0, "")
        order = (3, current.get("target_date") or "", code, 0, 0)
        lines = words.visit(before, after, reason, changed)
        if before is None:
            return [Change(what=lines[0], subject=_("Visit %(code)s", code=code), visit=code,
                           rows=ids, scoped=False, order=order)]
        return [Change(what=line, visit=code, rows=ids, order=order) for line in lines]
    if entity == "infusion":
        number = current.get("number") or "?"
        subject = _("Infusion %(n)s", n=number)
        order = (2, "", "", int(number) if number.isdigit() else 0, 0)
        return [Change(what=line, subject=subject, rows=ids, order=order)
                for line in words.infusion(before, after, changed)]
    if entity == "participant":
        return [Change(what=line, rows=ids)
                for line in words.participant(before, after, reason, changed)]
    if entity == "allocation":
        return [Change(what=line, rows=ids, order=(1, "", "", 0, 0))
                for line in words.allocation(before, after)]
    if entity == "log_entry":
        form = current.get("form") or ""
        number = current.get("number") or "?"
        return [Change(what=line, subject=_entry_name(form, number), rows=ids,
                       order=(4, form, "", int(number) if number.isdigit() else 0, 0))
                for line in words.log_entry(before, after, changed)]
    if entity in ("verification", "data_query"):
        # Which record was checked against the source or asked about: its visit and analyte,
        # infusion, log entry or the enrolment.
        checked, checked_id = current.get("entity") or "", current.get("entity_id")
        known = state.get((checked, int(checked_id)), {}) if checked_id else {}
        code, _target = (visit_of(checked_id) if checked == "visit"
                         else visit_of(known.get("visit_id")) if checked == "result"
                         else ("", ""))
        subject = (words.analyte_label(known.get("field") or "") if checked == "result"
                   else _("Infusion %(n)s", n=known.get("number") or "?")
                   if checked == "infusion" else
                   _entry_name(known.get("form") or "", known.get("number") or "?")
                   if checked == "log_entry" else _("Enrolment") if checked == "participant"
                   else "")
        return [Change(what=line, subject=subject, visit=code, rows=ids,
                       order=(5, "", code, 0, 0))
                for line in _review_lines(entity, before, after, changed)]
    if entity == "signature":
        return [Change(what=line, rows=ids, order=(5, "", "", 0, 0))
                for line in _review_lines(entity, before, after, changed)]
    return [Change(what=_("%(entity)s changed", entity=words.term(entity)), rows=ids,
                   order=(9, "", "", 0, 0))]


def _entry_name(form: str, number: str) -> str:
    """One entry of a log form in the reader's language (the form's file name if the study has
    no such log any more)."""
    try:
        return entry_name(study().any_log(form).form, number)
    except KeyError:
        return f"{form} {number}"


def _review_lines(entity: str, before: State | None, after: State | None,
                  changed: Sequence[str]) -> list[str]:
    """A signature, a verification mark or a query, as the monitor reads it."""
    if entity == "signature":
        if before is None:
            name = (after or {}).get("printed_name")
            return [_("Casebook signed by %(name)s", name=name) if name
                    else _("Casebook signed")]
        return [_("Signature voided")] if "voided_at" in changed else []
    if entity == "verification":
        if before is None:
            return [_("Verified against the source documents")]
        if "cleared_at" not in changed:
            return []
        # Cleared by a change of the data, or marked again after it (cleared_at emptied).
        return [_("Verification cleared") if (after or {}).get("cleared_at")
                else _("Verified against the source documents")]
    if before is None:
        return [_("Query raised")]
    if "status" in changed and after is not None:
        return [_("Query %(status)s", status=status_word(after.get("status") or ""))]
    return []



# The saves of a visit ---------------------------------------------------------------------

VisitLines = list[tuple[Save, Change]]


def for_visit(told: list[Save], code: str) -> list[Save]:
    """The saves that changed the visit with this code, each with only those changes."""
    kept = [replace(save, changes=[c for c in save.changes if c.visit == code]) for save in told]
    return [save for save in kept if save.changes]


def of_visit(told: list[Save], code: str) -> tuple[dict[str, VisitLines], VisitLines]:
    """The visit's changes per analyte key, and its own changes (planned, moved, booked,
    sample date, status), each with the save it belongs to."""
    per_field: dict[str, VisitLines] = {}
    own: VisitLines = []
    for save in told:
        for change in save.changes:
            if change.visit != code:
                continue
            if change.analyte:
                per_field.setdefault(change.analyte, []).append((save, change))
            else:
                own.append((save, change))
    return per_field, own


def told_rows(told: list[Save], rows: Iterable[Row]) -> VisitLines:
    """The changes that tell any of these audit rows (someone else's, for a conflict)."""
    ids = {row.id for row in rows}
    return [(save, change) for save in told for change in save.changes if change.rows & ids]
