"""The outcomes on the participant page's results table: like-with-like eGFR, not assessable."""

from __future__ import annotations

from tests.support.pages import page
from tests.support.records import visit_id, visits_of
from tests.support.results import add_visit, saved

NO_CYSTATIN = {"value": "", "not_done": "y", "not_done_reason": "no sample"}


def test_renal_function_names_the_equation_compared_with_a_creatinine_only_baseline(
        app, nurse, scheduled):
    # AS-001: girl born 2018-05-10, 126 cm. Screening 2026-02-25 (2848 days: 7.79740 years),
    # creatinine 40 umol/L = 0.452489 mg/dL, cystatin C not done:
    #   K_cr = 36.1 x 1.008^(7.79740 - 12) = 34.9111; U25 cr = 34.9111 x 1.26 / 0.452489 = 97.214
    # W06 2026-04-27 (2909 days: 7.96441 years), creatinine 35 umol/L = 0.395928 mg/dL,
    # cystatin C 0.9 mg/L:
    #   K_cr = 36.1 x 1.008^(7.96441 - 12) = 34.9576; U25 cr = 34.9576 x 1.26 / 0.395928 = 111.249
    #   K_cys = 79.9 x 1.004^(7.96441 - 12) = 78.6231; U25 cys = 78.6231 / 0.9 = 87.359
    #   combined (the reference shown) = 99.304
    # Creatinine with creatinine: (111.249 - 97.214) / 97.214 = +14.4 %: improved. The combined
    # 99.304 against 97.214 would have read +2.2 %, not improved.
    add_visit(nurse, scheduled, kind="screening")
    scr = visits_of(app, scheduled)["SCR"].id
    saved(nurse, scr, sample_date="2026-02-25", creatinine=("40", "umol/L"),
          cystatin_c=NO_CYSTATIN)
    saved(nurse, visit_id(app, scheduled, "W06"), creatinine=("35", "umol/L"))
    w06 = page(nurse.get(f"/participants/{scheduled}")).trend["W06"]
    assert w06.cells["egfr"] == "99.3 (G1)"
    assert w06.cells["renal-function"] == (
        "yes CKiD U25 creatinine: 111 vs 97.2 at baseline (+14.4 %)")


def test_without_baseline_values_every_outcome_is_not_assessable_never_no_remission(
        app, nurse, scheduled):
    # RESULTS: UPCR 0.45 mg/mg, urine RBC 12 /HPF, creatinine and cystatin C, but no screening.
    saved(nurse, visit_id(app, scheduled, "W06"))
    response = nurse.get(f"/participants/{scheduled}")
    w06 = page(response).trend["W06"]
    assert (w06.cells["proteinuria"], w06.cells["hematuria"], w06.cells["renal-function"]) == (
        "not assessable", "not assessable", "not assessable")
    assert "no remission" not in response.get_data(as_text=True)


def test_the_page_says_a_lab_egfr_20_percent_or_more_away_is_marked(app, nurse, scheduled):
    saved(nurse, visit_id(app, scheduled, "W06"))
    html = nurse.get(f"/participants/{scheduled}").get_data(as_text=True)
    assert "A lab eGFR 20 % or more away from the computed one is marked." in html
