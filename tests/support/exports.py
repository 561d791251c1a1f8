"""The small fixed trial every export's golden file is made from: three children, each value
typed once, on the tests' fixed day (2026-04-27).

    AS-001  screening, both infusions, W02 and W04 (UPCR typed in mg/mmol at W04, the
            creatinine of W02 not done), infusion 1's vital signs before and at 15 minutes (a
            fever), the fever as a grade 1 adverse event, enalapril, vitamin D, a deviation,
            then withdrawn by the family
    AS-002  both infusions, W02 done
    AS-003  enrolled only
"""

from __future__ import annotations

from datetime import date, time

from flask import Flask

from edc.services import TypedResult
from tests.support import factories
from tests.support.factories import INFUSION_1, SCREENING

CODES = ("AS-001", "AS-002", "AS-003")


def small_trial(app: Flask) -> dict[str, int]:
    """Build the fixed trial (the app must hold the allocation list); return ids by code."""
    first = factories.enrol(app, "AS-001")
    factories.add_screening(app, first)
    factories.enter_results(app, first, "SCR", SCREENING)
    factories.infuse(app, first, 1, INFUSION_1)
    factories.infuse(app, first, 2, date(2026, 3, 16))
    days = factories.targets(app, first)
    factories.enter_results(app, first, "W02", days["W02"], creatinine=TypedResult(
        not_done=True, not_done_reason="Sample haemolysed"))
    factories.enter_results(app, first, "W04", days["W04"], upcr=("45.2", "mg/mmol"))
    for point, clock, temperature, heart in (("PRE", time(8, 50), 36.6, 92),
                                             ("15MIN", time(9, 20), 38.4, 118)):
        factories.log_entry(app, first, "vital_signs", {
            "infusion": "1", "timepoint": point, "date": INFUSION_1, "time": clock,
            "temperature": temperature, "heart_rate": heart, "resp_rate": 20,
            "systolic": 104, "diastolic": 64, "spo2": 98})
    fever = factories.log_entry(app, first, "adverse_events", {
        "term": "Fever", "onset_date": INFUSION_1, "end_date": date(2026, 3, 3),
        "ongoing": "no", "grade": "1", "serious": "no", "relation": "PROBABLE",
        "infusion": "1", "action": ["MEDICATION"], "outcome": "RECOVERED"})
    factories.log_entry(app, first, "medications", {
        "drug": "ENALAPRIL", "dose": 2.5, "dose_unit": "mg", "frequency": "BID",
        "start_date": date(2025, 12, 1), "ongoing": "yes", "change": "STARTED"})
    factories.log_entry(app, first, "other_medications", {
        "name": "骨化三醇软胶囊", "dose": "0.25 µg 每日1次", "indication": "维生素D缺乏",
        "start_date": date(2026, 1, 5), "ongoing": "yes"})
    factories.log_entry(app, first, "deviations", {
        "category": "SAMPLE", "deviation_date": days["W04"],
        "description": "未留取24小时尿标本", "corrective_action": "电话提醒家长"})
    factories.withdraw(app, first, "The family moved to Beijing.", reason="OTHER",
                       event=None)
    assert fever == 1
    second = factories.child(app, "scheduled", "AS-002")
    factories.enter_results(app, second, "W02", factories.targets(app, second)["W02"])
    third = factories.enrol(app, "AS-003")
    return {"AS-001": first, "AS-002": second, "AS-003": third}
