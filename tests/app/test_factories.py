"""The factories make each state the way the nurse's forms would: what the pages then show."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support import factories
from tests.support.pages import page
from tests.support.records import infusions, participant, visits_of

# state: (participant status, infusions given, the visits done)
EXPECTED = {
    "enrolled": ("enrolled", [], []),
    "screened": ("enrolled", [], ["SCR"]),
    "infusion 1": ("enrolled", [1], []),
    "scheduled": ("enrolled", [1, 2], []),
    "with results": ("enrolled", [1, 2], ["W02", "W04"]),
    "withdrawn": ("withdrawn", [1, 2], ["W02", "W04"]),
    "completed": ("completed", [1, 2], []),  # every follow-up visit: counted below
}


@pytest.mark.parametrize("state", factories.STATES)
def test_each_state_is_stored_and_shown_as_its_name_says(
    app: Flask, allocation: None, nurse: FlaskClient, state: str
) -> None:
    pid = factories.child(app, state)
    status, given, done = EXPECTED[state]
    visits = visits_of(app, pid)
    if state == "completed":
        done = [code for code in visits if code != "SCR"]
        assert len(done) == 11
    assert participant(app, pid).status == status
    assert sorted(infusions(app, pid)) == given
    assert sorted(code for code, v in visits.items() if v.status == "done") == sorted(done)
    shown = page(nurse.get(f"/participants/{pid}")).rows
    for code in done:
        assert f"done ({visits[code].actual_date.isoformat()}" in shown[code].text, code


def test_an_unknown_state_is_refused_naming_the_states(app: Flask, allocation: None) -> None:
    with pytest.raises(ValueError, match="Got 'lost'. Expected one of enrolled, screened"):
        factories.child(app, "lost")
