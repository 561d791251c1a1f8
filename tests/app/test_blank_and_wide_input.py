"""Blank-looking input and what a Chinese keyboard types.

A required date or number holding only blanks (space, tab, U+00A0 no-break space, U+3000
ideographic space) is no input: it gets the field's own message, status 422, the rest of the
form kept and nothing stored. Full-width digits and punctuation ("２４．５", "２０２６－０３－０２",
"９：３０") read as their ASCII twins; characters whose compatibility form changes the number
("2⁴" is not 24) are refused with a message. "Today" is 2026-04-27 (support.apps.TODAY).
"""

from __future__ import annotations

from datetime import date, time

import pytest
from flask import Flask
from sqlalchemy import select

from edc import db
from edc.models import Infusion, Participant, Result, Visit
from tests.support.audit import audit_count
from tests.support.forms import enrolment_form, infusion_form, results_form, submit, withdrawal_form
from tests.support.records import visit_id

BLANKS = [" ", "\t", "\u00a0", "\u3000", "\u3000\u3000", " \u3000\t\u00a0 "]
BLANK_IDS = ["space", "tab", "nbsp", "ideographic", "two-ideographic", "mixed"]


def stored_participant(app: Flask, code: str = "AS-001") -> Participant | None:
    with app.app_context():
        return db.session().scalars(select(Participant).where(Participant.code == code)).first()


ENROLMENT_MESSAGES = {
    "date_of_birth": "Enter the date of birth.",
    "weight_kg": "Enter the weight in kg.",
    "height_cm": "Enter the height in cm.",
    "consent_date": "Enter the consent date.",
    "screening_egfr": "Enter the screening eGFR.",
}


@pytest.mark.parametrize("blank", BLANKS, ids=BLANK_IDS)
@pytest.mark.parametrize("name", list(ENROLMENT_MESSAGES))
def test_a_blank_required_enrolment_field_gets_its_own_message_and_nothing_is_saved(
        app, nurse, allocation, name, blank) -> None:
    before = audit_count(app)
    response = nurse.post("/participants/enrol", data=enrolment_form(app, **{name: blank},
                                                                      code="AS-002"))
    assert response.status_code == 422, response.text[:300]
    assert ENROLMENT_MESSAGES[name] in response.text
    assert 'value="AS-002"' in response.text  # the rest is kept
    assert stored_participant(app, "AS-002") is None
    assert audit_count(app) == before


INFUSION_MESSAGES = {
    "date": "Enter the infusion date.",
    "weight_kg": "Enter the weight in kg.",
    "volume_ml": "Enter the volume in mL.",
}


@pytest.mark.parametrize("blank", BLANKS, ids=BLANK_IDS)
@pytest.mark.parametrize("name", list(INFUSION_MESSAGES))
def test_a_blank_required_infusion_field_gets_its_own_message_and_nothing_is_saved(
        app, nurse, enrolled, name, blank) -> None:
    before = audit_count(app)
    response = nurse.post(f"/participants/{enrolled}/infusions/1",
                          data=infusion_form(**{name: blank}, product_lot="LOT-KEPT"))
    assert response.status_code == 422, response.text[:300]
    assert INFUSION_MESSAGES[name] in response.text
    assert 'value="LOT-KEPT"' in response.text
    assert audit_count(app) == before


@pytest.mark.parametrize("blank", BLANKS, ids=BLANK_IDS)
def test_a_blank_booking_date_gets_its_own_message_and_nothing_is_booked(
        app, nurse, scheduled, blank) -> None:
    w08 = visit_id(app, scheduled, "W08")
    before = audit_count(app)
    response = submit(nurse, f"/visits/{w08}/book", {"date": blank, "time": "10:15"})
    assert response.status_code == 422, response.text[:300]
    assert "Enter the appointment date." in response.text
    assert 'value="10:15"' in response.text
    assert audit_count(app) == before


@pytest.mark.parametrize("blank", BLANKS, ids=BLANK_IDS)
def test_a_blank_sample_date_gets_its_own_message_and_no_result_is_saved(
        app, nurse, scheduled, blank) -> None:
    w06 = visit_id(app, scheduled, "W06")
    before = audit_count(app)
    response = nurse.post(f"/visits/{w06}", data=results_form(nurse, w06, sample_date=blank))
    assert response.status_code == 422, response.text[:300]
    assert "Enter the sample date." in response.text
    assert 'value="420"' in response.text
    assert audit_count(app) == before


@pytest.mark.parametrize("blank", BLANKS, ids=BLANK_IDS)
def test_a_reason_of_only_blanks_is_no_reason(app, nurse, scheduled, blank) -> None:
    w02 = visit_id(app, scheduled, "W02")
    before = audit_count(app)
    withdraw = submit(nurse, f"/participants/{scheduled}/withdraw",
                      withdrawal_form(blank))
    assert withdraw.status_code == 422
    assert "Say why the child leaves the study." in withdraw.text
    submit(nurse, f"/visits/{w02}/missed", {"reason": blank})
    assert audit_count(app) == before
    with app.app_context():
        assert db.session().get(Visit, w02).status == "planned"
        assert db.session().get(Participant, scheduled).status == "enrolled"


def test_text_is_saved_without_the_blanks_at_its_ends(app, nurse, allocation) -> None:
    response = nurse.post("/participants/enrol",
                          data=enrolment_form(app, code="\u3000AS-003\u00a0"))
    assert response.status_code == 302, response.text[:300]
    child = stored_participant(app, "AS-003")
    assert child is not None


def test_full_width_numbers_and_dates_are_read_as_their_ascii_twins(app, nurse, allocation):
    response = nurse.post("/participants/enrol", data=enrolment_form(
        app, weight_kg="２４．５", height_cm="１２５", screening_egfr="９８",
        consent_date="２０２６－０２－２０", date_of_birth="２０１８－０５－１０"))
    assert response.status_code == 302, response.text[:500]
    child = stored_participant(app)
    assert (child.weight_kg, child.height_cm, child.screening_egfr) == (24.5, 125, 98)
    assert (child.consent_date, child.date_of_birth) == (date(2026, 2, 20), date(2018, 5, 10))

    response = nurse.post(f"/participants/{child.id}/infusions/1", data=infusion_form(
        date="２０２６－０３－０２", weight_kg="\u3000２４．５\u3000", volume_ml="５０"))
    assert response.status_code == 302, response.text[:500]
    with app.app_context():
        infusion = db.session().scalars(select(Infusion)).one()
        assert (infusion.date, infusion.weight_kg, infusion.volume_ml) == (
            date(2026, 3, 2), 24.5, 50)


def test_a_full_width_booking_time_and_result_are_read_as_ascii(app, nurse, scheduled) -> None:
    w08 = visit_id(app, scheduled, "W08")
    response = submit(nurse, f"/visits/{w08}/book", {"date": "２０２６－０５－１２",
                                                   "time": "９：３０"})
    assert response.status_code == 302, response.text[:500]
    with app.app_context():
        booked = db.session().get(Visit, w08)
        assert (booked.booked_date, booked.booked_time) == (date(2026, 5, 12), time(9, 30))

    w06 = visit_id(app, scheduled, "W06")
    response = nurse.post(f"/visits/{w06}", data=results_form(
        nurse, w06, sample_date="２０２６－０４－２７", upcr=("０．４５", "mg/mg")))
    assert response.status_code == 302, response.text[:500]
    with app.app_context():
        upcr = db.session().scalars(select(Result).where(Result.visit_id == w06,
                                                         Result.field == "upcr")).one()
        assert (upcr.typed_value, upcr.value) == ("0.45", 0.45)


@pytest.mark.parametrize("typed", ["2⁴", "２⁴", "½", "①"])
def test_characters_whose_compatibility_form_changes_the_number_are_refused(
        app, nurse, allocation, typed) -> None:
    response = nurse.post("/participants/enrol", data=enrolment_form(app, weight_kg=typed))
    assert response.status_code == 422
    assert "Expected a number in kg." in response.text
    assert stored_participant(app) is None


@pytest.mark.parametrize("typed", ["24。5", "２４。５"])
def test_the_ideographic_full_stop_a_chinese_keyboard_types_is_a_decimal_point(
        app, nurse, allocation, typed) -> None:
    response = nurse.post("/participants/enrol", data=enrolment_form(app, weight_kg=typed))
    assert response.status_code == 302, response.text[:500]
    assert stored_participant(app).weight_kg == 24.5


@pytest.mark.parametrize("typed, expected", [("9:30", time(9, 30)), ("09:30", time(9, 30)),
                                             (" 9:30 ", time(9, 30)), ("0:05", time(0, 5)),
                                             ("23:59", time(23, 59))])
def test_a_time_with_one_or_two_hour_digits_is_booked(app, nurse, scheduled, typed,
                                                      expected) -> None:
    w08 = visit_id(app, scheduled, "W08")
    response = submit(nurse, f"/visits/{w08}/book", {"date": "2026-05-12", "time": typed})
    assert response.status_code == 302, response.text[:500]
    with app.app_context():
        assert db.session().get(Visit, w08).booked_time == expected


@pytest.mark.parametrize("typed", ["25:00", "9:75", "24:00", "930", "9:3", "-1:00", "9:30pm"])
def test_an_impossible_time_is_refused_at_the_field(app, nurse, scheduled, typed) -> None:
    w08 = visit_id(app, scheduled, "W08")
    before = audit_count(app)
    response = submit(nurse, f"/visits/{w08}/book", {"date": "2026-05-12", "time": typed})
    assert response.status_code == 422
    assert "Expected a time from 00:00 to 23:59, like 09:30." in response.text
    assert audit_count(app) == before
