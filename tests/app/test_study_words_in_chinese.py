"""The study's own words (forms/*.toml) in the reader's language: a Chinese reader sees the
analytes, units, choices, criteria, visits and arms in Chinese, also inside messages; an English
reader sees the pages as before."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.support.factories import child
from tests.support.forms import enrolment_form, results_form
from tests.support.pages import page
from tests.support.records import visit_id

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}


@pytest.fixture
def w06(app: Flask, scheduled: int) -> int:
    return visit_id(app, scheduled, "W06")


def test_the_results_form_names_each_analyte_in_the_readers_language_the_other_beneath(
        nurse, w06) -> None:
    chinese = page(nurse.get(f"/visits/{w06}", headers=ZH))
    english = page(nurse.get(f"/visits/{w06}", headers=EN))
    assert ("creatinine-value", "血肌酐") in chinese.labels
    assert chinese.results["creatinine"].cells[0] == "血肌酐Serum creatinine"
    assert ("creatinine-value", "Serum creatinine") in english.labels
    assert english.results["creatinine"].cells[0] == "Serum creatinine血肌酐"


def test_units_and_qualitative_results_read_as_chinese_labs_write_them(nurse, w06) -> None:
    chinese = page(nurse.get(f"/visits/{w06}", headers=ZH))
    english = page(nurse.get(f"/visits/{w06}", headers=EN))
    assert chinese.options["urea-unit"] == [("mmol/L", "mmol/L (尿素)"),
                                            ("mg/dL BUN", "mg/dL (尿素氮)")]
    assert chinese.options["urine_rbc-qualifier"] == [
        ("", "—"), ("too numerous to count", "满视野")]
    assert english.options["urea-unit"] == [("mmol/L", "mmol/L (urea)"),
                                            ("mg/dL BUN", "mg/dL (BUN)")]
    assert english.options["urine_rbc-qualifier"] == [
        ("", "—"), ("too numerous to count", "too numerous to count")]


def test_a_refused_value_is_named_in_chinese_with_its_unit(nurse, w06) -> None:
    posted = results_form(nurse, w06, creatinine=("0.45", "umol/L"))
    chinese = page(nurse.post(f"/visits/{w06}", data=posted, headers=ZH))
    [message] = chinese.all_row_messages()["creatinine"]["value"]
    assert message.startswith("血肌酐 0.45 µmol/L ")
    assert "8.8-884 µmol/L" in message and "mg/dL" in message
    assert "Serum creatinine" not in message
    english = page(nurse.post(f"/visits/{w06}", data=posted, headers=EN))
    assert english.all_row_messages()["creatinine"]["value"] == [
        "Serum creatinine 0.45 µmol/L is below the possible range 8.8-884 µmol/L. "
        "Did you mean mg/dL?"]


def test_a_message_names_the_unit_as_chinese_writes_it(nurse, w06) -> None:
    posted = results_form(nurse, w06, urine_rbc=("12.5", "/HPF"))
    chinese = page(nurse.post(f"/visits/{w06}", data=posted, headers=ZH))
    [message] = chinese.all_row_messages()["urine_rbc"]["value"]
    assert message.startswith("尿红细胞 12.5 个/HPF")


def test_a_typed_qualitative_result_and_number_together_are_named_in_chinese(nurse, w06) -> None:
    posted = results_form(nurse, w06, urine_rbc={"value": "12", "unit": "/HPF",
                                                 "qualifier": "too numerous to count"})
    chinese = page(nurse.post(f"/visits/{w06}", data=posted, headers=ZH))
    [message] = chinese.all_row_messages()["urine_rbc"]["value"]
    assert "满视野" in message and "too numerous" not in message


def test_the_enrolment_form_asks_sex_and_the_criteria_in_chinese(nurse, allocation) -> None:
    chinese = page(nurse.get("/participants/enrol", headers=ZH))
    english = page(nurse.get("/participants/enrol", headers=EN))
    assert ("sex", "性别") in chinese.labels
    assert chinese.options["sex"] == [("", "—"), ("M", "男"), ("F", "女")]
    assert "IN01. 3岁 ≤ 年龄 ≤ 12岁 3 years old ≤ age ≤ 12 years old" in chinese.text
    assert "EX15. 研究者认为不适合入组的其他情况" in chinese.text
    assert ("sex", "Sex") in english.labels
    assert english.options["sex"] == [("", "—"), ("M", "Male"), ("F", "Female")]
    assert "IN01. 3 years old ≤ age ≤ 12 years old 3岁 ≤ 年龄 ≤ 12岁" in english.text


def test_an_enrolment_item_left_empty_is_asked_for_in_chinese(app, nurse, allocation) -> None:
    data = enrolment_form(app, sex="", criterion_IN02="")
    chinese = page(nurse.post("/participants/enrol", data=data, headers=ZH))
    assert "请选择性别。" in chinese.errors["sex"]
    assert "请回答IN02。" in chinese.errors["criterion_IN02"]
    english = page(nurse.post("/participants/enrol", data=data, headers=EN))
    assert "Choose the sex." in english.errors["sex"]
    assert "Answer IN02." in english.errors["criterion_IN02"]


def test_the_participant_page_shows_visits_and_trend_columns_in_chinese(
        app, allocation, nurse) -> None:
    pid = child(app, "with results")
    chinese = page(nurse.get(f"/participants/{pid}", headers=ZH))
    english = page(nurse.get(f"/participants/{pid}", headers=EN))
    assert "2周" in chinese.rows["W02"].text and "12个月" in chinese.rows["M12"].text
    assert "血肌酐" in chinese.text and "尿蛋白/肌酐比值 (mg/mg)" in chinese.text
    assert "12 个/HPF" in chinese.trend["W02"].text
    assert "2周" not in english.text and "血肌酐" not in english.text
    assert "12 /HPF" in english.trend["W02"].text


def test_the_history_names_analytes_and_units_in_chinese(app, allocation, nurse) -> None:
    pid = child(app, "with results")
    chinese = page(nurse.get(f"/participants/{pid}/history", headers=ZH)).text
    english = page(nurse.get(f"/participants/{pid}/history", headers=EN)).text
    assert "W02 血肌酐 40 µmol/L" in chinese and "W02 尿素/尿素氮 4.2 mmol/L (尿素)" in chinese
    assert "W02 Serum creatinine 40 µmol/L" in english and "血肌酐" not in english


def test_the_unblinded_reader_sees_the_arm_in_chinese(app, allocation, as_role) -> None:
    pid = child(app, "enrolled")
    unblinded = as_role("unblinded")
    chinese = page(unblinded.get(f"/participants/{pid}", headers=ZH)).text
    english = page(unblinded.get(f"/participants/{pid}", headers=EN)).text
    assert "人脐带间充质干细胞" in chinese or "生理盐水安慰剂" in chinese
    assert "Arm MSC" in english or "Arm PBO" in english
