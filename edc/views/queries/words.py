"""A query's value and thread in the reader's words: which value it asks about, what it holds
now, where it is shown, and who did what (raised, answered, corrected, closed, re-opened)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from edc.models import DataQuery
from edc.protocol.codes import AuditAction, QueryStatus
from edc.read.queries import QueryPage
from edc.services.language import entry_name, label_of, qualifier
from edc.services.queries import INFUSION_FIELDS, query_text
from edc.views.filters import answer, day, visit_label
from edc.views.shared import study

INFUSION_WORDS = dict(zip(INFUSION_FIELDS, (_l("Infusion date"), _l("Weight (kg)"),
                                            _l("Product lot"), _l("Volume (mL)")), strict=True))
ARROW = "→"


def _item(query: Any, record: Any) -> Any:
    """The study's item a value is entered by, if it is one (a result, an enrolment or log
    item)."""
    try:
        if query.entity == "result":
            return study().results.field(record.field)
        if query.entity == "participant":
            return study().enrolment_form.field(query.field)
        if query.entity == "log_entry":
            return study().any_log(record.form).form.field(query.field)
    except (KeyError, StopIteration, ValueError):
        return None
    return None


def field_words(entity: str, record: Any, field: str) -> str:
    """The name of one value of a record, as its form names it."""
    item = _item(SimpleNamespace(entity=entity, field=field), record)
    if item is not None:
        return label_of(item)
    if entity == "infusion":
        return str(INFUSION_WORDS.get(field, field))
    if entity == "visit":
        return _("Sample date")
    return field


def where(query: Any, record: Any) -> str:
    """The record a value belongs to: a visit, an infusion, a log entry, the enrolment."""
    if record is None:
        return _("(removed)")
    if query.entity == "result":
        return f"{record.visit.code} {visit_label(record.visit)}"
    if query.entity == "visit":
        return f"{record.code} {visit_label(record)}"
    if query.entity == "infusion":
        return _("Infusion %(n)s", n=record.number)
    if query.entity == "log_entry":
        return entry_name(study().any_log(record.form).form, record.number)
    return _("Enrolment")


def value_name(query: Any, record: Any) -> str:
    """Where the value is and what it is called: "W02 Week 2 · Serum creatinine"."""
    if record is None:
        return where(query, record)
    return f"{where(query, record)} · {field_words(query.entity, record, query.field)}"


def result_value(record: Any) -> str:
    """A result as the visit page shows it: the value typed with its unit, a qualifier, or
    not done with why."""
    field = study().results.field(record.field)
    if record.not_done_reason:
        return _("not done: %(reason)s", reason=record.not_done_reason)
    if record.qualifier:
        return qualifier(field, record.qualifier)
    unit = field.unit(record.typed_unit or "") or field.units[0]
    return f"{record.typed_value or ''} {label_of(unit)}".strip()


def current_value(query: Any, record: Any) -> str:
    """What the value holds now, with its unit."""
    if record is None:
        return "—"
    if query.entity == "result":
        return result_value(record)
    if query.entity == "log_entry":
        item = _item(query, record)
        stored = record.values.get(query.field)
        return (answer(stored, item) if item is not None else str(stored or "")) or "—"
    value = getattr(record, query.field, None)
    if value is None:
        return "—"
    if hasattr(value, "isoformat"):
        return day(value)
    if query.entity == "participant" and query.field == "sex":
        return _("Male") if value == "M" else _("Female")
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def page_url(query: Any, record: Any) -> str | None:
    """The page that shows the value, at the value."""
    if record is None:
        return None
    if query.entity == "result":
        return url_for("visits.visit", visit_id=record.visit_id,
                       _anchor=f"result-{record.field}")
    if query.entity == "visit":
        return url_for("visits.visit", visit_id=record.id)
    if query.entity == "log_entry":
        return url_for("safety.entry", participant_id=record.participant_id, name=record.form,
                       number=record.number)
    pid = record.id if query.entity == "participant" else record.participant_id
    return url_for("participants.detail", participant_id=pid)


def choices(entity: str, record: Any, fields: tuple[str, ...]) -> list[tuple[str, str]]:
    """The values of a record a query may ask about, named as their form names them."""
    return [(key, field_words(entity, record, key)) for key in fields]


@dataclass(frozen=True)
class Step:
    """One step of a query's thread: when, who, what happened and the words that went with it."""

    at: datetime
    who: str
    kind: str  # raised, answered, corrected, closed, reopened, changed
    text: str

    @property
    def title(self) -> str:
        return str(STEP_WORDS[self.kind])


STEP_WORDS = {"raised": _l("raised the query"), "answered": _l("answered"),
              "corrected": _l("corrected the value, which answers the query"),
              "closed": _l("closed the query"), "reopened": _l("re-opened the query"),
              "changed": _l("changed the value")}


def _stored(text: str | None, item: Any) -> str:
    """A value as the audit trail wrote it, in the reader's words."""
    if text is None:
        return "—"
    if item is None or not hasattr(item, "type"):
        return text
    try:
        stored: Any = json.loads(text) if item.type in ("multichoice", "number", "integer") \
            or text.startswith("{") else text
    except ValueError:
        stored = text
    return answer(stored, item) or text


def _value_change(query: DataQuery, record: Any, rows: list[Any]) -> str:
    """What a save did to the value: "1.2 → 1.5 mg/dL"."""
    if query.entity == "result":
        changed = {r.field: r for r in rows}
        typed, unit = changed.get("typed_value"), changed.get("typed_unit")
        field = study().results.field(record.field) if record is not None else None

        def with_unit(value: str | None, code: str | None) -> str:
            if value is None:
                return "—"
            found = field.unit(code or "") if field is not None else None
            return f"{value} {label_of(found) if found else code or ''}".strip()

        old_unit = unit.old if unit else (record.typed_unit if record else None)
        new_unit = unit.new if unit else (record.typed_unit if record else None)
        if typed is not None or unit is not None:
            old = typed.old if typed else (record.typed_value if record else None)
            new = typed.new if typed else (record.typed_value if record else None)
            return f"{with_unit(old, old_unit)} {ARROW} {with_unit(new, new_unit)}"
        return "; ".join(f"{r.old or '—'} {ARROW} {r.new or '—'}" for r in rows)
    item = _item(query, record) if record is not None else None
    return "; ".join(f"{_stored(r.old, item)} {ARROW} {_stored(r.new, item)}" for r in rows)


def thread(page: QueryPage) -> list[Step]:
    """The query's history from the audit trail, one step per save, oldest first."""
    query, record = page.row.query, page.row.record
    saves: dict[tuple[datetime, str], list[Any]] = {}
    for row in page.trail:
        saves.setdefault((row.at, row.username), []).append(row)
    steps = []
    for (at, who), rows in saves.items():
        own = {r.field: r for r in rows if r.entity == "data_query"}
        value_rows = [r for r in rows if r.entity != "data_query"]
        reason = next((r.reason for r in rows if r.reason), None)
        status = own.get("status")
        if "text" in own and own["text"].action == AuditAction.CREATE:
            rule = own.get("rule")
            text = query_text(SimpleNamespace(rule=rule.new if rule else None,
                                              text=own["text"].new))
            steps.append(Step(at, who, "raised", text))
        elif status is not None and status.new == QueryStatus.ANSWERED and value_rows:
            change = _value_change(query, record, value_rows)
            steps.append(Step(at, who, "corrected",
                              f"{change}" + (f" ({reason})" if reason else "")))
        elif status is not None and status.new == QueryStatus.ANSWERED:
            steps.append(Step(at, who, "answered", own["answer"].new if "answer" in own else ""))
        elif status is not None and status.new == QueryStatus.CLOSED:
            steps.append(Step(at, who, "closed", ""))
        elif status is not None and status.new == QueryStatus.OPEN:
            steps.append(Step(at, who, "reopened", reason or ""))
        elif value_rows:
            change = _value_change(query, record, value_rows)
            steps.append(Step(at, who, "changed", change + (f" ({reason})" if reason else "")))
    return steps
