"""Source data verification and the investigator's signature, in the order of the protocol: a
monitor verifies a visit and an adverse event; a nurse's correction clears the visit's mark and
says why; the investigator signs only once every query is closed, with the password typed
again; a later change voids the signature and says why; the printable casebook shows every
value with its unit, every mark and signature, in the reader's language, never the arm."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from edc import db, exports, services
from edc.audit import audited
from edc.models import (
    AuditEvent,
    DataQuery,
    LogEntry,
    Participant,
    Result,
    Signature,
    User,
    Verification,
    Visit,
)
from edc.protocol.codes import QueryStatus
from tests.support import factories
from tests.support.apps import PASSWORD, SET_UP, allocation_csv, context_for
from tests.support.factories import add_children
from tests.support.pages import html_of, page
from tests.support.queries import queries_for

FEVER = {"term": "Fever", "onset_date": date(2026, 3, 2), "end_date": date(2026, 3, 3),
         "ongoing": "no", "grade": "2", "serious": "no", "relation": "PROBABLE",
         "infusion": "1", "action": ["MEDICATION"], "outcome": "RECOVERED"}
ZH = {"Accept-Language": "zh-CN"}


@pytest.fixture
def child(app: Flask, allocation: None) -> int:
    pid = factories.child(app, "with results")
    factories.log_entry(app, pid, "adverse_events", FEVER)
    return pid


def visit_of(app: Flask, pid: int, code: str) -> tuple[int, int]:
    with app.app_context():
        visit = db.session().scalars(select(Visit).where(Visit.participant_id == pid,
                                                         Visit.code == code)).one()
        return visit.id, visit.version


def entry_of(app: Flask, pid: int) -> tuple[int, int]:
    with app.app_context():
        entry = db.session().scalars(select(LogEntry).where(
            LogEntry.participant_id == pid, LogEntry.form == "adverse_events")).one()
        return entry.id, entry.version


def marks(app: Flask) -> dict[tuple[str, int], Verification]:
    with app.app_context():
        found = list(db.session().scalars(select(Verification)))
        for mark in found:
            db.session().expunge(mark)
        return {(m.entity, m.entity_id): m for m in found}


def user_id(app: Flask, username: str) -> int:
    with app.app_context():
        return db.session().scalars(select(User.id).where(User.username == username)).one()


def signatures(app: Flask) -> list[Signature]:
    with app.app_context():
        found = list(db.session().scalars(select(Signature).order_by(Signature.id)))
        for s in found:
            db.session().expunge(s)
        return found


def verify(client: FlaskClient, pid: int, entity: str, entity_id: int, version: int,
           back: str = "") -> Any:
    return client.post(f"/participants/{pid}/verify", data={
        "entity": entity, "entity_id": entity_id, "version": version, "back": back},
        follow_redirects=True)


def sign(client: FlaskClient, pid: int, password: str = PASSWORD, **changes: Any) -> Any:
    opened = page(client.get(f"/participants/{pid}/sign"))
    data = {"confirmed": "y", "password": password,
            "version": opened.value("version"), **changes}
    return client.post(f"/participants/{pid}/sign", data=data)


def raise_query(app: Flask, pid: int, visit_id: int) -> int:
    """A query on the visit's date, as the queries' own pages would write it."""
    with app.app_context():
        session = db.session()
        with audited(session, "monitor"):
            query = DataQuery(participant_id=pid, entity="visit", entity_id=visit_id,
                              field="actual_date", text="Is the sample date right?",
                              raised_by="monitor")
            session.add(query)
            session.commit()
        return query.id


def close_query(app: Flask, query_id: int) -> None:
    with app.app_context():
        session = db.session()
        with audited(session, "monitor"):
            query = session.get(DataQuery, query_id)
            query.status = QueryStatus.CLOSED
            query.closed_by = "monitor"
            session.commit()


def test_verification_signature_and_their_undoing_in_protocol_order(
        app: Flask, as_role, child: int) -> None:
    monitor, nurse, investigator = as_role("monitor"), as_role("nurse"), as_role("investigator")
    w02, w02_version = visit_of(app, child, "W02")
    ae, ae_version = entry_of(app, child)

    # The monitor verifies W02 from its page, and the adverse event from the child's list.
    response = verify(monitor, child, "visit", w02, w02_version, back=f"/visits/{w02}")
    assert ("success", "Marked as verified against the source.") in page(response).flashes
    assert "Verified by monitor on" in page(response).text
    response = verify(monitor, child, "log_entry", ae, ae_version)
    assert response.request.path == f"/participants/{child}/verification"
    assert set(marks(app)) == {("visit", w02), ("log_entry", ae)}
    detail = page(nurse.get(f"/participants/{child}"))
    assert "Verified against the source: 2 / 6 records" in detail.text
    # The child's history says which records were checked.
    history = page(monitor.get(f"/participants/{child}/history")).text
    assert "W02 Verified against the source documents" in history
    assert "Adverse events, entry 1 Verified against the source documents" in history

    # The nurse corrects W02's creatinine: the mark is cleared, and the page says who and what.
    day = factories.targets(app, child)["W02"]
    factories.enter_results(app, child, "W02", day, creatinine=("42", "umol/L"),
                            reason="Transcription error")
    mark = marks(app)[("visit", w02)]
    assert mark.cleared_at is not None and mark.cleared_reason.startswith("nurse: result ")
    shown = page(monitor.get(f"/visits/{w02}")).text
    assert "Verification cleared: nurse changed W02 Serum creatinine on" in shown
    assert "Verified against the source: 1 / 6 records" in page(
        nurse.get(f"/participants/{child}")).text
    # Re-verifying renews the same row.
    w02, w02_version = visit_of(app, child, "W02")
    verify(monitor, child, "visit", w02, w02_version)
    again = marks(app)[("visit", w02)]
    assert again.id == mark.id and again.cleared_at is None
    # The history tells the mark, its clearing by the correction, and the mark again.
    history = page(monitor.get(f"/participants/{child}/history?visit=W02")).text
    assert history.count("W02 Verified against the source documents") == 2
    assert history.count("W02 Verification cleared") == 1

    # The investigator cannot sign while a query is open; it is named and linked.
    query = raise_query(app, child, w02)
    refused = sign(investigator, child)
    assert refused.status_code == 422
    assert ("1 query on this casebook is not closed: it cannot be signed until every query "
            "is closed.") in page(refused).text
    assert f"#query-{query}" in html_of(refused)
    assert signatures(app) == []

    # Closed, a wrong password is refused at its field, keeping the name typed (not the
    # password), and audited like a failed log-in.
    close_query(app, query)
    wrong = sign(investigator, child, password="not-my-password")
    assert wrong.status_code == 422
    assert wrong_page(wrong).errors["password"] == [
        "This is not your password. Nothing was signed."]
    assert "prints your name as your account holds it: Dr Li Ming (investigator)" in (
        wrong_page(wrong).text)
    assert "not-my-password" not in html_of(wrong)
    with app.app_context():
        assert db.session().scalars(select(User.failed_logins).where(
            User.username == "investigator")).one() == 1
        assert db.session().scalars(select(AuditEvent.new).where(
            AuditEvent.reason == "Wrong password at signing")).all() == ["1"]

    signed = sign(investigator, child)
    assert signed.status_code == 302
    [signature] = signatures(app)
    assert (signature.signed_by, signature.printed_name, signature.voided_at) == (
        "investigator", "Dr Li Ming", None)
    assert "confirm that it is accurate and complete" in signature.meaning
    assert "确认其准确、完整" in signature.meaning
    detail = page(nurse.get(f"/participants/{child}")).text
    assert "Signed by Dr Li Ming (investigator) on" in detail

    # A later change voids it, and the participant page and the casebook say why.
    with_w04 = factories.targets(app, child)["W04"]
    factories.enter_results(app, child, "W04", with_w04, creatinine=("43", "umol/L"),
                            reason="Lab re-run")
    [signature] = signatures(app)
    assert signature.voided_at is not None
    detail = page(nurse.get(f"/participants/{child}")).text
    assert "The casebook is not signed." in detail
    assert "Signature voided: nurse changed W04 Serum creatinine on" in detail
    casebook = page(monitor.get(f"/participants/{child}/casebook")).text
    assert "Signature voided: nurse changed W04 Serum creatinine on" in casebook
    assert "Dr Li Ming (investigator)" in casebook

    # Signed again: the page says it is signed, and no longer that a signature was voided.
    assert sign(investigator, child).status_code == 302
    detail = page(nurse.get(f"/participants/{child}")).text
    assert "Signed by Dr Li Ming (investigator) on" in detail
    assert "Signature voided" not in detail


def wrong_page(response: Any) -> Any:
    return page(response)


def test_only_a_monitor_verifies_and_only_an_investigator_signs(
        app: Flask, as_role, child: int) -> None:
    w02, version = visit_of(app, child, "W02")
    for role in ("nurse", "investigator", "admin", "unblinded"):
        client = as_role(role)
        assert client.post(f"/participants/{child}/verify", data={
            "entity": "visit", "entity_id": w02, "version": version}).status_code == 403
        assert "Mark as verified" not in page(client.get(f"/visits/{w02}")).text
    for role in ("nurse", "monitor", "admin", "unblinded"):
        client = as_role(role)
        assert client.get(f"/participants/{child}/sign").status_code == 403
        assert client.post(f"/participants/{child}/sign", data={}).status_code == 403
        assert "Sign the casebook" not in page(client.get(f"/participants/{child}")).text
    assert "Sign the casebook" in page(as_role("investigator").get(
        f"/participants/{child}")).text
    assert marks(app) == {} and signatures(app) == []


def test_a_stale_page_marks_and_signs_nothing(app: Flask, as_role, child: int) -> None:
    monitor, investigator = as_role("monitor"), as_role("investigator")
    w02, version = visit_of(app, child, "W02")
    opened = page(investigator.get(f"/participants/{child}/sign")).value("version")
    factories.enter_results(app, child, "W02", factories.targets(app, child)["W02"],
                            creatinine=("42", "umol/L"), reason="Transcription error")
    response = verify(monitor, child, "visit", w02, version)
    assert ("error", "This record was changed after you opened the page. Nothing was marked: "
            "read the values again and mark them verified then.") in page(response).flashes
    assert marks(app) == {}
    response = investigator.post(f"/participants/{child}/sign", data={
        "printed_name": "Dr Li Ming", "confirmed": "y", "password": PASSWORD,
        "version": opened})
    assert response.status_code == 409
    assert "The casebook was changed after you opened this page." in page(response).text
    assert signatures(app) == []


def test_a_visit_not_done_and_a_removed_entry_cannot_be_verified(
        app: Flask, as_role, child: int) -> None:
    monitor = as_role("monitor")
    w08, version = visit_of(app, child, "W08")
    response = verify(monitor, child, "visit", w08, version)
    assert ("error", "Visit W08 is not done: only a done visit with its results can be "
            "verified.") in page(response).flashes
    assert marks(app) == {}


def test_the_casebook_shows_every_value_with_its_unit_in_either_language_never_the_arm(
        app: Flask, as_role, child: int) -> None:
    monitor = as_role("monitor")
    factories.enter_results(app, child, "W02", factories.targets(app, child)["W02"],
                            creatinine=("0.5", "mg/dL"), reason="Typed in mg/dL")
    english = monitor.get(f"/participants/{child}/casebook")
    text = page(english).text
    assert "Casebook of AS-001" in text
    assert "0.5 mg/dL" in text and "44.2 µmol/L" in text
    assert "Fever" in text and "Audit trail" in text
    assert "casebook.css" in html_of(english)  # printed without the header and navigation
    chinese = page(monitor.get(f"/participants/{child}/casebook", headers=ZH)).text
    assert "0.5 mg/dL" in chinese and "稽查轨迹" in chinese
    for response in (english, as_role("unblinded").get(f"/participants/{child}/casebook")):
        html = html_of(response)
        assert "hUC-MSC" not in html and "placebo" not in html.lower()
        assert "MSC\"" not in html and "PBO" not in html and "安慰剂" not in html


def test_the_casebook_and_the_review_pages_run_fixed_queries(app: Flask, as_role) -> None:
    with app.app_context():
        services.load_allocation(context_for(SET_UP), allocation_csv(pairs=6))
    monitor = as_role("monitor")
    add_children(app, 1, 3, "with results")
    urls = ["/participants/1/casebook", "/participants/1/verification", "/participants/1",
            "/participants/"]
    few = {url: queries_for(app, monitor, url) for url in urls}
    add_children(app, 4, 12, "with results")
    assert {url: queries_for(app, monitor, url) for url in urls} == few


def test_the_signatures_are_exported_in_force_and_voided_with_why(
        app: Flask, as_role, child: int) -> None:
    investigator = as_role("investigator")
    assert sign(investigator, child).status_code == 302
    factories.enter_results(app, child, "W04", factories.targets(app, child)["W04"],
                            creatinine=("43", "umol/L"), reason="Lab re-run")
    # The name is corrected on the account: the new signature prints it, the old one keeps its.
    admin = as_role("admin")
    investigator_id = user_id(app, "investigator")
    form = page(admin.get("/admin/users"))
    assert admin.post(f"/admin/users/{investigator_id}/name", data={
        f"u{investigator_id}-name-full_name": "李明 Li Ming",
        f"u{investigator_id}-name-reason": "Name as on the hospital badge",
        f"u{investigator_id}-name-was": form.value(f"u{investigator_id}-name-was")},
    ).status_code == 302
    assert sign(investigator, child).status_code == 302
    with app.app_context():
        file = io.BytesIO()
        exports.write(db.session(), app.extensions["edc_study"], "csv", "monitor", file,
                      datetime(2026, 4, 27, 8, 30, tzinfo=UTC))
    with zipfile.ZipFile(file) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("sign.csv").decode("utf-8-sig"))))
    assert [(r["USUBJID"], r["SIGNBY"], r["SIGNNAME"]) for r in rows] == [
        ("NCT06731192-AS-001", "investigator", "Dr Li Ming"),
        ("NCT06731192-AS-001", "investigator", "李明 Li Ming")]
    assert rows[0]["VOIDDTC"] and rows[0]["VOIDRSN"].startswith("nurse: result ")
    assert rows[1]["VOIDDTC"] == "" and rows[1]["VOIDRSN"] == ""
    assert "accurate and complete. / 本人已审阅" in rows[0]["SIGNMEAN"]
    assert rows[0]["SIGNDTC"].endswith("Z")


def test_a_password_typed_in_full_width_signs_as_at_log_in(app: Flask, allocation: None,
                                                           as_role) -> None:
    child = factories.child(app, "scheduled")
    full_width = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in PASSWORD)
    response = sign(as_role("investigator"), child, password=full_width)
    assert response.status_code == 302, page(response).errors


def test_the_casebook_tells_a_query_answered_by_a_correction_in_words(
        app: Flask, as_role, child: int) -> None:
    w02, _version = visit_of(app, child, "W02")
    with app.app_context():
        session = db.session()
        creatinine = session.scalars(select(Result.id).where(
            Result.visit_id == w02, Result.field == "creatinine")).one()
        with audited(session, "monitor"):
            session.add(DataQuery(participant_id=child, entity="result", entity_id=creatinine,
                                  field="typed_value", text="Is the creatinine right?",
                                  raised_by="monitor"))
            session.commit()
    factories.enter_results(app, child, "W02", factories.targets(app, child)["W02"],
                            creatinine=("42", "umol/L"), reason="Transcription error")
    for headers, words in (({}, "corrected the value, which answers the query"),
                           (ZH, "更正了数值，即回复了质疑")):
        thread = page(as_role("monitor").get(f"/participants/{child}/casebook",
                                             headers=headers)).text
        thread = thread.split("Is the creatinine right?", 1)[1].split("</section>")[0]
        assert words in thread and "42 µmol/L" in thread
        assert "Transcription error" in thread and "typed_value" not in thread


@pytest.mark.parametrize("back", ["//evil.example/", "/\t/evil.example", "/\\evil.example",
                                  "https://evil.example/", "/\n/evil.example"])
def test_going_back_after_verifying_never_leaves_the_site(app: Flask, as_role,
                                                          child: int, back: str) -> None:
    monitor = as_role("monitor")
    w02, w02_version = visit_of(app, child, "W02")
    response = monitor.post(f"/participants/{child}/verify", data={
        "entity": "visit", "entity_id": w02, "version": w02_version, "back": back})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/participants/{child}/verification"
    assert set(marks(app)) == {("visit", w02)}


def test_a_new_log_entry_voids_the_signature_saying_what_was_entered_not_its_form_or_number(
        app: Flask, as_role, child: int) -> None:
    investigator, nurse = as_role("investigator"), as_role("nurse")
    assert sign(investigator, child).status_code == 302
    factories.log_entry(app, child, "adverse_events", {**FEVER, "term": "Headache"})
    [signature] = signatures(app)
    assert signature.voided_at is not None
    assert " form" not in signature.voided_reason and " number" not in signature.voided_reason
    assert "term" in signature.voided_reason
    detail = page(nurse.get(f"/participants/{child}")).text
    voided = re.search(r"Signature voided: [^\n]*", detail).group(0)
    assert "Adverse events, entry 2" in voided and " form" not in voided, voided


def test_a_signature_prints_the_accounts_name_never_one_typed_at_signing(
        app: Flask, as_role, child: int) -> None:
    investigator = as_role("investigator")
    assert "The signature prints your name as your account holds it: Dr Li Ming " \
           "(investigator)." in page(investigator.get(f"/participants/{child}/sign")).text
    assert sign(investigator, child, printed_name="张三").status_code == 302
    [signature] = signatures(app)
    assert signature.printed_name == "Dr Li Ming"
    history = page(as_role("monitor").get(f"/participants/{child}/history")).text
    assert "Casebook signed by Dr Li Ming" in history


def test_an_account_without_a_name_cannot_sign_until_an_administrator_adds_it(
        app: Flask, as_role, child: int) -> None:
    with app.app_context():
        session = db.session()
        with audited(session, "admin", "Name to be checked"):
            session.get(User, user_id(app, "investigator")).full_name = None
            session.commit()
    investigator = as_role("investigator")
    message = ("Your account holds no full name for the signature to print. Ask an "
               "administrator to enter it on the Users page, then sign.")
    assert message in page(investigator.get(f"/participants/{child}/sign")).text
    refused = sign(investigator, child)
    assert refused.status_code == 422 and message in page(refused).text
    assert signatures(app) == []
    users = page(as_role("admin").get("/admin/users")).text
    assert "no name: cannot sign" in users


def test_a_corrected_infusion_date_voids_the_signature_naming_the_moved_visits_once(
        app: Flask, as_role, child: int) -> None:
    investigator = as_role("investigator")
    assert sign(investigator, child).status_code == 302
    with app.app_context():
        ctx = context_for(db.session().scalars(select(User).where(
            User.username == "nurse")).one())
        participant = db.session().get(Participant, child)
        second = participant.infusion(2)
        data = services.InfusionData(date=second.date.replace(day=second.date.day - 1),
                                     weight_kg=second.weight_kg,
                                     product_lot=second.product_lot, volume_ml=second.volume_ml)
        services.save_infusion(ctx, participant, 2, data, reason="Date misread",
                               confirmed_date=data.date)
        in_order = [v.code for v in sorted(participant.visits, key=lambda v: v.target_date)]
        planned = {v.code for v in participant.visits if v.status == "planned"}
    voided = re.search(r"Signature voided: [^\n<]*",
                       page(investigator.get(f"/participants/{child}")).text).group(0)
    # What the nurse changed, then the visits the schedule moved, once, in the schedule's order.
    assert "Infusion 2 Infusion date; the days of " in voided, voided
    moved = voided.split("the days of ")[1].split(", with the schedule")[0].split(", ")
    assert moved == [code for code in in_order if code in moved] and planned <= set(moved)
    assert "anchor" not in voided and "target" not in voided, voided


def test_the_investigators_worklist_lists_the_casebooks_to_sign(app: Flask, as_role,
                                                                child: int) -> None:
    """A child whose follow-up ended waits for the signature; signing takes it off the list; a
    later change voids the signature and puts it back, first."""
    investigator, nurse = as_role("investigator"), as_role("nurse")
    done = factories.child(app, "completed", "AS-002")
    factories.child(app, "withdrawn", "AS-003")
    factories.child(app, "scheduled", "AS-004")  # still in follow-up: not yet

    def listed() -> list[str]:
        section = re.search(r'<section id="to-sign">.*?</section>',
                            investigator.get("/").text, re.S).group(0)
        return [" | ".join(" ".join(re.sub(r"<[^>]+>", " ", cell).split())
                           for cell in re.findall(r"<td>(.*?)</td>", row, re.S))
                for row in re.findall(r"<tr data-to-sign=.*?</tr>", section, re.S)]

    follow_up_ended = "Follow-up ended; not signed yet | Sign the casebook"
    assert listed() == [f"AS-002 | completed | {follow_up_ended}",
                        f"AS-003 | withdrawn | {follow_up_ended}"]
    assert 'id="to-sign"' not in nurse.get("/").text  # only who signs is asked to
    assert sign(investigator, done).status_code == 302
    assert sign(investigator, child).status_code == 302  # in follow-up, signed by choice
    assert listed() == [f"AS-003 | withdrawn | {follow_up_ended}"]
    factories.log_entry(app, child, "adverse_events", {**FEVER, "term": "Headache"})
    [voided] = listed()[:1]
    assert voided.startswith("AS-001 | enrolled | Signature voided on ") and voided.endswith(
        "by a later change | Sign the casebook")
    assert listed()[1:] == [f"AS-003 | withdrawn | {follow_up_ended}"]
