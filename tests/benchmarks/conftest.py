"""Benchmarks are deselected by default; run them with: pytest tests/benchmarks -m benchmark"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, render_template
from flask_login import login_required

from tests.support.fixtures import app, as_role, clock, nurse  # noqa: F401 (fixtures)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/benchmarks/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.benchmark)


@pytest.fixture(scope="session")
def grown_trial() -> tuple[Path, int, float | None]:
    """The grown database (from the cache, or built now), its children and build rate."""
    from tests.benchmarks.grown import children, grown_database

    count = children()
    path, rate = grown_database(count)
    return path, count, rate


@pytest.fixture(scope="session")
def site(grown_trial: tuple[Path, int, float | None],
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app on a copy of the grown database (the saves measured change it), with a bare
    route that renders base.html for a logged-in person: every page reads as a multiple of it."""
    from tests.benchmarks.grown import bench_app, wide_forms

    path, count, _rate = grown_trial
    copy = tmp_path_factory.mktemp("grown") / "edc.sqlite3"
    shutil.copyfile(path, copy)
    grown_app = bench_app(copy, wide_forms(count))

    @grown_app.route("/bench-bare")
    @login_required
    def bare() -> str:
        return render_template("base.html")

    yield grown_app
    grown_app.extensions["edc_engine"].dispose()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    from tests.benchmarks.grown import children
    from tests.benchmarks.measure import MEASURED, NOTES, table

    if not MEASURED and not NOTES:
        return
    terminalreporter.section("pages against the bare route (medians, interleaved)")
    for line in (*(table(children()) if MEASURED else ()), *NOTES):
        terminalreporter.write_line(line)
