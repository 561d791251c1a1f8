"""The audit trail's reads: what changed on a visit since a form was opened, and whose rows a
child's trail holds. (Blinding of the trail: test_blinding.py; wording: test_audit.py.)"""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from edc import db
from edc.read import history
from tests.support.forms import results_form
from tests.support.records import visit_id


def _save(client: FlaskClient, visit: int, **changes) -> None:
    response = client.post(f"/visits/{visit}", data=results_form(client, visit, **changes))
    assert response.status_code == 302, response.text


def test_changes_since_hold_the_visits_later_rows_a_deleted_result_included(
    app: Flask, nurse: FlaskClient, scheduled: int
) -> None:
    w04, w06 = visit_id(app, scheduled, "W04"), visit_id(app, scheduled, "W06")
    _save(nurse, w06)
    with app.app_context():
        mark = history.watermark(db.session())
    _save(nurse, w06, cystatin_c=("", ""), creatinine=("42", "umol/L"), reason="typo")
    _save(nurse, w04)  # another visit of the same child, after the mark too
    with app.app_context():
        rows = history.changes_since(db.session(), scheduled, w06, mark)
        everything = history.visit_trail(db.session(), scheduled, w04)
    assert rows and all(row.id > mark for row in rows)
    assert any(row.entity == "result" and row.action == "delete" for row in rows)  # cystatin C
    assert ("result", "update", "typed_value", "40", "42") in {
        (row.entity, row.action, row.field, row.old, row.new) for row in rows}
    w04_rows = {row.id for row in everything
                if (row.entity, row.entity_id) == ("visit", w04)}
    assert w04_rows and not w04_rows & {row.id for row in rows}
    with app.app_context():
        assert history.changes_since(db.session(), scheduled, w06,
                                     history.watermark(db.session())) == []


def test_a_childs_trail_holds_only_its_own_rows(
    app: Flask, nurse: FlaskClient, scheduled: int
) -> None:
    w06 = visit_id(app, scheduled, "W06")
    _save(nurse, w06)
    with app.app_context():
        session = db.session()
        mine = history.participant_trail(session, "nurse", scheduled)
        assert mine and {row.participant_id for row in mine} == {scheduled}
        assert history.participant_trail(session, "nurse", scheduled + 1000) == []
        visit = history.visit_trail(session, scheduled, w06)
        assert {row.entity for row in visit} == {"visit", "result"}
        assert {row.id for row in visit} < {row.id for row in mine}
        # Only that visit's rows and its results': none of another visit's.
        assert {row.entity_id for row in visit if row.entity == "visit"} == {w06}
