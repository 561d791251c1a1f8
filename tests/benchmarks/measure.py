"""Timing a page against the bare route in the same run, interleaved: before each timed request
of the page, one request of the bare route is timed too, so both see the same machine load."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from werkzeug.test import TestResponse

from tests.support.queries import counted

ROUNDS = int(os.environ.get("EDC_BENCH_ROUNDS", "40"))
BUDGET_SECONDS = float(os.environ.get("EDC_BENCH_BUDGET", "20"))  # per page, rounds shrink to it
MAX_RATIO = 3.0  # issue 13: a nurse's page at most 3x the bare route


@dataclass
class Measured:
    page: str
    queries: int
    size: int
    rounds: int
    seconds: float  # medians: the page's wall-clock and processor time, and the bare route's
    bare_seconds: float
    cpu: float
    bare_cpu: float
    target: float | None = None

    @property
    def ratio(self) -> float:
        """Wall-clock time against the bare route's."""
        return self.seconds / self.bare_seconds

    @property
    def cpu_ratio(self) -> float:
        """Processor time against the bare route's: what the targets are checked on, as the
        machine may be shared (waiting for a processor is not the page's cost)."""
        return self.cpu / self.bare_cpu


MEASURED: dict[str, Measured] = {}
NOTES: list[str] = []  # other measurements, one line each, for the summary


def _whole(request: Callable[..., TestResponse], cpu: list[float]) -> Callable[..., TestResponse]:
    """request, its whole body read as a browser reads it (a download streams) and closed, its
    processor time appended to cpu."""

    def call(*arguments: Any) -> TestResponse:
        started = time.process_time()
        response = request(*arguments)
        response.get_data()
        response.close()
        cpu.append(time.process_time() - started)
        return response

    return call


def measure(benchmark: Any, app: Flask, page: str, call: Callable[..., TestResponse],
            bare: Callable[[], TestResponse], prepare: Callable[[], tuple] | None = None,
            *, target: float | None = MAX_RATIO, most_rounds: int | None = None) -> Measured:
    """Time call (with the arguments prepare gives each round) against bare, interleaved, and
    keep the medians for the summary; the page must answer 200 or a redirect."""
    page_cpu: list[float] = []
    bare_cpu: list[float] = []
    bare_seconds: list[float] = []
    timed_page, timed_bare = _whole(call, page_cpu), _whole(bare, bare_cpu)
    arguments = prepare() if prepare else ()
    with counted(app) as statements:
        started = time.perf_counter()
        response = timed_page(*arguments)
        once = time.perf_counter() - started
    assert response.status_code in (200, 302), (page, response.status_code, response.text[:500])
    page_cpu.clear()
    # A slow page (the clinic feed, an export at 10,000 children) gets as few as one round.
    rounds = min(most_rounds or ROUNDS, max(1, int(BUDGET_SECONDS / max(once, 1e-4))))

    def setup() -> tuple[tuple, dict]:
        started = time.perf_counter()
        timed_bare()
        bare_seconds.append(time.perf_counter() - started)
        return (prepare() if prepare else ()), {}

    benchmark.extra_info["page"] = page
    benchmark.pedantic(timed_page, setup=setup, rounds=rounds, iterations=1, warmup_rounds=0)
    measured = Measured(page, len(statements), len(response.data), rounds,
                        benchmark.stats.stats.median, statistics.median(bare_seconds),
                        statistics.median(page_cpu), statistics.median(bare_cpu), target)
    benchmark.extra_info.update(queries=measured.queries, ratio=round(measured.ratio, 2),
                                cpu_ratio=round(measured.cpu_ratio, 2))
    MEASURED[page] = measured
    return measured


def table(children: int) -> list[str]:
    """The measured pages as a Markdown table."""
    lines = [f"| page @{children:,} children | queries | bytes | median ms | x bare (wall) | "
             "x bare (processor) | rounds | target |", "|---|---|---|---|---|---|---|---|"]
    for m in MEASURED.values():
        lines.append(f"| {m.page} | {m.queries} | {m.size:,} | {m.seconds * 1000:.1f} | "
                     f"{m.ratio:.1f}x | {m.cpu_ratio:.1f}x | {m.rounds} | "
                     f"{f'<= {m.target:g}x' if m.target else '-'} |")
    return lines
