"""Queries on stored values as a monitor, a nurse and an investigator use them: raised on a
W02 creatinine, seen on the value, the visit and the worklist, answered, closed, re-opened and
answered by a correction; refusals at the field; stale forms; who may do what; the automatic
queries of a sample outside its window and of a lab eGFR far from the computed one; the counts
each role has waiting; a fixed number of statements per page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from edc import db, services
from edc.app import context_for
from edc.models import AuditEvent, DataQuery, Result, Visit
from tests.support import factories
from tests.support.apps import SET_UP, allocation_csv
from tests.support.forms import results_form
from tests.support.pages import html_of, page
from tests.support.queries import queries_for


@pytest.fixture
def pid(app: Flask, allocation: None) -> int:
    return factories.child(app, "with results")


def _visit_id(app: Flask, pid: int, code: str) -> int:
    with app.app_context():
        return db.session().scalars(select(Visit.id).where(
            Visit.participant_id == pid, Visit.code == code)).one()


def _result_id(app: Flask, pid: int, code: str, key: str) -> int:
    with app.app_context():
        return db.session().scalars(select(Result.id).join(Visit).where(
            Visit.participant_id == pid, Visit.code == code, Result.field == key)).one()


def _queries(app: Flask) -> list[DataQuery]:
    with app.app_context():
        found = list(db.session().scalars(select(DataQuery).order_by(DataQuery.id)))
        db.session().expunge_all()
        return found


def _raise(client: FlaskClient, entity: str, entity_id: int, field: str, text: str,
           **more: str) -> Any:
    return client.post("/queries/new", data={"entity": entity, "entity_id": str(entity_id),
                                             "field": field, "text": text, **more})


def _version(app: Flask, qid: int) -> str:
    with app.app_context():
        return str(db.session().get(DataQuery, qid).version)


def test_a_query_on_a_w02_creatinine_lives_in_protocol_order(
        app: Flask, as_role: Any, nurse: FlaskClient, pid: int) -> None:
    monitor = as_role("monitor")
    visit = _visit_id(app, pid, "W02")
    creatinine = _result_id(app, pid, "W02", "creatinine")
    response = _raise(monitor, "result", creatinine, "value",
                      "The lab report says 44 µmol/L.", next=f"/visits/{visit}")
    assert response.status_code == 302, page(response).errors
    assert response.location == f"/visits/{visit}"
    [query] = _queries(app)
    assert (query.status, query.raised_by, query.text, query.rule) == (
        "open", "monitor", "The lab report says 44 µmol/L.", None)

    # The nurse sees it on the value, on the visit, in the worklist and in the header.
    shown = html_of(nurse.get(f"/visits/{visit}"))
    assert f'data-query="{query.id}"' in shown
    assert "Queries on this visit: 1 open, 0 answered" in shown
    worklist = html_of(nurse.get("/"))
    assert "Queries (1)" in worklist
    assert "AS-001" in worklist and "W02" in worklist and "Serum creatinine" in worklist
    assert "The lab report says 44 µmol/L." in worklist

    # The nurse answers it with a text.
    qpage = page(nurse.get(f"/queries/{query.id}"))
    assert "40 µmol/L" in qpage.text
    response = nurse.post(f"/queries/{query.id}/answer", data={
        "answer": "Checked: the report says 40.", "version": _version(app, query.id)})
    assert response.status_code == 302, page(response).errors
    [query] = _queries(app)
    assert (query.status, query.answer, query.answered_by) == (
        "answered", "Checked: the report says 40.", "nurse")
    assert "Queries (1)" in html_of(monitor.get("/"))  # the monitor has one to close
    assert "Queries (1)" not in html_of(nurse.get("/"))

    # The monitor closes it, then re-opens it saying why.
    response = monitor.post(f"/queries/{query.id}/close",
                            data={"version": _version(app, query.id)})
    assert response.status_code == 302
    assert _queries(app)[0].status == "closed"
    response = monitor.post(f"/queries/{query.id}/reopen", data={
        "reason": "The second page of the report says 44.", "version": _version(app, query.id)})
    assert response.status_code == 302, page(response).errors
    assert _queries(app)[0].status == "open"

    # The nurse corrects the value with a reason: the correction answers the query.
    data = results_form(nurse, visit, sample_date=_sample_date(app, visit),
                        creatinine=("44", "umol/L"), reason="Transcription error")
    response = nurse.post(f"/visits/{visit}", data=data)
    assert response.status_code == 302, page(response).errors
    [query] = _queries(app)
    assert (query.status, query.answered_by) == ("answered", "nurse")
    thread = html_of(nurse.get(f"/queries/{query.id}"))
    assert "corrected the value, which answers the query: 40 µmol/L → 44 µmol/L " \
           "(Transcription error)" in thread
    for step in ("raised the query: The lab report says 44 µmol/L.",
                 "answered: Checked: the report says 40.", "closed the query",
                 "re-opened the query: The second page of the report says 44."):
        assert step in thread
    with app.app_context():
        fields = [r.field for r in db.session().scalars(select(AuditEvent).where(
            AuditEvent.entity == "data_query", AuditEvent.entity_id == query.id))]
    assert fields.count("status") >= 4  # raised, answered, closed, re-opened, corrected


def _sample_date(app: Flask, visit: int) -> str:
    with app.app_context():
        return db.session().get(Visit, visit).actual_date.isoformat()


def test_the_page_reads_chinese_first(app: Flask, as_role: Any, pid: int) -> None:
    monitor = as_role("monitor")
    creatinine = _result_id(app, pid, "W02", "creatinine")
    _raise(monitor, "result", creatinine, "value", "请核对化验单")
    [query] = _queries(app)
    monitor.post("/language", data={"language": "zh_CN", "next": "/"})
    shown = html_of(monitor.get(f"/queries/{query.id}"))
    assert "发起了质疑" in shown and "请核对化验单" in shown


def test_refusals_stay_at_the_field_with_the_typing_kept(
        app: Flask, as_role: Any, nurse: FlaskClient, pid: int) -> None:
    monitor = as_role("monitor")
    creatinine = _result_id(app, pid, "W02", "creatinine")
    response = _raise(monitor, "result", creatinine, "value", "   ")
    assert response.status_code == 422
    assert page(response).errors.get("text") == ["Say what is doubtful about the value."]
    assert _queries(app) == []
    assert _raise(monitor, "result", creatinine, "value", "Check it.").status_code == 302
    response = _raise(monitor, "result", creatinine, "value", "Check it again, please.")
    assert response.status_code == 422
    [query] = _queries(app)
    assert f"Query {query.id} on this value is open already" in html_of(response)
    assert "Check it again, please." in html_of(response)  # what was typed is kept
    response = nurse.post(f"/queries/{query.id}/answer",
                          data={"answer": "", "version": _version(app, query.id)})
    assert response.status_code == 422
    assert page(response).errors.get("answer") == ["Write the answer."]
    response = monitor.post(f"/queries/{query.id}/close",
                            data={"version": _version(app, query.id)})
    assert "Only an answered query is closed; this one is open." in html_of(response)
    nurse.post(f"/queries/{query.id}/answer",
               data={"answer": "Fine.", "version": _version(app, query.id)})
    response = monitor.post(f"/queries/{query.id}/reopen", data={
        "reason": "", "version": _version(app, query.id)})
    assert response.status_code == 422
    assert page(response).errors.get("reason") == ["Say why the query is re-opened."]
    # A value of another child is not this child's to ask about.
    other = factories.child(app, "with results", code="AS-002")
    response = _raise(monitor, "result", _result_id(app, other, "W02", "urea"), "nonsense",
                      "x")
    assert response.status_code == 422


def test_a_stale_form_is_refused_and_the_typing_kept(
        app: Flask, as_role: Any, nurse: FlaskClient, pid: int) -> None:
    monitor = as_role("monitor")
    _raise(monitor, "result", _result_id(app, pid, "W02", "creatinine"), "value", "Check.")
    [query] = _queries(app)
    opened = _version(app, query.id)
    investigator = as_role("investigator")
    assert investigator.post(f"/queries/{query.id}/answer", data={
        "answer": "Checked.", "version": opened}).status_code == 302
    response = nurse.post(f"/queries/{query.id}/answer", data={
        "answer": "My own answer.", "version": opened})
    assert response.status_code == 409
    shown = html_of(response)
    assert "was changed by someone else" in shown
    assert "My own answer." in shown  # what was typed is kept
    assert _queries(app)[0].answer == "Checked."


def test_roles_nurse_cannot_raise_or_close_monitor_cannot_answer(
        app: Flask, as_role: Any, nurse: FlaskClient, pid: int) -> None:
    monitor = as_role("monitor")
    creatinine = _result_id(app, pid, "W02", "creatinine")
    assert _raise(nurse, "result", creatinine, "value", "Mine.").status_code == 403
    _raise(monitor, "result", creatinine, "value", "Check.")
    [query] = _queries(app)
    version = _version(app, query.id)
    assert monitor.post(f"/queries/{query.id}/answer",
                        data={"answer": "x", "version": version}).status_code == 403
    nurse.post(f"/queries/{query.id}/answer", data={"answer": "ok", "version": version})
    version = _version(app, query.id)
    assert nurse.post(f"/queries/{query.id}/close",
                      data={"version": version}).status_code == 403
    assert nurse.post(f"/queries/{query.id}/reopen",
                      data={"reason": "x", "version": version}).status_code == 403
    shown = html_of(nurse.get(f"/queries/{query.id}"))
    assert "Close the query" not in shown and "Re-open" not in shown
    assert "Raise a query" not in html_of(nurse.get(f"/visits/{_visit_id(app, pid, 'W02')}"))
    assert "Raise a query" in html_of(monitor.get(f"/visits/{_visit_id(app, pid, 'W04')}"))
    assert "Close the query" in html_of(monitor.get(f"/queries/{query.id}"))


def test_queries_on_enrolment_infusion_and_log_entry(
        app: Flask, as_role: Any, pid: int) -> None:
    investigator = as_role("investigator")
    assert _raise(investigator, "participant", pid, "weight_kg", "Weight at consent?") \
        .status_code == 302
    shown = html_of(investigator.get(f"/participants/{pid}"))
    assert "Weight at consent?" in shown and "Raise a query" in shown
    with app.app_context():
        from edc.models import Infusion
        infusion = db.session().scalars(select(Infusion.id).where(
            Infusion.participant_id == pid, Infusion.number == 2)).one()
    assert _raise(investigator, "infusion", infusion, "product_lot", "Lot on the label?") \
        .status_code == 302
    number = factories.log_entry(app, pid, "adverse_events", {
        "term": "Fever", "onset_date": factories.INFUSION_1, "end_date": factories.INFUSION_1,
        "ongoing": "no", "grade": "2", "serious": "no", "relation": "PROBABLE",
        "infusion": "1", "action": ["MEDICATION"], "outcome": "RECOVERED"})
    with app.app_context():
        from edc.models import LogEntry
        entry = db.session().scalars(select(LogEntry.id).where(
            LogEntry.participant_id == pid, LogEntry.number == number)).one()
    assert _raise(investigator, "log_entry", entry, "grade", "Grade 2 or 3?").status_code == 302
    shown = html_of(investigator.get(f"/participants/{pid}/log/adverse_events/{number}"))
    assert "Grade 2 or 3?" in shown
    listed = html_of(investigator.get("/queries?status=open&code=AS-001"))
    for words in ("Enrolment · Weight (kg)", "Infusion 2 · Product lot", "Grade"):
        assert words in listed
    # The mark sits on the value itself: the weight at enrolment, the grade of the event.
    monitor = as_role("monitor")
    weight = re.search(r"<dt>Weight \(kg\)</dt><dd>(.*?)</dd>",
                       monitor.get(f"/participants/{pid}").text, re.S).group(1)
    assert "query-mark" in weight and "open" in weight
    grade = re.search(r'<dd data-item="grade">(.*?)</dd>', monitor.get(
        f"/participants/{pid}/log/adverse_events/{number}").text, re.S).group(1)
    assert "query-mark" in grade
    term = re.search(r'<dd data-item="term">(.*?)</dd>', monitor.get(
        f"/participants/{pid}/log/adverse_events/{number}").text, re.S).group(1)
    assert "query-mark" not in term


def _with_egfr(app: Flask, pid: int, code: str, lab: str, **more: Any) -> None:
    days = factories.targets(app, pid)
    factories.enter_results(app, pid, code, days[code], egfr_lab=(lab, ""), **more)


def test_automatic_queries_for_a_sample_outside_its_window(
        app: Flask, as_role: Any, allocation: None) -> None:
    pid = factories.child(app, "scheduled")
    with app.app_context():
        visit = db.session().scalars(select(Visit).where(
            Visit.participant_id == pid, Visit.code == "W02")).one()
        late = visit.window_end
    from datetime import timedelta
    factories.enter_results(app, pid, "W02", late + timedelta(days=5), reason="Late sample")
    window = [q for q in _queries(app) if q.rule == "sample_window"]
    assert len(window) == 1
    assert window[0].raised_by == "system" and window[0].entity == "visit"
    assert window[0].text.startswith("Sample taken 5 days after its window")
    # The child's history names who raised it in words, not by the trail's account name.
    monitor = as_role("monitor")
    history = html_of(monitor.get(f"/participants/{pid}/history"))
    assert '<td class="who">the study&#39;s checks</td>' in history
    assert '<td class="who">system</td>' not in history
    monitor.post("/language", data={"language": "zh_CN", "next": "/"})
    chinese = html_of(monitor.get(f"/participants/{pid}/history"))
    assert '<td class="who">研究自动核查</td>' in chinese
    # Saved again (corrected) while the query is not closed: not raised twice.
    factories.enter_results(app, pid, "W02", late + timedelta(days=5), reason="Fix",
                            urea=("4.3", "mmol/L"))
    assert len([q for q in _queries(app) if q.rule == "sample_window"]) == 1
    factories.enter_results(app, pid, "W04", factories.targets(app, pid)["W04"])
    assert len([q for q in _queries(app) if q.rule == "sample_window"]) == 1


def test_automatic_queries_for_a_lab_egfr_on_both_sides_of_the_threshold(
        app: Flask, as_role: Any, allocation: None) -> None:
    pid = factories.child(app, "scheduled")
    # The computed reference with the test's results, then lab values around the threshold.
    _with_egfr(app, pid, "W02", "65")
    with app.app_context():
        from edc.read.participants import load_participant, trend_for
        participant = load_participant(db.session(), pid)
        s = app.extensions["edc_study"]
        row = trend_for(participant, s.results, s.outcomes).rows[0]
        reference, limit = row.summary.egfr_reference, s.outcomes.lab_difference_percent
    [auto] = [q for q in _queries(app) if q.rule == "egfr_lab_difference"]
    assert "below the computed" in auto.text
    # Just inside the threshold: no query; at it: one.
    inside = reference * (1 + (limit - 1) / 100)
    over = reference * (1 + (limit + 1) / 100)
    _with_egfr(app, pid, "W04", f"{inside:.0f}")
    assert len([q for q in _queries(app) if q.rule == "egfr_lab_difference"]) == 1
    _with_egfr(app, pid, "W08", f"{over:.0f}")
    autos = [q for q in _queries(app) if q.rule == "egfr_lab_difference"]
    assert len(autos) == 2
    assert f"Lab eGFR {over:.0f} is" in autos[1].text and "above the computed" in autos[1].text
    monitor = as_role("monitor")
    shown = html_of(monitor.get(f"/queries/{autos[1].id}"))
    assert "the study’s checks" in shown and autos[1].text in shown
    monitor.post("/language", data={"language": "zh_CN", "next": "/"})
    shown = html_of(monitor.get(f"/queries/{autos[1].id}"))
    assert autos[1].text not in shown  # shown in Chinese
    assert f"{over:.0f}" in shown


def test_blinded_query_pages_never_show_the_arm(
        app: Flask, as_role: Any, nurse: FlaskClient, pid: int) -> None:
    monitor = as_role("monitor")
    _raise(monitor, "result", _result_id(app, pid, "W02", "creatinine"), "value", "Check.")
    [query] = _queries(app)
    with app.app_context():
        arms = [a.label for a in app.extensions["edc_study"].arms] + [
            a.label_zh for a in app.extensions["edc_study"].arms]
    for client in (nurse, monitor):
        for url in ("/queries", f"/queries/{query.id}", "/queries?status=all"):
            shown = html_of(client.get(url))
            assert not any(arm in shown for arm in arms), url


def test_counts_per_role(app: Flask, as_role: Any, nurse: FlaskClient, pid: int) -> None:
    monitor, investigator = as_role("monitor"), as_role("investigator")
    for key in ("creatinine", "urea"):
        _raise(monitor, "result", _result_id(app, pid, "W02", key), "value", "Check.")
    first, second = _queries(app)
    nurse.post(f"/queries/{first.id}/answer",
               data={"answer": "ok", "version": _version(app, first.id)})
    assert "Queries (1)" in html_of(nurse.get("/"))  # one open to answer
    assert "Queries (1)" in html_of(monitor.get("/"))  # one answered to close
    assert "Queries (2)" in html_of(investigator.get("/"))  # both
    admin = as_role("admin")
    assert "Queries (" not in html_of(admin.get("/"))


def test_the_list_runs_the_same_statements_for_3_and_12_children(
        app: Flask, as_role: Any) -> None:
    with app.app_context():
        services.load_allocation(context_for(SET_UP), allocation_csv(pairs=6))
    monitor = as_role("monitor")

    def children(first: int, last: int) -> None:
        for n in range(first, last + 1):
            pid = factories.child(app, "with results", code=f"AS-{n:03d}")
            _raise(monitor, "result", _result_id(app, pid, "W02", "creatinine"), "value", "?")
            _raise(monitor, "participant", pid, "height_cm", "?")

    children(1, 3)
    few = {url: queries_for(app, monitor, url) for url in ("/queries", "/", "/queries/1")}
    children(4, 12)
    many = {url: queries_for(app, monitor, url) for url in ("/queries", "/", "/queries/1")}
    assert few == many


def test_a_value_has_one_open_query_at_a_time_whatever_its_answered_ones(
        app: Flask, as_role: Any, nurse: FlaskClient, pid: int) -> None:
    monitor = as_role("monitor")
    creatinine = _result_id(app, pid, "W02", "creatinine")
    assert _raise(monitor, "result", creatinine, "value", "Check it.").status_code == 302
    [first] = _queries(app)
    answered = nurse.post(f"/queries/{first.id}/answer", data={
        "answer": "As on the lab report.", "version": _version(app, first.id)})
    assert answered.status_code == 302
    # The first is answered, not closed: a second question may be asked ...
    assert _raise(monitor, "result", creatinine, "value", "And the unit?").status_code == 302
    second = _queries(app)[-1]
    # ... but while it is open, neither a third one nor the first re-opened.
    response = _raise(monitor, "result", creatinine, "value", "A third question.")
    assert response.status_code == 422
    assert f"Query {second.id} on this value is open already" in html_of(response)
    response = monitor.post(f"/queries/{first.id}/reopen", data={
        "reason": "Not convinced.", "version": _version(app, first.id)})
    assert response.status_code == 422
    assert "Another query on this value is open: answer that one first." in html_of(response)
    assert [(q.id, q.status) for q in _queries(app)] == [(first.id, "answered"),
                                                         (second.id, "open")]
