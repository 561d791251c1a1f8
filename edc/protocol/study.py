"""Load and validate the study definition in forms/*.toml into frozen dataclasses.

Pure: no Flask, no SQLAlchemy. A broken file stops start-up with a StudyDefinitionError that
names the file, the key, what it got and what it expected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from edc.protocol.codes import Sex
from edc.protocol.crf import (
    ADVERSE_EVENT_REASON,
    AE_ROLES,
    LOG_ROLES,
    MEDICATION_ROLES,
    OTHER_REASON,
    TERMINATION_ROLES,
    VS_ROLES,
    CaseReportForm,
    Field,
    LogForm,
    ResultsForm,
    load_enrolment_form,
    load_log_form,
    load_results_form,
    yes_no_item,
)
from edc.protocol.outcomes import RBC_UNITS, UPCR_UNITS, Outcomes, load_outcomes
from edc.protocol.schedule import ScheduleDefinition, load_schedule
from edc.protocol.toml import StudyDefinitionError as StudyDefinitionError  # what load_study raises
from edc.protocol.toml import TomlTable, read_toml


@dataclass(frozen=True)
class Arm:
    code: str
    label: str
    label_zh: str
    # A placebo arm's infusion carries no cells: its dose is 0 cells/kg, whatever was planned.
    placebo: bool = False


@dataclass(frozen=True)
class StudyInfo:
    id: str
    acronym: str
    title: str
    title_zh: str
    sponsor: str
    timezone: str
    participant_code_pattern: str
    participant_code_example: str
    target_enrolment: int


@dataclass(frozen=True)
class Site:
    name: str
    name_zh: str
    address: str
    address_zh: str
    phone: str
    language: str  # a new account's language; "" follows the browser
    holidays_country: str
    holidays_subdivision: str
    closed_weekdays: frozenset[int]
    closed_dates: frozenset[date]
    # A weekend day the State Council makes a working day (调休) is a clinic day unless false.
    makeup_workdays_open: bool = True


@dataclass(frozen=True)
class CalendarSettings:
    urine_days_before: int
    urine_time: time
    visit_alarm_minutes: int
    visit_duration_minutes: int
    # The clinic feed's window: planned visits from this many days before the clinic's today
    # to this many after it (what the clinic plans with; done visits stay out).
    clinic_feed_days_back: int
    clinic_feed_days_ahead: int
    # What the family does, step by step, in English and in Chinese (one step a line).
    urine_instructions: tuple[str, ...]
    urine_instructions_zh: tuple[str, ...]


@dataclass(frozen=True)
class EnrolmentRules:
    min_age_years: int
    max_age_years: int
    screening_egfr_above: float


@dataclass(frozen=True)
class Treatment:
    dose_cells_per_kg: float
    volume_ml_limits: tuple[float, float]


@dataclass(frozen=True)
class Criterion:
    code: str
    kind: str  # "inclusion" or "exclusion"
    text: str
    text_zh: str

    @property
    def required_answer(self) -> bool:
        """Inclusion criteria must be met (yes); exclusion criteria must be absent (no)."""
        return self.kind == "inclusion"

    @property
    def key(self) -> str:
        """The name of its question on the enrolment form."""
        return f"criterion_{self.code}"

    def question(self) -> Field:
        """The criterion as a required yes/no item of the enrolment form (CDISC IE)."""
        return yes_no_item(self.key, f"{self.code}. {self.text}", f"{self.code}. {self.text_zh}",
                           message=f"Answer {self.code}.", message_zh=f"请回答{self.code}。",
                           domain="IE", variable="IEORRES")


@dataclass(frozen=True)
class SignatureMeaning:
    """What the investigator's signature of a casebook means, as the page states it and the
    signature row keeps it."""

    meaning: str
    meaning_zh: str


@dataclass(frozen=True)
class Study:
    info: StudyInfo
    site: Site
    enrolment: EnrolmentRules
    calendar: CalendarSettings
    treatment: Treatment
    arms: tuple[Arm, ...]
    schedule: ScheduleDefinition
    criteria: tuple[Criterion, ...]
    outcomes: Outcomes
    results: ResultsForm  # forms/results.toml, whose height and weight enrolment uses too
    enrolment_form: CaseReportForm  # forms/enrolment.toml, then a question per criterion
    logs: tuple[LogForm, ...]  # the repeating forms (LOG_FILES), one row per entry
    # forms/termination.toml: a withdrawal's one row, written by the withdrawal only
    termination: LogForm
    signature: SignatureMeaning  # [signature] in forms/study.toml

    def log(self, name: str) -> LogForm:
        """Return the log form of forms/<name>.toml."""
        for log in self.logs:
            if log.name == name:
                return log
        raise KeyError(name)

    def any_log(self, name: str) -> LogForm:
        """Return the log form of forms/<name>.toml, the early termination's included (for
        reading its rows: the log pages offer only `logs`)."""
        return self.termination if name == self.termination.name else self.log(name)

    @property
    def adverse_events(self) -> CaseReportForm:
        return self.log(ADVERSE_EVENTS).form

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.info.timezone)


def _study_info(t: TomlTable) -> StudyInfo:
    pattern = t.text("participant_code_pattern")
    try:
        compiled = re.compile(pattern)
    except re.error:
        raise t.fail("participant_code_pattern", pattern, "a valid regular expression") from None
    example = t.text("participant_code_example")
    if not compiled.fullmatch(example):
        raise t.fail("participant_code_example", example, f"a code matching {pattern}")
    tz = t.text("timezone")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise t.fail("timezone", tz, "an IANA time zone such as Asia/Shanghai") from None
    return StudyInfo(
        id=t.text("id"),
        acronym=t.text("acronym"),
        title=t.text("title"),
        title_zh=t.text("title_zh"),
        sponsor=t.text("sponsor"),
        timezone=tz,
        participant_code_pattern=pattern,
        participant_code_example=example,
        target_enrolment=t.integer("target_enrolment", minimum=1),
    )


def _site(t: TomlTable) -> Site:
    weekdays = t.get("closed_weekdays", None)  # required: no default repeats study.toml
    if not isinstance(weekdays, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in weekdays
    ):
        raise t.fail("closed_weekdays", weekdays, "a list of weekday numbers 0 (Monday) to 6")
    closed = t.get("closed_dates", [])
    if not isinstance(closed, list) or not all(type(d) is date for d in closed):
        raise t.fail("closed_dates", closed, "a list of dates such as 2027-02-11 (unquoted)")
    country = t.text("holidays_country", default="", pattern=r"[A-Z]{2}|")
    subdivision = t.text("holidays_subdivision", default="")
    if country:
        supported = holidays.list_supported_countries()
        if country not in supported:
            raise t.fail("holidays_country", country, "a country code the holidays package "
                         "knows, such as CN")
        if subdivision and subdivision not in supported[country]:
            raise t.fail("holidays_subdivision", subdivision,
                         f"empty or one of {', '.join(supported[country])}")
    return Site(
        name=t.text("name"),
        name_zh=t.text("name_zh"),
        address=t.text("address"),
        address_zh=t.text("address_zh"),
        phone=t.text("phone"),
        language=t.text("language", default=""),
        holidays_country=country,
        holidays_subdivision=subdivision,
        closed_weekdays=frozenset(weekdays),
        closed_dates=frozenset(closed),
        makeup_workdays_open=t.flag("makeup_workdays_open", default=True),
    )


def _enrolment(t: TomlTable) -> EnrolmentRules:
    rules = EnrolmentRules(
        min_age_years=t.integer("min_age_years"),
        max_age_years=t.integer("max_age_years"),
        screening_egfr_above=t.number("screening_egfr_above"),
    )
    if rules.max_age_years < rules.min_age_years:
        raise t.fail(
            "max_age_years", rules.max_age_years, f"≥ min_age_years ({rules.min_age_years})"
        )
    return rules


def _calendar(t: TomlTable) -> CalendarSettings:
    at = t.get("urine_time", None)  # required: no default repeats study.toml
    if type(at) is not time:
        raise t.fail("urine_time", at, "a local time such as 18:00:00 (unquoted)")
    steps, steps_zh = _steps(t, "urine_instructions"), _steps(t, "urine_instructions_zh")
    if len(steps_zh) != len(steps):
        # Each step is shown in Chinese with its English: a missing line is a missing step.
        raise t.fail("urine_instructions_zh", f"{len(steps_zh)} lines",
                     f"one line per step of urine_instructions ({len(steps)} lines)")
    return CalendarSettings(urine_days_before=t.integer("urine_days_before", minimum=1),
                            urine_time=at,
                            visit_alarm_minutes=t.integer("visit_alarm_minutes", minimum=0),
                            visit_duration_minutes=t.integer("visit_duration_minutes",
                                                             minimum=1),
                            clinic_feed_days_back=t.integer("clinic_feed_days_back", minimum=0),
                            clinic_feed_days_ahead=t.integer("clinic_feed_days_ahead",
                                                             minimum=1),
                            urine_instructions=steps,
                            urine_instructions_zh=steps_zh)


def _steps(t: TomlTable, key: str) -> tuple[str, ...]:
    """Read a text of one step a line, blank lines dropped."""
    return tuple(line.strip() for line in t.text(key).splitlines() if line.strip())


def _arms(top: TomlTable) -> tuple[Arm, ...]:
    arms = tuple(
        Arm(code=a.text("code", pattern=r"[A-Z0-9_]+"), label=a.text("label"),
            label_zh=a.text("label_zh"), placebo=a.flag("placebo"))
        for a in top.tables("arms")
    )
    if len(arms) < 2 or len({a.code for a in arms}) != len(arms):
        raise top.fail("arms", [a.code for a in arms], "two or more arms with distinct codes")
    return arms


def _criteria(t: TomlTable) -> tuple[Criterion, ...]:
    criteria = tuple(
        Criterion(
            code=c.text("code", pattern=r"[A-Z]{2}[0-9]{2}"),
            kind=kind,
            text=c.text("text"),
            text_zh=c.text("text_zh"),
        )
        for kind in ("inclusion", "exclusion")
        for c in t.tables(kind)
    )
    codes = [c.code for c in criteria]
    if len(set(codes)) != len(codes):
        raise t.fail("inclusion/exclusion", codes, "distinct criterion codes")
    return criteria


def _check_outcome_units(results: ResultsForm) -> None:
    """Fail unless results.toml gives UPCR and urine RBC the units outcomes.toml judges."""
    for role, needed in (("upcr", UPCR_UNITS), ("urine_rbc", RBC_UNITS)):
        field = results.by_role(role)
        codes = [u.code for u in field.units]
        if not set(needed) <= set(codes):
            raise StudyDefinitionError("results.toml", f"fields.{field.key}.units", codes,
                                       f"the units {', '.join(needed)} for the {role} item "
                                       "(outcomes.toml has thresholds in them)")


def _check_sex_codes(enrolment: CaseReportForm) -> None:
    """Fail unless enrolment.toml's sex choices are the codes the database and eGFR rules use."""
    item = enrolment.field("sex")
    codes = [] if item.choices is None else [c.code for c in item.choices.choices]
    if sorted(codes) != sorted(Sex):
        raise StudyDefinitionError("enrolment.toml", "choices.sex", codes,
                                   f"the codes {', '.join(Sex)} (stored, and used by the eGFR)")


# The log forms: file stem, CDISC domain, the roles its items are read by.
ADVERSE_EVENTS = "adverse_events"
VITAL_SIGNS = "vital_signs"
DEVIATIONS = "deviations"
LOG_FILES = (
    (ADVERSE_EVENTS, "AE", AE_ROLES),
    (VITAL_SIGNS, "VS", VS_ROLES),
    ("medications", "CM", MEDICATION_ROLES),
    ("other_medications", "CM", LOG_ROLES),
    (DEVIATIONS, "DV", LOG_ROLES),
)
# Not among LOG_FILES: its row is written by withdrawing the child, never on its own.
TERMINATION = "termination"


def _termination(forms_dir: Path) -> LogForm:
    """Read forms/termination.toml: its reasons must hold the codes the rules read."""
    log = load_log_form(forms_dir, TERMINATION, domain="DS", roles=TERMINATION_ROLES)
    item = log.form.by_role("category")
    assert item.choices is not None  # the loader gives every choice item its list
    codes = list(item.choices.codes)
    if not {ADVERSE_EVENT_REASON, OTHER_REASON} <= set(codes):
        raise StudyDefinitionError(log.form.file, f"choices.{item.choices.name}", codes,
                                   f"the codes {ADVERSE_EVENT_REASON} (linked to an adverse "
                                   f"event) and {OTHER_REASON} (explained in words) among them")
    return log


def _signature(t: TomlTable) -> SignatureMeaning:
    """Read [signature]: the meaning of the casebook's signature, in English and Chinese."""
    return SignatureMeaning(meaning=t.text("meaning"), meaning_zh=t.text("meaning_zh"))


def load_study(forms_dir: str | Path) -> Study:
    """Read the study definition's files from forms_dir and validate them."""
    forms_dir = Path(forms_dir)
    top = read_toml(forms_dir, "study.toml")
    treatment = top.table("treatment")
    schedule_table = read_toml(forms_dir, "schedule.toml")
    criteria = _criteria(read_toml(forms_dir, "eligibility.toml"))
    results = load_results_form(forms_dir)
    study = Study(
        info=_study_info(top.table("study")),
        site=_site(top.table("site")),
        enrolment=_enrolment(top.table("enrolment")),
        calendar=_calendar(top.table("calendar")),
        treatment=Treatment(
            dose_cells_per_kg=treatment.number("dose_cells_per_kg", minimum=1),
            volume_ml_limits=treatment.limits("volume_ml_limits"),
        ),
        arms=_arms(top),
        schedule=load_schedule(schedule_table),
        criteria=criteria,
        outcomes=load_outcomes(read_toml(forms_dir, "outcomes.toml")),
        results=results,
        enrolment_form=load_enrolment_form(forms_dir, results,
                                           [c.question() for c in criteria]),
        logs=tuple(load_log_form(forms_dir, name, domain=domain, roles=roles)
                   for name, domain, roles in LOG_FILES),
        termination=_termination(forms_dir),
        signature=_signature(top.table("signature")),
    )
    _check_outcome_units(study.results)
    _check_sex_codes(study.enrolment_form)
    return study
