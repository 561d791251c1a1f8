"""The outcome summary as the data monitoring committee reads it: per visit, the children due,
those with data, remissions and improvement with 95 % Wilson intervals, the missing; pooled
for every blinded role, by arm only for the unblinded one; a CSV; a fixed number of queries."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Flask
from sqlalchemy import select

from edc import db
from edc.models import AuditEvent
from tests.support import factories
from tests.support.factories import INFUSION_1, INFUSION_2, SCREENING
from tests.support.pages import page
from tests.support.queries import queries_for

# W02 of each child (today is 2026-04-27: W02 and W04 are due, W06's window is open).
UPCR = {"AS-001": "0.15", "AS-002": "0.2", "AS-003": "0.9"}  # baseline 0.45 for all


def child_with_w02(app: Flask, code: str, upcr: str) -> int:
    pid = factories.child(app, "screened", code)
    factories.infuse(app, pid, 1, INFUSION_1)
    factories.infuse(app, pid, 2, INFUSION_2)
    w02 = factories.targets(app, pid)["W02"]
    factories.enter_results(app, pid, "W02", w02, upcr=(upcr, "mg/mg"))
    return pid


def test_the_summary_counts_each_visit_pooled_with_wilson_intervals(
        app: Flask, allocation: None, as_role: Any) -> None:
    for code, upcr in UPCR.items():
        child_with_w02(app, code, upcr)
    assert SCREENING < INFUSION_1
    shown = page(as_role("monitor").get("/outcomes"))
    rows = {row[0]: row for row in shown.table_rows if row and row[0] in ("W02", "W04", "W06")}
    # W02: 3 due, 3 judged: 0.15 and 0.2 complete (at or below 0.2), 0.9 none (a 100 % rise).
    assert rows["W02"][:6] == ["W02", "3", "3", "2/3 (67 %, 21–94 %)", "0/3 (0 %, 0–56 %)",
                               "1/3 (33 %, 6–79 %)"]
    assert rows["W02"][-1] == "0/3 (0 %, 0–56 %)"
    # W04: due (its window closed), no results: all missing.
    assert rows["W04"][1:4] == ["3", "0", "—"] and rows["W04"][-1] == "3/3 (100 %, 44–100 %)"
    assert rows["W06"][1:3] == ["0", "0"]  # its window is open: not due yet
    assert "Complete remission: UPCR at or below 0.2 mg/mg (20 mg/mmol)." in shown.text
    assert "Arm:" not in shown.text
    for arm in app.extensions["edc_study"].arms:
        assert arm.label not in shown.text


def test_only_the_unblinded_role_sees_it_by_arm(app: Flask, allocation: None,
                                                 as_role: Any) -> None:
    for code, upcr in UPCR.items():
        child_with_w02(app, code, upcr)
    text = page(as_role("unblinded").get("/outcomes")).text
    arms = app.extensions["edc_study"].arms
    assert sum(f"Arm: {arm.code}" in text for arm in arms) >= 1  # in English, by its code
    by_arm = as_role("unblinded").post("/outcomes.csv")
    assert by_arm.headers["Content-Disposition"].startswith(
        'attachment; filename="NCT06731192-outcomes-unblinded-')
    groups = {row[0] for row in csv.reader(io.StringIO(by_arm.text))} - {"group"}
    assert "pooled" in groups and groups - {"pooled"} <= {arm.code for arm in arms}
    blinded = as_role("investigator").post("/outcomes.csv")
    assert blinded.headers["Content-Disposition"].startswith(
        'attachment; filename="NCT06731192-outcomes-2')
    # Each download is in the audit trail: who, which file, whether it held the arms.
    with app.app_context():
        kept = db.session().execute(select(AuditEvent.username, AuditEvent.reason, AuditEvent.new)
                                    .where(AuditEvent.entity == "export",
                                           AuditEvent.field == "outcomes")
                                    .order_by(AuditEvent.id)).all()
    assert [(who, held) for who, held, _name in kept] == [("unblinded", "unblinded"),
                                                         ("investigator", "blinded")]
    assert [name for _who, _held, name in kept] == [
        by_arm.headers["Content-Disposition"].split('"')[1],
        blinded.headers["Content-Disposition"].split('"')[1]]
    assert as_role("investigator").get("/outcomes.csv").status_code == 405
    rows = list(csv.reader(io.StringIO(blinded.text)))
    assert {row[0] for row in rows[1:]} == {"pooled"}
    w02 = next(row for row in rows if row[1] == "W02")
    header = rows[0]
    assert (w02[header.index("complete_x")], w02[header.index("complete_n")],
            w02[header.index("complete_wilson95_low")]) == ("2", "3", "0.2077")
    assert as_role("nurse").get("/outcomes").status_code == 403


def test_the_page_runs_the_same_queries_for_few_and_more_children(
        app: Flask, allocation: None, as_role: Any) -> None:
    monitor = as_role("monitor")
    child_with_w02(app, "AS-001", "0.15")
    few = queries_for(app, monitor, "/outcomes")
    for code in ("AS-002", "AS-003"):
        child_with_w02(app, code, "0.3")
    assert queries_for(app, monitor, "/outcomes") == few


def test_a_child_measured_without_a_baseline_is_not_assessable_not_missing(
        app: Flask, allocation: None, as_role: Any) -> None:
    child_with_w02(app, "AS-001", "0.15")
    # AS-002 had no screening visit: its W02 is measured, with nothing to judge it against.
    pid = factories.child(app, "enrolled", "AS-002")
    factories.infuse(app, pid, 1, INFUSION_1)
    factories.infuse(app, pid, 2, INFUSION_2)
    factories.enter_results(app, pid, "W02", factories.targets(app, pid)["W02"],
                            upcr=("0.3", "mg/mg"))
    shown = page(as_role("monitor").get("/outcomes"))
    assert "Renal function improved Not assessable Missing data" in shown.text
    w02 = next(row for row in shown.table_rows if row and row[0] == "W02")
    assert w02[1:3] == ["2", "1"] and w02[-2:] == ["1/2 (50 %, 9–91 %)", "0/2 (0 %, 0–66 %)"]
    w04 = next(row for row in shown.table_rows if row and row[0] == "W04")
    assert w04[-2:] == ["0/2 (0 %, 0–66 %)", "2/2 (100 %, 34–100 %)"]
    assert "Not assessable: due and measured, but without a baseline" in shown.text
