"""Enrolling a child, as the research nurse sees it: the form, the eligibility rules, the refusals
and the concealed allocation list.

"Today" at the site is 2026-04-27 (support.apps.TODAY). Ages and dates below are worked out by hand.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import or_, select

from edc import db, services
from edc.app import context_for
from edc.models import Allocation, AuditEvent, Participant
from tests.support.apps import SET_UP
from tests.support.audit import audit_rows
from tests.support.forms import enrolment_form
from tests.support.pages import Page, html_of, page
from tests.support.records import participants

INCLUSION = [f"IN{i:02d}" for i in range(1, 9)]
EXCLUSION = [f"EX{i:02d}" for i in range(1, 16)]
CRITERIA = INCLUSION + EXCLUSION
CHILD_LABELS = [
    "Participant code",
    "Date of birth",
    "Sex",
    "Weight (kg)",
    "Height (cm)",
    "Consent date",
]
EGFR_LABEL = "Screening eGFR (mL/min/1.73m²)"


# Database checks ----------------------------------------------------------------------------


def assigned_allocations(app: Flask) -> dict[int, int]:
    """sequence -> participant id, for the entries of the list already given out."""
    with app.app_context():
        rows = db.session().execute(
            select(Allocation.sequence, Allocation.participant_id).where(
                Allocation.participant_id.is_not(None)
            )
        )
        return {seq: pid for seq, pid in rows}


def participant_audit_rows(app: Flask) -> list[AuditEvent]:
    return audit_rows(app, or_(AuditEvent.participant_id.is_not(None),
                               AuditEvent.entity == "participant"))


def assert_nothing_saved(app: Flask) -> None:
    assert participants(app) == []
    assert assigned_allocations(app) == {}
    assert participant_audit_rows(app) == []


def assert_typed_values_shown(p: Page, posted: dict[str, str]) -> None:
    """Every box holds what was typed and every answered question keeps its answer."""
    for name, typed in posted.items():
        if name.startswith("criterion_"):
            assert p.checked(name) == [typed], name
        else:
            assert p.value(name) == typed, name


def refused(app: Flask, client: FlaskClient, field: str, message: str,
            **overrides: str) -> Page:
    """Post the enrolment with overrides; check the refusal shown and that nothing is kept."""
    posted = enrolment_form(app, **overrides)
    response = client.post("/participants/enrol", data=posted)
    assert response.status_code == 422, response.text
    p = page(response)
    assert p.errors == {field: [message]}
    assert "Nothing was saved. Correct the fields marked below." in p.text
    assert_typed_values_shown(p, posted)
    assert_nothing_saved(app)
    return p


def enrol_ok(app: Flask, client: FlaskClient, **overrides: str) -> Participant:
    response = client.post("/participants/enrol", data=enrolment_form(app, **overrides))
    assert response.status_code == 302, response.text
    match = re.fullmatch(r"/participants/(\d+)", response.location)
    assert match, response.location
    (participant,) = [p for p in participants(app) if p.id == int(match.group(1))]
    return participant


# The form -----------------------------------------------------------------------------------


def test_enrol_page_shows_child_labels_in_order_then_23_criteria_then_screening_egfr(nurse):
    response = nurse.get("/participants/enrol")
    assert response.status_code == 200
    p = page(response)
    form_labels = [text for target, text in p.labels]
    assert form_labels[:6] == CHILD_LABELS
    assert [target for target, _ in p.labels[:6]] == [
        "code", "date_of_birth", "sex", "weight_kg", "height_cm", "consent_date"]
    assert p.criteria == CRITERIA
    assert p.order == CHILD_LABELS + CRITERIA + [EGFR_LABEL]
    html = html_of(response)
    assert "IN01. 3 years old ≤ age ≤ 12 years old" in html
    assert "EX15. Other circumstances the investigator deems inappropriate for inclusion" in html
    for code in CRITERIA:
        assert [a.get("value") for a in p.inputs[f"criterion_{code}"]] == ["yes", "no"]
        assert p.checked(f"criterion_{code}") == []


# Accepted enrolments ------------------------------------------------------------------------


def test_valid_enrolment_redirects_to_participant_page_and_stores_every_field(
        app, nurse, allocation):
    response = nurse.post("/participants/enrol", data=enrolment_form(app))
    assert response.status_code == 302
    (p,) = participants(app)
    assert response.location == f"/participants/{p.id}"
    assert (p.code, p.date_of_birth, p.sex, p.weight_kg, p.height_cm, p.consent_date,
            p.screening_egfr, p.status) == (
        "AS-001", date(2018, 5, 10), "F", 24.5, 125.0, date(2026, 2, 20), 98.0, "enrolled")
    assert p.eligibility == {**dict.fromkeys(INCLUSION, True), **dict.fromkeys(EXCLUSION, False)}
    detail = nurse.get(response.location)
    assert detail.status_code == 200
    assert ("AS-001 is enrolled. Next: add the screening visit and its results, then record "
            "infusion 1.") in page(detail).text
    creation = [e for e in participant_audit_rows(app) if e.entity == "participant"]
    assert {e.field for e in creation} >= {"code", "date_of_birth", "consent_date", "eligibility"}
    assert {e.username for e in creation} == {"nurse"}


def test_enrolment_takes_the_next_entry_of_the_allocation_list(app, nurse, allocation):
    first = enrol_ok(app, nurse)
    assert assigned_allocations(app) == {1: first.id}
    second = enrol_ok(app, nurse, code="AS-002")
    assert assigned_allocations(app) == {1: first.id, 2: second.id}
    with app.app_context():
        arms = dict(db.session().execute(
            select(Allocation.participant_id, Allocation.arm).where(
                Allocation.participant_id.is_not(None))).all())
    assert arms == {first.id: "MSC", second.id: "PBO"}


def test_child_enrolled_on_third_birthday_is_accepted(app, nurse, allocation):
    p = enrol_ok(app, nurse, date_of_birth="2023-02-20", consent_date="2026-02-20")
    assert p.date_of_birth == date(2023, 2, 20)
    assert assigned_allocations(app) == {1: p.id}


def test_child_consenting_the_day_before_thirteenth_birthday_is_accepted_as_12(
        app, nurse, allocation):
    p = enrol_ok(app, nurse, date_of_birth="2013-02-21", consent_date="2026-02-20")
    assert p.date_of_birth == date(2013, 2, 21)
    assert assigned_allocations(app) == {1: p.id}


def test_screening_egfr_just_above_60_is_accepted(app, nurse, allocation):
    p = enrol_ok(app, nurse, screening_egfr="60.1")
    assert p.screening_egfr == 60.1


def test_lowercase_code_is_stored_upper_case(app, nurse, allocation):
    p = enrol_ok(app, nurse, code="as-002")
    assert p.code == "AS-002"


def test_investigator_may_enrol(app, as_role, allocation):
    p = enrol_ok(app, as_role("investigator"))
    assert p.code == "AS-001"
    assert {e.username for e in participant_audit_rows(app)} == {"investigator"}


# Refusals: the reason is named at the field, what was typed comes back, nothing is kept -----


@pytest.mark.parametrize(
    ("born", "age"),
    [("2023-03-01", 2), ("2023-02-21", 2), ("2013-02-20", 13), ("2012-06-01", 13)],
    ids=["age-2", "day-before-3rd-birthday", "on-13th-birthday", "age-13"],
)
def test_child_outside_3_to_12_years_at_consent_is_refused_at_date_of_birth(
        app, nurse, allocation, born, age):
    refused(app, nurse, "date_of_birth",
            f"Not eligible: the child is {age} years old at consent; the study enrols children "
            "aged 3 to 12 years.",
            date_of_birth=born, consent_date="2026-02-20")


def test_inclusion_criterion_answered_no_is_refused_at_that_criterion(app, nurse, allocation):
    p = refused(app, nurse, "criterion_IN03",
                "Not eligible: inclusion criterion IN03 is not met.", criterion_IN03="no")
    assert set(p.errors) == {"criterion_IN03"}


def test_exclusion_criterion_answered_yes_is_refused_at_that_criterion(app, nurse, allocation):
    p = refused(app, nurse, "criterion_EX07",
                "Not eligible: exclusion criterion EX07 applies.", criterion_EX07="yes")
    assert set(p.errors) == {"criterion_EX07"}


def test_unanswered_criterion_is_refused_and_asks_for_an_answer(app, nurse, allocation):
    posted = enrolment_form(app)
    del posted["criterion_EX05"]
    response = nurse.post("/participants/enrol", data=posted)
    assert response.status_code == 422
    p = page(response)
    assert p.errors == {"criterion_EX05": ["Answer EX05."]}
    assert p.checked("criterion_EX05") == []
    assert_typed_values_shown(p, posted)
    assert_nothing_saved(app)


def test_screening_egfr_of_60_is_refused_as_not_above_60(app, nurse, allocation):
    refused(app, nurse, "screening_egfr",
            "Not eligible: eGFR 60 mL/min/1.73m² is not above 60.", screening_egfr="60")


def test_screening_egfr_of_300_is_refused_as_outside_the_possible_range(app, nurse, allocation):
    refused(app, nurse, "screening_egfr",
            "eGFR 300 mL/min/1.73m² is outside the possible range 5-250 mL/min/1.73m².",
            screening_egfr="300")


@pytest.mark.parametrize("typed", ["abc", "nan", "1e999", "-inf"])
def test_weight_that_is_not_a_finite_number_is_refused_naming_what_was_typed(
        app, nurse, allocation, typed):
    refused(app, nurse, "weight_kg", f"Got '{typed}'. Expected a number in kg.",
            weight_kg=typed)


def test_weight_outside_possible_range_is_refused(app, nurse, allocation):
    refused(app, nurse, "weight_kg", "Weight 151 kg is outside the possible range 5-150 kg.",
            weight_kg="151")


def test_typed_weight_comes_back_when_another_field_is_refused(app, nurse, allocation):
    p = refused(app, nurse, "height_cm", "Height 59 cm is outside the possible range 60-200 cm.",
                height_cm="59", weight_kg="24.5")
    assert p.value("weight_kg") == "24.5"
    assert p.value("height_cm") == "59"


def test_date_of_birth_not_in_iso_form_is_refused_naming_what_was_typed(app, nurse, allocation):
    refused(app, nurse, "date_of_birth", "Got '31/01/2018'. Expected a date like 2026-01-31.",
            date_of_birth="31/01/2018")


def test_consent_date_after_today_is_refused(app, nurse, allocation):
    refused(app, nurse, "consent_date", "The consent date 2026-04-28 is in the future.",
            consent_date="2026-04-28")


def test_consent_date_today_is_accepted(app, nurse, allocation):
    p = enrol_ok(app, nurse, consent_date="2026-04-27")
    assert p.consent_date == date(2026, 4, 27)


TAKEN = ("AS-001 is taken: another child was enrolled with this code. Check the code on the "
         "consent form.")


def test_duplicate_participant_code_is_refused_and_takes_no_allocation(app, nurse, allocation):
    first = enrol_ok(app, nurse)
    posted = enrolment_form(app, date_of_birth="2017-01-15", weight_kg="30")
    response = nurse.post("/participants/enrol", data=posted)
    assert response.status_code == 422
    p = page(response)
    assert p.errors.get("code") == [TAKEN]
    assert_typed_values_shown(p, posted)
    assert [x.id for x in participants(app)] == [first.id]
    assert assigned_allocations(app) == {1: first.id}
    assert {e.participant_id for e in participant_audit_rows(app)} == {first.id}


def test_duplicate_code_typed_in_lowercase_is_refused(app, nurse, allocation):
    first = enrol_ok(app, nurse)
    response = nurse.post("/participants/enrol", data=enrolment_form(app, code="as-001"))
    assert response.status_code == 422
    assert page(response).errors.get("code") == [TAKEN]
    assert [x.id for x in participants(app)] == [first.id]


@pytest.mark.parametrize("typed", ["AS-01", "AS-0001", "XS-001", "AS001", "AS-00A"])
def test_code_not_like_as_and_three_digits_is_refused(app, nurse, allocation, typed):
    refused(app, nurse, "code", f"Got {typed}. Expected a code like AS-001.", code=typed)


def test_enrolment_without_a_loaded_allocation_list_is_refused_and_saves_nothing(app, nurse):
    posted = enrolment_form(app)
    response = nurse.post("/participants/enrol", data=posted)
    assert response.status_code == 422
    p = page(response)
    assert ("No allocation is left on the randomisation list, so the child cannot be enrolled. "
            "Nothing was saved. Ask the administrator to load the list.") in p.text
    assert_typed_values_shown(p, posted)
    assert_nothing_saved(app)


def test_enrolment_after_the_list_is_used_up_is_refused(app, nurse):
    with app.app_context():
        services.load_allocation(context_for(SET_UP), "sequence,arm\n1,MSC\n2,PBO\n")
    first = enrol_ok(app, nurse, code="AS-001")
    second = enrol_ok(app, nurse, code="AS-002")
    response = nurse.post("/participants/enrol", data=enrolment_form(app, code="AS-003"))
    assert response.status_code == 422
    assert "No allocation is left on the randomisation list" in page(response).text
    assert [x.code for x in participants(app)] == ["AS-001", "AS-002"]
    assert assigned_allocations(app) == {1: first.id, 2: second.id}


# Who may enrol ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["monitor", "unblinded", "admin"])
def test_roles_other_than_nurse_and_investigator_may_not_enrol(app, as_role, allocation, role):
    client = as_role(role)
    assert client.get("/participants/enrol").status_code == 403
    response = client.post("/participants/enrol", data=enrolment_form(app))
    assert response.status_code == 403
    assert "Your role does not allow this page or action." in page(response).text
    assert_nothing_saved(app)


def test_a_code_typed_with_full_width_digits_enrols_the_child_under_its_ascii_code(
        app, nurse, allocation):
    response = nurse.post("/participants/enrol", data=enrolment_form(app, code="ＡＳ－００１"))
    assert response.status_code == 302
    assert [p.code for p in participants(app)] == ["AS-001"]
