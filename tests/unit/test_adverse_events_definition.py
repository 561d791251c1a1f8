"""The adverse event log as data (forms/adverse_events.toml): the items and their labels, the
CTCAE grades with their meaning, the ICH serious criteria as SDTM flags, causality, the linked
infusion, action and outcome, all in English and Chinese; and the loader's refusals."""

from __future__ import annotations

from pathlib import Path

from edc.protocol.study import load_study
from tests.support.paths import FORMS
from tests.support.study_files import broken

AE = load_study(FORMS).adverse_events


def codes(key: str) -> tuple[str, ...]:
    choices = AE.field(key).choices
    assert choices is not None
    return choices.codes


def test_a_log_of_the_ae_domain_with_the_items_a_safety_review_needs_in_order() -> None:
    assert (AE.kind, AE.domain, AE.title, AE.title_zh) == (
        "log", "AE", "Adverse events", "不良事件")
    assert [(f.label, f.type, f.required) for f in AE.fields] == [
        ("Adverse event", "text", True), ("Onset date", "date", True),
        ("End date", "date", False), ("Ongoing", "yesno", False),
        ("CTCAE grade", "choice", True), ("Serious", "yesno", True),
        ("Serious because", "multichoice", False),
        ("Site learned it was serious on", "date", False), ("at (clock time)", "time", False),
        ("Related to the infusion", "choice", True),
        ("Infusion", "choice", True), ("Action taken", "multichoice", False),
        ("Outcome", "choice", True)]
    assert [f.variable for f in AE.fields] == [
        "AETERM", "AESTDTC", "AEENDTC", "AEENRF", "AETOXGR", "AESER", "AESCRIT", "AESAWDTC",
        "AESAWDTC", "AEREL", "AEINFNO", "AEACN", "AEOUT"]


def test_the_term_offers_the_events_expected_after_an_msc_infusion_and_takes_any_text() -> None:
    term = AE.field("term")
    assert term.suggestions is not None and term.choices is None
    assert [(c.label, c.label_zh) for c in term.suggestions.choices] == [
        ("Fever", "发热"), ("Chills", "寒战"), ("Rash", "皮疹"), ("Urticaria", "荨麻疹"),
        ("Headache", "头痛"), ("Nausea", "恶心"), ("Vomiting", "呕吐"),
        ("Infusion site reaction", "输注部位反应"), ("Allergic reaction", "过敏反应")]
    assert term.max_length == 200


def test_grades_one_to_five_each_with_its_ctcae_meaning() -> None:
    grades = AE.field("grade").choices.choices
    assert [g.code for g in grades] == ["1", "2", "3", "4", "5"]
    assert [g.label.split(" - ")[1].split(":")[0] for g in grades] == [
        "Mild", "Moderate", "Severe or medically significant, not immediately life-threatening",
        "Life-threatening", "Death related to the adverse event"]
    assert all(g.label_zh.startswith(f"{g.code}级") for g in grades)


def test_serious_criteria_are_the_ich_ones_coded_as_their_sdtm_flags() -> None:
    assert codes("serious_criteria") == ("AESDTH", "AESLIFE", "AESHOSP", "AESDISAB", "AESCONG",
                                         "AESMIE")


def test_causality_linked_infusion_and_outcome() -> None:
    assert [c.label for c in AE.field("relation").choices.choices] == [
        "Not related", "Unlikely", "Possible", "Probable", "Definite"]
    assert codes("infusion") == ("1", "2", "NONE")
    assert codes("outcome") == ("RECOVERED", "RECOVERING", "NOT_RECOVERED", "SEQUELAE",
                                "FATAL", "UNKNOWN")


def test_every_label_choice_and_message_has_its_chinese() -> None:
    for field in AE.fields:
        assert field.label_zh, field.key
        assert bool(field.message) == bool(field.message_zh), field.key
    for choice_list in AE.choice_lists:
        assert all(c.label_zh for c in choice_list.choices), choice_list


def refused(forms: Path, old: str, new: str) -> str:
    return str(broken(forms, "adverse_events.toml", old, new))


def test_suggestions_only_on_text_and_only_from_a_list(forms: Path) -> None:
    assert refused(forms, 'suggestions = "expected"', 'suggestions = "events"') == (
        "forms/adverse_events.toml: fields[0].suggestions: got 'events'. Expected the name of a "
        "list under [choices]: expected, grade, serious, relation, infusion, action, outcome.")


def test_a_suggestion_list_on_a_choice_item_is_refused(forms: Path) -> None:
    message = refused(forms, 'choices = "outcome"', 'choices = "outcome"\nsuggestions = "expected"')
    assert message.startswith("forms/adverse_events.toml: fields[12].suggestions: got 'expected'. "
                              "Expected no suggestions: only text items have it")


def test_the_log_must_be_a_log(forms: Path) -> None:
    assert refused(forms, 'kind = "log"', 'kind = "once"') == (
        "forms/adverse_events.toml: kind: got 'once'. Expected log (one row per entry).")


def test_the_log_must_be_of_the_ae_domain(forms: Path) -> None:
    assert refused(forms, 'domain = "AE"', 'domain = "MH"') == (
        "forms/adverse_events.toml: domain: got 'MH'. Expected AE.")


def test_the_items_the_safety_pages_read_are_marked_by_role() -> None:
    assert {f.role: f.key for f in AE.fields if f.role} == {
        "term": "term", "start": "onset_date", "end": "end_date", "ongoing": "ongoing",
        "grade": "grade", "serious": "serious", "criteria": "serious_criteria",
        "aware_date": "aware_date", "aware_time": "aware_time", "infusion": "infusion",
        "outcome": "outcome"}
    assert load_study(FORMS).log("adverse_events").alert_hours == 24


def test_a_role_the_safety_pages_need_is_required(forms: Path) -> None:
    assert refused(forms, 'role = "serious"\n', "") == (
        "forms/adverse_events.toml: fields.role: got ['aware_date', 'aware_time', 'criteria', "
        "'end', 'grade', 'infusion', 'ongoing', 'outcome', 'start', 'term']. Expected exactly "
        "one field with "
        "role = \"serious\": that the event is serious: an investigator must acknowledge it "
        "within the alert hours.")


def test_a_role_on_an_item_of_the_wrong_type_is_refused(forms: Path) -> None:
    assert refused(forms, 'role = "start"', 'role = "end"').startswith(
        "forms/adverse_events.toml: fields.role: got ")
    assert refused(forms, 'role = "grade"\n', 'role = "grade"\ntype = "text"\n').startswith(
        "forms/adverse_events.toml: ")


def test_an_unknown_role_is_refused(forms: Path) -> None:
    assert refused(forms, 'role = "grade"', 'role = "severity"').startswith(
        "forms/adverse_events.toml: fields[4].role: got 'severity'. Expected one of start, end, ")


def test_alert_hours_must_be_a_whole_number_above_zero(forms: Path) -> None:
    assert refused(forms, "alert_hours = 24", "alert_hours = 0").startswith(
        "forms/adverse_events.toml: alert_hours: got 0. Expected ")


def test_the_outcome_rules_name_codes_of_their_lists(forms: Path) -> None:
    rules = load_study(FORMS).log("adverse_events").outcomes
    assert rules is not None
    assert (rules.fatal_grade, rules.fatal_outcome, rules.death_criterion) == (
        "5", "FATAL", "AESDTH")
    assert refused(forms, 'fatal_outcome = "FATAL"', 'fatal_outcome = "DIED"') == (
        "forms/adverse_events.toml: outcome_rules.fatal_outcome: got 'DIED'. Expected one of "
        "the outcome codes: RECOVERED, RECOVERING, NOT_RECOVERED, SEQUELAE, FATAL, UNKNOWN.")


def test_ended_outcomes_must_be_outcome_codes(forms: Path) -> None:
    assert refused(forms, 'ended = ["RECOVERED",', 'ended = ["HEALED",').startswith(
        "forms/adverse_events.toml: outcome_rules.ended: got ['HEALED', ")
