"""Queries on stored values: raise one, answer it, close it, re-open it; and the automatic
queries a visit's results raise when the record itself says a value is doubtful.

A query names the value it asks about as the audit trail does (entity, id, field). A correction
of that value answers it (edc.audit.consequences), so nothing here corrects anything. Every
change is audited; the reason of a re-opening is the audit row's reason.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from edc.models import DataQuery, Infusion, LogEntry, Participant, Result, Visit, utcnow
from edc.protocol.codes import QueryStatus
from edc.rules.numbers import parse_number
from edc.rules.trends import Measurement, VisitResults, trend
from edc.services.base import (
    GENERAL,
    Context,
    Errors,
    Refused,
    audited,
    check_version,
    saving,
)

SYSTEM = "system"  # who raises the automatic queries, in the trail and on the page
SAMPLE_WINDOW = "sample_window"
EGFR_LAB_DIFFERENCE = "egfr_lab_difference"
TEXT_LIMIT = 2000

# The infusion's columns a query may ask about (the rest are computed from these).
INFUSION_FIELDS = ("date", "weight_kg", "product_lot", "volume_ml")
# The visit's column a query may ask about: the sample date (its window is judged by it).
VISIT_FIELDS = ("actual_date",)

# An automatic query's text is stored in English (the trail and the exports read it so) and
# shown in the reader's language: its numbers are read back out of the English sentence.
# The reference equations as the automatic text names them, and in the reader's words.
METHODS = {"u25_combined": ("CKiD U25 combined", _l("CKiD U25 combined")),
           "u25_creatinine": ("CKiD U25 creatinine", _l("CKiD U25 creatinine")),
           "u25_cystatin": ("CKiD U25 cystatin C", _l("CKiD U25 cystatin C"))}


def sample_words(days: int, start: str, end: str) -> str:
    """The automatic query on a sample taken days outside its window (negative: before)."""
    if days > 0:
        return ngettext("Sample taken %(num)s day after its window (%(start)s to %(end)s).",
                        "Sample taken %(num)s days after its window (%(start)s to %(end)s).",
                        days, start=start, end=end)
    return ngettext("Sample taken %(num)s day before its window (%(start)s to %(end)s).",
                    "Sample taken %(num)s days before its window (%(start)s to %(end)s).",
                    -days, start=start, end=end)


def egfr_words(lab: str, percent: float, computed: str, method: str) -> str:
    """The automatic query on a lab eGFR that differs from the computed one (percent signed)."""
    if percent > 0:
        return _("Lab eGFR %(lab)s is %(percent)s %% above the computed %(computed)s "
                 "(%(method)s).", lab=lab, percent=f"{percent:.0f}", computed=computed,
                 method=method)
    return _("Lab eGFR %(lab)s is %(percent)s %% below the computed %(computed)s "
             "(%(method)s).", lab=lab, percent=f"{-percent:.0f}", computed=computed,
             method=method)


# The English sentences above, read back (\s between words: these are patterns, not messages).
SAMPLE_PATTERN = re.compile(r"Sample\staken\s(\d+)\sdays?\s(after|before)\sits\swindow\s"
                            r"\((\S+)\sto\s(\S+)\)\.")
EGFR_PATTERN = re.compile(r"Lab\seGFR\s(\S+)\sis\s(\d+)\s%\s(above|below)\sthe\scomputed\s"
                          r"(\S+)\s\((.+)\)\.")


def query_fields(ctx: Context, entity: str, record: Any) -> tuple[str, ...]:
    """The fields of a record a query may ask about: a result's value, the enrolment's items,
    an infusion's entries, a log entry's items, a visit's sample date."""
    if entity == "result":
        return ("value",)
    if entity == "participant":
        columns = Participant.__table__.columns.keys()
        return tuple(f.key for f in ctx.study.enrolment_form.fields if f.key in columns)
    if entity == "infusion":
        return INFUSION_FIELDS
    if entity == "log_entry":
        return tuple(item.key for item in ctx.study.any_log(record.form).form.fields)
    if entity == "visit":
        return VISIT_FIELDS
    return ()


MODELS: dict[str, type] = {"result": Result, "participant": Participant, "infusion": Infusion,
                           "log_entry": LogEntry, "visit": Visit}


def find_target(ctx: Context, participant: Participant, entity: str, entity_id: int,
                field: str) -> Any:
    """The record a query would ask about, if it is the child's and has that field; else
    Refused."""
    model = MODELS.get(entity)
    record = ctx.session.get(model, entity_id) if model is not None else None
    owner = None if record is None else (
        record.id if entity == "participant" else record.participant_id)
    if record is None or owner != participant.id:
        raise Refused({GENERAL: [_("There is no such value of %(code)s to ask about.",
                                   code=participant.code)]})
    if field not in query_fields(ctx, entity, record):
        raise Refused({GENERAL: [_("%(field)s cannot be asked about here.", field=field)]})
    return record


def _pending(ctx: Context, entity: str, entity_id: int, field: str) -> DataQuery | None:
    """The query on a value that is not closed, if any."""
    return ctx.session.scalars(select(DataQuery).where(
        DataQuery.entity == entity, DataQuery.entity_id == entity_id, DataQuery.field == field,
        DataQuery.status != QueryStatus.CLOSED).order_by(DataQuery.id)).first()


def _open(ctx: Context, entity: str, entity_id: int, field: str,
          besides: int | None = None) -> DataQuery | None:
    """The open query on a value (waiting for its answer), other than `besides`, if any: a
    value has one at a time, whatever its answered ones."""
    return ctx.session.scalars(select(DataQuery).where(
        DataQuery.entity == entity, DataQuery.entity_id == entity_id, DataQuery.field == field,
        DataQuery.status == QueryStatus.OPEN, DataQuery.id != (besides or 0))
        .order_by(DataQuery.id)).first()


def _text(errors: Errors, name: str, text: str | None, message: str) -> str:
    text = (text or "").strip()
    if not text:
        errors.add(name, message)
    elif len(text) > TEXT_LIMIT:
        errors.add(name, _("The text is longer than %(n)s characters.", n=TEXT_LIMIT))
    return text


def raise_query(ctx: Context, participant: Participant, entity: str, entity_id: int, field: str,
                text: str) -> DataQuery:
    """Ask about one stored value of a child, with a text saying what is doubtful."""
    errors = Errors()
    text = _text(errors, "text", text, _("Say what is doubtful about the value."))
    find_target(ctx, participant, entity, entity_id, field)
    first = _open(ctx, entity, entity_id, field)
    if first is not None:
        errors.add(GENERAL, _("Query %(n)s on this value is open already: add to it there "
                              "instead of raising a second one.", n=first.id))
    errors.raise_if_any()
    session = ctx.session
    with audited(session, ctx.actor.username, None):
        query = DataQuery(participant_id=participant.id, entity=entity, entity_id=entity_id,
                          field=field, status=QueryStatus.OPEN, text=text,
                          raised_by=ctx.actor.username, raised_at=utcnow())
        session.add(query)
        session.commit()
    return query


def _what(query: DataQuery) -> str:
    return _("Query %(n)s", n=query.id)


def _check_version(session: Session, query: DataQuery, expected: int | None) -> None:
    """A query's form carries the version it was opened at; one without is stale too."""
    check_version(session, query, -1 if expected is None else expected, _what(query))


def answer_query(ctx: Context, query: DataQuery, answer: str, *,
                 expected_version: int | None = None) -> None:
    """Answer an open (or re-opened) query with a text."""
    session = ctx.session
    _check_version(session, query, expected_version)
    errors = Errors()
    answer = _text(errors, "answer", answer, _("Write the answer."))
    if query.status != QueryStatus.OPEN:
        errors.add(GENERAL, _("Only an open query is answered; this one is %(status)s.",
                              status=status_word(query.status)))
    errors.raise_if_any()
    with audited(session, ctx.actor.username, None), saving(session, query, _what(query)):
        query.status, query.answer = QueryStatus.ANSWERED, answer
        query.answered_by, query.answered_at = ctx.actor.username, utcnow()
        session.commit()


def close_query(ctx: Context, query: DataQuery, *, expected_version: int | None = None) -> None:
    """Close an answered query: the answer (or the correction) settles it."""
    session = ctx.session
    _check_version(session, query, expected_version)
    if query.status != QueryStatus.ANSWERED:
        raise Refused({GENERAL: [_("Only an answered query is closed; this one is %(status)s.",
                                   status=status_word(query.status))]})
    if query.answered_by == ctx.actor.username:
        # Separation of duties: who answered a query does not also settle it.
        raise Refused({GENERAL: [_("You answered this query: someone who did not answer it "
                                   "closes it.")]})
    with audited(session, ctx.actor.username, None), saving(session, query, _what(query)):
        query.status, query.closed_by, query.closed_at = (
            QueryStatus.CLOSED, ctx.actor.username, utcnow())
        session.commit()


def reopen_query(ctx: Context, query: DataQuery, reason: str, *,
                 expected_version: int | None = None) -> None:
    """Open an answered or closed query again, saying why: it waits for a new answer."""
    session = ctx.session
    _check_version(session, query, expected_version)
    errors = Errors()
    reason = _text(errors, "reason", reason, _("Say why the query is re-opened."))
    if query.status == QueryStatus.OPEN:
        errors.add(GENERAL, _("This query is open already."))
    elif _open(ctx, query.entity, query.entity_id, query.field, besides=query.id) is not None:
        errors.add(GENERAL, _("Another query on this value is open: answer that one first."))
    errors.raise_if_any()
    with audited(session, ctx.actor.username, reason), saving(session, query, _what(query)):
        query.status = QueryStatus.OPEN
        query.answer = query.answered_by = query.answered_at = None
        query.closed_by = query.closed_at = None
        session.commit()


STATUS_WORDS = {QueryStatus.OPEN: _l("open"), QueryStatus.ANSWERED: _l("answered"),
                QueryStatus.CLOSED: _l("closed")}


def status_word(status: str) -> str:
    """A query's status as the reader reads it."""
    return str(STATUS_WORDS.get(status, status))  # type: ignore[call-overload]


# Automatic queries ------------------------------------------------------------------------


def _visit_summary(ctx: Context, visit: Visit) -> Any:
    """The renal summary of one visit's stored results (the trend's rules, one visit)."""
    participant = visit.participant
    measurements = {
        r.field: Measurement(key=r.field, value=r.value, unit=r.unit or r.typed_unit or "",
                             typed_value=parse_number(r.typed_value) if r.typed_value else None,
                             typed_unit=r.typed_unit or "", qualifier=r.qualifier,
                             not_done=r.not_done_reason is not None)
        for r in visit.results}
    one = VisitResults(code=visit.code, label=visit.label, sample_date=visit.actual_date,
                       measurements=measurements)
    try:
        rows = trend([one], form=ctx.study.results, sex=participant.sex,
                     date_of_birth=participant.date_of_birth, first_infusion=None,
                     outcomes=ctx.study.outcomes).rows
    except ValueError:
        return None  # what is stored cannot be computed; the visit page says so
    return rows[0].summary if rows else None


def _figure(value: float) -> str:
    return f"{value:.0f}"


def automatic_findings(ctx: Context, visit: Visit) -> list[tuple[str, str, int, str, str]]:
    """What the record says is doubtful in a visit's results, in English: (rule, entity, id,
    field, text)."""
    found: list[tuple[str, str, int, str, str]] = []
    days = visit.sample_deviation_days or 0
    with force_locale("en"):
        if days:
            window = visit.sample_window(ctx.study.schedule.screening)
            found.append((SAMPLE_WINDOW, "visit", visit.id, "actual_date", sample_words(
                days, window.start.isoformat(), window.end.isoformat())))
        summary = _visit_summary(ctx, visit)
        lab_key = ctx.study.results.by_role("egfr_lab").key
        lab_result = next((r for r in visit.results if r.field == lab_key), None)
        if summary is not None and summary.lab_differs and lab_result is not None:
            found.append((EGFR_LAB_DIFFERENCE, "result", lab_result.id, "value", egfr_words(
                _figure(summary.lab_egfr), summary.lab_percent_difference,
                _figure(summary.egfr_reference), METHODS[summary.reference_method][0])))
    return found


def raise_automatic_queries(ctx: Context, visit: Visit) -> list[DataQuery]:
    """Raise the automatic queries of a visit whose results were just saved; none on a value
    that has a query not yet closed (the same rule's, or a person's)."""
    session = ctx.session
    raised = []
    for rule, entity, entity_id, field, text in automatic_findings(ctx, visit):
        if _pending(ctx, entity, entity_id, field) is not None:
            continue
        raised.append(DataQuery(participant_id=visit.participant_id, entity=entity,
                                entity_id=entity_id, field=field, status=QueryStatus.OPEN,
                                text=text, rule=rule, raised_by=SYSTEM, raised_at=utcnow()))
    if raised:
        with audited(session, SYSTEM, None):
            session.add_all(raised)
            session.commit()
    return raised


def query_text(query: Any) -> str:
    """A query's text as the reader reads it: a person's as typed, an automatic one in the
    reader's language (as stored when its sentence is not this version's)."""
    if query.rule == SAMPLE_WINDOW and (found := SAMPLE_PATTERN.fullmatch(query.text)):
        days = int(found.group(1)) * (1 if found.group(2) == "after" else -1)
        return sample_words(days, found.group(3), found.group(4))
    if query.rule == EGFR_LAB_DIFFERENCE and (found := EGFR_PATTERN.fullmatch(query.text)):
        lab, percent, side, computed, method = found.groups()
        words = next((str(w) for english, w in METHODS.values() if english == method), method)
        return egfr_words(lab, float(percent) * (1 if side == "above" else -1), computed,
                          words)
    return query.text
