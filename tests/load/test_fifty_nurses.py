"""Fifty nurses at once against the app served as `edc serve` serves it, on loopback.

    pytest tests/load -m load -s                       # SQLite, 60 s of mixed work
    EDC_LOAD_SECONDS=20 EDC_LOAD_THREADS=4 pytest tests/load -m load -s

The same fifty logged-in nurses first ask for the bare route (base.html, logged in) to measure
what the server can answer at most, then work: 80 % reads (worklist, participant list, a child's
page, a visit's page) and 20 % writes (a results correction or a booking, each opened first and
posted with the version it was opened at). Nothing may fail, nothing saved may be missing from the
data or the audit trail after, and the work must keep at least half the bare route's pace. A 409
is the designed answer to a form opened before someone else saved it, counted apart.
"""

from __future__ import annotations

import os

import pytest
from flask import Flask

from edc.cli import THREADS
from tests.support.apps import make_app
from tests.support.served import BARE_ROUTE, served
from tests.support.traffic import bare_work, log_in_all, lost_writes, mixed_work, populate, run

SECONDS = float(os.environ.get("EDC_LOAD_SECONDS", "60"))
CHILDREN = int(os.environ.get("EDC_LOAD_CHILDREN", "200"))
NURSES = int(os.environ.get("EDC_LOAD_NURSES", "50"))
SERVER_THREADS = int(os.environ.get("EDC_LOAD_THREADS", str(THREADS)))


@pytest.fixture
def trial_app(database_url: str, study, monkeypatch: pytest.MonkeyPatch) -> Flask:
    app = make_app(database_url, study, monkeypatch)
    yield app
    app.extensions["edc_engine"].dispose()


def test_fifty_nurses_at_once(trial_app: Flask, database_url: str) -> None:
    trial = populate(trial_app, CHILDREN, NURSES)
    trial_app.extensions["edc_engine"].dispose()
    with served(database_url, threads=SERVER_THREADS) as base:
        nurses = log_in_all(base, NURSES)
        # One nurse alone first: what each page costs without a queue.
        alone = run(nurses[:1], mixed_work(trial), max(5.0, SECONDS / 6))
        bare = run(nurses, bare_work(BARE_ROUTE), max(5.0, SECONDS / 4))
        work = run(nurses, mixed_work(trial), SECONDS)
        for nurse in nurses:
            nurse.close()
    lost = lost_writes(database_url, work)
    print(f"\n{database_url.split(':')[0]}, {SERVER_THREADS} server threads, {NURSES} nurses, "
          f"{CHILDREN} children")
    print(alone.report("one nurse alone"))
    print(bare.report("bare route"))
    print(work.report("80/20 work"))
    saved = sum(map(len, work.saved_results.values())) + sum(map(len, work.saved_bookings.values()))
    print(f"writes saved {saved}, lost {len(lost)}; work/bare throughput "
          f"{work.throughput() / bare.throughput():.0%}")
    assert bare.errors == [] and work.errors == [], (bare.errors + work.errors)[:10]
    assert lost == [], lost[:10]
    assert saved > 0
    assert work.throughput() >= 0.5 * bare.throughput()
