"""The vital signs log as data (forms/vital_signs.toml): a row per time point of one infusion,
the measures with their CDISC test codes and units, possible ranges that refuse and usual
ranges that warn for children of 6 to 18 years, the adverse event each side suggests; and the
loader's refusals, each naming the file, the key, what it got and what it expected."""

from __future__ import annotations

from pathlib import Path

from edc.protocol.study import load_study
from edc.rules.checks import check_value
from tests.support.paths import FORMS
from tests.support.study_files import broken

LOG = load_study(FORMS).log("vital_signs")
VS = LOG.form


def refused(forms: Path, old: str, new: str) -> str:
    return str(broken(forms, "vital_signs.toml", old, new))


def test_a_log_of_the_vs_domain_whose_rows_are_a_time_point_of_an_infusion() -> None:
    assert (VS.kind, VS.domain, VS.title, VS.title_zh) == ("log", "VS", "Vital signs", "生命体征")
    assert [(f.key, f.type, f.required) for f in VS.fields] == [
        ("infusion", "choice", True), ("timepoint", "choice", True), ("date", "date", True),
        ("time", "time", True), ("temperature", "number", False),
        ("heart_rate", "integer", False), ("resp_rate", "integer", False),
        ("systolic", "integer", False), ("diastolic", "integer", False),
        ("spo2", "integer", False)]
    assert {f.role: f.key for f in VS.fields if f.role} == {
        "infusion": "infusion", "timepoint": "timepoint", "start": "date"}
    assert VS.field("infusion").choices.codes == ("1", "2")


def test_the_time_points_are_before_15_minutes_1_hour_and_the_end_in_both_languages() -> None:
    assert [(c.code, c.label, c.label_zh) for c in VS.field("timepoint").choices.choices] == [
        ("PRE", "Before the infusion", "输注前"),
        ("15MIN", "15 minutes after the start", "输注开始后15分钟"),
        ("1H", "1 hour after the start", "输注开始后1小时"),
        ("END", "End of the infusion", "输注结束")]


def test_each_measure_has_its_cdisc_test_code_unit_and_loinc() -> None:
    measures = [f for f in VS.fields if f.units]
    assert [(f.variable, f.canonical_unit.cdisc, f.canonical_unit.code,
             f.canonical_unit.label) for f in measures] == [
        ("VSTESTCD", "TEMP", "C", "°C"), ("VSTESTCD", "HR", "beats/min", "/min"),
        ("VSTESTCD", "RESP", "breaths/min", "/min"), ("VSTESTCD", "SYSBP", "mmHg", "mmHg"),
        ("VSTESTCD", "DIABP", "mmHg", "mmHg"), ("VSTESTCD", "OXYSAT", "%", "%")]
    assert [f.canonical_unit.loinc for f in measures] == [
        "8310-5", "8867-4", "9279-1", "8480-6", "8462-4", "59408-5"]
    assert VS.field("heart_rate").canonical_unit.label_zh == "次/分"


def test_the_possible_and_usual_ranges_are_read_from_the_file() -> None:
    assert {f.key: (f.canonical_unit.block, f.canonical_unit.warn) for f in VS.fields
            if f.units} == {
        "temperature": ((32, 43), (35.5, 37.5)), "heart_rate": ((30, 250), (60, 120)),
        "resp_rate": ((5, 80), (12, 30)), "systolic": ((40, 250), (80, 130)),
        "diastolic": ((20, 150), (45, 80)), "spo2": ((50, 100), (94, 100))}


def kinds(key: str, value: float) -> list[str]:
    item = VS.field(key)
    return [f"{f.level} {f.kind}" for f in check_value(item, item.canonical_unit, value)]


def test_a_temperature_of_37_5_warns_and_37_4_does_not() -> None:
    assert kinds("temperature", 37.4) == []
    assert kinds("temperature", 37.5) == ["warn above_plausible"]
    assert kinds("temperature", 38.6) == ["warn above_plausible"]
    assert kinds("temperature", 386) == ["block above_range"]
    assert kinds("spo2", 93) == ["warn below_plausible"]
    assert kinds("spo2", 100) == []


def test_each_side_out_of_range_suggests_its_adverse_event_first_fever() -> None:
    assert (LOG.suggested_terms[0].item, LOG.suggested_terms[0].side) == ("temperature", "above")
    fever = LOG.suggested_term("temperature", "above")
    assert fever is not None and (fever.label, fever.label_zh) == ("Fever", "发热")
    assert LOG.suggested_term("spo2", "below").label == "Hypoxia"
    assert LOG.suggested_term("spo2", "above") is None


def test_every_label_message_and_term_has_its_chinese() -> None:
    for item in VS.fields:
        assert item.label_zh, item.key
        assert bool(item.message) == bool(item.message_zh), item.key
    for choice_list in VS.choice_lists:
        assert all(c.label_zh for c in choice_list.choices), choice_list
    assert all(t.label_zh for t in LOG.suggested_terms)


def test_a_measure_without_a_possible_range_is_refused(forms: Path) -> None:
    error = broken(forms, "vital_signs.toml", "block = [32, 43]\n", "")
    assert (error.file, error.key, error.got) == (
        "forms/vital_signs.toml", "fields[4].units[0].block", None)
    assert error.expected == "[low, high] here or on the field"


def test_a_usual_range_upside_down_is_refused(forms: Path) -> None:
    assert refused(forms, "warn = [60, 120]", "warn = [120, 60]") == (
        "forms/vital_signs.toml: fields[5].warn: got [120, 60]. Expected a list [low, high] of "
        "two numbers with low < high.")


def test_the_time_point_role_is_required(forms: Path) -> None:
    assert refused(forms, 'role = "timepoint"\n', "") == (
        "forms/vital_signs.toml: fields.role: got ['infusion', 'start']. Expected exactly one "
        "field with role = \"timepoint\": the time point around the infusion: one row each.")


def test_a_measure_without_its_test_code_is_refused(forms: Path) -> None:
    assert refused(forms, 'cdisc = "OXYSAT"\n', "") == (
        "forms/vital_signs.toml: fields[9].units[0].cdisc: got None. Expected a CDISC test code "
        "here or on the field.")


def test_a_suggested_term_must_name_a_measure_with_a_usual_range(forms: Path) -> None:
    assert refused(forms, 'item = "spo2"', 'item = "time"') == (
        "forms/vital_signs.toml: suggested_terms[1].item: got 'time'. Expected the key of a "
        "number item with a usual range (warn): temperature, heart_rate, resp_rate, systolic, "
        "diastolic, spo2.")


def test_a_suggested_term_is_above_or_below(forms: Path) -> None:
    assert refused(forms, 'item = "spo2"\nside = "below"', 'item = "spo2"\nside = "under"') == (
        "forms/vital_signs.toml: suggested_terms[1].side: got 'under'. Expected above or below.")


def test_one_suggested_term_per_measure_and_side(forms: Path) -> None:
    assert refused(forms, 'item = "diastolic"', 'item = "systolic"') == (
        "forms/vital_signs.toml: suggested_terms: got ['temperature above', 'spo2 below', "
        "'systolic below', 'systolic above', 'systolic above', 'heart_rate above', "
        "'resp_rate above', 'temperature below']. Expected one term per item and side.")


def test_a_suggested_term_needs_its_chinese(forms: Path) -> None:
    assert refused(forms, 'label_zh = "低氧血症"\n', "") == (
        "forms/vital_signs.toml: suggested_terms[1].label_zh: got None. Expected a value (the "
        "key is missing).")
