"""Measure waitress threads and SQLite settings against each other under the fifty-nurse load.

    .venv/bin/python -m tests.load.sweep [SECONDS]

Fills one SQLite database with 200 children and 50 nurses through the services, then for each
setting serves a copy of it and runs the bare route and the 80/20 work (tests/support/traffic),
printing one line per setting: throughput of each, their ratio, p95 per page, errors, lost writes.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from edc import db
from tests.support.apps import make_app
from tests.support.paths import FORMS
from tests.support.served import BARE_ROUTE, served
from tests.support.traffic import bare_work, log_in_all, lost_writes, mixed_work, populate, run

SETTINGS: list[tuple[int, dict[str, str]]] = [
    (4, {}), (8, {}), (16, {}), (2, {}),
    (8, {"synchronous": "NORMAL"}),
    (8, {"cache_size": "-65536"}),
    (8, {"synchronous": "NORMAL", "cache_size": "-65536"}),
]


def main(seconds: float) -> None:
    from edc.protocol.study import load_study

    folder = Path(tempfile.mkdtemp(prefix="edc-sweep-"))
    template = folder / "template.sqlite3"
    url = f"sqlite:///{template}"
    db.upgrade(url)
    with pytest.MonkeyPatch.context() as monkeypatch:
        app = make_app(url, load_study(FORMS), monkeypatch)
        trial = populate(app, 200, 50)
        app.extensions["edc_engine"].dispose()
    for threads, pragmas in SETTINGS:
        copy = folder / "run.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(template, copy)
        run_url = f"sqlite:///{copy}"
        with served(run_url, threads=threads, pragmas=pragmas) as base:
            nurses = log_in_all(base, 50)
            bare = run(nurses, bare_work(BARE_ROUTE), 10)
            work = run(nurses, mixed_work(trial), seconds)
            for nurse in nurses:
                nurse.close()
        lost = lost_writes(run_url, work)
        p95 = " ".join(f"{kind}={p95:.0f}" for kind, (_n, _p50, p95)
                       in work.percentiles().items())
        print(f"threads={threads} {json.dumps(pragmas)}: bare {bare.throughput():.1f}/s, "
              f"work {work.throughput():.1f}/s ({work.throughput() / bare.throughput():.0%}); "
              f"errors {len(bare.errors) + len(work.errors)}, stale {work.stale}, "
              f"lost {len(lost)}; p95 ms {p95}", flush=True)
    shutil.rmtree(folder)


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 30.0)
