"""Every label the app shows has its Chinese in forms/: a missing one stops start-up with the
file, the key, what it got and what it expected."""

from pathlib import Path

import pytest

from edc.protocol.study import load_study
from tests.support.study_files import broken

FORMS = Path(__file__).resolve().parents[2] / "forms"
MISSING = "a value (the key is missing)"


@pytest.mark.parametrize(("name", "old", "new", "key", "got", "expected"), [
    ("results.toml", 'label_zh = "血肌酐"\n', "", "fields[5].label_zh", None, MISSING),
    ("results.toml", 'label_zh = "血肌酐"', 'label_zh = " "', "fields[5].label_zh", " ",
     "a non-empty string"),
    ("results.toml", 'qualitative_zh = ["满视野"]\n', "", "fields[3].qualitative_zh", None,
     "the Chinese of each qualitative result, in order (1)"),
    ("enrolment.toml", 'label_zh = "性别"\n', "", "fields[2].label_zh", None, MISSING),
    ("enrolment.toml", '{ code = "F", label = "Female", label_zh = "女" }',
     '{ code = "F", label = "Female" }', "choices.sex[1].label_zh", None, MISSING),
    ("enrolment.toml", 'message_zh = "请选择性别。"\n', "", "fields[2].message_zh", None,
     MISSING),
    ("enrolment.toml", 'message_zh = "请填写身高 (cm)。"\n', "", "fields[4].message_zh", None,
     MISSING),
    ("eligibility.toml", 'text_zh = "泌尿系统发育畸形"\n', "", "exclusion[7].text_zh", None,
     MISSING),
    ("schedule.toml", 'label_zh = "6周"\n', "", "visits[2].label_zh", None, MISSING),
    ("study.toml", 'label_zh = "生理盐水安慰剂"\n', "", "arms[1].label_zh", None, MISSING),
    ("study.toml", 'title_zh = "人脐带间充质干细胞治疗Alport综合征"\n', "", "study.title_zh",
     None, MISSING),
    ("study.toml", 'name_zh = "广州市妇女儿童医疗中心 儿童肾脏科"\n', "", "site.name_zh", None,
     MISSING),
])
def test_a_missing_chinese_label_stops_start_up_naming_file_key_got_and_expected(
        forms: Path, name: str, old: str, new: str, key: str, got: str | None,
        expected: str) -> None:
    error = broken(forms, name, old, new)
    assert (error.file, error.key, error.got) == (f"forms/{name}", key, got), str(error)
    assert str(error) == f"forms/{name}: {key}: got {got!r}. Expected {expected}."


def test_a_chinese_message_without_its_english_is_refused(forms: Path) -> None:
    error = broken(forms, "enrolment.toml", 'message = "Choose the sex."\n', "")
    assert str(error) == ("forms/enrolment.toml: fields[2].message: got None. Expected a "
                          "message in English beside message_zh.")


def test_every_label_shown_has_its_chinese() -> None:
    study = load_study(FORMS)
    items = [*study.results.fields, *study.enrolment_form.fields]
    assert all(item.label_zh for item in items)
    assert all(item.message_zh for item in items if item.message)
    assert all(c.label_zh for item in items if item.choices for c in item.choices.choices)
    assert all(v.label_zh for v in study.schedule.visits)
    assert all(a.label_zh for a in study.arms)
    assert all(c.text_zh for c in study.criteria)
    urine_rbc = study.results.by_role("urine_rbc")
    assert urine_rbc.qualitative_zh == ("满视野",)
    assert [u.label_zh for u in urine_rbc.units] == ["个/HPF", "个/µL"]


def test_a_unit_chinese_writes_as_english_does_has_no_chinese_of_its_own() -> None:
    creatinine = load_study(FORMS).results.by_role("creatinine")
    assert [(u.label, u.label_zh) for u in creatinine.units] == [("µmol/L", ""), ("mg/dL", "")]


def test_a_criterions_chinese_question_carries_its_code_as_the_english_one_does() -> None:
    question = load_study(FORMS).enrolment_form.field("criterion_IN01")
    assert (question.label, question.label_zh) == (
        "IN01. 3 years old ≤ age ≤ 12 years old", "IN01. 3岁 ≤ 年龄 ≤ 12岁")
    assert (question.message, question.message_zh) == ("Answer IN01.", "请回答IN01。")
