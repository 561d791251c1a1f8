"""The demo a new user meets: `edc demo` shows every state a child can be in, on any day it is
loaded, and every page each role can reach from it answers without an error and, for a blinded
role, without the arm."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from edc import db
from edc.app import context_for
from edc.cli.demo import DEMO_PASSWORD, DEMO_USERS, load_demo
from edc.models import Participant, Visit
from edc.protocol.study import Study
from edc.services import Operator
from tests.support.apps import Clock, make_app
from tests.support.pages import crawl as crawl_from
from tests.support.pages import giveaways

ROLE_OF = {role: user for user, role, _person in DEMO_USERS}


def _demo_app(database_url: str, study: Study, monkeypatch: pytest.MonkeyPatch,
              today: date) -> Flask:
    app = make_app(database_url, study, monkeypatch, clock=Clock(today), users=())
    with app.app_context():
        lines = list(load_demo(context_for(Operator("demo"))))
    assert lines[0] == "Demo data loaded: 8 children, a 40-entry allocation list, 5 accounts."
    return app


@pytest.fixture
def demo(database_url: str, study: Study, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    app = _demo_app(database_url, study, monkeypatch, date(2026, 12, 3))
    yield app
    app.extensions["edc_engine"].dispose()


def states(app: Flask) -> dict[str, tuple]:
    """Per child: status, infusions given, anchor, and each visit's code and status."""
    with app.app_context():
        children = db.session().scalars(select(Participant).order_by(Participant.code)).all()
        return {p.code: (p.status, tuple(i.number for i in p.infusions), p.anchor_infusion,
                         {v.code: v.status for v in p.visits}) for p in children}


def log_in(app: Flask, role: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"username": ROLE_OF[role], "password": DEMO_PASSWORD})
    assert response.status_code == 302, response.text
    return client


def crawl(client: FlaskClient) -> dict[str, str]:
    """Every page reachable by links from the home page, as the blinding test reads them."""
    return crawl_from(client, "/")


def scheduled(statuses: dict[str, str]) -> dict[str, str]:
    return {code: s for code, s in statuses.items() if re.fullmatch(r"[WM]\d\d", code)}


def check_every_state(found: dict[str, tuple]) -> None:
    done_all = dict.fromkeys(("W02", "W04", "W06", "W08", "M03", "M04", "M05", "M06", "M08",
                              "M10", "M12"), "done")
    assert found["AS-001"][:3] == ("completed", (1, 2), 2)
    assert found["AS-001"][3] == {"SCR": "done", **done_all}
    status, infusions, anchor, visits = found["AS-002"]
    assert (status, infusions, anchor, visits["SCR"], visits["W02"]) == (
        "enrolled", (1, 2), 2, "done", "done")
    assert found["AS-003"] == ("enrolled", (1,), None, {"SCR": "done"})
    assert found["AS-004"] == ("enrolled", (), None, {})
    assert found["AS-005"] == ("enrolled", (), None, {"SCR": "done"})
    status, infusions, anchor, visits = found["AS-006"]
    assert (status, infusions, anchor, len(scheduled(visits))) == ("enrolled", (1,), 1, 11)
    status, infusions, anchor, visits = found["AS-007"]
    assert status == "withdrawn"
    assert scheduled(visits) == {"W02": "done", "W04": "done", "W06": "missed", "W08": "done",
                                 "M03": "done", "M04": "missed", **dict.fromkeys(
                                     ("M05", "M06", "M08", "M10", "M12"), "cancelled")}
    status, infusions, anchor, visits = found["AS-008"]
    assert (status, infusions, visits["U01"], visits["W02"]) == (
        "enrolled", (1, 2), "done", "planned")


def test_the_demo_holds_a_child_in_every_state(demo: Flask) -> None:
    check_every_state(states(demo))


# A plain day, Spring Festival, National Day, a leap day and the turn of a year.
@pytest.mark.parametrize("today", ["2026-04-27", "2027-02-10", "2026-10-05", "2028-02-29",
                                   "2027-01-01"])
def test_the_demo_loads_with_every_state_on_any_day(
        database_url: str, study: Study, monkeypatch: pytest.MonkeyPatch, today: str) -> None:
    app = _demo_app(database_url, study, monkeypatch, date.fromisoformat(today))
    check_every_state(states(app))
    nurse = log_in(app, "nurse")
    with app.app_context():
        ids = db.session().scalars(select(Participant.id)).all()
    for pid in ids:
        assert nurse.get(f"/participants/{pid}").status_code == 200
    app.extensions["edc_engine"].dispose()


@pytest.mark.parametrize("role", list(ROLE_OF))
def test_every_page_of_the_demo_answers_for_every_role(demo: Flask, role: str) -> None:
    pages = crawl(log_in(demo, role))
    with demo.app_context():
        session = db.session()
        expected = {f"/participants/{pid}" for pid in session.scalars(select(Participant.id))}
        expected |= {f"/visits/{vid}" for vid in session.scalars(select(Visit.id))}
    assert len(expected) == 8 + 63
    assert expected <= set(pages), f"The crawl missed {sorted(expected - set(pages))}."
    if role != "unblinded":
        assert giveaways(pages) == [], f"{role} can see the arm."
    # Every link answered (no 403): the allocation list is linked for the pharmacist alone,
    # who finds the demo's list there.
    assert ("/admin/allocation" in pages) == (role == "unblinded")
    if role == "unblinded":
        assert '<dd data-count="entries">40</dd>' in pages["/admin/allocation"]


def test_the_demo_crawl_would_notice_the_arm(demo: Flask) -> None:
    """The unblinded role's crawl finds the arm, so the blinded check above can fail."""
    assert giveaways(crawl(log_in(demo, "unblinded")))


def test_the_crawl_fails_on_a_page_that_errors(demo: Flask) -> None:
    """A link that answers 500 makes the crawl fail, so a passing crawl means something."""

    @demo.route("/broken")
    def broken() -> str:
        raise RuntimeError("a page that breaks")

    client: FlaskClient = log_in(demo, "nurse")
    respond: Callable = client.get
    client.get = lambda url, *a, **k: (respond("/broken") if url == "/participants/"  # type: ignore[method-assign]
                                       else respond(url, *a, **k))
    with pytest.raises(AssertionError, match="500"):
        crawl(client)
