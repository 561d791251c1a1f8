"""A child's record as the pages read it, and the list of children: fixed queries each."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from edc.models import LogEntry, Participant, Result, Visit
from edc.models.audit import FieldChange
from edc.protocol.codes import VisitStatus
from edc.protocol.crf import ResultsForm
from edc.protocol.outcomes import Outcomes
from edc.read import blinding, history, safety
from edc.rules.numbers import parse_number
from edc.rules.trends import Measurement, Trend, TrendRow, VisitResults, trend


def load_participant(session: Session, participant_id: int, *,
                     results: bool = True) -> Participant | None:
    """The participant with infusions, visits and results, in four queries whatever their
    number; without the results (three queries) for a page that reads them as rows."""
    visits = selectinload(Participant.visits)
    return session.scalars(
        select(Participant)
        .where(Participant.id == participant_id)
        .options(selectinload(Participant.infusions),
                 visits.selectinload(Visit.results) if results else visits)
    ).first()


# The columns of a result the trend reads, with its visit: plain rows, not records (a child's
# page reads a hundred of them).
_RESULT_ROWS = select(Result.visit_id, Result.field, Result.value, Result.unit,
                      Result.typed_value, Result.typed_unit, Result.qualifier,
                      Result.not_done_reason).join(Visit).order_by(Result.id)


def result_rows(session: Session, participant_id: int) -> dict[int, list[Any]]:
    """A child's results as plain rows by visit id, each visit's in the order saved; one
    query."""
    rows: dict[int, list[Any]] = {}
    for row in session.execute(_RESULT_ROWS.where(Visit.participant_id == participant_id)):
        rows.setdefault(row.visit_id, []).append(row)
    return rows


def load_visit(session: Session, visit_id: int) -> Visit | None:
    """The visit with its results, and its participant with infusions and visits (the other
    visits' results are read as rows where the trend needs them: `visit_page`)."""
    return session.scalars(
        select(Visit).where(Visit.id == visit_id).options(
            selectinload(Visit.results),
            selectinload(Visit.participant).selectinload(Participant.infusions),
            selectinload(Visit.participant).selectinload(Participant.visits),
        )
    ).first()


@dataclass(frozen=True)
class ChildPage:
    """What a child's page shows beyond the record: the arm (None for a blinded viewer) and
    the trend, or why the trend cannot be computed from what is stored."""

    participant: Participant
    arm: str | None
    trend: Trend | None
    trend_error: str | None
    logs: dict[str, list[LogEntry]]  # the child's log entries by form, each in order


def child_page(session: Session, role: str, participant: Participant, form: ResultsForm,
               outcomes: Outcomes) -> ChildPage:
    """The arm, the trend and the log entries of a loaded participant; one query for the
    results, one for the entries, one for the arm, if shown."""
    computed, error = trend_or_error(participant, form, outcomes,
                                     result_rows(session, participant.id))
    logs: dict[str, list[LogEntry]] = {}
    for entry in safety.child_logs(session, participant.id):
        logs.setdefault(entry.form, []).append(entry)
    return ChildPage(participant=participant, arm=blinding.arm(session, role, participant.id),
                     trend=computed, trend_error=error, logs=logs)


@dataclass(frozen=True)
class ChildHistory:
    """A child's record and every audit row of it the viewer may see, oldest first."""

    participant: Participant
    trail: list[FieldChange]


def child_history(session: Session, role: str, participant_id: int) -> ChildHistory | None:
    """The child and its trail as the viewer may see it (the allocation's rows only if
    unblinded); None for no such child. Five queries."""
    participant = load_participant(session, participant_id)
    if participant is None:
        return None
    return ChildHistory(participant, history.participant_trail(session, role, participant_id))


@dataclass(frozen=True)
class VisitPage:
    """What a visit's page shows beyond the record: the trail of the visit and its results
    (for the field history and a conflict), and the visit's row of the trend or why there is
    none."""

    visit: Visit
    trail: list[FieldChange]
    trend_row: TrendRow | None
    trend_error: str | None


def visit_page(session: Session, visit: Visit, form: ResultsForm,
               outcomes: Outcomes) -> VisitPage:
    """The visit's own trail and its trend row (from the child's results as rows): two
    queries."""
    computed, error = trend_or_error(visit.participant, form, outcomes,
                                     result_rows(session, visit.participant_id))
    row = next((r for r in computed.rows if r.code == visit.code), None) if computed else None
    trail = history.visit_trail(session, visit.participant_id, visit.id)
    return VisitPage(visit=visit, trail=trail, trend_row=row, trend_error=error)


def trend_or_error(participant: Participant, form: ResultsForm, outcomes: Outcomes,
                   results: dict[int, list[Any]] | None = None,
                   ) -> tuple[Trend | None, str | None]:
    """The participant's trend, or the reason it cannot be computed from what is stored (the
    results as rows by visit id if given, else the visits' records)."""
    try:
        return trend_for(participant, form, outcomes, results), None
    except ValueError as error:
        return None, str(error)


def _typed_number(text: str | None) -> float | None:
    return parse_number(text) if text else None


def visit_results(visit: Any, results: Iterable[Any]) -> VisitResults:
    """A visit and its results as the trend reads them, from records or plain rows alike (the
    pages read records, the exports rows with the same names)."""
    return VisitResults(
        code=visit.code, label=visit.label,
        sample_date=visit.actual_date if visit.status == VisitStatus.DONE else None,
        measurements={
            r.field: Measurement(
                key=r.field, value=r.value, unit=r.unit or r.typed_unit or "",
                typed_value=_typed_number(r.typed_value), typed_unit=r.typed_unit or "",
                qualifier=r.qualifier, not_done=r.not_done_reason is not None)
            for r in results
        },
    )


def trend_for(participant: Participant, form: ResultsForm, outcomes: Outcomes,
              results: dict[int, list[Any]] | None = None) -> Trend:
    """The participant's results over time: baseline, changes, computed eGFR, outcomes; from
    the results as rows by visit id if given, else the visits' records."""
    first = participant.infusion(1)
    return trend([visit_results(v, v.results if results is None else results.get(v.id, ()))
                  for v in participant.visits], form=form,
                 sex=participant.sex, date_of_birth=participant.date_of_birth,
                 first_infusion=first.date if first else None, outcomes=outcomes)
