"""Every page reads indexed ranges of the big tables, never every row: asked of the database
itself (EXPLAIN) for each statement a page runs, on every page each role reaches from the
worklist by its links, in a trial with a child in every state. On SQLite the plans are those of a
database without statistics, as the app's own is; on PostgreSQL sequential scans are priced out
(enable_seqscan off), so one still planned means no index serves the statement.
"""

from __future__ import annotations

import re
from collections import deque

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from tests.support.factories import STATES, add_children, child

# Tables that grow with the children; the small ones (accounts, locks) may be read whole.
BIG = ("visit", "participant", "infusion", "result", "log_entry", "audit_event",
       "audit_entry", "data_query")
# Partial indexes that hold only the rows their statement counts: scanning one reads no more.
PARTIAL = ("ix_visit_results_missing", "ix_visit_sample_deviation")
# The participant list says how many children there are and how many match: a count that
# reads every child (from an index), and the one statement that may.
COUNTS_CHILDREN = "SELECT count(*) AS count_1, count(CASE WHEN"


def _statements(app: Flask, client: FlaskClient, url: str) -> list[tuple[str, object]]:
    seen: list[tuple[str, object]] = []

    def keep(_conn, _cursor, statement, parameters, *_args) -> None:
        seen.append((statement, parameters))

    engine = app.extensions["edc_engine"]
    event.listen(engine, "before_cursor_execute", keep)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    return [(s, p) for s, p in seen if s.lstrip().upper().startswith("SELECT")]


def _whole_table_reads(app: Flask, statements: list[tuple[str, object]]) -> list[str]:
    engine = app.extensions["edc_engine"]
    found = []
    with engine.connect() as connection:
        postgres = engine.dialect.name == "postgresql"
        if postgres:
            connection.exec_driver_sql("SET enable_seqscan = off")
        for statement, parameters in statements:
            explain = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
            plan = [str(row[-1]) for row in
                    connection.exec_driver_sql(explain + statement, parameters)]
            for line in plan:
                scanned = (re.search(r"Seq Scan on (\w+)", line) if postgres
                           else re.search(r"\bSCAN (\w+)(?! USING INDEX (\w+))", line))
                partial = re.search(r"SCAN \w+ USING INDEX (\w+)", line)
                if partial and partial.group(1) in PARTIAL:
                    continue
                if scanned and scanned.group(1) == "participant" and statement.startswith(
                        COUNTS_CHILDREN):
                    continue
                if scanned and scanned.group(1) in BIG:
                    found.append(f"{line.strip()}\n  in: {' '.join(statement.split())[:300]}")
    return found


@pytest.mark.parametrize("url", ["/", "/?week=%2B1", "/participants/",
                                 "/participants/?q=AS-00", "/participants/?status=enrolled",
                                 "/participants/?due=overdue"])
def test_a_nurses_lists_read_indexed_ranges_of_the_big_tables(
    app: Flask, nurse: FlaskClient, allocation: None, url: str
) -> None:
    add_children(app, 1, 2)
    statements = _statements(app, nurse, url)
    assert statements
    assert _whole_table_reads(app, statements) == []


# Links not followed: leaving, files and exports (they read the whole trial by design, a
# stream), and switching the language.
NOT_FOLLOWED = ("/logout", "/static/", "/exports", ".csv", ".ics", ".xpt", "language")


def _crawl(app: Flask, client: FlaskClient) -> dict[str, list[str]]:
    """Each whole-table read, with the pages (ids as N) whose statements make it."""
    found: dict[str, list[str]] = {}
    seen: set[str] = set()
    todo = deque(["/"])
    while todo:
        url = todo.popleft()
        shape = re.sub(r"\d+", "N", url)
        if url in seen or shape in seen:
            continue
        seen |= {url, shape}
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        todo.extend(link.replace("&amp;", "&")
                    for link in re.findall(r'href="(/[^"#]*)"', response.text)
                    if not any(part in link for part in NOT_FOLLOWED))
        for read in _whole_table_reads(app, _statements(app, client, url)):
            found.setdefault(read, []).append(shape)
    assert len(seen) > 20, "the crawl found too few pages to mean anything"
    return found


@pytest.mark.parametrize("role", ["nurse", "investigator", "monitor", "unblinded", "admin"])
def test_every_page_a_role_reaches_reads_indexed_ranges(
    app: Flask, as_role, allocation: None, role: str
) -> None:
    for n, state in enumerate(STATES, start=1):
        child(app, state, f"AS-{n:03d}")
    assert _crawl(app, as_role(role)) == {}


def test_the_check_finds_a_statement_that_reads_every_visit(app: Flask) -> None:
    statements = [("SELECT count(*) FROM visit WHERE visit.label = 'W02'", {})]
    assert len(_whole_table_reads(app, statements)) == 1
