"""The adverse event log as a nurse and an investigator use it: an infusion reaction recorded,
its dates checked against each other, consent, the infusion and today; a serious event's
banner on every staff page until an investigator acknowledges it; its printable report;
corrections with their reason, a save over someone else's refused, an entry removed in error."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from edc import db
from edc.models import AuditEvent, LogEntry
from tests.support import factories
from tests.support.audit import audit_rows
from tests.support.factories import INFUSION_1
from tests.support.forms import submit
from tests.support.pages import html_of, page

FEVER = {"term": "Fever", "onset_date": "2026-03-02", "end_date": "2026-03-03",
         "ongoing": "no", "grade": "2", "serious": "no", "relation": "PROBABLE",
         "infusion": "1", "action": ["MEDICATION"], "outcome": "RECOVERED"}
HOSPITALISED = {**FEVER, "term": "Allergic reaction", "onset_date": "2026-03-16",
                "end_date": "", "ongoing": "yes", "grade": "3", "serious": "yes",
                "serious_criteria": ["AESHOSP"], "infusion": "2",
                "action": ["STOPPED", "HOSPITALISED"], "outcome": "RECOVERING"}


def new_url(pid: int) -> str:
    return f"/participants/{pid}/log/adverse_events/new"


def entry_url(pid: int, number: int = 1) -> str:
    return f"/participants/{pid}/log/adverse_events/{number}"


def entries(app: Flask) -> list[LogEntry]:
    with app.app_context():
        return list(db.session().scalars(select(LogEntry).order_by(LogEntry.id)))


def trail(app: Flask) -> list[tuple[str, str | None, str | None, str | None, str | None]]:
    with app.app_context():
        return [(r.username, r.field, r.old, r.new, r.reason)
                for r in audit_rows(app, AuditEvent.entity == "log_entry")]


@pytest.fixture
def pid(app: Flask, allocation: None) -> int:
    return factories.child(app, "scheduled")


def record(client: FlaskClient, pid: int, data: dict[str, Any]) -> Any:
    return client.post(new_url(pid), data=data)


def test_an_infusion_reaction_is_recorded_with_every_item_and_audited_item_by_item(
        app: Flask, nurse: FlaskClient, pid: int) -> None:
    response = record(nurse, pid, FEVER)
    assert response.status_code == 302, page(response).errors
    assert response.headers["Location"] == entry_url(pid)
    [entry] = entries(app)
    assert (entry.form, entry.number, entry.start_date.isoformat(),
            entry.end_date.isoformat()) == ("adverse_events", 1, "2026-03-02", "2026-03-03")
    assert entry.values == {
        "term": "Fever", "onset_date": "2026-03-02", "end_date": "2026-03-03", "ongoing": "no",
        "grade": "2", "serious": "no", "serious_criteria": None, "aware_date": None,
        "aware_time": None, "relation": "PROBABLE", "infusion": "1", "action": ["MEDICATION"],
        "outcome": "RECOVERED"}
    assert entry.alert_at is None
    # One change per item entered (the create's values, by name), none for an empty item.
    assert trail(app) == [
        ("nurse", "action", None, '["MEDICATION"]', None),
        ("nurse", "end_date", None, "2026-03-03", None),
        ("nurse", "form", None, "adverse_events", None),
        ("nurse", "grade", None, "2", None), ("nurse", "infusion", None, "1", None),
        ("nurse", "number", None, "1", None), ("nurse", "ongoing", None, "no", None),
        ("nurse", "onset_date", None, "2026-03-02", None),
        ("nurse", "outcome", None, "RECOVERED", None),
        ("nurse", "relation", None, "PROBABLE", None), ("nurse", "serious", None, "no", None),
        ("nurse", "term", None, "Fever", None)]
    listed = page(nurse.get(f"/participants/{pid}/log/adverse_events"))
    assert listed.table_rows[1][:7] == [
        "1", "Fever", "2026-03-02 Mon", "2026-03-03 Tue", "No",
        "2 - Moderate: minimal, local or non-invasive treatment needed; limits "
        "age-appropriate daily activities", "No"]
    assert "Infusion 1" in listed.table_rows[1] and "Medication given" in listed.table_rows[1]
    assert "Serious adverse events waiting" not in listed.text


def test_the_expected_events_are_offered_and_any_other_term_is_kept_as_typed(
        app: Flask, nurse: FlaskClient, pid: int) -> None:
    html = html_of(nurse.get(new_url(pid)))
    assert 'list="term-suggestions"' in html
    for expected in ("Fever", "Chills", "Rash", "Urticaria", "Headache", "Nausea", "Vomiting",
                     "Infusion site reaction", "Allergic reaction"):
        assert f'<option value="{expected}">' in html
    assert record(nurse, pid, {**FEVER, "term": "  腹痛（脐周） "}).status_code == 302
    assert entries(app)[0].values["term"] == "腹痛（脐周）"


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"end_date": "2026-03-01"}, "end_date",
     "End date 2026-03-01 is before Onset date 2026-03-02."),
    ({"onset_date": "2026-02-19", "infusion": "NONE"}, "onset_date",
     "Onset date 2026-02-19 is before consent (2026-02-20)."),
    ({"onset_date": "2026-03-01"}, "onset_date",
     "Onset date 2026-03-01 is before infusion 1 (2026-03-02) that it is linked to."),
    ({"ongoing": "yes"}, "end_date",
     "Ongoing cannot be Yes with an end date: clear the end date, or answer No."),
    ({"end_date": ""}, "end_date", "Give the end date, or answer Yes to Ongoing."),
    ({"serious": "yes"}, "serious_criteria", "Tick what makes the event serious."),
    ({"serious_criteria": ["AESMIE"]}, "serious_criteria",
     "Serious criteria are ticked but the event is not marked serious: untick them or mark it "
     "serious."),
    ({"end_date": "2026-04-28"}, "end_date", "End date 2026-04-28 is after today."),
    ({"term": "　 "}, "term",
     "Enter the adverse event: pick one from the list or type it as the doctor wrote it."),
    ({"grade": ""}, "grade", "Choose the CTCAE grade."),
])
def test_a_doubtful_entry_is_refused_at_its_item_with_what_was_typed_kept(
        app: Flask, nurse: FlaskClient, pid: int, change: dict[str, Any], field: str,
        message: str) -> None:
    response = record(nurse, pid, {**FEVER, **change})
    assert response.status_code == 422
    shown = page(response)
    assert shown.errors.get(field) == [message]
    assert shown.value("term") == {**FEVER, **change}["term"].strip()
    assert shown.value("onset_date") == {**FEVER, **change}["onset_date"]
    assert entries(app) == [] and trail(app) == []


def test_an_infusion_not_given_cannot_be_linked(app: Flask, allocation: None,
                                                nurse: FlaskClient) -> None:
    pid = factories.child(app, "infusion 1")
    response = record(nurse, pid, {**FEVER, "infusion": "2", "onset_date": "2026-03-17",
                                   "end_date": "2026-03-18"})
    assert page(response).errors["infusion"] == ["Infusion 2 is not recorded for AS-001."]


def test_a_serious_event_is_on_every_staff_page_until_an_investigator_acknowledges_it(
        app: Flask, as_role: Any, pid: int) -> None:
    nurse = as_role("nurse")
    response = record(nurse, pid, HOSPITALISED)
    assert response.status_code == 302
    assert ("warning", "This is a serious adverse event: an investigator must acknowledge it "
            "within 24 hours, and it is reported with the printable report.") in page(
        nurse.get(response.headers["Location"])).flashes
    [entry] = entries(app)
    assert entry.alert_at is not None and entry.acknowledged_at is None
    for role in ("nurse", "investigator", "monitor", "admin", "unblinded"):
        client = as_role(role)
        for url in ("/", "/participants/", f"/participants/{pid}", "/deviations"):
            shown = page(client.get(url))
            assert "Serious adverse events waiting for an investigator" in shown.text, (role, url)
            assert "AS-001 · Allergic reaction" in shown.text
            assert "serious since " in shown.text and "; 23 hours left to report" in shown.text
    assert as_role("nurse").post(entry_url(pid) + "/acknowledge", data={}).status_code == 403
    assert as_role("monitor").post(entry_url(pid) + "/acknowledge", data={}).status_code == 403
    investigator = as_role("investigator")
    assert "Acknowledge the serious adverse event" in page(investigator.get(entry_url(pid))).text
    done = investigator.post(entry_url(pid) + "/acknowledge",
                             data={"version": str(entry.version)}, follow_redirects=True)
    shown = page(done)
    assert ("success", "The serious adverse event of AS-001 is acknowledged.") in shown.flashes
    assert "Serious adverse events waiting" not in shown.text
    assert "by Dr Li Ming (investigator)," in shown.text
    report = page(investigator.get(entry_url(pid) + "/report")).text
    assert "Acknowledged by the investigator / 研究者确认知悉 Dr Li Ming (investigator), " in report
    assert "Serious adverse events waiting" not in page(as_role("nurse").get("/")).text
    assert [row[:4] for row in trail(app) if row[1] == "acknowledged_by"] == [
        ("investigator", "acknowledged_by", None, "investigator")]
    again = submit(investigator, entry_url(pid) + "/acknowledge", follow_redirects=True)
    assert ("error", "investigator acknowledged this event already.") in page(again).flashes


def test_the_printable_report_is_bilingual_with_the_case_facts_and_no_arm(
        app: Flask, as_role: Any, pid: int) -> None:
    record(as_role("nurse"), pid, HOSPITALISED)
    assert as_role("nurse").get(entry_url(pid) + "/report").status_code == 200
    for role in ("unblinded", "monitor"):
        text = page(as_role(role).get(entry_url(pid) + "/report")).text
        assert "Serious adverse event report / 严重不良事件报告" in text
        assert "Participant code / 受试者编号 AS-001" in text
        assert "Sex / 性别 Female 女" in text
        assert "Age at onset (years) / 发生时年龄（岁） 7" in text
        assert ("Serious because / 严重性标准 Hospitalisation or its prolongation "
                "导致住院或住院时间延长") in text
        assert ("Action taken / 采取的措施 Infusion stopped, Admitted to hospital "
                "终止输注、收住院") in text
        assert "2026-03-16" in text and "Not yet / 尚未" in text
        for arm in app.extensions["edc_study"].arms:
            for word in (f" {arm.code} ", arm.label, arm.label_zh):
                assert word not in text, (role, word)
    not_serious = record(as_role("nurse"), pid, FEVER)
    assert not_serious.status_code == 302
    assert as_role("nurse").get(entry_url(pid, 2) + "/report").status_code == 404


def test_a_correction_needs_its_reason_and_is_audited_with_it(
        app: Flask, nurse: FlaskClient, pid: int) -> None:
    record(nurse, pid, FEVER)
    opened = page(nurse.get(entry_url(pid)))
    assert opened.value("term") == "Fever" and opened.checked("ongoing") == ["no"]
    data = {**FEVER, "grade": "3", "version": opened.value("version")}
    refused = nurse.post(entry_url(pid), data=data)
    assert refused.status_code == 422
    assert page(refused).errors["reason"] == ["Say why the entry is corrected."]
    saved = nurse.post(entry_url(pid), data={**data, "reason": "Graded by the doctor"})
    assert saved.status_code == 302
    assert entries(app)[0].values["grade"] == "3"
    assert trail(app)[-1] == ("nurse", "grade", "2", "3", "Graded by the doctor")


def test_a_save_over_someone_elses_correction_is_refused_and_keeps_what_was_typed(
        app: Flask, as_role: Any, pid: int) -> None:
    """Both open the entry; the investigator corrects the grade, then the nurse the outcome.
    Her save is refused; the page then shows the investigator's grade (she left it alone) with
    her outcome, and saved again from there it loses neither."""
    first, second = as_role("nurse"), as_role("investigator")
    record(first, pid, FEVER)
    opened = page(first.get(entry_url(pid)))
    version, snapshot = opened.value("version"), opened.value("opened")
    assert second.post(entry_url(pid), data={**FEVER, "grade": "1", "version": version,
                                             "reason": "Mild"}).status_code == 302
    clash = first.post(entry_url(pid), data={**FEVER, "outcome": "SEQUELAE", "version": version,
                                             "opened": snapshot, "reason": "Scar"})
    assert clash.status_code == 409
    shown = page(clash)
    assert "was changed by someone else after you opened this page" in shown.text
    assert shown.selected["outcome"] == "SEQUELAE"  # hers, kept
    assert shown.selected["grade"] == "1"  # theirs, shown: she did not change it
    assert "Someone else changed" not in shown.text
    assert entries(app)[0].values["outcome"] == "RECOVERED"
    stored = html_of(clash)
    assert 'id="stored-now"' in stored
    assert re.search(r'data-item="outcome" class="differs">', stored)
    assert not re.search(r'data-item="grade" class="differs">', stored)
    assert shown.value("version") == str(entries(app)[0].version)
    again = first.post(entry_url(pid), data={
        **FEVER, "grade": shown.selected["grade"], "outcome": shown.selected["outcome"],
        "version": shown.value("version"), "opened": shown.value("opened"), "reason": "Scar"})
    assert again.status_code == 302
    assert (entries(app)[0].values["outcome"], entries(app)[0].values["grade"]) == (
        "SEQUELAE", "1")


def test_both_changing_one_item_is_said_at_the_item_and_keeps_what_was_typed(
        app: Flask, as_role: Any, pid: int) -> None:
    first, second = as_role("nurse"), as_role("investigator")
    record(first, pid, FEVER)
    opened = page(first.get(entry_url(pid)))
    assert second.post(entry_url(pid), data={**FEVER, "grade": "1", "reason": "Mild",
                                             "version": opened.value("version")}
                       ).status_code == 302
    clash = first.post(entry_url(pid), data={**FEVER, "grade": "3", "reason": "Severe",
                                             "version": opened.value("version"),
                                             "opened": opened.value("opened")})
    assert clash.status_code == 409
    shown = page(clash)
    assert shown.selected["grade"] == "3"
    [message] = shown.errors["grade"]
    assert message.startswith("Someone else changed CTCAE grade too; theirs is ")
    assert message.endswith(". Keep yours or type theirs, then save.")
    # A form that carried no snapshot (a hand-made request) merges nothing and says so.
    blind = first.post(entry_url(pid), data={**FEVER, "outcome": "SEQUELAE", "reason": "Scar",
                                             "version": opened.value("version")})
    assert blind.status_code == 409
    assert page(blind).selected["grade"] == "2" and page(blind).errors["grade"]


def test_an_entry_made_in_error_is_removed_with_its_reason_and_kept_struck_through(
        app: Flask, as_role: Any, pid: int) -> None:
    nurse = as_role("nurse")
    record(nurse, pid, HOSPITALISED)
    version = page(nurse.get(entry_url(pid))).value("version")
    assert nurse.post(entry_url(pid) + "/remove", data={"version": version,
                                                        "reason": ""}).status_code == 422
    done = nurse.post(entry_url(pid) + "/remove", data={"version": version,
                                                        "reason": "Entered for the wrong child"},
                      follow_redirects=True)
    shown = page(done)
    assert "AS-001 · Allergic reaction (removed)" in shown.text  # for an investigator to see
    assert "removed Entered for the wrong child" in shown.text
    assert entries(app)[0].removed_reason == "Entered for the wrong child"
    # The child's page counts the adverse events that stand, not the one struck through.
    assert '/log/adverse_events">Adverse events (0)</a>' in nurse.get(f"/participants/{pid}").text
    assert nurse.post(entry_url(pid), data={**HOSPITALISED, "version": str(
        entries(app)[0].version), "reason": "x"}).status_code == 422


def test_monitors_and_admins_read_but_do_not_write(app: Flask, as_role: Any, pid: int) -> None:
    record(as_role("nurse"), pid, FEVER)
    for role in ("monitor", "admin", "unblinded"):
        client = as_role(role)
        assert client.get(new_url(pid)).status_code == 403
        assert client.post(new_url(pid), data=FEVER).status_code == 403
        assert client.post(entry_url(pid), data=FEVER).status_code == 403
        shown = page(client.get(entry_url(pid)))
        assert "Fever" in shown.text and "term" not in shown.inputs
    assert len(entries(app)) == 1


def test_unknown_logs_and_entries_are_not_found(nurse: FlaskClient, pid: int) -> None:
    assert nurse.get(f"/participants/{pid}/log/nothing").status_code == 404
    assert nurse.get(entry_url(pid, 7)).status_code == 404
    assert nurse.get("/participants/999/log/adverse_events").status_code == 404


def test_the_form_opened_from_an_infusion_comes_filled_in(nurse: FlaskClient, pid: int) -> None:
    shown = page(nurse.get(new_url(pid) + "?infusion=1&onset_date=2026-03-02&term=Fever"))
    assert (shown.selected["infusion"], shown.value("onset_date"), shown.value("term")) == (
        "1", INFUSION_1.isoformat(), "Fever")
    assert shown.errors == {}


def test_the_worklist_lists_serious_events_waiting_and_events_ongoing_at_the_last_visit(
        app: Flask, allocation: None, as_role: Any) -> None:
    pid = factories.child(app, "with results")  # W04 done on 2026-04-13, its last visit
    nurse = as_role("nurse")
    ongoing = {**FEVER, "onset_date": "2026-04-01", "end_date": "", "ongoing": "yes",
               "infusion": "NONE", "term": "Headache", "outcome": "NOT_RECOVERED"}
    assert record(nurse, pid, ongoing).status_code == 302
    assert record(nurse, pid, {**ongoing, "term": "Rash", "onset_date": "2026-04-20"}
                  ).status_code == 302  # began after the last visit
    assert record(nurse, pid, {**ongoing, "term": "Nausea", "end_date": "2026-04-05",
                               "ongoing": "no", "outcome": "RECOVERED"}).status_code == 302
    assert record(nurse, pid, HOSPITALISED).status_code == 302
    rows = page(nurse.get("/")).table_rows
    safety = [row for row in rows if row and row[0] == "AS-001" and len(row) == 4]
    assert safety[0][:2] == ["AS-001", "4 · Allergic reaction"]
    assert safety[0][3] == "serious, not acknowledged 23 hours left to report"
    assert safety[1][:3] == ["AS-001", "4 · Allergic reaction", "2026-03-16 Mon"]
    assert safety[2] == ["AS-001", "1 · Headache", "2026-04-01 Wed",
                         "ongoing at the last visit (W04, 2026-04-13 Mon): ask how it ended and "
                         "record its end date and outcome"]
    assert len(safety) == 3
    investigator = as_role("investigator")
    version = str(entries(app)[3].version)
    investigator.post(entry_url(pid, 4) + "/acknowledge", data={"version": version})
    rows = page(nurse.get("/")).table_rows
    assert [row[1] for row in rows if row and row[0] == "AS-001" and len(row) == 4] == [
        "4 · Allergic reaction", "1 · Headache"]


def test_the_childs_page_shows_its_safety_for_every_role(
        app: Flask, as_role: Any, pid: int) -> None:
    record(as_role("nurse"), pid, FEVER)
    record(as_role("nurse"), pid, HOSPITALISED)
    for role in ("nurse", "investigator", "monitor", "admin", "unblinded"):
        response = as_role(role).get(f"/participants/{pid}")
        assert response.status_code == 200, role
        rows = [row for row in page(response).table_rows if row[:1] in (["1"], ["2"])]
        assert rows[-2][:2] == ["1", "Fever"] and rows[-1][:2] == ["2", "Allergic reaction"]
        assert rows[-1][3] == "Ongoing" and rows[-1][-1] == "not acknowledged"
        assert ("Record an adverse event" in page(response).text) == (
            role in ("nurse", "investigator"))


def test_the_history_tells_each_entry_in_the_forms_words(
        app: Flask, as_role: Any, pid: int) -> None:
    nurse = as_role("nurse")
    record(nurse, pid, HOSPITALISED)
    version = page(nurse.get(entry_url(pid))).value("version")
    nurse.post(entry_url(pid), data={**HOSPITALISED, "grade": "4", "version": version,
                                     "reason": "Worse overnight"})
    as_role("investigator").post(entry_url(pid) + "/acknowledge",
                                 data={"version": str(entries(app)[0].version)})
    lines = [" ".join(" ".join(row).split())
             for row in page(nurse.get(f"/participants/{pid}/history")).table_rows]
    assert any("investigator Adverse events, entry 1 serious event acknowledged by investigator"
               in line for line in lines)
    assert any("nurse Worse overnight Adverse events, entry 1 CTCAE grade 3 - Severe" in line
               and "→ 4 - Life-threatening: urgent intervention needed" in line for line in lines)
    assert any("Adverse events, entry 1 recorded: Adverse event Allergic reaction; Onset date "
               "2026-03-16 Mon; Ongoing Yes; CTCAE grade 3 - Severe" in line
               and "Serious because Hospitalisation or its prolongation; " in line
               and "Action taken Infusion stopped, Admitted to hospital; Outcome Recovering"
               in line
               and line.endswith("Adverse events, entry 1 serious: the reporting window starts")
               for line in lines), lines


def test_two_nurses_adding_an_event_at_the_same_moment_lose_nothing_silently(
        app: Flask, as_role: Any, pid: int, monkeypatch: pytest.MonkeyPatch) -> None:
    first = as_role("nurse")
    assert record(first, pid, FEVER).status_code == 302
    # The second nurse's save counted the entries before the first one's was committed.
    monkeypatch.setattr("edc.services.logs._next_number", lambda *_args: 1)
    clash = record(as_role("investigator"), pid, {**FEVER, "term": "Chills"})
    assert clash.status_code == 409
    shown = page(clash)
    assert ("Someone else added to Adverse events of AS-001 at the same moment, so nothing was "
            "saved. What you typed is still in the form: check the list and save again."
            ) in shown.text
    assert shown.value("term") == "Chills"
    assert [e.values["term"] for e in entries(app)] == ["Fever"]


def test_every_problem_of_an_entry_shows_at_once(app: Flask, nurse: FlaskClient,
                                                  pid: int) -> None:
    response = record(nurse, pid, {"term": "Rash", "onset_date": "2026-02-01", "serious": "yes",
                                   "ongoing": "yes"})
    assert response.status_code == 422
    assert page(response).errors == {
        "onset_date": ["Onset date 2026-02-01 is before consent (2026-02-20)."],
        "grade": ["Choose the CTCAE grade."],
        "serious_criteria": ["Tick what makes the event serious."],
        "relation": ["Judge whether the event is related to the infusion."],
        "infusion": ["Choose the infusion the event followed, or none."],
        "outcome": ["Choose the outcome."]}


@pytest.mark.parametrize("how", ["removed", "downgraded"])
def test_a_serious_event_removed_or_downgraded_stays_for_an_investigator_to_see(
        app: Flask, as_role: Any, pid: int, how: str) -> None:
    nurse = as_role("nurse")
    record(nurse, pid, HOSPITALISED)
    version = page(nurse.get(entry_url(pid))).value("version")
    if how == "removed":
        response = nurse.post(entry_url(pid) + "/remove",
                              data={"version": version, "reason": "Wrong child"})
        shown, notice = "AS-001 · Allergic reaction (removed)", "Removed as entered in error"
    else:
        response = nurse.post(entry_url(pid), data={
            **HOSPITALISED, "serious": "no", "serious_criteria": [], "version": version,
            "reason": "Not admitted after all"})
        shown, notice = ("AS-001 · Allergic reaction (no longer marked serious)",
                         "No longer marked serious since this event was saved as serious.")
    assert response.status_code == 302
    for role in ("nurse", "monitor", "investigator"):
        assert shown in page(as_role(role).get("/")).text, role
    assert notice in page(nurse.get(entry_url(pid) + "/report")).text
    investigator = as_role("investigator")
    assert investigator.post(entry_url(pid) + "/acknowledge", data={
        "version": str(entries(app)[0].version)}).status_code == 302
    assert "Serious adverse events waiting" not in page(nurse.get("/")).text


def test_a_serious_event_acknowledged_then_not_serious_then_serious_again_alerts_again(
        app: Flask, as_role: Any, pid: int) -> None:
    nurse, investigator = as_role("nurse"), as_role("investigator")
    record(nurse, pid, HOSPITALISED)
    submit(investigator, entry_url(pid) + "/acknowledge")
    for serious, criteria in (("no", []), ("yes", ["AESHOSP"])):
        nurse.post(entry_url(pid), data={**HOSPITALISED, "serious": serious,
                                         "serious_criteria": criteria, "reason": "Reviewed",
                                         "version": str(entries(app)[0].version)})
    [entry] = entries(app)
    assert entry.acknowledged_at is None and entry.alert_at is not None
    assert "AS-001 · Allergic reaction" in page(nurse.get("/")).text


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"grade": "5", "outcome": "RECOVERED"}, "outcome",
     "5 - Death related to the adverse event means the event caused death: choose Fatal as the "
     "outcome, or another grade."),
    ({"outcome": "FATAL"}, "grade", "A fatal event is 5 - Death related to the adverse event."),
    ({"grade": "5", "outcome": "FATAL"}, "serious_criteria",
     "A fatal event is serious: mark it serious and tick Death."),
    ({"grade": "5", "outcome": "FATAL", "serious": "yes", "serious_criteria": ["AESHOSP"]},
     "serious_criteria", "A fatal event is serious: mark it serious and tick Death."),
    ({"end_date": "", "ongoing": "yes"}, "outcome",
     "Recovered is the outcome of an event that has ended: give its end date, or choose another "
     "outcome."),
    # The end date given, but still marked ongoing: the answer to change is "ongoing".
    ({"ongoing": "yes"}, "outcome",
     "Recovered is the outcome of an event that has ended, but Ongoing says yes: answer no, or "
     "choose another outcome."),
    ({"outcome": "RECOVERING"}, "outcome",
     "Recovering is the outcome of an event still going on, but it has an end date."),
])
def test_grade_outcome_seriousness_and_dates_must_agree(
        app: Flask, nurse: FlaskClient, pid: int, change: dict[str, Any], field: str,
        message: str) -> None:
    response = record(nurse, pid, {**FEVER, **change})
    assert response.status_code == 422
    assert page(response).errors[field] == [message]
    assert entries(app) == []


def test_a_death_is_recorded_as_a_fatal_serious_grade_5_event(
        app: Flask, nurse: FlaskClient, pid: int) -> None:
    assert record(nurse, pid, {**FEVER, "grade": "5", "outcome": "FATAL", "serious": "yes",
                               "serious_criteria": ["AESDTH", "AESHOSP"]}).status_code == 302
    assert entries(app)[0].alert_at is not None


def test_an_entry_is_named_as_everywhere_else_in_its_heading(
        app: Flask, nurse: FlaskClient, pid: int) -> None:
    record(nurse, pid, FEVER)
    html = html_of(nurse.get(entry_url(pid)))
    assert re.search(r"<h1>AS-\d+ · Adverse events, entry 1</h1>", html), html[:3000]
    chinese = html_of(nurse.get(entry_url(pid), headers={"Accept-Language": "zh-CN"}))
    assert re.search(r"<h1>AS-\d+ · 不良事件 第1条</h1>", chinese)


def test_no_action_is_chosen_alone(app: Flask, nurse: FlaskClient, pid: int) -> None:
    refused = record(nurse, pid, {**FEVER, "action": ["NONE", "MEDICATION"]})
    assert refused.status_code == 422
    assert page(refused).errors["action"] == [
        "None is chosen alone: untick it, or the others."]
    assert entries(app) == []
    assert record(nurse, pid, {**FEVER, "action": ["NONE"]}).status_code == 302


@pytest.mark.parametrize("hours, en, zh", [
    (23, "23 hours left to report", "距报告时限还剩 23 小时"),
    (1, "1 hour left to report", "距报告时限还剩 1 小时"),
    (0, "less than an hour left to report", "距报告时限已不足 1 小时"),
    (-1, "report overdue by 1 hour", None),
])
def test_the_reporting_window_is_said_in_whole_hours_left_and_the_last_hour_as_less(
        app: Flask, hours: int, en: str, zh: str | None) -> None:
    from edc.views.filters import hours_left

    with app.test_request_context():
        assert hours_left(hours) == en
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert hours_left(hours) == zh if zh else not hours_left(hours).isascii()


def test_the_reporting_window_counts_from_when_the_site_learned_the_event_was_serious(
        app: Flask, as_role: Any, pid: int) -> None:
    """The family called on 26 April at 09:00 (Guangzhou) about a hospitalisation; the nurse
    enters it the next day. ICH E2A's 24 hours run from the call: due 27 April 09:00, already
    passed, not 24 hours after she typed it."""
    nurse = as_role("nurse")
    called = {**HOSPITALISED, "aware_date": "2026-04-26", "aware_time": "09:00"}
    assert record(nurse, pid, called).status_code == 302
    [entry] = entries(app)
    assert entry.alert_at == datetime(2026, 4, 26, 1, 0, tzinfo=UTC)  # 09:00 in Guangzhou
    assert (entry.values["aware_date"], entry.values["aware_time"]) == ("2026-04-26", "09:00")
    shown = page(nurse.get(entry_url(pid))).text
    assert ("The site learned it was serious on 2026-04-26 09:00:00; report due by "
            "2026-04-27 09:00:00.") in shown
    assert "serious since 2026-04-26 09:00:00; report overdue by" in page(nurse.get("/")).text
    # Corrected before an investigator acknowledged it: the window moves with it.
    version = page(nurse.get(entry_url(pid))).value("version")
    earlier = {**called, "aware_date": "2026-04-25", "aware_time": "18:30", "version": version,
               "reason": "The call was the evening before"}
    assert nurse.post(entry_url(pid), data=earlier).status_code == 302
    assert entries(app)[0].alert_at == datetime(2026, 4, 25, 10, 30, tzinfo=UTC)
    assert ("the reporting window counts from when the site learned it"
            in page(nurse.get(f"/participants/{pid}/history")).text)
    # Later than it was saved as serious: the site knew it by then.
    version = page(nurse.get(entry_url(pid))).value("version")
    later = nurse.post(entry_url(pid), data={**called, "aware_date": "2026-04-27",
                                             "aware_time": "00:00", "version": version,
                                             "reason": "x"})
    assert page(later).errors["aware_time"] == [
        "The event was saved as serious on 2026-04-25 18:30: the site knew it by then."]


@pytest.mark.parametrize("change, field, message", [
    ({"serious": "no", "serious_criteria": []}, "aware_date",
     "Give when the site learned the event was serious only for a serious event."),
    ({"aware_time": ""}, "aware_time",
     "Give the day and the clock time together: the hours to report count from them."),
    ({"aware_date": ""}, "aware_date",
     "Give the day and the clock time together: the hours to report count from them."),
    ({"aware_date": "2026-03-15"}, "aware_date",
     "Site learned it was serious on 2026-03-15 is before the onset (2026-03-16)."),
    ({"aware_date": "2026-04-28"}, "aware_time", "2026-04-28 09:00 is later than now."),
])
def test_when_the_site_learned_it_is_refused_at_the_field_when_it_cannot_be(
        app: Flask, nurse: FlaskClient, pid: int, change: dict[str, Any], field: str,
        message: str) -> None:
    posted = {**HOSPITALISED, "aware_date": "2026-04-26", "aware_time": "09:00", **change}
    response = record(nurse, pid, posted)
    assert response.status_code == 422
    assert page(response).errors[field] == [message]
    assert entries(app) == []
    zh = nurse.post(new_url(pid), data=posted, headers={"Accept-Language": "zh-CN"})
    assert all(not text.isascii() for text in page(zh).errors[field])
