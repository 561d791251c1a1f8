"""Many nurses at once against a served app: a trial's worth of children made through the
services, nurse accounts, and each nurse's thread reading and writing until a deadline, every
answer counted (status, time) and every write answered as saved remembered, to look for it in the
database after.
"""

from __future__ import annotations

import itertools
import random
import statistics
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from flask import Flask
from sqlalchemy import Engine, create_engine, select

from edc import services
from edc.app import context_for
from edc.models import AuditEvent, Result, Visit
from edc.protocol.codes import VisitStatus
from edc.services.accounts import create_user
from tests.support import factories
from tests.support.apps import PASSWORD, SET_UP, TODAY, allocation_csv
from tests.support.forms import RESULTS
from tests.support.served import Answer, Nurse

READS = ("worklist", "participant list", "participant page", "visit page")
WRITES = ("results save", "booking")


@dataclass
class Trial:
    """What the nurses work on: children's ids, visits whose results are due (with the day the
    sample was taken) and visits still to book (with a day to book)."""

    participants: list[int]
    due: dict[int, date]
    to_book: dict[int, date]


def populate(app: Flask, children: int, nurses: int) -> Trial:
    """Enrol `children` children (infusions 1 and 2 given) and make `nurses` nurse accounts
    nurse01..., all through the services."""
    with app.app_context():
        services.load_allocation(context_for(SET_UP), allocation_csv((children + 1) // 2))
        for n in range(1, nurses + 1):
            create_user(context_for(SET_UP), f"nurse{n:02d}", "nurse", PASSWORD)
    ids = factories.add_children(app, 1, children, "scheduled")
    with app.app_context():
        from edc import db

        visits = db.session().scalars(select(Visit).where(Visit.participant_id.in_(ids))).all()
    # Results are due for a visit whose window has opened (the sample taken on its target day,
    # or today); a visit whose window opens later is booked on its target day.
    due = {v.id: min(v.target_date, TODAY) for v in visits if v.window_start <= TODAY}
    to_book = {v.id: v.target_date for v in visits if v.window_start > TODAY}
    return Trial(ids, due, to_book)


@dataclass
class Tally:
    """Every answer of a run: time per kind, errors, designed refusals, saved writes."""

    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    stale: int = 0  # 409: the form was opened before someone else's save (designed refusal)
    saved_results: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    saved_bookings: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    elapsed: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def requests(self) -> int:
        return sum(len(times) for times in self.seconds.values())

    def throughput(self) -> float:
        """Requests answered per second."""
        return self.requests / self.elapsed if self.elapsed else 0.0

    def percentiles(self) -> dict[str, tuple[int, float, float]]:
        """Per kind: count, p50 and p95 in milliseconds."""
        out = {}
        for kind, times in sorted(self.seconds.items()):
            cuts = statistics.quantiles(times, n=20) if len(times) > 1 else times * 19
            out[kind] = (len(times), statistics.median(times) * 1000, cuts[18] * 1000)
        return out

    def report(self, title: str) -> str:
        lines = [f"{title}: {self.requests} requests in {self.elapsed:.1f} s = "
                 f"{self.throughput():.1f}/s; errors {len(self.errors)}; stale (409) {self.stale}"]
        lines += [f"  {kind:<18} n={n:<6} p50={p50:7.1f} ms  p95={p95:7.1f} ms"
                  for kind, (n, p50, p95) in self.percentiles().items()]
        return "\n".join(lines)


_serial = itertools.count(1)
_serial_lock = threading.Lock()


def _next_serial() -> int:
    with _serial_lock:
        return next(_serial)


def _expect(tally: Tally, kind: str, answer: Answer, *allowed: int) -> bool:
    with tally.lock:
        tally.seconds[kind].append(answer.seconds)
        if answer.status == 409 and 409 in allowed:
            tally.stale += 1
            return False
        if answer.status not in allowed:
            tally.errors.append(f"{kind}: {answer.status} {answer.text[:200]!r}")
            return False
    return True


def save_results(nurse: Nurse, tally: Tally, visit: int, sample: date) -> None:
    """Open a visit's results, change the urine volume to a value no other save uses, save."""
    form = nurse.get(f"/visits/{visit}")
    if not _expect(tally, "visit page", form, 200):
        return
    serial = _next_serial()
    # 1000..4999: four digits, so one save's value is never part of another's.
    volume = str(1000 + serial % 4000)
    data = {k: v for k, v in form.hidden().items()
            if k in ("version", "watermark") or k.endswith("-opened")}
    data["sample_date"] = sample.isoformat()
    for key, (value, unit) in RESULTS.items():
        data[f"{key}-value"] = volume if key == "urine_volume" else value
        if unit:
            data[f"{key}-unit"] = unit
    data["reason"] = f"Corrected the urine volume ({serial})"
    answer = nurse.post(f"/visits/{visit}", data)
    if _expect(tally, "results save", answer, 302, 409):
        with tally.lock:
            tally.saved_results[visit].add(volume)


def book(nurse: Nurse, tally: Tally, visit: int, day: date) -> None:
    """Open a visit and book it on a day with a reason no other booking gives."""
    form = nurse.get(f"/visits/{visit}")
    if not _expect(tally, "visit page", form, 200):
        return
    reason = f"Booked by phone ({_next_serial()})"
    answer = nurse.post(f"/visits/{visit}/book", {
        "date": day.isoformat(), "time": "", "reason": reason,
        "version": form.hidden().get("version", "0")})
    if _expect(tally, "booking", answer, 302, 409):
        with tally.lock:
            tally.saved_bookings[visit].add(reason)


def mixed_work(trial: Trial, writes: float = 0.2) -> Callable[[Nurse, Tally, random.Random], None]:
    """One step of a nurse's day: a read of one of the four pages, or (a share `writes` of
    the steps) a results save or a booking, half each."""
    due, to_book = sorted(trial.due), sorted(trial.to_book)

    def step(nurse: Nurse, tally: Tally, rng: random.Random) -> None:
        if rng.random() < writes:
            if rng.random() < 0.5:
                visit = rng.choice(due)
                save_results(nurse, tally, visit, trial.due[visit])
            else:
                visit = rng.choice(to_book)
                book(nurse, tally, visit, trial.to_book[visit])
            return
        kind = rng.choice(READS)
        path = {"worklist": "/", "participant list": "/participants/",
                "participant page": f"/participants/{rng.choice(trial.participants)}",
                "visit page": f"/visits/{rng.choice(due + to_book)}"}[kind]
        _expect(tally, kind, nurse.get(path), 200)

    return step


def bare_work(route: str) -> Callable[[Nurse, Tally, random.Random], None]:
    def step(nurse: Nurse, tally: Tally, _rng: random.Random) -> None:
        _expect(tally, "bare route", nurse.get(route), 200)

    return step


def log_in_all(base: str, count: int, pause: float = 0.0) -> list[Nurse]:
    """Log nurse01... in, one browser each, a pause between log-ins."""
    nurses = []
    for n in range(1, count + 1):
        nurse = Nurse(base)
        nurse.log_in(f"nurse{n:02d}", PASSWORD)
        nurses.append(nurse)
        time.sleep(pause)
    return nurses


def run(nurses: list[Nurse], step: Callable[[Nurse, Tally, random.Random], None],
        seconds: float, stop: threading.Event | None = None) -> Tally:
    """Every nurse in her own thread takes steps until `seconds` have passed (or stop is set)."""
    tally = Tally()
    deadline = time.monotonic() + seconds
    stop = stop or threading.Event()

    def work(index: int, nurse: Nurse) -> None:
        rng = random.Random(index)
        while time.monotonic() < deadline and not stop.is_set():
            try:
                step(nurse, tally, rng)
            except Exception as error:  # a dropped or refused connection is an error
                with tally.lock:
                    tally.errors.append(f"{type(error).__name__}: {error}")

    threads = [threading.Thread(target=work, args=(i, n)) for i, n in enumerate(nurses)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tally.elapsed = time.monotonic() - began
    return tally


def lost_writes(database_url: str, tally: Tally) -> list[str]:
    """Every write answered as saved, looked for in the database: its rows, its audit rows;
    what each visit holds now is one of the values saved on it."""
    engine: Engine = create_engine(database_url)
    lost: list[str] = []
    try:
        with engine.connect() as connection:
            for visit_id, volumes in tally.saved_results.items():
                results = {r.field: r for r in connection.execute(
                    select(Result).where(Result.visit_id == visit_id))}
                status = connection.scalar(select(Visit.status).where(Visit.id == visit_id))
                if set(results) != set(RESULTS) or status != VisitStatus.DONE:
                    lost.append(f"visit {visit_id}: {status}, results {sorted(results)}")
                    continue
                row = results["urine_volume"]
                if row.typed_value not in volumes:
                    lost.append(f"visit {visit_id}: holds {row.typed_value}, saved {volumes}")
                trail = " ".join(filter(None, connection.scalars(select(AuditEvent.new).where(
                    AuditEvent.entity == "result", AuditEvent.entity_id == row.id))))
                lost += [f"visit {visit_id}: no audit of the urine volume {v}"
                         for v in volumes if v not in trail]
            for visit_id, reasons in tally.saved_bookings.items():
                held = connection.scalar(select(Visit.booking_reason).where(Visit.id == visit_id))
                if held not in reasons:
                    lost.append(f"visit {visit_id}: booked for {held!r}, saved {reasons}")
                trail = " ".join(filter(None, connection.scalars(
                    select(AuditEvent.new).where(AuditEvent.entity == "visit",
                                                 AuditEvent.entity_id == visit_id))))
                lost += [f"visit {visit_id}: no audit of the booking {r!r}"
                         for r in reasons if r not in trail]
    finally:
        engine.dispose()
    return lost
