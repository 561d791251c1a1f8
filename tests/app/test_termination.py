"""Withdrawing a child records the early termination (forms/termination.toml): the reason by
category, an adverse event linked to it, words for another reason, the date checked against
consent and today and the last contact against it; the visits to come are cancelled; all of it
audited, refused whole with the message at its field, in Chinese and English."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from edc import db
from edc.models import LogEntry
from tests.support import factories
from tests.support.audit import audit_count, audit_rows
from tests.support.forms import submit, withdrawal_form
from tests.support.pages import page
from tests.support.records import participant, visits_of
from tests.support.results import add_visit, refused, saved

FEVER = {"term": "Fever", "onset_date": "2026-03-02", "end_date": "2026-03-03",
         "ongoing": "no", "grade": "2", "serious": "no", "relation": "PROBABLE",
         "infusion": "1", "action": ["MEDICATION"], "outcome": "RECOVERED"}
RASH = {**FEVER, "term": "Rash", "onset_date": "2026-03-17", "end_date": "", "ongoing": "yes",
        "grade": "3", "infusion": "2", "outcome": "NOT_RECOVERED"}


def withdraw(client: FlaskClient, pid: int, headers: dict[str, str] | None = None,
             **items: str) -> Any:
    return submit(client, f"/participants/{pid}/withdraw", withdrawal_form(**items),
                  headers=headers or {})


def terminations(app: Flask) -> list[LogEntry]:
    with app.app_context():
        return list(db.session().scalars(select(LogEntry).where(
            LogEntry.form == "termination")))


def record_events(client: FlaskClient, pid: int, *events: dict[str, Any]) -> None:
    for event in events:
        response = client.post(f"/participants/{pid}/log/adverse_events/new", data=event)
        assert response.status_code == 302, page(response).errors


def facts(html: str) -> dict[str, str]:
    """The participant page's facts, label -> text."""
    found = re.findall(r"<dt>(.*?)</dt>\s*<dd[^>]*>(.*?)</dd>", html, re.S)
    return {label: " ".join(re.sub(r"<[^>]+>", " ", value).split()) for label, value in found}


@pytest.mark.parametrize(("code", "detail", "summary"), [
    ("CONSENT", "", "Consent withdrawn"),
    ("LOST", "No answer to calls since March", "Lost to follow-up: No answer to calls since March"),
    ("INVESTIGATOR", "", "Investigator's decision"),
    ("DEATH", "", "Death"),
    ("OTHER", "Family moved abroad", "Other: Family moved abroad"),
])
def test_each_reason_is_stored_by_category_and_summed_up_in_the_status(
        app: Flask, nurse: FlaskClient, scheduled: int, code: str, detail: str,
        summary: str) -> None:
    response = withdraw(nurse, scheduled, reason=code, detail=detail,
                        termination_date="2026-04-24", last_contact="2026-04-20")
    assert response.status_code == 302, page(response).errors
    child = participant(app, scheduled)
    assert (child.status, child.withdrawn_reason) == ("withdrawn", summary)
    [entry] = terminations(app)
    assert (entry.number, entry.start_date.isoformat()) == (1, "2026-04-24")
    assert entry.values == {"reason": code, "adverse_event": None, "detail": detail or None,
                            "termination_date": "2026-04-24", "last_contact": "2026-04-20"}
    shown = facts(nurse.get(f"/participants/{scheduled}").text)
    assert shown["Status"] == f"withdrawn ({summary})".replace("'", "&#39;")
    assert (shown["Date of termination"], shown["Date of last contact"]) == (
        "2026-04-24 Fri", "2026-04-20 Mon")
    assert "Withdraw the child" not in nurse.get(f"/participants/{scheduled}").text


def test_an_adverse_event_reason_is_linked_to_one_of_the_childs_events(
        app: Flask, nurse: FlaskClient, scheduled: int) -> None:
    record_events(nurse, scheduled, FEVER, RASH)
    panel = page(nurse.get(f"/participants/{scheduled}"))
    assert panel.options["adverse_event"] == [("", "—"), ("1", "1 · Fever"), ("2", "2 · Rash")]
    response = withdraw(nurse, scheduled, reason="AE", detail="", adverse_event="2")
    assert response.status_code == 302, page(response).errors
    child = participant(app, scheduled)
    assert (child.status, child.withdrawn_reason) == ("withdrawn", "Adverse event")
    assert terminations(app)[0].values["adverse_event"] == 2
    html = nurse.get(f"/participants/{scheduled}").text
    assert facts(html)["Adverse event"] == "Adverse event 2 · Rash"
    assert (f'href="/participants/{scheduled}/log/adverse_events/2">Adverse event 2'
            in html)


@pytest.mark.parametrize(("items", "field", "message"), [
    ({"reason": "AE", "detail": ""}, "adverse_event",
     "Choose the adverse event the child leaves the study for."),
    ({"reason": "AE", "adverse_event": "3"}, "adverse_event",
     "Adverse event 3 is not in the adverse event log of AS-001."),
    ({"reason": "AE", "adverse_event": "x"}, "adverse_event",
     "Choose the adverse event the child leaves the study for."),
    ({"reason": "LOST", "adverse_event": "1"}, "adverse_event",
     "Link an adverse event only when the reason is an adverse event."),
    ({"reason": "OTHER", "detail": "  "}, "detail", "Say why the child leaves the study."),
    ({"reason": ""}, "reason", "Choose why the child leaves the study."),
    ({"termination_date": "2026-04-28"}, "termination_date",
     "Date of termination 2026-04-28 is after today."),
    ({"termination_date": "2026-02-19", "last_contact": "2026-02-19"}, "termination_date",
     "Date of termination 2026-02-19 is before consent (2026-02-20)."),
    ({"termination_date": "2026-04-20", "last_contact": "2026-04-21"}, "last_contact",
     "Date of last contact 2026-04-21 is after Date of termination 2026-04-20."),
    ({"last_contact": "2026-02-01"}, "last_contact",
     "Date of last contact 2026-02-01 is before consent (2026-02-20)."),
    ({"last_contact": ""}, "last_contact",
     "Enter the date of the last contact with the child or the family."),
])
def test_a_refused_withdrawal_saves_nothing_and_keeps_what_was_typed(
        app: Flask, nurse: FlaskClient, scheduled: int, items: dict[str, str], field: str,
        message: str) -> None:
    record_events(nurse, scheduled, FEVER)
    before = audit_count(app)
    planned = {code: v.status for code, v in visits_of(app, scheduled).items()}
    response = withdraw(nurse, scheduled, **items)
    assert response.status_code == 422
    shown = page(response)
    assert shown.errors[field] == [message]
    assert ("error", "AS-001 is not withdrawn: correct the withdrawal form below.") in shown.flashes
    typed = withdrawal_form(**items)
    for name in ("reason", "termination_date", "last_contact"):
        assert (shown.value(name) or "") == typed[name], name
    assert (shown.value("detail") or "").strip() == typed["detail"].strip()
    assert "open" in re.search(r'<details class="panel" id="withdraw"[^>]*>',
                               response.text).group(0)
    assert participant(app, scheduled).status == "enrolled"
    assert terminations(app) == []
    assert {code: v.status for code, v in visits_of(app, scheduled).items()} == planned
    assert audit_count(app) == before


def test_a_removed_adverse_event_cannot_be_the_reason(
        app: Flask, nurse: FlaskClient, scheduled: int) -> None:
    record_events(nurse, scheduled, FEVER)
    assert submit(nurse, f"/participants/{scheduled}/log/adverse_events/1/remove",
                  {"reason": "Entered for the wrong child"}).status_code == 302
    assert page(nurse.get(f"/participants/{scheduled}")).options["adverse_event"] == [("", "—")]
    response = withdraw(nurse, scheduled, reason="AE", adverse_event="1")
    assert page(response).errors["adverse_event"] == [
        "Adverse event 1 is not in the adverse event log of AS-001."]


def test_withdrawal_cancels_the_visits_to_come_and_audits_the_termination_item_by_item(
        app: Flask, nurse: FlaskClient, scheduled: int) -> None:
    record_events(nurse, scheduled, FEVER)
    response = withdraw(nurse, scheduled, reason="AE", detail="Parents refuse more infusions",
                        adverse_event="1", last_contact="2026-04-25")
    assert response.status_code == 302
    summary = "Adverse event: Parents refuse more infusions"
    statuses = {code: v for code, v in visits_of(app, scheduled).items()}
    # Today 27 April: W02 and W04 (windows closed) were missed; W06 on are cancelled.
    assert {c: v.status for c, v in statuses.items() if c in ("W02", "W04", "W06")} == {
        "W02": "missed", "W04": "missed", "W06": "cancelled"}
    assert statuses["M12"].cancelled_reason == summary
    assert statuses["W04"].missed_reason == f"Not done before the withdrawal: {summary}"
    [entry] = terminations(app)
    rows = audit_rows(app, entity="log_entry", entity_id=entry.id)
    # One change per item entered (a created entry's values come by name).
    assert sorted((r.username, r.field, r.new, r.reason) for r in rows) == sorted([
        ("nurse", "form", "termination", summary), ("nurse", "number", "1", summary),
        ("nurse", "reason", "AE", summary), ("nurse", "adverse_event", "1", summary),
        ("nurse", "detail", "Parents refuse more infusions", summary),
        ("nurse", "termination_date", "2026-04-27", summary),
        ("nurse", "last_contact", "2026-04-25", summary)])
    [status] = audit_rows(app, entity="participant", field="status")[-1:]
    assert (status.old, status.new, status.reason) == ("enrolled", "withdrawn", summary)


def test_a_second_withdrawal_is_refused(app: Flask, nurse: FlaskClient, scheduled: int) -> None:
    factories.withdraw(app, scheduled)
    with pytest.raises(Exception, match="AS-001 is already withdrawn."):
        factories.withdraw(app, scheduled, reason="LOST")
    assert len(terminations(app)) == 1


def test_the_withdrawal_reads_in_chinese(app: Flask, nurse: FlaskClient, scheduled: int) -> None:
    zh = {"Accept-Language": "zh-CN"}
    shown = page(nurse.get(f"/participants/{scheduled}", headers=zh))
    assert [text for _code, text in shown.options["reason"]] == [
        "—", "撤回知情同意", "失访", "不良事件", "研究者决定", "死亡", "其他"]
    for label in ("终止原因", "相关不良事件", "具体说明", "终止日期", "末次联系日期"):
        assert label in shown.text
    refused = page(withdraw(nurse, scheduled, zh, detail="", termination_date="2026-04-20",
                            last_contact="2026-04-22"))
    assert refused.errors["detail"] == ["请说明患儿退出研究的原因。"]
    assert refused.errors["last_contact"] == ["末次联系日期 2026-04-22 晚于终止日期 2026-04-20。"]
    refused = page(withdraw(nurse, scheduled, zh, reason="AE", adverse_event="4"))
    assert refused.errors["adverse_event"] == ["患儿 AS-001 的不良事件记录中没有第4条不良事件。"]
    assert withdraw(nurse, scheduled, zh, reason="LOST", detail="电话无法联系").status_code == 302
    assert participant(app, scheduled).withdrawn_reason == "失访：电话无法联系"
    html = nurse.get(f"/participants/{scheduled}", headers=zh).text
    assert facts(html)["终止原因"] == "失访"
    assert facts(nurse.get(f"/participants/{scheduled}").text)[
        "Reason for termination"] == "Lost to follow-up"


def test_a_monitor_may_not_withdraw_a_child(app: Flask, as_role, scheduled: int) -> None:
    monitor = as_role("monitor")
    assert "Withdraw the child" not in monitor.get(f"/participants/{scheduled}").text
    assert submit(monitor, f"/participants/{scheduled}/withdraw",
                  withdrawal_form()).status_code == 403
    assert participant(app, scheduled).status == "enrolled"


def test_the_termination_is_no_log_of_its_own(nurse: FlaskClient, scheduled: int) -> None:
    # It is written by the withdrawal only: the log pages do not offer it.
    assert nurse.get(f"/participants/{scheduled}/log/termination").status_code == 404
    assert nurse.get(f"/participants/{scheduled}/log/termination/new").status_code == 404


def test_a_termination_is_corrected_with_its_reason_and_the_status_line_follows(
        app: Flask, as_role: Any, allocation: None) -> None:
    pid = factories.child(app, "scheduled")
    nurse = as_role("nurse")
    record_events(nurse, pid, RASH)
    assert withdraw(nurse, pid, reason="LOST", detail="No answer to calls").status_code == 302
    url = f"/participants/{pid}/termination"
    assert "Correct the early termination" in nurse.get(f"/participants/{pid}").text
    opened = page(nurse.get(url))
    assert (opened.selected["reason"], opened.value("detail")) == ("LOST", "No answer to calls")
    version = opened.value("version")
    corrected = {**withdrawal_form(reason="AE", detail="", adverse_event="1"),
                 "version": version}
    refused = nurse.post(url, data=corrected)
    assert refused.status_code == 422
    assert page(refused).errors["change_reason"] == ["Say why the termination is corrected."]
    assert page(nurse.post(url, data={**corrected, "adverse_event": "7",
                                      "change_reason": "x"})).errors["adverse_event"] == [
        "Adverse event 7 is not in the adverse event log of AS-001."]
    saved = nurse.post(url, data={**corrected, "change_reason": "The family left for the rash"})
    assert saved.status_code == 302
    assert facts(nurse.get(f"/participants/{pid}").text)["Status"] == (
        "withdrawn (Adverse event)")
    rows = [(r.field, r.old, r.new, r.reason) for r in audit_rows(app, entity="log_entry")
            if r.reason == "The family left for the rash"]
    assert ("reason", "LOST", "AE", "The family left for the rash") in rows
    assert ("adverse_event", None, "1", "The family left for the rash") in rows
    stale = nurse.post(url, data={**corrected, "detail": "x", "change_reason": "y"})
    assert stale.status_code == 409
    assert as_role("monitor").get(url).status_code == 403
    assert nurse.get(f"/participants/{factories.child(app, 'scheduled', 'AS-002')}"
                     "/termination").status_code == 404


def test_visits_are_missed_up_to_the_termination_date_and_cancelled_after_it(
        app: Flask, nurse: FlaskClient, scheduled: int) -> None:
    # Today 27 April; the family stopped coming on 10 April. W02's window closed on 2 April,
    # before they left: missed. W04's (10-16 April) was still open when they left: cancelled,
    # like every visit after it, although its window closed before today.
    assert withdraw(nurse, scheduled, reason="CONSENT", detail="", termination_date="2026-04-10",
                    last_contact="2026-04-10").status_code == 302
    statuses = visits_of(app, scheduled)
    assert {code: statuses[code].status for code in ("W02", "W04", "W06", "M12")} == {
        "W02": "missed", "W04": "cancelled", "W06": "cancelled", "M12": "cancelled"}
    assert statuses["W02"].missed_reason == "Not done before the withdrawal: Consent withdrawn"
    assert statuses["W04"].cancelled_reason == "Consent withdrawn"
    # The date was misread from the form: they left on 20 April, after W04's window closed.
    url = f"/participants/{scheduled}/termination"
    version = page(nurse.get(url)).value("version")
    saved = nurse.post(url, data={
        **withdrawal_form(reason="LOST", detail="No answer since", termination_date="2026-04-20",
                          last_contact="2026-04-20"),
        "version": version, "change_reason": "Date misread"})
    assert saved.status_code == 302, saved.text[:400]
    statuses = visits_of(app, scheduled)
    assert {code: statuses[code].status for code in ("W02", "W04", "W06", "M12")} == {
        "W02": "missed", "W04": "missed", "W06": "cancelled", "M12": "cancelled"}
    lost = "Lost to follow-up: No answer since"
    assert statuses["W04"].missed_reason == f"Not done before the withdrawal: {lost}"
    assert (statuses["W04"].cancelled_reason, statuses["M12"].cancelled_reason) == (None, lost)
    w04 = [(r.field, r.old, r.new, r.reason) for r in audit_rows(
        app, entity="visit", entity_id=statuses["W04"].id) if r.reason == "Date misread"]
    assert ("status", "cancelled", "missed", "Date misread") in w04


@pytest.mark.parametrize(("reason", "ends"), [("CONSENT", True), ("DEATH", True),
                                               ("LOST", False), ("INVESTIGATOR", False)])
def test_nothing_dated_after_consent_is_withdrawn_or_death_is_recorded(
        app: Flask, nurse: FlaskClient, scheduled: int, reason: str, ends: bool) -> None:
    """After consent is withdrawn (or the child died) nothing from after the termination date
    goes into the record; a child who left for another reason may still come for a check."""
    assert withdraw(nurse, scheduled, reason=reason, detail="", termination_date="2026-04-10",
                    last_contact="2026-04-10").status_code == 302
    summary = {"CONSENT": "Consent withdrawn", "DEATH": "Death", "LOST": "Lost to follow-up",
               "INVESTIGATOR": "Investigator's decision"}[reason]
    later = add_visit(nurse, scheduled, kind="unscheduled", date="2026-04-20",
                      reason="Family called")
    if ends:
        assert later.status_code == 422
        assert page(later).errors["date"] == [
            f"2026-04-20 is after AS-001 left the study on 2026-04-10 ({summary}): nothing "
            "from after that day is recorded."]
        assert "U01" not in visits_of(app, scheduled)
    else:
        assert later.status_code == 302
    # A visit from before they left is still recorded, with its samples up to that day.
    assert add_visit(nurse, scheduled, kind="unscheduled", date="2026-04-08",
                     reason="Fever").status_code == 302
    early = visits_of(app, scheduled)["U02" if not ends else "U01"].id
    if ends:
        shown = refused(app, nurse, early, sample_date="2026-04-12")
        assert shown.errors["sample_date"] == [
            f"2026-04-12 is after AS-001 left the study on 2026-04-10 ({summary}): nothing "
            "from after that day is recorded."]
    saved(nurse, early, sample_date="2026-04-08")


def test_a_withdrawal_is_not_dated_before_what_the_record_holds_of_the_child(
        app: Flask, nurse: FlaskClient, scheduled: int) -> None:
    """W02's sample was taken on 1 April: consent cannot have been withdrawn on 30 March (the
    sample would be data from after it), and the last contact is not before that visit."""
    saved(nurse, visits_of(app, scheduled)["W02"].id, sample_date="2026-04-01")
    early = withdraw(nurse, scheduled, reason="CONSENT", detail="",
                     termination_date="2026-03-30", last_contact="2026-03-30")
    assert early.status_code == 422
    assert page(early).errors["termination_date"] == [
        "AS-001 has W02's sample dated 2026-04-01, after 2026-03-30: a child who leaves for "
        "this reason has nothing recorded after the day they left. Check the date, or correct "
        "that record first."]
    assert page(early).value("termination_date") == "2026-03-30"  # kept as typed
    zh = withdraw(nurse, scheduled, headers={"Accept-Language": "zh-CN"}, reason="CONSENT",
                  detail="", termination_date="2026-03-30", last_contact="2026-03-30")
    assert all(not m.isascii() for m in page(zh).errors["termination_date"])
    forgotten = withdraw(nurse, scheduled, reason="CONSENT", detail="",
                         termination_date="2026-04-05", last_contact="2026-03-25")
    assert page(forgotten).errors["last_contact"] == [
        "Date of last contact 2026-03-25 is before W02's sample on 2026-04-01, a contact with "
        "the child."]
    assert terminations(app) == [] and visits_of(app, scheduled)["W04"].status == "planned"
    assert withdraw(nurse, scheduled, reason="CONSENT", detail="", termination_date="2026-04-05",
                    last_contact="2026-04-01").status_code == 302
    # Corrected to before the sample: refused the same way, the termination kept as it was.
    url = f"/participants/{scheduled}/termination"
    version = page(nurse.get(url)).value("version")
    corrected = nurse.post(url, data={
        **withdrawal_form(reason="DEATH", detail="", termination_date="2026-03-31",
                          last_contact="2026-03-31"),
        "version": version, "change_reason": "Date misread"})
    assert corrected.status_code == 422
    assert page(corrected).errors["termination_date"][0].startswith(
        "AS-001 has W02's sample dated 2026-04-01, after 2026-03-31")
    assert [t.start_date.isoformat() for t in terminations(app)] == ["2026-04-05"]


def test_an_adverse_event_reason_for_a_child_with_none_recorded_says_to_record_it_first(
        app: Flask, nurse: FlaskClient, scheduled: int) -> None:
    refused = withdraw(nurse, scheduled, reason="AE", detail="")
    assert refused.status_code == 422
    assert page(refused).errors["adverse_event"] == [
        "AS-001 has no adverse event recorded. Record the event the child leaves the study for "
        "in the adverse event log first, then withdraw."]
    assert terminations(app) == []
