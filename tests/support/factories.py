"""Children in any state, made through the services (not HTTP): quick, audited like the real thing.

    child(app, "scheduled")            # AS-001 with infusions 1 and 2, eleven visits planned
    child(app, "with results", code="AS-002")

The states, each built on the one before where it can be: "enrolled", "screened" (a screening
visit with its baseline results), "infusion 1", "scheduled" (infusion 2 on 2026-03-16 is day 0),
"with results" (W02 and W04 done), "withdrawn" (after W04) and "completed" (every follow-up visit
done, each on its target day, entered as on that day).

Every service call of the tests' set-up is in this module, so a change of the services'
signatures is made here once. The app needs the allocation list for enrolment (make_app
allocation=True, or the `allocation` fixture).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from typing import Any

from flask import Flask
from sqlalchemy import select

from edc import db, services
from edc.app import context_for
from edc.models import Participant, User, Visit
from edc.read.participants import load_participant
from edc.services import Context, EnrolmentData, InfusionData, ResultsData, TypedResult
from tests.support.forms import RESULTS

CONSENT = date(2026, 2, 20)
SCREENING = date(2026, 2, 23)
INFUSION_1 = date(2026, 3, 2)
INFUSION_2 = date(2026, 3, 16)
CHILD = EnrolmentData(code="AS-001", date_of_birth=date(2018, 5, 10), sex="F", weight_kg=24.5,
                      height_cm=125.0, consent_date=CONSENT, screening_egfr=98.0)
STATES = ("enrolled", "screened", "infusion 1", "scheduled", "with results", "withdrawn",
          "completed")


@contextmanager
def _acting(app: Flask, username: str, on: date | None = None) -> Iterator[Context]:
    """The context of `username` writing today (the app's clock), or on the day `on`."""
    with app.app_context():
        session = db.session()
        actor = session.scalars(select(User).where(User.username == username)).one()
        ctx = context_for(actor)
        yield ctx if on is None else ctx.on(on)


def _participant(ctx: Context, participant_id: int) -> Participant:
    return load_participant(ctx.session, participant_id)


def _visit(ctx: Context, participant_id: int, code: str) -> Visit:
    return ctx.session.scalars(select(Visit).where(Visit.participant_id == participant_id,
                                                   Visit.code == code)).one()


def enrol(app: Flask, code: str = "AS-001", *, by: str = "nurse", on: date | None = None,
          **changes: Any) -> int:
    """Enrol an eligible child (CHILD with changes); return the participant id."""
    study = app.extensions["edc_study"]
    eligibility = {c.code: c.required_answer for c in study.criteria}
    data = replace(CHILD, code=code, eligibility=eligibility, **changes)
    with _acting(app, by, on) as ctx:
        return services.enrol(ctx, data).id


def infuse(app: Flask, participant_id: int, number: int, day: date, *, by: str = "nurse",
           on: date | None = None, weight_kg: float = 24.5, product_lot: str = "UC-2026-017",
           volume_ml: float = 50.0) -> None:
    """Record infusion 1 or 2 given on `day`."""
    data = InfusionData(date=day, weight_kg=weight_kg, product_lot=product_lot,
                        volume_ml=volume_ml)
    with _acting(app, by, on) as ctx:
        services.save_infusion(ctx, _participant(ctx, participant_id), number, data)


def anchor_on_first(app: Flask, participant_id: int,
                    reason: str = "Fever, the second infusion is not given", *,
                    by: str = "nurse") -> None:
    """Start follow-up from infusion 1: the second infusion is not given."""
    with _acting(app, by) as ctx:
        services.anchor_on_first_infusion(ctx, _participant(ctx, participant_id), reason)


def mark_done(app: Flask, participant_id: int, code: str, actual: date, *,
              by: str = "nurse") -> None:
    """Mark a visit done on `actual`, without results."""
    with _acting(app, by) as ctx:
        services.mark_visit_done(ctx, _visit(ctx, participant_id, code), actual)


def add_screening(app: Flask, participant_id: int, *, by: str = "nurse") -> None:
    """Add the screening (baseline) visit."""
    with _acting(app, by) as ctx:
        services.add_visit(ctx, _participant(ctx, participant_id), "screening", None, "")


def add_unscheduled(app: Flask, participant_id: int, day: date, reason: str = "Fever", *,
                    by: str = "nurse") -> None:
    """Add an unscheduled visit on day."""
    with _acting(app, by) as ctx:
        services.add_visit(ctx, _participant(ctx, participant_id), "unscheduled", day, reason)


def enter_results(app: Flask, participant_id: int, code: str, sample_date: date, *,
                  by: str = "nurse", on: date | None = None, reason: str = "",
                  **changes: tuple[str, str] | TypedResult) -> None:
    """Save a complete results entry (forms.RESULTS, changes replace analytes, as (value,
    unit) or a TypedResult) for a visit, entered on `on` (today by default, the sample date
    when that is later)."""
    typed = {key: entry if isinstance(entry, TypedResult) else TypedResult(*entry)
             for key, entry in {**RESULTS, **changes}.items()}
    with _acting(app, by) as ctx:
        ctx = ctx.on(on or max(sample_date, ctx.today))
        visit = _visit(ctx, participant_id, code)
        services.save_results(ctx, visit, ResultsData(sample_date=sample_date, results=typed),
                              expected_version=visit.version, reason=reason)


def withdraw(app: Flask, participant_id: int, detail: str = "The family moved away.", *,
             reason: str = "OTHER", event: int | None = None, day: date | None = None,
             last_contact: date | None = None, by: str = "investigator",
             on: date | None = None) -> None:
    """Withdraw the child for a reason (a code of forms/termination.toml) and words, ended
    and last seen today unless said otherwise."""
    with _acting(app, by, on) as ctx:
        services.withdraw(ctx, _participant(ctx, participant_id), {
            "reason": reason, "detail": detail, "adverse_event": event,
            "termination_date": day or ctx.today, "last_contact": last_contact or ctx.today})


def log_entry(app: Flask, participant_id: int, form: str, values: dict[str, Any], *,
              by: str = "nurse", on: date | None = None) -> int:
    """Add an entry to one of the child's log forms (a stem of forms/); return its number."""
    with _acting(app, by, on) as ctx:
        log = ctx.study.any_log(form)
        return services.save_log_entry(ctx, _participant(ctx, participant_id), log,
                                       values).number


def targets(app: Flask, participant_id: int) -> dict[str, date]:
    """Each visit's target day, by code."""
    with app.app_context():
        rows = db.session().execute(select(Visit.code, Visit.target_date).where(
            Visit.participant_id == participant_id))
        return {code: day for code, day in rows}


def _screened(app: Flask, pid: int) -> None:
    add_screening(app, pid)
    enter_results(app, pid, "SCR", SCREENING)


def _scheduled(app: Flask, pid: int) -> None:
    infuse(app, pid, 1, INFUSION_1)
    infuse(app, pid, 2, INFUSION_2)


def _with_results(app: Flask, pid: int) -> None:
    _scheduled(app, pid)
    days = targets(app, pid)
    for code in ("W02", "W04"):
        enter_results(app, pid, code, days[code])


def _completed(app: Flask, pid: int) -> None:
    _scheduled(app, pid)
    for code, day in sorted(targets(app, pid).items(), key=lambda item: item[1]):
        enter_results(app, pid, code, day, on=day)


_BUILD: dict[str, Callable[[Flask, int], None]] = {
    "enrolled": lambda app, pid: None,
    "screened": _screened,
    "infusion 1": lambda app, pid: infuse(app, pid, 1, INFUSION_1),
    "scheduled": _scheduled,
    "with results": _with_results,
    "withdrawn": lambda app, pid: (_with_results(app, pid), withdraw(app, pid)),
    "completed": _completed,
}


def child(app: Flask, state: str = "scheduled", code: str = "AS-001", **changes: Any) -> int:
    """A child in `state` (one of STATES); return the participant id."""
    if state not in _BUILD:
        raise ValueError(f"Got {state!r}. Expected one of {', '.join(STATES)}.")
    pid = enrol(app, code, **changes)
    _BUILD[state](app, pid)
    return pid


def add_children(app: Flask, first: int, last: int, state: str = "scheduled") -> list[int]:
    """Children AS-<first> to AS-<last> in `state`; return their ids."""
    return [child(app, state, f"AS-{n:03d}") for n in range(first, last + 1)]
