"""Two people on one record: a save from a page opened on an older version, or a save at the same
moment as another, is refused with what the other person saved; nothing of it is stored, what
was typed is kept, and the answer is 409 - never a 500, never a silent overwrite.

"Today" is 2026-04-27. The `scheduled` child AS-001 has W08 with the window 2026-05-08..05-14.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Callable
from datetime import date, time
from typing import Any

import pytest
from flask import Flask, current_app
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from edc import db, services
from edc.models import AuditEvent, Participant, User, Visit
from edc.read.participants import load_participant
from tests.support.apps import TODAY
from tests.support.audit import audit_count, watermark
from tests.support.forms import infusion_form, submit, termination, withdrawal_form
from tests.support.records import visit_id

CHANGED = "was changed by someone else after you opened this page"
NOTHING = "Nothing was saved; what you typed is still in the form"


def stored_visit(app: Flask, visit: int) -> Visit:
    with app.app_context():
        return db.session().get(Visit, visit)


def stored_participant(app: Flask, pid: int) -> Participant:
    with app.app_context():
        return db.session().get(Participant, pid)


def version_in(page: str, action: str | None) -> str:
    """The hidden version carried by the form that posts to action (None: the page's one
    form, which posts to the page itself)."""
    pattern = ("<form(?![^>]*action=)" if action is None
               else rf'<form[^>]*action="{re.escape(action)}"')
    form = re.search(rf'{pattern}.*?</form>', page, re.S)
    assert form, action
    return re.search(r'name="version"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="version"',
                     form.group(0)).group(1)


def messages(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", page))


# A page opened on an older version ------------------------------------------------------------


def test_a_booking_from_an_out_of_date_page_does_not_replace_the_other_booking(
        app, as_role, scheduled) -> None:
    w08 = visit_id(app, scheduled, "W08")
    first, second = as_role("nurse"), as_role("investigator")
    opened = version_in(first.get(f"/visits/{w08}").text, f"/visits/{w08}/book")
    assert second.post(f"/visits/{w08}/book", data={
        "date": "2026-05-12", "time": "09:30",
        "version": version_in(second.get(f"/visits/{w08}").text, f"/visits/{w08}/book"),
    }).status_code == 302
    before = audit_count(app)
    response = first.post(f"/visits/{w08}/book", data={"date": "2026-05-13", "time": "14:00",
                                                       "version": opened})
    assert response.status_code == 409
    text = messages(response.text)
    assert (f"W08 {CHANGED} (investigator: appointment date — → 2026-05-12, appointment time "
            f"— → 09:30:00)") in text
    assert NOTHING in text
    assert 'value="2026-05-13"' in response.text and 'value="14:00"' in response.text
    booked = stored_visit(app, w08)
    assert (str(booked.booked_date), str(booked.booked_time)) == ("2026-05-12", "09:30:00")
    assert audit_count(app) == before
    # The form now carries the stored version: saving again after a look is a change on purpose.
    again = version_in(response.text, f"/visits/{w08}/book")
    assert again == str(booked.version)
    assert first.post(f"/visits/{w08}/book", data={"date": "2026-05-13", "time": "14:00",
                                                   "version": again}).status_code == 302
    assert str(stored_visit(app, w08).booked_date) == "2026-05-13"


def test_marking_missed_from_an_out_of_date_page_is_refused_and_the_reason_kept(
        app, as_role, scheduled) -> None:
    w06 = visit_id(app, scheduled, "W06")  # window 24-30 April: open today
    first, second = as_role("nurse"), as_role("investigator")
    opened = version_in(first.get(f"/visits/{w06}").text, f"/visits/{w06}/missed")
    assert submit(second, f"/visits/{w06}/book", {"date": "2026-04-28"}).status_code == 302
    before = audit_count(app)
    response = first.post(f"/visits/{w06}/missed", data={"reason": "Family abroad",
                                                         "version": opened})
    assert response.status_code == 409
    assert f"W06 {CHANGED} (investigator: appointment date — → 2026-04-28)" in messages(
        response.text)
    assert 'value="Family abroad"' in response.text
    assert stored_visit(app, w06).status == "planned"
    assert audit_count(app) == before


@pytest.mark.parametrize("version", ["abc", "-1", "99999", "１"])
def test_a_forged_version_is_a_conflict_not_a_save_nor_a_server_error(
        app, nurse, scheduled, version) -> None:
    w08 = visit_id(app, scheduled, "W08")
    before = audit_count(app)
    response = nurse.post(f"/visits/{w08}/book", data={"date": "2026-05-12", "version": version})
    assert response.status_code == 409
    assert CHANGED in response.text
    assert stored_visit(app, w08).booked_date is None
    assert audit_count(app) == before


def participant_forms(app: Flask, client: FlaskClient, pid: int) -> dict[str, str]:
    page = client.get(f"/participants/{pid}").text
    actions = {"add": f"/participants/{pid}/visits",
               "withdraw": f"/participants/{pid}/withdraw#withdraw",
               "issue": f"/participants/{pid}/calendar-link"}
    return {name: version_in(page, action) for name, action in actions.items()}


@pytest.mark.parametrize("action, path, data", [
    ("add", "visits", {"kind": "unscheduled", "date": "2026-04-20", "reason": "Gross haematuria"}),
    ("withdraw", "withdraw", withdrawal_form()),
    ("issue", "calendar-link", {}),
])
def test_a_participant_form_from_an_out_of_date_page_is_refused_with_the_other_change(
        app, as_role, scheduled, action, path, data) -> None:
    first, second = as_role("nurse"), as_role("investigator")
    opened = participant_forms(app, first, scheduled)[action]
    assert submit(second, f"/participants/{scheduled}/calendar-link").status_code == 302
    before = audit_count(app)
    response = first.post(f"/participants/{scheduled}/{path}", data={**data, "version": opened})
    assert response.status_code == 409
    text = messages(response.text)
    assert f"AS-001 {CHANGED} (investigator: calendar link — → (changed))" in text
    for value in data.values():
        if action != "add" or value != "unscheduled":
            assert f'value="{value}"' in response.text, value
    child = stored_participant(app, scheduled)
    assert child.status == "enrolled"
    assert audit_count(app) == before
    # The page shown again carries the new version.
    assert participant_forms(app, first, scheduled)[action] == str(child.version)


def test_revoking_the_link_from_an_out_of_date_page_keeps_the_new_link(
        app, as_role, scheduled) -> None:
    first, second = as_role("nurse"), as_role("investigator")
    assert submit(first, f"/participants/{scheduled}/calendar-link").status_code == 302
    page = first.get(f"/participants/{scheduled}").text
    opened = version_in(page, f"/participants/{scheduled}/calendar-link/revoke")
    assert submit(second, f"/participants/{scheduled}/calendar-link").status_code == 302
    token = stored_participant(app, scheduled).calendar_token
    response = first.post(f"/participants/{scheduled}/calendar-link/revoke",
                          data={"version": opened})
    assert response.status_code == 409
    assert stored_participant(app, scheduled).calendar_token == token


def test_anchoring_on_infusion_1_from_an_out_of_date_page_is_refused(
        app, as_role, enrolled) -> None:
    first, second = as_role("nurse"), as_role("investigator")
    assert first.post(f"/participants/{enrolled}/infusions/1",
                      data=infusion_form()).status_code == 302
    opened = version_in(first.get(f"/participants/{enrolled}").text,
                        f"/participants/{enrolled}/anchor-on-first")
    assert submit(second, f"/participants/{enrolled}/calendar-link").status_code == 302
    response = first.post(f"/participants/{enrolled}/anchor-on-first",
                          data={"reason": "Fever on the day", "version": opened})
    assert response.status_code == 409
    assert CHANGED in response.text and 'value="Fever on the day"' in response.text
    child = stored_participant(app, enrolled)
    assert child.anchor_infusion is None
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Visit)) == 0


# Two saves at the same moment ------------------------------------------------------------------


def interleaved(app: Flask, load: Callable[[Session], Any],
                save: Callable[[Session, Any, str], Any]) -> Exception | None:
    """The nurse and the investigator read the same record in two sessions; the investigator
    saves and commits first, then the nurse saves: what the nurse's save answered."""
    factory = app.extensions["edc_session"].session_factory
    with app.test_request_context():
        late, early = factory(), factory()
        try:
            mine, theirs = load(late), load(early)
            save(early, theirs, "investigator")
            try:
                save(late, mine, "nurse")
            except Exception as error:  # noqa: BLE001 - the answer is what is checked
                return error
            return None
        finally:
            late.close()
            early.close()


def user(session: Session, name: str) -> User:
    return session.scalars(select(User).where(User.username == name)).one()


def acting(session: Session, name: str) -> services.Context:
    """The context of the named user saving in their own session, today."""
    ext = current_app.extensions
    return services.Context(session, ext["edc_study"], ext["edc_calendar"], user(session, name),
                            TODAY)


def visit_of(pid: int, code: str) -> Callable[[Session], Visit]:
    return lambda session: session.scalars(select(Visit).where(
        Visit.participant_id == pid, Visit.code == code)).one()


def participant(pid: int) -> Callable[[Session], Participant]:
    return lambda session: load_participant(session, pid)


def the_conflict(error: Exception | None, what: str) -> str:
    assert isinstance(error, services.Changed), repr(error)
    text = " ".join(error.messages)
    assert f"{what} {CHANGED}" in text and NOTHING in text
    return text


def test_two_bookings_at_the_same_moment_keep_the_first_and_refuse_the_second(
        app, scheduled) -> None:
    before = watermark(app)
    days = {"investigator": date(2026, 5, 12), "nurse": date(2026, 5, 13)}

    def book(session: Session, visit: Visit, name: str) -> None:
        services.book_visit(acting(session, name), visit, days[name], time(9, 30), "")

    error = interleaved(app, visit_of(scheduled, "W08"), book)
    text = the_conflict(error, "W08")
    assert "investigator: appointment date — → 2026-05-12" in text
    w08 = stored_visit(app, visit_id(app, scheduled, "W08"))
    assert str(w08.booked_date) == "2026-05-12"
    with app.app_context():
        rows = db.session().scalars(select(AuditEvent).where(AuditEvent.id > before)).all()
    assert {r.username for r in rows} == {"investigator"}  # nothing of the nurse's half-saved


def test_two_missed_at_the_same_moment_answer_a_conflict(app, scheduled) -> None:
    def missed(session: Session, visit: Visit, name: str) -> None:
        services.mark_missed(acting(session, name), visit, "No show")

    error = interleaved(app, visit_of(scheduled, "W02"), missed)
    the_conflict(error, "W02")
    assert stored_visit(app, visit_id(app, scheduled, "W02")).status == "missed"


@pytest.mark.parametrize("change", ["issue", "revoke"])
def test_two_calendar_link_changes_at_the_same_moment_answer_a_conflict(
        app, nurse, scheduled, change) -> None:
    assert submit(nurse, f"/participants/{scheduled}/calendar-link").status_code == 302
    act = {"issue": services.issue_calendar_link, "revoke": services.revoke_calendar_link}[change]

    def link(session: Session, child: Participant, name: str) -> None:
        act(acting(session, name), child)

    error = interleaved(app, participant(scheduled), link)
    the_conflict(error, "AS-001")


def test_two_unscheduled_visits_added_at_the_same_moment_answer_a_conflict(
        app, scheduled) -> None:
    def add(session: Session, child: Participant, name: str) -> None:
        services.add_visit(acting(session, name), child, "unscheduled", date(2026, 4, 20),
                           "Fever")

    error = interleaved(app, participant(scheduled), add)
    the_conflict(error, "AS-001")
    with app.app_context():
        codes = db.session().scalars(select(Visit.code).where(Visit.kind == "unscheduled")).all()
    assert codes == ["U01"]


def test_two_withdrawals_or_anchors_at_the_same_moment_answer_a_conflict(
        app, nurse, enrolled) -> None:
    assert nurse.post(f"/participants/{enrolled}/infusions/1",
                      data=infusion_form()).status_code == 302
    def anchor(session: Session, child: Participant, name: str) -> None:
        services.anchor_on_first_infusion(acting(session, name), child, "Fever on the day")

    error = interleaved(app, participant(enrolled), anchor)
    the_conflict(error, "AS-001")
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Visit)) == 11

    def withdraw(session: Session, child: Participant, name: str) -> None:
        services.withdraw(acting(session, name), child, termination())

    error = interleaved(app, participant(enrolled), withdraw)
    the_conflict(error, "AS-001")
    assert stored_participant(app, enrolled).status == "withdrawn"


def test_two_nurses_booking_through_the_app_at_once_get_one_booking_and_one_conflict(
        app, as_role, scheduled) -> None:
    w08 = visit_id(app, scheduled, "W08")
    clients = [as_role("nurse"), as_role("investigator")]
    opened = [version_in(c.get(f"/visits/{w08}").text, f"/visits/{w08}/book") for c in clients]
    barrier = threading.Barrier(2, timeout=30)
    answers: dict[int, Any] = {}

    def post(index: int) -> None:
        barrier.wait()
        answers[index] = clients[index].post(f"/visits/{w08}/book", data={
            "date": f"2026-05-1{index + 1}", "time": "09:30", "version": opened[index]})

    threads = [threading.Thread(target=post, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    statuses = sorted(a.status_code for a in answers.values())
    assert statuses == [302, 409], statuses
    winner = next(i for i, a in answers.items() if a.status_code == 302)
    loser = answers[1 - winner]
    assert CHANGED in loser.text
    assert f'value="2026-05-1{2 - winner}"' in loser.text  # the loser's typed date is kept
    assert str(stored_visit(app, w08).booked_date) == f"2026-05-1{winner + 1}"


# The first recording of an infusion -----------------------------------------------------------


def test_recording_an_infusion_someone_recorded_meanwhile_is_refused_with_what_they_saved(
        app, as_role, enrolled) -> None:
    """Both open the empty infusion 1 form; the investigator saves first. The nurse's save is
    not taken as a correction of it: it is refused, names what is stored, keeps what she typed,
    and only a save with a reason from the page it answers changes the infusion."""
    nurse, investigator = as_role("nurse"), as_role("investigator")
    url = f"/participants/{enrolled}/infusions/1"
    opened = version_in(nurse.get(url).text, None)
    assert opened == "0"
    assert investigator.post(url, data=infusion_form(
        product_lot="LOT-AAA", version=version_in(investigator.get(url).text, None))
    ).status_code == 302
    typed = infusion_form(date="2026-03-03", product_lot="LOT-BBB", version=opened)
    response = nurse.post(url, data=typed)
    assert response.status_code == 422
    text = messages(response.text)
    assert ("Infusion 1 was recorded by someone else after you opened this form: 2026-03-02, "
            "24.5 kg, lot LOT-AAA, 50 mL. Nothing was saved; what you typed is still in the "
            "form.") in text
    assert 'value="LOT-BBB"' in response.text and 'value="2026-03-03"' in response.text
    with app.app_context():
        stored = load_participant(db.session(), enrolled).infusion(1)
        assert (str(stored.date), stored.product_lot) == ("2026-03-02", "LOT-AAA")
        version = stored.version
    # The page it answers is now the correction of what is stored.
    assert version_in(response.text, None) == str(version)
    corrected = nurse.post(url, data={**typed, "version": str(version),
                                      "reason": "Lot checked against the label"})
    assert corrected.status_code == 302
    with app.app_context():
        stored = load_participant(db.session(), enrolled).infusion(1)
        assert (str(stored.date), stored.product_lot) == ("2026-03-03", "LOT-BBB")


def test_two_first_recordings_of_an_infusion_at_the_same_moment_answer_a_conflict(
        app, enrolled) -> None:
    lots = {"investigator": "LOT-AAA", "nurse": "LOT-BBB"}

    def record(session: Session, child: Participant, name: str) -> None:
        services.save_infusion(acting(session, name), child, 1, services.InfusionData(
            date=date(2026, 3, 2), weight_kg=24.5, product_lot=lots[name], volume_ml=50),
            expected_version=services.NOT_RECORDED)

    error = interleaved(app, participant(enrolled), record)
    the_conflict(error, "AS-001")
    with app.app_context():
        assert load_participant(db.session(), enrolled).infusion(1).product_lot == "LOT-AAA"
