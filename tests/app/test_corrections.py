"""Correcting saved infusions safely: concurrent edits, a new day 0 for every planned visit,
done visits that a move leaves outside their window, and input that must not break a page."""

from __future__ import annotations

import re
from datetime import date

from tests.support.factories import mark_done
from tests.support.forms import post_infusion
from tests.support.records import infusions, visits_of


def version_of(html: str) -> str:
    return re.search(r'name="version"[^>]*value="(\d+)"', html).group(1)


def test_a_correction_over_someone_elses_newer_change_is_refused(app, nurse, as_role, scheduled):
    investigator = as_role("investigator")
    stale = version_of(nurse.get(f"/participants/{scheduled}/infusions/1").text)
    fresh = version_of(investigator.get(f"/participants/{scheduled}/infusions/1").text)
    saved = post_infusion(investigator, scheduled, 1, date="2026-03-02", product_lot="LOT-INV",
                          reason="Lot misread", version=fresh)
    assert saved.status_code == 302
    refused = post_infusion(nurse, scheduled, 1, date="2026-03-02", weight_kg="25",
                            reason="Weight typo", version=stale)
    assert refused.status_code == 422
    assert ("Infusion 1 was changed by someone else after you opened this form. Nothing was "
            "saved: open the infusion again to see what is stored now.") in refused.text
    assert 'value="25"' in refused.text  # what the nurse typed is still on the form
    first = infusions(app, scheduled)[1]
    assert (first.product_lot, first.weight_kg) == ("LOT-INV", 24.5)


def test_every_planned_visit_counts_from_the_new_day_0_even_when_its_dates_stay(
    app, nurse, allocation
) -> None:
    # Day 0 on 30 October or 31 October: + 4 calendar months is 28 February 2027 for both.
    from tests.support.forms import enrolment_form, infusion_form

    response = nurse.post("/participants/enrol",
                          data=enrolment_form(app, consent_date="2025-10-01"))
    pid = int(response.location.rsplit("/", 1)[1])
    for number, day in ((1, "2025-10-16"), (2, "2025-10-30")):
        assert nurse.post(f"/participants/{pid}/infusions/{number}",
                          data=infusion_form(date=day)).status_code == 302
    assert post_infusion(nurse, pid, 2, date="2025-10-31", reason="Date mistyped",
                         confirmed="2025-10-31").status_code == 302
    m04 = visits_of(app, pid)["M04"]
    assert (m04.target_date, m04.anchor_date, m04.day) == (date(2026, 2, 28), date(2025, 10, 31),
                                                           120)
    assert "day 120 after infusion 2" in nurse.get(f"/participants/{pid}").text


def test_a_move_shows_done_visits_that_fall_outside_their_new_window(app, nurse, scheduled):
    mark_done(app, scheduled, "W02", date(2026, 3, 30))
    response = post_infusion(nurse, scheduled, 2, date="2026-03-18", reason="Date mistyped")
    assert response.status_code == 200
    kept = re.search(r'<li data-visit="W02">(.*?)</li>', response.text, re.S).group(1)
    assert "2026-03-30" in kept
    assert "outside its new window" not in kept  # 30 March is inside 29 March - 4 April
    response = post_infusion(nurse, scheduled, 2, date="2026-03-25", reason="Date mistyped")
    kept = re.search(r'<li data-visit="W02">(.*?)</li>', response.text, re.S).group(1)
    assert "outside its new window 2026-04-05 Sun – 2026-04-11 Sat" in kept


def test_an_id_too_large_for_the_database_is_not_found(nurse) -> None:
    for url in ("/participants/99999999999999999999", "/participants/99999999999999999999/history",
                "/visits/99999999999999999999"):
        assert nurse.get(url).status_code == 404


def test_an_absurd_weight_is_refused_without_breaking_the_dose_line(nurse, enrolled) -> None:
    response = post_infusion(nurse, enrolled, 1, date="2026-03-02", weight_kg="1e303")
    assert response.status_code == 422
    assert "Weight 1e+303 kg is outside the possible range 5-150 kg." in response.text
    assert 'value="1e303"' in response.text


def test_a_decimal_comma_is_explained(app, nurse, allocation) -> None:
    from tests.support.forms import enrolment_form

    response = nurse.post("/participants/enrol", data=enrolment_form(app, weight_kg="24,5"))
    assert response.status_code == 422
    assert ("Got &#39;24,5&#39;. Expected a number in kg, with a decimal point (24.5, not 24,5)."
            in response.text)


def test_history_names_the_visit_a_change_belongs_to(nurse, scheduled) -> None:
    html = nurse.get(f"/participants/{scheduled}/history").text
    assert "<li>Visit W02 planned: target 2026-03-30, window 2026-03-27 to 2026-04-02</li>" in html


def test_a_date_must_be_written_as_yyyy_mm_dd(app, nurse, allocation) -> None:
    from tests.support.forms import enrolment_form

    response = nurse.post("/participants/enrol",
                          data=enrolment_form(app, date_of_birth="20180510"))
    assert response.status_code == 422
    assert "Got &#39;20180510&#39;. Expected a date like 2026-01-31." in response.text


def test_a_sample_taken_before_the_child_was_born_is_refused(app, nurse, scheduled) -> None:
    from tests.support.forms import results_form
    from tests.support.records import visit_id

    visit = visit_id(app, scheduled, "W06")
    response = nurse.post(f"/visits/{visit}",
                          data=results_form(nurse, visit, sample_date="1900-01-01"))
    assert response.status_code == 422
    assert "The sample date 1900-01-01 is before the date of birth." in response.text


def test_an_unusual_weight_or_height_at_enrolment_needs_a_tick_and_is_then_saved(
    app, nurse, allocation
) -> None:
    from tests.support.forms import enrolment_form

    heavy = enrolment_form(app, weight_kg="75")
    refused = nurse.post("/participants/enrol", data=heavy)
    assert refused.status_code == 422
    assert ("Weight 75 kg is outside the usual range 10-70 kg for these children. Check it and "
            "tick the box to save it.") in refused.text
    assert 'id="confirm_measures"' in refused.text and 'value="75"' in refused.text
    saved = nurse.post("/participants/enrol", data={**heavy, "confirm_measures": "y"})
    assert saved.status_code == 302


def test_an_infusion_weight_far_from_the_last_one_needs_a_tick_because_the_dose_follows_it(
    app, nurse, enrolled
) -> None:
    # Enrolled at 24.5 kg; 30 kg is (30 - 24.5) / 24.5 = +22 %.
    refused = post_infusion(nurse, enrolled, 1, date="2026-03-02", weight_kg="30")
    assert refused.status_code == 422
    assert ("Weight 30 kg is +22 % from the 24.5 kg recorded on 2026-02-20, and the dose "
            "follows it. Check it and tick the box to save it.") in refused.text
    assert 1 not in infusions(app, enrolled)
    saved = post_infusion(nurse, enrolled, 1, date="2026-03-02", weight_kg="30",
                          confirm_weight="y")
    assert saved.status_code == 302
    assert infusions(app, enrolled)[1].planned_cells == 60_000_000
    # Correcting the lot later does not ask about the weight again.
    again = post_infusion(nurse, enrolled, 1, date="2026-03-02", weight_kg="30",
                          product_lot="UC-2026-018", reason="Lot misread")
    assert again.status_code == 302
