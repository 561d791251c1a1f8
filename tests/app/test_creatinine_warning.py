"""Creatinine needs confirming above 1.5 x the median for the child's age at the sample date."""

from __future__ import annotations

from tests.support.records import stored_results, visit_id
from tests.support.results import CONFIRM, refused, saved

# AS-001 is a girl born 2018-05-10; 1.5 x Pottel's Q = 1.5 x (0.0270 x age + 0.2329) mg/dL.
#   sample 2026-04-27: 2909 days = 7.96441 years; limit 0.671909 mg/dL = 59.3967 umol/L
#   sample 2026-03-20: 2871 days = 7.86037 years; limit 0.667695 mg/dL = 59.0243 umol/L


def test_the_limit_is_for_the_age_on_the_sample_date(app, nurse, scheduled):
    w06 = visit_id(app, scheduled, "W06")
    # 59.2 umol/L is under the limit at 7.96 years but above it at 7.86 years.
    p = refused(app, nurse, w06, sample_date="2026-03-20", creatinine=("59.2", "umol/L"))
    assert p.all_row_messages() == {"creatinine": {"confirm": [
        "Serum creatinine 59.2 µmol/L is above 1.5 × the median for age 7.9 years "
        f"(59 µmol/L). {CONFIRM}"]}}
    saved(nurse, w06, sample_date="2026-04-27", creatinine=("59.2", "umol/L"))
    assert stored_results(app, w06)["creatinine"].warn_confirmed is False


def test_the_limit_is_given_in_the_unit_typed(app, nurse, scheduled):
    w06 = visit_id(app, scheduled, "W06")
    # 0.68 mg/dL is above 0.671909 mg/dL (shown rounded down: 0.671).
    p = refused(app, nurse, w06, creatinine=("0.68", "mg/dL"))
    assert p.all_row_messages() == {"creatinine": {"confirm": [
        "Serum creatinine 0.68 mg/dL is above 1.5 × the median for age 8.0 years "
        f"(0.671 mg/dL). {CONFIRM}"]}}
    saved(nurse, w06, creatinine=("0.67", "mg/dL"))  # under the limit: saved unasked
    assert stored_results(app, w06)["creatinine"].typed_value == "0.67"
