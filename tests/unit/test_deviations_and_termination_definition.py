"""The protocol deviation log (forms/deviations.toml, CDISC DV) and the early termination
(forms/termination.toml, CDISC DS) as data: their items, the reasons in English and Chinese, the
roles the withdrawal reads, and the loader's refusals."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from edc.protocol.study import load_study
from edc.protocol.toml import StudyDefinitionError
from tests.support.paths import FORMS
from tests.support.study_files import broken

STUDY = load_study(FORMS)
DEVIATIONS = STUDY.log("deviations").form
TERMINATION = STUDY.termination.form


def test_deviations_are_a_log_of_the_dv_domain_with_category_date_description_and_action(
) -> None:
    assert (DEVIATIONS.kind, DEVIATIONS.domain, DEVIATIONS.title, DEVIATIONS.title_zh) == (
        "log", "DV", "Protocol deviations", "方案偏离")
    assert [(f.key, f.type, f.required, f.variable) for f in DEVIATIONS.fields] == [
        ("category", "choice", True, "DVCAT"), ("deviation_date", "date", True, "DVSTDTC"),
        ("description", "text", True, "DVTERM"),
        ("corrective_action", "text", False, "DVACN")]
    assert DEVIATIONS.by_role("start").key == "deviation_date"
    assert STUDY.log("deviations").alert_hours == 0


def test_deviation_categories_in_the_words_gcp_staff_use() -> None:
    choices = DEVIATIONS.field("category").choices
    assert choices is not None
    assert [c.label_zh for c in choices.choices] == [
        "入排标准", "知情同意", "访视超窗", "漏访/漏检", "研究用药/输注", "样本/实验室",
        "安全性报告", "其他"]
    assert choices.codes[-1] == "OTHER"


def test_termination_is_a_ds_row_read_by_role_and_no_log_page_of_its_own() -> None:
    assert (TERMINATION.kind, TERMINATION.domain, TERMINATION.title_zh) == (
        "log", "DS", "提前终止")
    assert {f.role: f.key for f in TERMINATION.fields} == {
        "category": "reason", "event": "adverse_event", "detail": "detail",
        "start": "termination_date", "last_contact": "last_contact"}
    assert [f.required for f in TERMINATION.fields] == [True, False, False, True, True]
    assert "termination" not in [log.name for log in STUDY.logs]
    assert STUDY.any_log("termination") is STUDY.termination
    assert STUDY.any_log("deviations") is STUDY.log("deviations")


def test_termination_reasons_in_english_and_chinese() -> None:
    choices = TERMINATION.field("reason").choices
    assert choices is not None
    assert [(c.code, c.label, c.label_zh) for c in choices.choices] == [
        ("CONSENT", "Consent withdrawn", "撤回知情同意"), ("LOST", "Lost to follow-up", "失访"),
        ("AE", "Adverse event", "不良事件"),
        ("INVESTIGATOR", "Investigator's decision", "研究者决定"), ("DEATH", "Death", "死亡"),
        ("OTHER", "Other", "其他")]


def test_the_reasons_the_withdrawal_reads_must_be_there(forms: Path) -> None:
    message = str(broken(forms, "termination.toml",
                         '{ code = "AE", label = "Adverse event", label_zh = "不良事件" },\n', ""))
    assert message == (
        "forms/termination.toml: choices.reason: got ['CONSENT', 'LOST', 'INVESTIGATOR', "
        "'DEATH', 'OTHER']. Expected the codes AE (linked to an adverse event) and OTHER "
        "(explained in words) among them.")


def test_termination_needs_its_last_contact(forms: Path) -> None:
    message = str(broken(forms, "termination.toml", 'role = "last_contact"\n', ""))
    assert message.startswith("forms/termination.toml: fields.role: got ['category', 'detail', "
                              "'event', 'start']. Expected exactly one field with "
                              'role = "last_contact"')


def test_the_termination_must_be_of_the_ds_domain(forms: Path) -> None:
    assert str(broken(forms, "termination.toml", 'domain = "DS"', 'domain = "DV"')) == (
        "forms/termination.toml: domain: got 'DV'. Expected DS.")


def test_deviations_need_a_date(forms: Path) -> None:
    message = str(broken(forms, "deviations.toml", 'role = "start"\n', ""))
    assert message.startswith("forms/deviations.toml: fields.role: got []. Expected exactly one "
                              'field with role = "start"')


def test_each_computed_deviation_has_a_category_of_the_log(tmp_path: Path) -> None:
    assert dict(load_study(FORMS).log("deviations").computed) == {
        "infusion": "PRODUCT", "sample": "WINDOW", "missed": "MISSED"}
    forms = tmp_path / "forms"
    shutil.copytree(FORMS, forms)
    path = forms / "deviations.toml"
    path.write_text(path.read_text().replace('missed = "MISSED"', 'missed = "LATE"'))
    with pytest.raises(StudyDefinitionError, match="computed.missed: got 'LATE'. Expected one of"):
        load_study(forms)
    path.write_text(path.read_text().replace('missed = "LATE"  # a visit marked missed\n', ""))
    with pytest.raises(StudyDefinitionError, match="computed: got"):
        load_study(forms)
