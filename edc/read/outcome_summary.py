"""The data monitoring committee's outcome summary, read: every child's trend, judged per
follow-up visit, pooled, and by arm only for a viewer who may see the arms (edc.read.blinding).
A fixed number of queries whatever the number of children."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from edc.models import Participant, Visit
from edc.protocol.codes import VisitKind, VisitStatus
from edc.protocol.crf import ResultsForm
from edc.protocol.outcomes import Outcomes
from edc.read import blinding
from edc.read.participants import trend_or_error
from edc.rules.outcome_summary import ChildAtVisit, VisitSummary, summarise


@dataclass(frozen=True)
class OutcomeSummary:
    pooled: list[VisitSummary]
    by_arm: dict[str, list[VisitSummary]] | None  # arm code -> summary; None when blinded
    children: int
    not_computed: list[str]  # codes of children whose trend could not be made


def _at_visits(participant: Participant, form: ResultsForm, outcomes: Outcomes,
               today: date) -> tuple[dict[str, ChildAtVisit], bool]:
    computed, error = trend_or_error(participant, form, outcomes)
    rows = {row.code: row for row in computed.rows} if computed else {}
    found = {}
    for visit in participant.visits:
        if visit.kind != VisitKind.SCHEDULED:
            continue
        due = visit.status in (VisitStatus.DONE, VisitStatus.MISSED) or (
            visit.status == VisitStatus.PLANNED and visit.window_end < today)
        row = rows.get(visit.code)
        found[visit.code] = ChildAtVisit(
            due=due, proteinuria=row.proteinuria if row else None,
            hematuria=row.hematuria if row else None,
            renal_function=row.renal_function if row else None)
    return found, error is None


def outcome_summary(session: Session, role: str, codes: list[str], form: ResultsForm,
                    outcomes: Outcomes, today: date) -> OutcomeSummary:
    """The summary per visit code (in the schedule's order): pooled, and by arm if the role
    may see the arms."""
    participants = list(session.scalars(
        select(Participant).order_by(Participant.code)
        .options(selectinload(Participant.infusions),
                 selectinload(Participant.visits).selectinload(Visit.results))))
    judged, failed = {}, []
    for participant in participants:
        at, ok = _at_visits(participant, form, outcomes, today)
        judged[participant.id] = at
        if not ok:
            failed.append(participant.code)
    arms = blinding.arms(session, role)
    by_arm = None
    if arms is not None:
        by_arm = {code: summarise(codes, [at for pid, at in judged.items()
                                          if arms.get(pid) == code])
                  for code in sorted(set(arms.values()))}
    return OutcomeSummary(pooled=summarise(codes, judged.values()), by_arm=by_arm,
                          children=len(participants), not_computed=failed)
