"""Loading the study definition (forms/*.toml): the real files load; broken copies fail clearly.

Each broken copy must stop start-up with a StudyDefinitionError that names the file, the key path,
what it got and what it expected.
"""

import dataclasses
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from edc.protocol.study import Study, StudyDefinitionError, load_study
from tests.support.study_files import edit, load_error

FORMS = Path(__file__).resolve().parents[2] / "forms"


def assert_names(error: StudyDefinitionError, file: str, key: str, got: str, expected: str):
    """The message names the file, the key path, what it got and what it expected."""
    message = str(error)
    assert (error.file, error.key) == (file, key), message
    assert message.startswith(f"{file}: {key}: got "), message
    assert got in message, message
    assert f"Expected {expected}" in message, message


W06_BLOCK = 'code = "W06"\nlabel = "6 weeks"\nlabel_zh = "6周"\ndays = 42\nwindow_days = 3\n'


# --- the real definition ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def study() -> Study:
    return load_study(FORMS)


def test_real_forms_load():
    assert isinstance(load_study(str(FORMS)), Study)  # a str path works too


def test_real_schedule_has_11_visits_w02_to_m12(study):
    assert [v.code for v in study.schedule.visits] == [
        "W02", "W04", "W06", "W08", "M03", "M04", "M05", "M06", "M08", "M10", "M12"
    ]


def test_real_schedule_matches_the_protocol_table(study):
    table = [(v.code, v.days, v.months, v.window_days) for v in study.schedule.visits]
    assert table == [
        ("W02", 14, None, 3),
        ("W04", 28, None, 3),
        ("W06", 42, None, 3),
        ("W08", 56, None, 3),
        ("M03", None, 3, 7),
        ("M04", None, 4, 7),
        ("M05", None, 5, 7),
        ("M06", None, 6, 7),
        ("M08", None, 8, 14),
        ("M10", None, 10, 14),
        ("M12", None, 12, 14),
    ]
    assert study.schedule.month_rule == "calendar"
    assert (study.schedule.second_infusion.due_days_after_first,
            study.schedule.second_infusion.window_days) == (14, 2)


def test_real_study_timezone_is_shanghai(study):
    assert study.info.timezone == "Asia/Shanghai"
    assert study.tz == ZoneInfo("Asia/Shanghai")


def test_real_study_has_two_arms(study):
    assert [a.code for a in study.arms] == ["MSC", "PBO"]


def test_real_eligibility_has_8_inclusion_and_15_exclusion_criteria(study):
    inclusion = [c for c in study.criteria if c.kind == "inclusion"]
    exclusion = [c for c in study.criteria if c.kind == "exclusion"]
    assert [c.code for c in inclusion] == [f"IN{i:02d}" for i in range(1, 9)]
    assert [c.code for c in exclusion] == [f"EX{i:02d}" for i in range(1, 16)]
    assert all(c.required_answer for c in inclusion)
    assert not any(c.required_answer for c in exclusion)


def test_real_site_is_closed_at_weekends_and_on_chinese_holidays(study):
    assert study.site.holidays_country == "CN"
    assert study.site.closed_weekdays == frozenset({5, 6})
    assert study.site.closed_dates == frozenset()


def test_loaded_study_is_frozen(study):
    with pytest.raises(dataclasses.FrozenInstanceError):
        study.info.timezone = "UTC"


# --- broken copies ----------------------------------------------------------------------------


def test_copy_of_real_forms_loads(forms):
    assert load_study(forms).info.id == "NCT06731192"


def test_missing_file_is_named(forms):
    (forms / "schedule.toml").unlink()
    error = load_error(forms)
    assert_names(error, "forms/schedule.toml", "(file)", "schedule.toml", "the file to exist")


def test_invalid_toml_syntax_is_named_with_the_parser_message(forms):
    edit(forms, "study.toml", "target_enrolment = 40", "target_enrolment = ")
    error = load_error(forms)
    assert_names(error, "forms/study.toml", "(syntax)", "line", "valid TOML")


def test_wrong_type_names_the_visit_index_and_key(forms):
    edit(forms, "schedule.toml", W06_BLOCK, W06_BLOCK.replace("window_days = 3",
                                                              'window_days = "3"'))
    error = load_error(forms)
    assert_names(error, "forms/schedule.toml", "visits[2].window_days", "'3'",
                 "a whole number ≥ 0")


def test_negative_window_is_refused(forms):
    edit(forms, "schedule.toml", W06_BLOCK, W06_BLOCK.replace("window_days = 3",
                                                              "window_days = -3"))
    error = load_error(forms)
    assert_names(error, "forms/schedule.toml", "visits[2].window_days", "-3",
                 "a whole number ≥ 0")


def test_boolean_is_not_a_number(forms):
    edit(forms, "study.toml", "target_enrolment = 40", "target_enrolment = true")
    error = load_error(forms)
    assert_names(error, "forms/study.toml", "study.target_enrolment", "True", "a whole number ≥ 1")


def test_missing_key_is_named_with_its_table(forms):
    edit(forms, "study.toml", 'sponsor = "Guangzhou Women and Children\'s Medical Center"\n', "")
    error = load_error(forms)
    assert_names(error, "forms/study.toml", "study.sponsor", "None",
                 "a value (the key is missing)")


def test_missing_key_in_nested_table_is_named(forms):
    edit(forms, "schedule.toml", "due_days_after_first = 14\n", "")
    error = load_error(forms)
    assert_names(error, "forms/schedule.toml", "second_infusion.due_days_after_first", "None",
                 "a value (the key is missing)")


def test_unknown_month_rule_lists_the_allowed_rules(forms):
    edit(forms, "schedule.toml", 'month_rule = "calendar"', 'month_rule = "lunar"')
    error = load_error(forms)
    assert_names(error, "forms/schedule.toml", "month_rule", "'lunar'",
                 "one of 'calendar', '30d', '30.4375d'")


def test_visit_with_both_days_and_months_is_refused(forms):
    edit(forms, "schedule.toml", "\nmonths = 3\n", "\nmonths = 3\ndays = 90\n")
    error = load_error(forms)
    assert_names(error, "forms/schedule.toml", "visits[4].days", "90",
                 "exactly one of 'days' or 'months'")


def test_visit_with_neither_days_nor_months_is_refused(forms):
    edit(forms, "schedule.toml", "\ndays = 14\n", "\n")
    error = load_error(forms)
    assert_names(error, "forms/schedule.toml", "visits[0].days", "None",
                 "exactly one of 'days' or 'months'")


def test_duplicate_visit_codes_are_refused(forms):
    edit(forms, "schedule.toml", 'code = "W06"', 'code = "W04"')
    error = load_error(forms)
    assert_names(error, "forms/schedule.toml", "visits", "'W04', 'W04'", "distinct visit codes")


def test_invalid_timezone_is_refused(forms):
    edit(forms, "study.toml", 'timezone = "Asia/Shanghai"', 'timezone = "Asia/Guangzhou"')
    error = load_error(forms)
    assert_names(error, "forms/study.toml", "study.timezone", "'Asia/Guangzhou'",
                 "an IANA time zone such as Asia/Shanghai")


def test_overlapping_windows_are_refused_naming_both_visits(forms):
    # W04 28 +/- 12 starts on day 16, inside W02's window (days 11..17).
    edit(forms, "schedule.toml", "days = 28\nwindow_days = 3", "days = 28\nwindow_days = 12")
    error = load_error(forms)
    assert_names(error, "forms/schedule.toml", "visits", "W02", "visit windows that never overlap")
    assert "W04" in str(error)


def test_participant_code_example_must_match_the_pattern(forms):
    edit(forms, "study.toml", 'participant_code_example = "AS-001"',
         'participant_code_example = "AS-1"')
    error = load_error(forms)
    assert_names(error, "forms/study.toml", "study.participant_code_example", "'AS-1'",
                 "a code matching ^AS-[0-9]{3}$")


def test_invalid_participant_code_pattern_is_refused(forms):
    edit(forms, "study.toml", 'participant_code_pattern = "^AS-[0-9]{3}$"',
         'participant_code_pattern = "^AS-[0-9{3}$"')
    error = load_error(forms)
    assert_names(error, "forms/study.toml", "study.participant_code_pattern", "'^AS-[0-9{3}$'",
                 "a valid regular expression")


def test_quoted_closure_date_is_refused(forms):
    edit(forms, "study.toml", "closed_dates = []", 'closed_dates = ["2027-02-11"]')
    error = load_error(forms)
    assert_names(error, "forms/study.toml", "site.closed_dates", "'2027-02-11'",
                 "a list of dates such as 2027-02-11 (unquoted)")


def test_unquoted_closure_date_is_loaded_as_a_date(forms):
    edit(forms, "study.toml", "closed_dates = []", "closed_dates = [2027-02-11]")
    assert load_study(forms).site.closed_dates == frozenset({date(2027, 2, 11)})


def test_single_arm_is_refused(forms):
    edit(forms, "study.toml", '[[arms]]\ncode = "PBO"\nlabel = "Normal saline placebo"\n'
         'label_zh = "生理盐水安慰剂"\n', "")
    error = load_error(forms)
    assert_names(error, "forms/study.toml", "arms", "['MSC']",
                 "two or more arms with distinct codes")


def test_unknown_holiday_country_is_refused(forms: Path) -> None:
    edit(forms, "study.toml", 'holidays_country = "CN"', 'holidays_country = "ZZ"')
    assert_names(load_error(forms), "forms/study.toml", "site.holidays_country", "'ZZ'",
                 "a country code the holidays package knows, such as CN")


def test_subdivision_the_country_does_not_have_is_refused(forms: Path) -> None:
    edit(forms, "study.toml", 'holidays_subdivision = ""', 'holidays_subdivision = "GD"')
    assert_names(load_error(forms), "forms/study.toml", "site.holidays_subdivision", "'GD'",
                 "empty or one of ")


def test_second_infusion_window_as_wide_as_its_due_day_is_refused(forms: Path) -> None:
    edit(forms, "schedule.toml", "due_days_after_first = 14\nwindow_days = 2\n",
         "due_days_after_first = 14\nwindow_days = 14\n")
    assert_names(load_error(forms), "forms/schedule.toml", "second_infusion.window_days", "14",
                 "fewer days than due_days_after_first (14), so the window starts after "
                 "infusion 1")


def test_creatinine_age_limit_with_an_unknown_unit_stops_loading_the_study(forms: Path) -> None:
    edit(forms, "results.toml", 'unit = "mg/dL", multiplier', 'unit = "mg/L", multiplier')
    assert_names(load_error(forms), "forms/results.toml",
                 "fields[5].warn_above_age_median.unit", "'mg/L'",
                 "one of the field's units: umol/L, mg/dL")


def test_real_creatinine_warns_above_1_5_times_pottel_q_for_age(study):
    rule = study.results.field("creatinine").warn_above_age_median
    assert (rule.slope, rule.intercept, rule.unit, rule.multiplier, rule.ages) == (
        0.0270, 0.2329, "mg/dL", 1.5, (1, 14))


def test_make_up_working_days_setting_must_be_true_or_false(forms: Path) -> None:
    edit(forms, "study.toml", "makeup_workdays_open = true", 'makeup_workdays_open = "no"')
    assert_names(load_error(forms), "forms/study.toml", "site.makeup_workdays_open", "'no'",
                 "true or false")


def test_make_up_working_days_can_be_closed_in_study_toml(forms: Path) -> None:
    edit(forms, "study.toml", "makeup_workdays_open = true", "makeup_workdays_open = false")
    assert load_study(forms).site.makeup_workdays_open is False


def test_sex_codes_other_than_the_stored_ones_stop_loading_the_study(forms: Path) -> None:
    edit(forms, "enrolment.toml", '{ code = "F", label = "Female"',
         '{ code = "W", label = "Female"')
    assert_names(load_error(forms), "enrolment.toml", "choices.sex", "['M', 'W']",
                 "the codes M, F (stored, and used by the eGFR)")


def test_the_screening_window_and_visit_length_are_read_from_the_study_files(
        forms: Path) -> None:
    edit(forms, "schedule.toml", "window_days = 28\n", "window_days = 35\n")
    edit(forms, "study.toml", "visit_duration_minutes = 120", "visit_duration_minutes = 45")
    study = load_study(forms)
    assert study.schedule.screening.window_days == 35
    assert study.calendar.visit_duration_minutes == 45


def test_urine_instructions_are_read_step_by_step_in_both_languages(forms: Path) -> None:
    edit(forms, "study.toml", "Keep the container closed and in a cool place, away from sunlight.",
         "Keep it in the fridge.")
    edit(forms, "study.toml", "容器盖好，放在阴凉处，避免阳光直射。", "放入冰箱冷藏。")
    settings = load_study(forms).calendar
    assert len(settings.urine_instructions) == len(settings.urine_instructions_zh) == 5
    assert settings.urine_instructions[3] == "Keep it in the fridge."
    assert settings.urine_instructions_zh[3] == "放入冰箱冷藏。"


def test_urine_instructions_missing_a_chinese_step_stop_loading_the_study(forms: Path) -> None:
    edit(forms, "study.toml", "容器盖好，放在阴凉处，避免阳光直射。\n", "")
    assert_names(load_error(forms), "forms/study.toml", "calendar.urine_instructions_zh",
                 "4 lines", "one line per step of urine_instructions (5 lines)")


def test_empty_urine_instructions_stop_loading_the_study(forms: Path) -> None:
    text = (FORMS / "study.toml").read_text(encoding="utf-8")
    start = text.index('urine_instructions = """')
    end = text.index('"""', start + len('urine_instructions = """')) + 3
    edit(forms, "study.toml", text[start:end], 'urine_instructions = ""')
    assert_names(load_error(forms), "forms/study.toml", "calendar.urine_instructions", "''",
                 "a non-empty string")
