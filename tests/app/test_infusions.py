"""Infusions 1 and 2, the follow-up schedule they anchor, and moving it when a date is corrected.

"Today" at the site is 2026-04-27 (support.apps.TODAY). AS-001 weighs 24.5 kg and consented on
2026-02-20. Every expected date was worked out by hand from PROTOCOL.md ("Schedule"): day 0 plus
14/28/42/56 days or 3/4/5/6/8/10/12 calendar months, windows of +/-3, +/-7 and +/-14 days, and the
booking moved off weekends to the nearest clinic day (the earlier one on a tie).
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient

from edc.models import Visit
from tests.support.apps import Clock
from tests.support.audit import audit_rows
from tests.support.expected import FROM_16_MARCH, FROM_18_MARCH
from tests.support.factories import mark_done
from tests.support.forms import infusion_form, post_infusion, submit
from tests.support.pages import Page, html_of, page
from tests.support.records import infusions, participant, visits_of

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

# Targets from infusion 1 on 2026-03-02 (a Monday), when follow-up is anchored on it.
TARGETS_FROM_2_MARCH = {
    "W02": "2026-03-16", "W04": "2026-03-30", "W06": "2026-04-13", "W08": "2026-04-27",
    "M03": "2026-06-02", "M04": "2026-07-02", "M05": "2026-08-02", "M06": "2026-09-02",
    "M08": "2026-11-02", "M10": "2027-01-02", "M12": "2027-03-02",
}
DAYS = {"W02": 14, "W04": 28, "W06": 42, "W08": 56, "M03": 92, "M04": 122, "M05": 153,
        "M06": 184, "M08": 245, "M10": 306, "M12": 365}
LABELS = {"W02": "2 weeks", "W04": "4 weeks", "W06": "6 weeks", "W08": "8 weeks",
          "M03": "3 months", "M04": "4 months", "M05": "5 months", "M06": "6 months",
          "M08": "8 months", "M10": "10 months", "M12": "12 months"}
CODES = list(FROM_16_MARCH)


def d(iso: str) -> date:
    return date.fromisoformat(iso)


def shown(iso: str) -> str:
    """A date as the pages show it: 2026-03-30 Mon."""
    return f"{iso} {WEEKDAYS[d(iso).weekday()]}"


# What is stored ----------------------------------------------------------------------------


def plan_of(visit: Visit) -> tuple[str, str, str, str]:
    return (visit.target_date.isoformat(), visit.window_start.isoformat(),
            visit.window_end.isoformat(), visit.suggested_date.isoformat())


def snapshot(app: Flask, participant_id: int) -> tuple:
    """Everything a refused or unconfirmed request must leave untouched."""
    p = participant(app, participant_id)
    return (
        {n: (i.date, i.weight_kg, i.product_lot, i.volume_ml, i.version)
         for n, i in infusions(app, participant_id).items()},
        {c: (*plan_of(v), v.status, v.anchor_infusion, v.version)
         for c, v in visits_of(app, participant_id).items()},
        (p.anchor_infusion, p.anchor_reason, p.version),
        len(audit_rows(app)),
    )


@pytest.fixture
def first_given(nurse: FlaskClient, enrolled: int) -> int:
    """AS-001 with infusion 1 on 2026-03-02 only."""
    response = post_infusion(nurse, enrolled, 1, date="2026-03-02")
    assert response.status_code == 302, response.text
    return enrolled


@pytest.fixture
def anchored_on_first(nurse: FlaskClient, first_given: int) -> int:
    """AS-001 with follow-up anchored on infusion 1 (2026-03-02)."""
    response = submit(nurse, f"/participants/{first_given}/anchor-on-first",
                      {"reason": "Allergic reaction to infusion 1"})
    assert response.status_code == 302, response.text
    return first_given


def assert_typed_infusion_shown(p: Page, posted: dict[str, str]) -> None:
    for name in ("date", "weight_kg", "product_lot", "volume_ml"):
        assert p.value(name) == posted[name], name


def row_of(html: str, row_id: str) -> str:
    match = re.search(rf'<tr id="{row_id}">(.*?)</tr>', html)
    assert match, row_id
    return match.group(1)


# The form and the dose ---------------------------------------------------------------------


@pytest.mark.parametrize("number", [1, 2])
def test_infusion_form_asks_date_weight_lot_volume_and_shows_planned_dose(
        nurse, first_given, number):
    response = nurse.get(f"/participants/{first_given}/infusions/{number}")
    assert response.status_code == 200
    p = page(response)
    labels = [text for _, text in p.labels]
    assert labels[:4] == ["Infusion date", "Weight (kg)", "Product lot", "Volume (mL)"]
    html = html_of(response)
    if number == 2:
        assert p.value("weight_kg") == "24.5"
        assert ("Planned dose: 2 × 10<sup>6</sup> cells/kg × <strong data-dose-total>24.5 kg = "
                "4.9 × 10<sup>7</sup></strong> cells") in html
        assert ("Due 2026-03-16 Mon: day 14 after infusion 1, window 2026-03-14 Sat to "
                "2026-03-18 Wed.") in p.text
    else:  # the saved infusion 1 is shown for correction, with its own dose
        assert p.value("date") == "2026-03-02"
        assert "<strong data-dose-total>24.5 kg = 4.9 × 10<sup>7</sup></strong> cells" in html
        assert labels[4] == "Reason for change"


def test_new_infusion_form_prefills_the_enrolment_weight_and_its_dose(nurse, enrolled):
    response = nurse.get(f"/participants/{enrolled}/infusions/1")
    assert response.status_code == 200
    p = page(response)
    assert p.value("weight_kg") == "24.5"
    assert p.value("date") == ""
    assert "Reason for change" not in [text for _, text in p.labels]
    assert ("Planned dose: 2 × 10<sup>6</sup> cells/kg × <strong data-dose-total>24.5 kg = "
            "4.9 × 10<sup>7</sup></strong> cells") in html_of(response)


def test_planned_dose_is_2e6_cells_per_kg_times_the_infusion_weight(app, nurse, scheduled):
    stored = infusions(app, scheduled)
    for number in (1, 2):
        assert stored[number].dose_cells_per_kg == 2e6
        assert stored[number].planned_cells == 49_000_000
    one = stored[1]
    assert (one.date, one.weight_kg, one.product_lot, one.volume_ml) == (
        date(2026, 3, 2), 24.5, "UC-2026-017", 50.0)
    html = html_of(nurse.get(f"/participants/{scheduled}"))
    for number in (1, 2):
        assert "<td>4.9 × 10<sup>7</sup></td>" in row_of(html, f"infusion-{number}")


def test_planned_dose_follows_the_weight_on_infusion_day(app, nurse, first_given):
    response = post_infusion(nurse, first_given, 2, date="2026-03-16", weight_kg="25.3")
    assert response.status_code == 302
    second = infusions(app, first_given)[2]
    assert second.weight_kg == 25.3
    assert second.planned_cells == pytest.approx(50_600_000)
    html = html_of(nurse.get(f"/participants/{first_given}"))
    assert "<td>5.06 × 10<sup>7</sup></td>" in row_of(html, "infusion-2")


# The schedule from infusion 2 ---------------------------------------------------------------


def test_second_infusion_plans_the_eleven_visits_from_its_date(app, scheduled):
    planned = visits_of(app, scheduled)
    assert sorted(planned, key=CODES.index) == CODES
    assert {c: plan_of(v) for c, v in planned.items()} == FROM_16_MARCH
    for code, visit in planned.items():
        assert (visit.label, visit.status, visit.anchor_infusion, visit.anchor_date) == (
            LABELS[code], "planned", 2, date(2026, 3, 16)), code
        assert visit.actual_date is None
    assert participant(app, scheduled).anchor_infusion == 2


def test_no_visit_is_planned_before_infusion_2(app, nurse, first_given):
    assert visits_of(app, first_given) == {}
    text = page(nurse.get(f"/participants/{first_given}")).text
    assert "The eleven follow-up visits are planned when infusion 2 is recorded." in text
    assert "Due 2026-03-16 Mon (window 2026-03-14 Sat to 2026-03-18 Wed)" in text


def test_participant_page_shows_each_visit_with_target_window_suggested_date_and_day(
        nurse, scheduled):
    p = page(nurse.get(f"/participants/{scheduled}"))
    assert "Anchored on infusion 2 (2026-03-16 Mon)." in p.text
    assert list(p.rows) == CODES
    for code, (target, start, end, suggested) in FROM_16_MARCH.items():
        row = p.rows[code]
        assert row.cells["target"] == shown(target), code
        assert row.cells["window"] == f"{shown(start)} – {shown(end)}", code
        assert row.cells["suggested"] == shown(suggested), code
        assert row.text.startswith(f"{code} {LABELS[code]} "), code
        assert f"day {DAYS[code]} after infusion 2" in row.text, code
        assert "planned" in row.text, code
    assert p.rows["W02"].cells["target"] == "2026-03-30 Mon"
    assert p.rows["M05"].cells["suggested"] == "2026-08-17 Mon"
    assert p.rows["M10"].cells["suggested"] == "2027-01-15 Fri"


def test_overdue_visits_and_the_visit_open_today_stand_out(nurse, scheduled):
    rows = page(nurse.get(f"/participants/{scheduled}")).rows
    for code in ("W02", "W04"):  # windows ended 2026-04-02 and 2026-04-16
        assert "overdue" in rows[code].classes, code
        assert "overdue" in rows[code].text, code
        assert "window open" not in rows[code].text
    assert "open" in rows["W06"].classes  # 2026-04-24 to 2026-04-30 holds today
    assert "window open" in rows["W06"].text
    assert "overdue" not in rows["W06"].text
    for code in CODES[3:]:
        assert rows[code].classes == [], code
        assert "overdue" not in rows[code].text and "window open" not in rows[code].text, code


def test_a_done_visit_is_neither_overdue_nor_open(app, nurse, scheduled):
    mark_done(app, scheduled, "W02", date(2026, 3, 30))
    row = page(nurse.get(f"/participants/{scheduled}")).rows["W02"]
    assert row.classes == []
    assert "done (2026-03-30 Mon)" in row.text
    assert "overdue" not in row.text


# The second infusion's window: day 14 +/- 2 after the first ---------------------------------


@pytest.mark.parametrize(
    ("day", "deviation", "flash", "badge"),
    [("2026-03-14", 0, None, None), ("2026-03-18", 0, None, None),
     ("2026-03-19", 1, "1 day after its window", "1 day after its window"),
     ("2026-03-13", -1, "1 day before its window", "1 day before its window"),
     ("2026-03-22", 4, "4 days after its window", "4 days after its window")],
    ids=["day-12", "day-16", "day-17", "day-11", "day-20"],
)
def test_second_infusion_outside_day_14_plus_minus_2_is_saved_and_flagged(
        app, nurse, first_given, day, deviation, flash, badge):
    response = post_infusion(nurse, first_given, 2, date=day)
    assert response.status_code == 302
    second = infusions(app, first_given)[2]
    assert second.date == d(day)
    assert second.window_deviation_days == deviation
    assert len(visits_of(app, first_given)) == 11
    assert visits_of(app, first_given)["W02"].anchor_date == d(day)
    detail = nurse.get(response.location)
    text = page(detail).text
    infusion_row = row_of(html_of(detail), "infusion-2")
    if deviation:
        assert (f"Infusion 2 was given {flash}; it is saved and "
                "flagged as a deviation.") in text
        assert badge in infusion_row
    else:
        assert "window; it is saved" not in text
        assert "badge" not in infusion_row


# Refused infusions: the reason is at the field, what was typed comes back, nothing is kept ----


@pytest.mark.parametrize("day", ["2026-03-02", "2026-03-01"], ids=["same-day", "day-before"])
def test_infusion_2_on_or_before_infusion_1_is_refused_at_the_date(app, nurse, first_given, day):
    before = snapshot(app, first_given)
    posted = infusion_form(date=day)
    response = nurse.post(f"/participants/{first_given}/infusions/2", data=posted)
    assert response.status_code == 422
    p = page(response)
    assert p.errors == {"date": ["Infusion 2 must be after infusion 1 (2026-03-02)."]}
    assert_typed_infusion_shown(p, posted)
    assert snapshot(app, first_given) == before


def test_infusion_2_before_infusion_1_is_recorded_is_refused(app, nurse, enrolled):
    before = snapshot(app, enrolled)
    posted = infusion_form(date="2026-03-16")
    response = nurse.post(f"/participants/{enrolled}/infusions/2", data=posted)
    assert response.status_code == 422
    p = page(response)
    assert "Record infusion 1 first." in p.text
    assert_typed_infusion_shown(p, posted)
    assert infusions(app, enrolled) == {}
    assert visits_of(app, enrolled) == {}
    assert snapshot(app, enrolled) == before


@pytest.mark.parametrize(
    ("field", "overrides", "message"),
    [
        ("date", {"date": "2026-04-28"}, "The infusion date 2026-04-28 is in the future."),
        ("date", {"date": "2026-02-19"},
         "The infusion date is before the consent date (2026-02-20)."),
        ("date", {"date": "02/03/2026"}, "Got '02/03/2026'. Expected a date like 2026-01-31."),
        ("volume_ml", {"volume_ml": "0"}, "Volume 0 mL is outside the possible range 1-500 mL."),
        ("volume_ml", {"volume_ml": "501"},
         "Volume 501 mL is outside the possible range 1-500 mL."),
        ("volume_ml", {"volume_ml": "abc"}, "Got 'abc'. Expected a number in mL."),
        ("weight_kg", {"weight_kg": "4.9"},
         "Weight 4.9 kg is outside the possible range 5-150 kg."),
        ("weight_kg", {"weight_kg": "151"},
         "Weight 151 kg is outside the possible range 5-150 kg."),
        ("weight_kg", {"weight_kg": "nan"}, "Got 'nan'. Expected a number in kg."),
        ("product_lot", {"product_lot": ""}, "Enter the product lot."),
    ],
    ids=["future", "before-consent", "not-iso", "volume-0", "volume-501", "volume-abc",
         "weight-4.9", "weight-151", "weight-nan", "no-lot"],
)
def test_infusion_1_with_impossible_value_is_refused_at_the_field(
        app, nurse, enrolled, field, overrides, message):
    before = snapshot(app, enrolled)
    posted = infusion_form(**overrides)
    response = nurse.post(f"/participants/{enrolled}/infusions/1", data=posted)
    assert response.status_code == 422
    p = page(response)
    assert p.errors == {field: [message]}
    assert_typed_infusion_shown(p, posted)
    assert infusions(app, enrolled) == {}
    assert snapshot(app, enrolled) == before


def test_infusion_on_today_and_on_consent_day_is_accepted(app, nurse, enrolled):
    assert post_infusion(nurse, enrolled, 1, date="2026-02-20").status_code == 302
    assert post_infusion(nurse, enrolled, 2, date="2026-04-27").status_code == 302
    stored = infusions(app, enrolled)
    assert (stored[1].date, stored[2].date) == (date(2026, 2, 20), date(2026, 4, 27))


def test_refused_infusion_2_plans_no_visit(app, nurse, first_given):
    response = post_infusion(nurse, first_given, 2, date="2026-03-16", volume_ml="600")
    assert response.status_code == 422
    assert 2 not in infusions(app, first_given)
    assert visits_of(app, first_given) == {}


# Anchoring follow-up on infusion 1 ----------------------------------------------------------


def test_anchor_on_first_with_a_reason_plans_eleven_visits_from_infusion_1(
        app, nurse, first_given):
    response = submit(nurse, f"/participants/{first_given}/anchor-on-first",
                      {"reason": "Allergic reaction to infusion 1"})
    assert response.status_code == 302
    assert response.location == f"/participants/{first_given}"
    planned = visits_of(app, first_given)
    assert {c: v.target_date.isoformat() for c, v in planned.items()} == TARGETS_FROM_2_MARCH
    assert {(v.anchor_infusion, v.anchor_date) for v in planned.values()} == {
        (1, date(2026, 3, 2))}
    assert plan_of(planned["W02"]) == ("2026-03-16", "2026-03-13", "2026-03-19", "2026-03-16")
    assert plan_of(planned["M05"])[:3] == ("2026-08-02", "2026-07-26", "2026-08-09")
    p = participant(app, first_given)
    assert (p.anchor_infusion, p.anchor_reason) == (1, "Allergic reaction to infusion 1")
    reasons = {e.reason for e in audit_rows(app, entity="visit", participant_id=first_given)}
    assert reasons == {"Allergic reaction to infusion 1"}

    page_ = page(nurse.get(response.location))
    assert ("Anchored on infusion 1 (2026-03-02 Mon): the second infusion was not given.") in (
        page_.text)
    assert "Reason: Allergic reaction to infusion 1" in page_.text
    assert list(page_.rows) == CODES
    for code in CODES:
        assert f"day {DAYS[code]} after infusion 1" in page_.rows[code].text, code
        assert page_.rows[code].cells["target"] == shown(TARGETS_FROM_2_MARCH[code]), code
    assert "after infusion 2" not in page_.text


@pytest.mark.parametrize("reason", ["", "   "], ids=["empty", "blank"])
def test_anchor_on_first_without_a_reason_is_refused_and_plans_nothing(
        app, nurse, first_given, reason):
    before = snapshot(app, first_given)
    response = submit(nurse, f"/participants/{first_given}/anchor-on-first",
                      {"reason": reason})
    assert response.status_code == 422
    p = page(response)
    assert p.errors.get("reason") == ["Say why the second infusion is not given."]
    assert visits_of(app, first_given) == {}
    assert participant(app, first_given).anchor_infusion is None
    assert snapshot(app, first_given) == before


def test_anchor_on_first_is_refused_once_infusion_2_is_recorded(app, nurse, scheduled):
    before = snapshot(app, scheduled)
    response = submit(nurse, f"/participants/{scheduled}/anchor-on-first",
                      {"reason": "Changed my mind"})
    assert response.status_code == 422
    assert "Follow-up is already scheduled." in page(response).text
    assert snapshot(app, scheduled) == before
    assert {v.anchor_infusion for v in visits_of(app, scheduled).values()} == {2}


def test_anchor_on_first_is_refused_before_infusion_1(app, nurse, enrolled):
    response = submit(nurse, f"/participants/{enrolled}/anchor-on-first",
                      {"reason": "No second infusion"})
    assert response.status_code == 422
    assert "Record infusion 1 first." in page(response).text
    assert visits_of(app, enrolled) == {}


def test_infusion_2_after_anchoring_on_first_shows_the_moves_and_saves_nothing_unconfirmed(
        app, nurse, anchored_on_first):
    pid = anchored_on_first
    before = snapshot(app, pid)
    response = post_infusion(nurse, pid, 2, date="2026-03-16")
    assert response.status_code == 200
    p = page(response)
    assert list(p.rows) == CODES
    for code in CODES:
        old, new = TARGETS_FROM_2_MARCH[code], FROM_16_MARCH[code][0]
        assert f"{shown(old)} → {shown(new)}" in p.rows[code].text, code
    assert p.inputs["confirmed"][0].get("value") == "2026-03-16"
    assert "Reason for change" in [text for _, text in p.labels]
    assert snapshot(app, pid) == before
    assert 2 not in infusions(app, pid)


def test_infusion_2_after_anchoring_on_first_confirmed_needs_no_typed_reason(
        app, nurse, anchored_on_first):
    """A first recording of an infusion never asks for a reason; the trail says why visits move."""
    pid = anchored_on_first
    posted = infusion_form(date="2026-03-16", confirmed="2026-03-16")
    response = nurse.post(f"/participants/{pid}/infusions/2", data=posted)
    assert response.status_code == 302
    assert infusions(app, pid)[2].date == date(2026, 3, 16)
    assert {c: v.target_date.isoformat() for c, v in visits_of(app, pid).items()} == {
        c: FROM_16_MARCH[c][0] for c in CODES}
    moved = audit_rows(app, entity="visit", field="target_date", action="update")
    assert len(moved) == 11
    assert {e.reason for e in moved} == {"Infusion 2 recorded: follow-up now counts from it."}


def test_infusion_2_after_anchoring_on_first_confirmed_with_reason_re_anchors_follow_up(
        app, nurse, anchored_on_first):
    pid = anchored_on_first
    reason = "Reaction resolved; infusion 2 given"
    response = post_infusion(nurse, pid, 2, date="2026-03-16", reason=reason)
    assert response.status_code == 200  # shown first, even with a reason
    assert list(page(response).rows) == CODES
    assert 2 not in infusions(app, pid)

    response = post_infusion(nurse, pid, 2, date="2026-03-16", confirmed="2026-03-16",
                             reason=reason)
    assert response.status_code == 302
    assert infusions(app, pid)[2].date == date(2026, 3, 16)
    planned = visits_of(app, pid)
    assert {c: plan_of(v) for c, v in planned.items()} == FROM_16_MARCH
    assert {(v.anchor_infusion, v.anchor_date) for v in planned.values()} == {
        (2, date(2026, 3, 16))}
    assert participant(app, pid).anchor_infusion == 2
    moved = audit_rows(app, entity="visit", field="target_date", action="update")
    assert {(e.old, e.new) for e in moved} == {
        (TARGETS_FROM_2_MARCH[c], FROM_16_MARCH[c][0]) for c in CODES}
    assert {e.reason for e in moved} == {reason}
    detail = page(nurse.get(f"/participants/{pid}"))
    assert "Anchored on infusion 2 (2026-03-16 Mon)." in detail.text
    assert "Anchored on infusion 1" not in detail.text
    for code in CODES:
        assert f"day {DAYS[code]} after infusion 2" in detail.rows[code].text, code


# Correcting a saved infusion ----------------------------------------------------------------


def test_correcting_infusion_2_date_first_shows_old_and_new_dates_of_every_planned_visit(
        app, nurse, scheduled):
    before = snapshot(app, scheduled)
    response = post_infusion(nurse, scheduled, 2, date="2026-03-18")
    p = page(response)
    assert list(p.rows) == CODES, "no old -> new table of the planned visits"
    assert "2026-03-30 Mon → 2026-04-01 Wed" in p.rows["W02"].text
    for code in CODES:
        old, new = FROM_16_MARCH[code], FROM_18_MARCH[code]
        assert f"{shown(old[0])} → {shown(new[0])}" in p.rows[code].text, code
        assert f"{shown(old[3])} → {shown(new[3])}" in p.rows[code].text, code
    assert "Reason for change" in [text for _, text in p.labels]
    assert snapshot(app, scheduled) == before


def test_correcting_infusion_2_date_with_a_reason_still_shows_the_moves_before_saving(
        app, nurse, scheduled):
    before = snapshot(app, scheduled)
    response = post_infusion(nurse, scheduled, 2, date="2026-03-18", reason="Date mistyped")
    assert response.status_code == 200
    p = page(response)
    assert list(p.rows) == CODES
    row = p.rows["W02"].text
    assert "2026-03-30 Mon → 2026-04-01 Wed" in row
    assert "2026-03-27 Fri – 2026-04-02 Thu → 2026-03-29 Sun – 2026-04-04 Sat" in row
    assert p.inputs["confirmed"][0].get("value") == "2026-03-18"
    assert p.value("reason") == "Date mistyped"
    assert p.value("date") == "2026-03-18"
    assert snapshot(app, scheduled) == before


def test_confirmed_correction_with_reason_moves_planned_visits_and_audits_the_reason(
        app, nurse, scheduled):
    reason = "Infusion 2 date mistyped"
    response = post_infusion(nurse, scheduled, 2, date="2026-03-18", confirmed="2026-03-18",
                             reason=reason)
    assert response.status_code == 302
    assert infusions(app, scheduled)[2].date == date(2026, 3, 18)
    planned = visits_of(app, scheduled)
    assert {c: plan_of(v) for c, v in planned.items()} == FROM_18_MARCH
    assert {(v.status, v.anchor_infusion, v.anchor_date) for v in planned.values()} == {
        ("planned", 2, date(2026, 3, 18))}
    moved = audit_rows(app, entity="visit", field="target_date")
    moved = [e for e in moved if e.action == "update"]
    assert {(e.old, e.new) for e in moved} == {
        (FROM_16_MARCH[c][0], FROM_18_MARCH[c][0]) for c in CODES}
    assert {e.reason for e in moved} == {reason}
    (date_change,) = audit_rows(app, entity="infusion", field="date", action="update")
    assert (date_change.old, date_change.new, date_change.reason) == (
        "2026-03-16", "2026-03-18", reason)
    rows = page(nurse.get(f"/participants/{scheduled}")).rows
    assert rows["W02"].cells["target"] == "2026-04-01 Wed"
    assert rows["M04"].cells["suggested"] == "2026-07-17 Fri"


def test_confirmation_holds_only_for_the_moves_shown_a_changed_date_is_shown_again(
        app, nurse, scheduled):
    response = post_infusion(nurse, scheduled, 2, date="2026-03-18", reason="Date mistyped")
    assert "2026-03-30 Mon → 2026-04-01 Wed" in page(response).rows["W02"].text
    before = snapshot(app, scheduled)
    # The nurse edits the date again in the same form (the confirmation of 03-18 rides along).
    response = post_infusion(nurse, scheduled, 2, date="2026-03-20", reason="Date mistyped",
                             confirmed="2026-03-18")
    assert snapshot(app, scheduled) == before, "visits moved to dates the nurse never saw"
    assert "2026-03-30 Mon → 2026-04-03 Fri" in page(response).rows["W02"].text


def test_correcting_infusion_2_date_keeps_a_done_visits_day_and_judges_it_in_its_new_window(
        app, nurse, scheduled):
    mark_done(app, scheduled, "W02", date(2026, 3, 30))
    response = post_infusion(nurse, scheduled, 2, date="2026-03-18", reason="Date mistyped")
    assert response.status_code == 200
    assert list(page(response).rows) == CODES[1:]  # W02 is done: its day does not move

    response = post_infusion(nurse, scheduled, 2, date="2026-03-18", confirmed="2026-03-18",
                             reason="Date mistyped")
    assert response.status_code == 302
    planned = visits_of(app, scheduled)
    w02 = planned["W02"]
    # Sampled on 30 March: inside W02's window from 18 March (29 March - 4 April).
    assert plan_of(w02) == FROM_18_MARCH["W02"]
    assert (w02.status, w02.actual_date, w02.anchor_date, w02.sample_deviation_days) == (
        "done", date(2026, 3, 30), date(2026, 3, 18), 0)
    assert {c: plan_of(v) for c, v in planned.items()} == FROM_18_MARCH
    assert len({e.entity_id for e in audit_rows(app, entity="visit", field="target_date",
                                           action="update")}) == 11


def test_a_done_visit_outside_its_window_after_a_correction_is_a_sample_deviation(
        app, nurse, scheduled):
    """W02 sampled on 27 March is inside its window from 16 March (27 March - 2 April); with day
    0 corrected to 18 March its window is 29 March - 4 April: sampled 2 days before it."""
    mark_done(app, scheduled, "W02", date(2026, 3, 27))
    response = post_infusion(nurse, scheduled, 2, date="2026-03-18", confirmed="2026-03-18",
                             reason="Date mistyped")
    assert response.status_code == 302
    assert visits_of(app, scheduled)["W02"].sample_deviation_days == -2
    assert "W02" in nurse.get("/deviations?kind=sample").text


def test_correcting_the_lot_without_a_reason_is_refused_at_the_reason(app, nurse, scheduled):
    before = snapshot(app, scheduled)
    posted = infusion_form(date="2026-03-16", product_lot="UC-2026-099")
    response = submit(nurse, f"/participants/{scheduled}/infusions/2", posted)
    assert response.status_code == 422
    p = page(response)
    assert p.errors == {"reason": ["Say why the saved infusion is being changed."]}
    assert_typed_infusion_shown(p, posted)
    assert infusions(app, scheduled)[2].product_lot == "UC-2026-017"
    assert snapshot(app, scheduled) == before


def test_correcting_the_lot_with_a_reason_saves_and_audits_old_and_new_lot(
        app, nurse, scheduled):
    plans_before = {c: plan_of(v) for c, v in visits_of(app, scheduled).items()}
    response = post_infusion(nurse, scheduled, 2, date="2026-03-16", product_lot="UC-2026-099",
                             reason="Lot copied from the wrong bag label")
    assert response.status_code == 302
    second = infusions(app, scheduled)[2]
    assert second.product_lot == "UC-2026-099"
    (change,) = audit_rows(app, entity="infusion", field="product_lot", action="update")
    assert (change.entity_id, change.old, change.new, change.reason, change.username) == (
        second.id, "UC-2026-017", "UC-2026-099", "Lot copied from the wrong bag label", "nurse")
    assert {c: plan_of(v) for c, v in visits_of(app, scheduled).items()} == plans_before
    assert audit_rows(app, entity="visit", action="update") == []
    assert "UC-2026-099" in row_of(html_of(nurse.get(f"/participants/{scheduled}")),
                                   "infusion-2")


# Who may record infusions, and which pages exist --------------------------------------------


@pytest.mark.parametrize("role", ["monitor", "unblinded", "admin"])
def test_roles_other_than_nurse_and_investigator_may_not_record_infusions(
        app, as_role, enrolled, role):
    client = as_role(role)
    before = snapshot(app, enrolled)
    assert client.get(f"/participants/{enrolled}/infusions/1").status_code == 403
    assert post_infusion(client, enrolled, 1).status_code == 403
    assert submit(client, f"/participants/{enrolled}/anchor-on-first",
                  {"reason": "x"}).status_code == 403
    assert snapshot(app, enrolled) == before


def test_investigator_may_record_an_infusion(app, as_role, enrolled):
    assert post_infusion(as_role("investigator"), enrolled, 1).status_code == 302
    assert infusions(app, enrolled)[1].date == date(2026, 3, 2)


def test_infusion_of_unknown_participant_is_not_found(nurse, enrolled):
    missing = enrolled + 1000
    assert nurse.get(f"/participants/{missing}/infusions/1").status_code == 404
    assert post_infusion(nurse, missing, 1).status_code == 404
    assert nurse.post(f"/participants/{missing}/anchor-on-first",
                      data={"reason": "x"}).status_code == 404


@pytest.mark.parametrize("number", [0, 3])
def test_there_is_no_infusion_other_than_1_and_2(app, nurse, enrolled, number):
    assert nurse.get(f"/participants/{enrolled}/infusions/{number}").status_code == 404
    assert post_infusion(nurse, enrolled, number).status_code == 404
    assert infusions(app, enrolled) == {}


def test_screening_results_first_then_both_infusions_plan_the_eleven_visits(app, nurse, enrolled):
    """The protocol's own order: baseline labs, infusion 1, infusion 2 - no reason asked."""
    from tests.support.forms import results_form
    from tests.support.records import visit_id

    pid = enrolled
    assert submit(nurse, f"/participants/{pid}/visits", {"kind": "screening"}).status_code == 302
    screening = visit_id(app, pid, "SCR")
    saved = nurse.post(f"/visits/{screening}",
                       data=results_form(nurse, screening, sample_date="2026-02-25"))
    assert saved.status_code == 302, saved.text
    assert nurse.get(f"/participants/{pid}").status_code == 200
    assert post_infusion(nurse, pid, 1, date="2026-03-02").status_code == 302
    assert nurse.get(f"/participants/{pid}").status_code == 200
    assert post_infusion(nurse, pid, 2, date="2026-03-16").status_code == 302
    assert {c: plan_of(v) for c, v in visits_of(app, pid).items() if c != "SCR"} == {
        c: FROM_16_MARCH[c] for c in CODES}
    assert visits_of(app, pid)["SCR"].status == "done"
    p = page(nurse.get(f"/participants/{pid}"))
    assert list(p.rows) == ["SCR", *CODES]


def test_anchoring_on_infusion_1_works_with_a_screening_visit_present(app, nurse, enrolled):
    pid = enrolled
    assert submit(nurse, f"/participants/{pid}/visits", {"kind": "screening"}).status_code == 302
    assert post_infusion(nurse, pid, 1, date="2026-03-02").status_code == 302
    response = submit(nurse, f"/participants/{pid}/anchor-on-first",
                      {"reason": "Family declined the second infusion"})
    assert response.status_code == 302, response.text
    assert {c: v.target_date.isoformat() for c, v in visits_of(app, pid).items() if c != "SCR"} == \
        TARGETS_FROM_2_MARCH
    assert "Anchored on infusion 1" in nurse.get(f"/participants/{pid}").text


def test_infusion_2_of_a_child_anchored_on_infusion_1_reads_not_given(app, nurse, enrolled):
    assert post_infusion(nurse, enrolled, 1, date="2026-03-02").status_code == 302
    assert submit(nurse, f"/participants/{enrolled}/anchor-on-first",
                  {"reason": "Family declined"}).status_code == 302
    row = page(nurse.get(f"/participants/{enrolled}")).text
    assert "Not given: follow-up counts from infusion 1." in row
    assert "Due 2026-03-16" not in row


def test_infusion_1_before_the_screening_sample_is_refused_so_the_baseline_is_not_lost(
        app, nurse, enrolled):
    """Screening sampled on 2 March: infusion 1 on 1 March would leave no baseline; on the
    sample's own day the sample is still baseline."""
    from tests.support.forms import results_form
    from tests.support.records import visit_id

    assert submit(nurse, f"/participants/{enrolled}/visits", {"kind": "screening"}).status_code \
        == 302
    screening = visit_id(app, enrolled, "SCR")
    assert nurse.post(f"/visits/{screening}", data=results_form(
        nurse, screening, sample_date="2026-03-02")).status_code == 302
    response = post_infusion(nurse, enrolled, 1, date="2026-03-01")
    assert response.status_code == 422
    assert page(response).errors == {"date": [
        "The screening sample was taken on 2026-03-02, after this infusion date: baseline labs "
        "come before infusion 1. Check the infusion date, or correct the screening sample date "
        "first."]}
    assert infusions(app, enrolled) == {}
    assert post_infusion(nurse, enrolled, 1, date="2026-03-02").status_code == 302


def test_a_lot_typed_in_full_width_is_stored_as_printed_on_the_label(app, nurse, enrolled):
    """A Chinese keyboard in full-width mode types the lot's letters, digits and dash wide."""
    response = post_infusion(nurse, enrolled, 1, product_lot="\u3000ＵＣ－２０２６－０１７\u3000")
    assert response.status_code == 302
    assert infusions(app, enrolled)[1].product_lot == "UC-2026-017"


NO_SCREENING = ("No screening results are saved yet. Baseline is the last value before "
                "infusion 1: enter the screening results first, or every outcome of AS-001 will "
                "be not assessable.")


def warnings_before_infusion_1(client: FlaskClient, pid: int, clock: Clock | None = None,
                               day: date = date(2026, 3, 2)) -> tuple[list[str], list[str]]:
    """The warnings of the child's page and of the infusion 1 form, read on `day` (with the
    test's clock): 2 March, the day these children get infusion 1."""
    def of(url: str) -> list[str]:
        return [re.sub(r"\s+", " ", w) for w in re.findall(
            r'class="notice before-infusion-1"[^>]*>([^<]*)<', html_of(client.get(url)))]
    if clock is None:
        return of(f"/participants/{pid}"), of(f"/participants/{pid}/infusions/1")
    with clock.on(day):
        return of(f"/participants/{pid}"), of(f"/participants/{pid}/infusions/1")


def test_before_infusion_1_the_pages_say_when_the_screening_egfr_is_not_above_60(
        app, nurse, enrolled, clock):
    """Enrolment checked the screening eGFR typed there (98); the screening labs say otherwise.
    F, born 2018-05-10, sampled 2026-02-25 (7.797 years), 126 cm, creatinine 150 umol/L
    (1.6968 mg/dL), cystatin C 0.9 mg/L: CKiD U25 creatinine 36.1 x 1.008^(7.797-12) x 1.26 /
    1.6968 = 25.92, cystatin 79.9 x 1.004^(7.797-12) / 0.9 = 87.30, combined 56.61."""
    from edc.services.results import TypedResult
    from tests.support import factories

    assert warnings_before_infusion_1(nurse, enrolled) == ([NO_SCREENING], [NO_SCREENING])
    factories.add_screening(app, enrolled)
    factories.enter_results(app, enrolled, "SCR", date(2026, 2, 25),
                            creatinine=TypedResult("150", "umol/L", confirmed=True),
                            egfr_lab=TypedResult("55", "", confirmed=True))
    expected = [
        "The screening sample of 2026-02-25 gives an eGFR of 56.6 mL/min/1.73m² (CKiD U25 "
        "combined): not above 60, the limit for enrolment (enrolment was checked with 98). "
        "Tell the investigator before infusion 1.",
        "The screening sample of 2026-02-25 gives an eGFR of 55.0 mL/min/1.73m² "
        "(laboratory-reported): not above 60, the limit for enrolment (enrolment was checked "
        "with 98). Tell the investigator before infusion 1."]
    assert warnings_before_infusion_1(nurse, enrolled, clock) == (expected, expected)
    # Recorded all the same (the infusion happened): the warnings have done their work.
    assert post_infusion(nurse, enrolled, 1, date="2026-03-02").status_code == 302
    assert warnings_before_infusion_1(nurse, enrolled)[0] == []


def test_screening_labs_above_60_raise_no_warning_before_infusion_1(app, nurse, enrolled,
                                                                    clock):
    from tests.support import factories

    factories.add_screening(app, enrolled)
    factories.enter_results(app, enrolled, "SCR", date(2026, 2, 25))
    assert warnings_before_infusion_1(nurse, enrolled, clock) == ([], [])
    # 28 days after the sample it is still in the screening window; a day later it is not.
    assert warnings_before_infusion_1(nurse, enrolled, clock, date(2026, 3, 25)) == ([], [])
    late = ("The last screening sample (2026-02-25) is more than 28 days before today: "
            "infusion 1 given today would leave the baseline outside the screening window "
            "(2026-02-26 to 2026-03-26). Take new screening samples first, or tell the "
            "investigator.")
    assert warnings_before_infusion_1(nurse, enrolled, clock, date(2026, 3, 26)) == (
        [late], [late])


def test_screening_results_without_any_egfr_are_said_to_leave_the_limit_unchecked(
        app, nurse, enrolled, clock):
    from edc.services.results import TypedResult
    from tests.support import factories

    factories.add_screening(app, enrolled)
    not_done = TypedResult(not_done=True, not_done_reason="Haemolysed")
    factories.enter_results(app, enrolled, "SCR", date(2026, 2, 25), creatinine=not_done,
                            cystatin_c=not_done, egfr_lab=TypedResult())
    message = ("The screening results give no eGFR: CKiD U25 needs creatinine with the height, "
               "or cystatin C, and no laboratory eGFR is entered. The limit for enrolment (above "
               "60) cannot be checked against them, and the renal function outcome of AS-001 "
               "will be not assessable. Complete them before infusion 1.")
    assert warnings_before_infusion_1(nurse, enrolled, clock) == ([message], [message])
