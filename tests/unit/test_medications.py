"""The ACEI/ARB and other medication logs as data (forms/medications.toml,
forms/other_medications.toml) and the loader's refusals; the rule that finds each start, dose
change and stop and the ones shortly before a sample; the chart's markers."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from edc.formats.charts import Marker, Point, Series, trend_svg
from edc.protocol.study import load_study
from edc.rules.medications import Course, Event, events, place, recent
from tests.support.paths import FORMS
from tests.support.study_files import broken

STUDY = load_study(FORMS)
ACEI = STUDY.log("medications")
OTHER_MEDICATIONS = STUDY.log("other_medications")


def test_the_acei_arb_log_is_cdisc_cm_with_a_dose_in_mg_or_mg_per_kg() -> None:
    form = ACEI.form
    assert (form.kind, form.domain, form.title_zh) == ("log", "CM", "ACEI/ARB用药")
    assert [f.variable for f in form.fields] == [
        "CMTRT", "CMTRT", "CMDOSE", "CMDOSFRQ", "CMSTDTC", "CMENDTC", "CMENRF", "CMADJ",
        "CMADJ"]
    dose = form.field("dose")
    assert [(u.code, u.factor) for u in dose.units] == [("mg", None), ("mg/kg", None)]
    assert ACEI.flag_days_before_sample == 28 and ACEI.starts_before_consent


def test_the_drugs_are_named_as_chinese_paediatric_nephrologists_write_them() -> None:
    drugs = ACEI.form.field("drug").choices
    assert drugs is not None
    assert [c.label_zh for c in drugs.choices] == [
        "依那普利", "贝那普利", "卡托普利", "福辛普利", "赖诺普利", "雷米普利", "培哚普利",
        "氯沙坦", "缬沙坦", "厄贝沙坦", "坎地沙坦", "替米沙坦", "其他"]


def test_other_medications_are_free_text_with_their_dates() -> None:
    form = OTHER_MEDICATIONS.form
    assert [(f.key, f.type, f.role) for f in form.fields] == [
        ("name", "text", ""), ("dose", "text", ""), ("indication", "text", ""),
        ("start_date", "date", "start"), ("end_date", "date", "end"),
        ("ongoing", "yesno", "ongoing")]
    assert OTHER_MEDICATIONS.flag_days_before_sample == -1


def test_the_loader_refuses_flag_days_below_zero(forms: Path) -> None:
    error = broken(forms, "medications.toml", "flag_days_before_sample = 28",
                   "flag_days_before_sample = -3")
    assert (error.file, error.key, error.got) == (
        "forms/medications.toml", "flag_days_before_sample", -3)
    assert "whole number" in error.expected


def test_the_loader_refuses_flag_days_on_a_log_without_a_change(forms: Path) -> None:
    error = broken(forms, "other_medications.toml", 'domain = "CM"\n',
                   'domain = "CM"\nflag_days_before_sample = 28\n')
    assert (error.file, error.key, error.got) == (
        "forms/other_medications.toml", "flag_days_before_sample", 28)
    assert 'role = "change"' in error.expected


def test_the_loader_refuses_a_drug_list_without_other(forms: Path) -> None:
    error = broken(forms, "medications.toml",
                   '    { code = "OTHER", label = "Other", label_zh = "其他" },\n]\n'
                   '# CDISC CMDOSFRQ', ']\n# CDISC CMDOSFRQ')
    assert (error.file, error.key) == ("forms/medications.toml", "choices.drug")
    assert "OTHER" in error.expected and "TELMISARTAN" in error.got


def test_the_loader_refuses_a_medication_log_without_a_dose(forms: Path) -> None:
    error = broken(forms, "medications.toml", 'role = "dose"\n', "")
    assert (error.file, error.key) == ("forms/medications.toml", "fields.role")
    assert 'role = "dose"' in error.expected


def test_the_loader_refuses_a_key_that_would_hold_a_numbers_unit(forms: Path) -> None:
    error = broken(forms, "medications.toml", 'key = "change_note"', 'key = "dose_unit"')
    assert (error.file, error.key) == ("forms/medications.toml", "fields")
    assert "dose_unit" in error.expected


# A course of enalapril raised on 2026-05-10, then stopped on 2026-07-01 (hand-checked dates).
COURSES = [Course(1, date(2026, 1, 5), date(2026, 5, 9), "STARTED"),
           Course(2, date(2026, 5, 10), date(2026, 7, 1), "INCREASED")]


def test_a_dose_change_ends_one_course_and_is_one_event_the_last_stop_is_another() -> None:
    assert events(COURSES) == [
        Event(date(2026, 1, 5), 1, "STARTED"), Event(date(2026, 5, 10), 2, "INCREASED"),
        Event(date(2026, 7, 1), 2, "", stopped=True)]


def test_a_course_ending_the_day_the_next_starts_is_a_change_not_a_stop() -> None:
    same_day = [Course(1, date(2026, 1, 5), date(2026, 5, 10), "STARTED"),
                Course(2, date(2026, 5, 10), None, "SWITCHED")]
    assert [e.stopped for e in events(same_day)] == [False, False]


def test_a_change_19_days_before_the_sample_is_recent() -> None:
    found = events(COURSES)
    assert recent(found, date(2026, 5, 29), 28) == [(found[1], 19)]


def test_exactly_28_days_before_is_recent_29_is_not() -> None:
    found = events(COURSES)
    assert recent(found, date(2026, 6, 7), 28) == [(found[1], 28)]  # 2026-05-10 + 28 days
    assert recent(found, date(2026, 6, 8), 28) == []


def test_the_sample_day_counts_and_a_change_after_the_sample_does_not() -> None:
    found = events(COURSES)
    assert recent(found, date(2026, 5, 10), 28) == [(found[1], 0)]
    assert recent(found, date(2026, 5, 9), 3) == []


def test_no_flag_when_the_log_flags_nothing() -> None:
    assert recent(events(COURSES), date(2026, 5, 29), -1) == []


def test_each_event_goes_before_the_first_visit_on_or_after_it() -> None:
    found = events(COURSES)
    before, after = place(found, [("W02", date(2026, 1, 5)), ("M03", date(2026, 6, 1))])
    assert before == {"W02": [found[0]], "M03": [found[1]]}
    assert after == [found[2]]


def test_the_chart_draws_a_titled_line_at_each_change() -> None:
    upcr = Series("UPCR", "mg/mg", (Point(date(2026, 3, 1), 1.0, "SCR"),
                                    Point(date(2026, 6, 1), 0.5, "M03")))
    svg = trend_svg([upcr], markers=[Marker(date(2026, 5, 10), "2026-05-10 依那普利 5 mg 剂量增加"),
                                     Marker(date(2025, 1, 1), "long ago")])
    assert svg.count('<g class="marker">') == 1
    assert "<title>2026-05-10 依那普利 5 mg 剂量增加</title>" in svg
    assert "long ago" not in svg  # more than three months before the first value


def test_a_chart_without_markers_is_unchanged() -> None:
    upcr = Series("UPCR", "mg/mg", (Point(date(2026, 3, 1), 1.0, "SCR"),))
    assert trend_svg([upcr]) == trend_svg([upcr], markers=[])
    assert "marker" not in trend_svg([upcr])
