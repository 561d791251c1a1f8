"""The outcomes on the participant page's results table: like-with-like eGFR, not assessable."""

from __future__ import annotations

import re

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


def test_typed_numbers_are_shown_as_typed_and_conversions_to_six_digits(app, as_role, scheduled):
    """The casebook the investigator signs and the results table show what the lab report says:
    1234 mg/24h is not 1230, 41.25 kg not 41.2; a number typed in another unit is converted."""
    nurse = as_role("nurse")
    w06 = visit_id(app, scheduled, "W06")
    saved(nurse, w06, protein_24h=("1234", "mg/24h"), height=("152.5", ""),
          weight=("41.25", ""), upcr=("55", "mg/mmol"), creatinine=("0.55", "mg/dL"))
    cells = page(nurse.get(f"/participants/{scheduled}")).trend["W06"].cells
    assert (cells["m-protein_24h"], cells["m-upcr"], cells["m-creatinine"]) == (
        "1234 mg/24h", "55 mg/mmol", "0.55 mg/dL")
    casebook = as_role("monitor").get(f"/participants/{scheduled}/casebook").text

    def row(key: str) -> list[str]:
        found = re.search(rf'<tr data-result="W06-{key}">(.*?)</tr>', casebook, re.S)
        assert found, key
        return [" ".join(re.sub(r"<[^>]+>", " ", cell).split())
                for cell in re.findall(r"<td>(.*?)</td>", found.group(1), re.S)][1:3]

    assert row("protein_24h") == ["1234 mg/24h", "1234 mg/24h"]
    assert row("height") == ["152.5 cm", "152.5 cm"]
    assert row("weight") == ["41.25 kg", "41.25 kg"]
    # 55 / 113.12 = 0.48620933... mg/mg; 0.55 x 88.4 = 48.62 umol/L.
    assert row("upcr") == ["55 mg/mmol", "0.486209 mg/mg"]
    assert row("creatinine") == ["0.55 mg/dL", "48.62 µmol/L"]
