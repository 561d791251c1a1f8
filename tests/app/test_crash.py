"""The server killed (kill -9) in the middle of nurses' saves loses nothing it said was saved and
leaves nothing half-written: the database checks whole, every visit has all of its results or
none, and data and audit rows match."""

from __future__ import annotations

import threading

import pytest
from flask import Flask
from sqlalchemy import create_engine, select, text

from edc.models import AuditEvent, Result, Visit
from tests.support.apps import make_app
from tests.support.served import Nurse, start, stop
from tests.support.traffic import book, log_in_all, populate, run, save_results

NURSES = 4


@pytest.fixture
def trial_app(database_url: str, study, monkeypatch: pytest.MonkeyPatch) -> Flask:
    app = make_app(database_url, study, monkeypatch)
    yield app
    app.extensions["edc_engine"].dispose()


def test_a_server_killed_mid_save_leaves_every_form_whole(trial_app: Flask,
                                                          database_url: str) -> None:
    trial = populate(trial_app, 6, NURSES)
    trial_app.extensions["edc_engine"].dispose()
    due, to_book = sorted(trial.due), sorted(trial.to_book)
    server = start(database_url, threads=4)
    try:
        nurses = log_in_all(server.base, NURSES)
        stop_burst = threading.Event()
        turns = iter(range(10**6))
        lock = threading.Lock()
        # The kill comes once a third of the visits are saved: the rest are being saved.
        third_saved = threading.Event()

        def step(nurse: Nurse, tally, _rng) -> None:
            # Each results save goes to a visit nobody saved yet: its first save, all or nothing.
            with lock:
                turn = next(turns)
            if turn % 2 == 0 and turn // 2 < len(due):
                visit = due[turn // 2]
                save_results(nurse, tally, visit, trial.due[visit])
                if len(tally.saved_results) >= len(due) // 3:
                    third_saved.set()
            else:
                visit = to_book[turn % len(to_book)]
                book(nurse, tally, visit, trial.to_book[visit])

        burst: dict = {}
        thread = threading.Thread(target=lambda: burst.setdefault(
            "tally", run(nurses, step, 15.0, stop_burst)))
        thread.start()
        third_saved.wait(10)
        server.process.kill()  # SIGKILL: no clean-up of any kind
        server.process.wait()
        stop_burst.set()
        thread.join()
    finally:
        stop(server)
    tally = burst["tally"]
    saved = {visit for visit, volumes in tally.saved_results.items()}
    assert saved and tally.saved_bookings, "the server was killed before anything was saved"

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            if database_url.startswith("sqlite"):
                assert connection.scalar(text("PRAGMA integrity_check")) == "ok"
            results = connection.execute(select(Result.id, Result.visit_id, Result.typed_value,
                                                Result.field)).all()
            visits = {v.id: v for v in connection.execute(select(Visit)).all()}
            audited = set(connection.execute(select(AuditEvent.entity, AuditEvent.entity_id)
                                             .distinct()).all())
    finally:
        engine.dispose()
    per_visit: dict[int, dict[str, str]] = {}
    for row in results:
        per_visit.setdefault(row.visit_id, {})[row.field] = row.typed_value
    fields = len(per_visit[due[0]]) if due[0] in per_visit else 11
    for visit_id in due:
        held = per_visit.get(visit_id, {})
        assert len(held) in (0, fields), f"visit {visit_id} has {len(held)} of {fields} results"
        assert (visits[visit_id].status == "done") == bool(held), visit_id
    for visit_id, volumes in tally.saved_results.items():
        assert per_visit.get(visit_id, {}).get("urine_volume") in volumes, visit_id
    for visit_id, reasons in tally.saved_bookings.items():
        assert visits[visit_id].booking_reason in reasons, visit_id
    # Every stored result and touched visit has its audit rows; no audit row lacks its data row.
    assert {("result", row.id) for row in results} <= audited
    assert {("visit", v) for v in (*saved, *tally.saved_bookings)} <= audited
    assert {entity_id for entity, entity_id in audited if entity == "result"} <= {
        row.id for row in results}

    # And the app starts again on the database and shows the saved visit.
    server = start(database_url, threads=2)
    try:
        nurse = log_in_all(server.base, 1)[0]
        assert nurse.get(f"/visits/{min(saved)}").status == 200
        nurse.close()
    finally:
        stop(server)
