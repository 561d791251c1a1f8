"""Case report forms (forms/results.toml, forms/enrolment.toml, ...) as frozen dataclasses.

Pure: no Flask, no SQLAlchemy. A form is a list of items (fields) of one of ITEM_TYPES, each with
its labels in English and Chinese and its CDISC domain and variable. A number knows its units;
each unit knows how it converts to the canonical unit (or that it is a test of its own), its codes
and its limits in its canonical unit. A coded choice refers to a named list of codes with labels.
The items the rules compute with are found by role, never by key.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType

from edc.protocol.codes import HAPPENED_DEVIATIONS
from edc.protocol.toml import StudyDefinitionError, TomlTable, read_toml

ITEM_TYPES = ("number", "integer", "text", "date", "time", "choice", "yesno", "multichoice")
# visit: one set of items per visit (results); once: one per participant (enrolment);
# log: a repeating form, one row per entry (an adverse event, a concomitant medication).
FORM_KINDS = ("visit", "once", "log")
DOMAINS = ("AE", "CM", "DM", "DS", "DV", "IE", "LB", "MH", "VS")
# Findings domains: the item is a test whose code (--TESTCD) each unit carries.
FINDINGS = ("LB", "VS")
CHOICE_TYPES = ("choice", "multichoice")
NUMBER_TYPES = ("number", "integer")


@dataclass(frozen=True)
class Unit:
    code: str  # stored, ASCII: "umol/L"
    label: str  # shown: "µmol/L"
    factor: float | None  # canonical = typed x factor / divisor; None: a test of its own
    divisor: float
    canonical: str  # the code of the unit its value is stored in
    cdisc: str
    loinc: str
    block: tuple[float, float]  # in the canonical unit
    warn: tuple[float, float] | None  # in the canonical unit
    integer: bool
    label_zh: str = ""  # only where Chinese writes the unit differently ("mmol/L (尿素)")

    def to_canonical(self, value: float) -> float:
        """The typed value in the canonical unit, to 15 significant digits: 0.55 mg/dL is
        48.62 umol/L, not the 48.620000000000005 of binary floating point (a typed value has
        far fewer digits, so nothing it says is lost)."""
        if self.factor is None:
            return value
        return float(f"{value * self.factor / self.divisor:.15g}")

    def from_canonical(self, value: float) -> float:
        """A canonical value (a limit, say) in this unit."""
        return value if self.factor is None else value * self.divisor / self.factor


@dataclass(frozen=True)
class AgeMedianLimit:
    """An upper warn limit that grows with age: multiplier x median, where the median for age is
    slope x age + intercept in `unit` (age in decimal years, taken within `ages`)."""

    slope: float
    intercept: float
    unit: str  # the code of one of the field's converted units
    multiplier: float
    ages: tuple[float, float]  # where the line holds; an age outside is taken at the nearer end

    def median(self, age_years: float) -> float:
        """The median for an age, in `unit`."""
        low, high = self.ages
        return self.slope * min(max(age_years, low), high) + self.intercept

    def limit(self, age_years: float) -> float:
        """The warn limit for an age, in `unit`."""
        return self.multiplier * self.median(age_years)


@dataclass(frozen=True)
class Choice:
    code: str  # stored
    label: str
    label_zh: str
    alone: bool = False  # in a multichoice, chosen only with no other code ("None")
    # A reason for leaving the study after which nothing is recorded (consent withdrawn, death).
    ends_records: bool = False


@dataclass(frozen=True)
class ChoiceList:
    """A named list of coded choices, such as sex: M Male 男, F Female 女."""

    name: str
    choices: tuple[Choice, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.choices)


@dataclass(frozen=True)
class Role:
    """An item the rules compute with, and the unit they read it in."""

    name: str
    unit: str  # the code of a unit the item must have
    what: str  # what the rules use it for, for the message when it is missing


# The results items the rules depend on (eGFR, body surface, outcomes): each must be declared
# once in forms/results.toml with `role = "<name>"` and the unit given here.
RESULT_ROLES: Mapping[str, Role] = MappingProxyType({r.name: r for r in (
    Role("creatinine", "mg/dL", "serum creatinine, for the eGFR"),
    Role("cystatin_c", "mg/L", "cystatin C, for the combined eGFR"),
    Role("height", "cm", "height, for the eGFR and body surface"),
    Role("weight", "kg", "weight, for body surface and the dose"),
    Role("upcr", "mg/mg", "the urine protein/creatinine ratio, for proteinuria remission"),
    Role("urine_rbc", "/HPF", "urine red cells, for hematuria remission"),
    Role("protein_24h", "mg/24h", "24-hour urine protein, for the nephrotic-range warning"),
    Role("egfr_lab", "mL/min/1.73m2", "the laboratory's eGFR, compared with the computed one"),
)})


@dataclass(frozen=True)
class Field:
    """One item of a case report form (for a number: one analyte or measure)."""

    key: str
    label: str
    label_zh: str
    required: bool
    trend: bool  # a column of the participant's results table
    domain: str
    specimen: str
    units: tuple[Unit, ...]
    qualitative: tuple[str, ...]
    warn_high_inclusive: bool
    warn_mg_m2_h: float | None  # 24-hour protein: warn at or above this rate per body surface
    warn_above_age_median: AgeMedianLimit | None = None  # creatinine: warn above, by age
    type: str = "number"  # one of ITEM_TYPES
    variable: str = ""  # the CDISC variable: LBTESTCD, VSTESTCD, SEX, AETERM...
    choices: ChoiceList | None = None  # for choice and multichoice
    role: str = ""  # what the rules know it as (RESULT_ROLES), or ""
    message: str = ""  # shown when a required item is left empty (else a generic one)
    message_zh: str = ""  # the same in Chinese (given whenever message is)
    max_length: int = 0  # for text: the most characters stored
    qualitative_zh: tuple[str, ...] = ()  # each qualitative result as shown in Chinese
    # For text: a list whose labels are offered as a pick list; any other text may be typed.
    suggestions: ChoiceList | None = None

    def unit(self, code: str) -> Unit | None:
        return next((u for u in self.units if u.code == code), None)

    def age_warn_limit(self, age_years: float) -> float | None:
        """The age-dependent upper warn limit in the canonical unit, or None without one."""
        rule = self.warn_above_age_median
        if rule is None:
            return None
        unit = self.unit(rule.unit)
        assert unit is not None  # checked when the file was loaded
        return unit.to_canonical(rule.limit(age_years))

    @property
    def canonical_unit(self) -> Unit:
        return self.units[0]


class UnknownItem(KeyError):
    """A form was asked for an item it does not have."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class CaseReportForm:
    """A case report form: its items in order, of one kind (FORM_KINDS)."""

    file: str  # "forms/results.toml", for messages
    title: str
    title_zh: str
    fields: tuple[Field, ...]
    kind: str  # one of FORM_KINDS
    domain: str = ""  # a log form's domain: each row is one record of it (AE)
    choice_lists: tuple[ChoiceList, ...] = ()

    def field(self, key: str) -> Field:
        """Return the item with this key."""
        for field in self.fields:
            if field.key == key:
                return field
        raise UnknownItem(f"{self.file}: got key {key!r}. Expected one of "
                          + ", ".join(f.key for f in self.fields) + ".")

    def by_role(self, role: str) -> Field:
        """Return the item the rules know as `role`."""
        for field in self.fields:
            if field.role == role:
                return field
        raise UnknownItem(f"{self.file}: got role {role!r}. Expected one of "
                          + ", ".join(f.role for f in self.fields if f.role) + ".")


# The per-visit kidney results form: a CaseReportForm of number items, with RESULT_ROLES.
ResultsForm = CaseReportForm


def _unit(field: TomlTable, t: TomlTable, domain: str, integer: bool,
          limits_required: bool) -> Unit:
    has_factor = "factor" in t.data or "divisor" in t.data
    factor = t.number("factor", minimum=0) if "factor" in t.data else 1.0
    divisor = t.number("divisor", minimum=0) if "divisor" in t.data else 1.0
    if factor == 0 or divisor == 0:
        raise t.fail("factor", [factor, divisor], "a factor and divisor above 0")
    code = t.text("code")
    block = t.optional_limits("block") or field.optional_limits("block")
    if block is None:
        if limits_required:
            raise t.fail("block", None, "[low, high] here or on the field")
        block = (-math.inf, math.inf)  # this form leaves the possible range to its service
    warn = t.optional_limits("warn") if "warn" in t.data else field.optional_limits("warn")
    cdisc = t.text("cdisc", default="") or field.text("cdisc", default="")
    if not cdisc and domain in FINDINGS:
        raise t.fail("cdisc", None, "a CDISC test code here or on the field")
    return Unit(
        code=code,
        label=t.text("label"),
        factor=factor if has_factor else None,
        divisor=divisor,
        canonical="" if has_factor else code,  # filled in by _units for converted units
        cdisc=cdisc,
        loinc=t.text("loinc", default="") or field.text("loinc", default=""),
        block=block,
        warn=warn,
        integer=integer or t.flag("integer"),
        label_zh=t.text("label_zh", default=""),
    )


def _units(t: TomlTable, domain: str, integer: bool, limits_required: bool) -> tuple[Unit, ...]:
    """Read a number item's units: the canonical unit first, then those converted to it."""
    units = [_unit(t, u, domain, integer, limits_required) for u in t.tables("units")]
    converted = [u for u in units if u.factor is not None]
    if converted:
        if converted[0] is not units[0] or converted[0].to_canonical(1) != 1:
            raise t.fail("units", [u.code for u in units],
                         "the canonical unit first, with factor = 1")
        units = [u if u.factor is None else _with_canonical(u, units[0].code) for u in units]
    codes = [u.code for u in units]
    if len(set(codes)) != len(codes):
        raise t.fail("units", codes, "distinct unit codes")
    # The database keeps codes in columns of 16 characters and qualifiers in 32.
    for unit in units:
        for what, text in (("code", unit.code), ("cdisc", unit.cdisc), ("loinc", unit.loinc)):
            if len(text) > 16:
                raise t.fail("units", text, f"a unit {what} of at most 16 characters")
    return tuple(units)


def _only_for(t: TomlTable, kind: str, keys: Iterable[str], types: tuple[str, ...]) -> None:
    """Refuse keys that mean nothing for this item type (a unit on a date, say)."""
    if kind in types:
        return
    for key in keys:
        if key in t.data:
            raise t.fail(key, t.data[key], f"no {key}: only {' and '.join(types)} items "
                         f"have it (this item is {kind})")


_NUMBER_KEYS = ("units", "block", "warn", "qualitative", "qualitative_zh", "warn_high_inclusive",
                "warn_mg_m2_h",
                "warn_above_age_median", "trend", "specimen", "cdisc", "loinc")


def _field(t: TomlTable, lists: Mapping[str, ChoiceList], form_domain: str,
           limits_required: bool, domains: tuple[str, ...]) -> Field:
    kind = t.text("type", default="number")
    if kind not in ITEM_TYPES:
        raise t.fail("type", kind, "one of " + ", ".join(ITEM_TYPES))
    domain = t.text("domain", default=form_domain) if form_domain else t.text("domain")
    if domain not in domains:
        raise t.fail("domain", domain, "one of " + ", ".join(domains))
    variable = t.text("variable", default=f"{domain}TESTCD" if domain in FINDINGS else None,
                      pattern=r"[A-Z][A-Z0-9]{1,7}")
    _only_for(t, kind, _NUMBER_KEYS, NUMBER_TYPES)
    _only_for(t, kind, ("choices",), CHOICE_TYPES)
    _only_for(t, kind, ("max_length", "suggestions"), ("text",))
    units: tuple[Unit, ...] = ()
    if kind in NUMBER_TYPES:
        units = _units(t, domain, kind == "integer", limits_required)
    for text in t.texts("qualitative"):
        if len(text) > 32:
            raise t.fail("qualitative", text, "qualitative results of at most 32 characters")
    choices = _list(t, "choices", lists) if kind in CHOICE_TYPES else None
    suggestions = _list(t, "suggestions", lists) if "suggestions" in t.data else None
    warn_rate = t.get("warn_mg_m2_h", None)
    age_rule = (_age_median_limit(t.table("warn_above_age_median"), list(units))
                if "warn_above_age_median" in t.data else None)
    return Field(
        key=t.text("key", pattern=r"[a-z][a-z0-9_]{0,31}"),
        label=t.text("label"),
        label_zh=t.text("label_zh"),
        required=t.flag("required"),
        trend=t.flag("trend"),
        domain=domain,
        specimen=t.text("specimen", default=""),
        units=units,
        qualitative=t.texts("qualitative"),
        warn_high_inclusive=t.flag("warn_high_inclusive"),
        warn_mg_m2_h=None if warn_rate is None else t.number("warn_mg_m2_h"),
        warn_above_age_median=age_rule,
        type=kind,
        variable=variable,
        choices=choices,
        role=t.text("role", default=""),
        message=t.text("message", default=""),
        message_zh=_message_zh(t),
        max_length=t.integer("max_length", minimum=1) if kind == "text" else 0,
        qualitative_zh=_qualitative_zh(t),
        suggestions=suggestions,
    )


def _list(t: TomlTable, key: str, lists: Mapping[str, ChoiceList]) -> ChoiceList:
    """The choice list an item names under key (choices, suggestions)."""
    name = t.text(key)
    if name not in lists:
        raise t.fail(key, name, "the name of a list under [choices]: "
                     + (", ".join(lists) or "(there is none)"))
    return lists[name]


def _message_zh(t: TomlTable) -> str:
    """The Chinese of an item's message: required whenever the item has a message."""
    if "message" not in t.data and "message_zh" not in t.data:
        return ""
    if "message" not in t.data:
        raise t.fail("message", None, "a message in English beside message_zh")
    return t.text("message_zh")


def _qualitative_zh(t: TomlTable) -> tuple[str, ...]:
    """The Chinese of each qualitative result, in the same order."""
    english, chinese = t.texts("qualitative"), t.texts("qualitative_zh")
    if len(chinese) != len(english):
        raise t.fail("qualitative_zh", list(chinese) or None,
                     f"the Chinese of each qualitative result, in order ({len(english)})")
    return chinese


def _choice_lists(top: TomlTable) -> dict[str, ChoiceList]:
    """Read [choices]: name = [{ code, label, label_zh }, ...] for each coded list."""
    if "choices" not in top.data:
        return {}
    table = top.table("choices")
    lists = {}
    for name in table.data:
        if not isinstance(name, str) or not name.isidentifier():
            raise table.fail(str(name), name, "a list name of letters, digits and _")
        options = tuple(
            Choice(code=c.text("code", pattern=r"[A-Za-z0-9_-]{1,16}"), label=c.text("label"),
                   label_zh=c.text("label_zh"), alone=c.flag("alone"),
                   ends_records=c.flag("ends_records"))
            for c in table.tables(name))
        codes = [c.code for c in options]
        if len(set(codes)) != len(codes):
            raise table.fail(name, codes, "distinct codes")
        lists[name] = ChoiceList(name, options)
    return lists


def _age_median_limit(t: TomlTable, units: list[Unit]) -> AgeMedianLimit:
    """Read an age-dependent warn limit: slope, intercept, unit, multiplier and ages."""
    converted = [u.code for u in units if u.factor is not None]
    unit = t.text("unit")
    if unit not in converted:
        raise t.fail("unit", unit, "one of the field's units: " + ", ".join(converted))
    rule = AgeMedianLimit(slope=t.number("slope", minimum=-math.inf),
                          intercept=t.number("intercept", minimum=-math.inf), unit=unit,
                          multiplier=t.number("multiplier"), ages=t.limits("ages"))
    if rule.multiplier <= 0:
        raise t.fail("multiplier", rule.multiplier, "a number above 0")
    if rule.ages[0] < 0:
        raise t.fail("ages", list(rule.ages), "ages of 0 or more")
    if min(rule.median(age) for age in rule.ages) <= 0:
        raise t.fail("intercept", rule.intercept, "a median above 0 at every age in ages "
                     "(slope x age + intercept)")
    return rule


def _with_canonical(unit: Unit, canonical: str) -> Unit:
    return replace(unit, canonical=canonical)


def _from_results(t: TomlTable, results: CaseReportForm | None) -> Field:
    """An item that is a results item under another key (enrolment's weight and height)."""
    role = t.text("from_results")
    if results is None or role not in {f.role for f in results.fields if f.role}:
        roles = [] if results is None else [f.role for f in results.fields if f.role]
        raise t.fail("from_results", role, "a role of forms/results.toml: " + ", ".join(roles))
    for key in t.data:
        if key not in ("key", "from_results", "message", "message_zh", "required"):
            raise t.fail(key, t.data[key], "only key, from_results, message, message_zh and "
                         "required: the rest is the results item's")
    return replace(results.by_role(role), key=t.text("key", pattern=r"[a-z][a-z0-9_]{0,31}"),
                   message=t.text("message", default=""), message_zh=_message_zh(t),
                   required=t.flag("required"), trend=False)


def _check_roles(top: TomlTable, fields: tuple[Field, ...], roles: Mapping[str, Role]) -> None:
    """Every role is one the code knows, declared once, on a number with the unit it needs."""
    declared = [f.role for f in fields if f.role]
    for i, field in enumerate(fields):
        if field.role and field.role not in roles:
            raise top.fail(f"fields[{i}].role", field.role,
                           "one of " + (", ".join(roles) or "(no roles in this form)"))
    for role in roles.values():
        found = [f for f in fields if f.role == role.name]
        if len(found) != 1:
            raise top.fail("fields.role", sorted(declared),
                           f'exactly one field with role = "{role.name}": {role.what}')
        field = found[0]
        at = f"fields[{fields.index(field)}]"
        unit = field.unit(role.unit)
        if field.type != "number" or unit is None:
            raise top.fail(f"{at}.units", [u.code for u in field.units],
                           f"a number with the unit {role.unit} (role {role.name})")


def unit_key(item: Field) -> str:
    """The name of the unit chosen beside a number of several units on a log form."""
    return f"{item.key}_unit"


def load_form(forms_dir: str | Path, name: str, *, roles: Mapping[str, Role] | None = None,
              results: CaseReportForm | None = None,
              limits_required: bool = False,
              domains: tuple[str, ...] = DOMAINS,
              item_roles: Mapping[str, ItemRole] | None = None) -> CaseReportForm:
    """Read and check one case report form definition (forms/<name>)."""
    top = read_toml(Path(forms_dir), name)
    kind = top.text("kind")
    if kind not in FORM_KINDS:
        raise top.fail("kind", kind, "one of " + ", ".join(FORM_KINDS))
    domain = top.text("domain", default="")
    if kind == "log" and domain not in DOMAINS:
        raise top.fail("domain", domain or None, "the domain of each row of the log: one of "
                       + ", ".join(DOMAINS))
    lists = _choice_lists(top)
    fields = tuple(_from_results(f, results) if "from_results" in f.data
                   else _field(f, lists, domain, limits_required, domains)
                   for f in top.tables("fields"))
    keys = [f.key for f in fields]
    if len(set(keys)) != len(keys):
        raise top.fail("fields", keys, "distinct field keys")
    for field in fields:
        # A log form keeps the unit chosen beside a number under this name.
        if kind == "log" and len(field.units) > 1 and unit_key(field) in keys:
            raise top.fail("fields", keys, f"no key {unit_key(field)}: it holds the unit of "
                           f"{field.key}")
    if item_roles is None:
        _check_roles(top, fields, roles or {})
    else:
        _check_item_roles(top, fields, item_roles)
    return CaseReportForm(file=top.file, title=top.text("title"),
                          title_zh=top.text("title_zh"), fields=fields, kind=kind,
                          domain=domain, choice_lists=tuple(lists.values()))


def load_results_form(forms_dir: str | Path, name: str = "results.toml") -> CaseReportForm:
    """Read and check the per-visit results form: numbers with limits, and every result role."""
    form = load_form(forms_dir, name, roles=RESULT_ROLES, limits_required=True,
                     domains=FINDINGS)
    for i, field in enumerate(form.fields):
        # The results page and service store lab values: a number per item, in one of its units.
        if field.type != "number":
            raise StudyDefinitionError(form.file, f"fields[{i}].type", field.type,
                                       "number (every results item is a lab value or measure)")
    if form.kind != "visit":
        raise StudyDefinitionError(form.file, "kind", form.kind, "visit")
    return form


@dataclass(frozen=True)
class ItemRole:
    """An item of a log form the code reads by role (its dates, its seriousness): the item
    types it may be, whether every such form must declare it, and what it is for."""

    name: str
    types: tuple[str, ...]
    required: bool
    what: str


# The code of a choice that is named in a text item beside it (the drug of role drug_other).
OTHER = "OTHER"
# Every log form has a first date; an end date and "ongoing" are optional, but come together.
LOG_ROLES: Mapping[str, ItemRole] = MappingProxyType({r.name: r for r in (
    ItemRole("start", ("date",), True, "the date the entry starts (onset, start)"),
    ItemRole("end", ("date",), False, "the date it ends (end, stop)"),
    ItemRole("ongoing", ("yesno",), False, "that it has not ended"),
)})
# The adverse event log adds what the safety pages read.
AE_ROLES: Mapping[str, ItemRole] = MappingProxyType({**LOG_ROLES, **{r.name: r for r in (
    ItemRole("end", ("date",), True, "the date the event ended"),
    ItemRole("ongoing", ("yesno",), True, "that the event has not ended"),
    ItemRole("term", ("text",), True, "the event as the doctor names it"),
    ItemRole("grade", ("choice",), True, "the severity grade"),
    ItemRole("serious", ("yesno",), True, "that the event is serious: an investigator must "
             "acknowledge it within the alert hours"),
    ItemRole("criteria", ("multichoice",), True, "what makes it serious"),
    ItemRole("aware_date", ("date",), False, "the day the site learned the event was serious, "
             "if before it was saved as serious: the alert hours count from it"),
    ItemRole("aware_time", ("time",), False, "the clock time of aware_date"),
    ItemRole("infusion", ("choice",), True, "the infusion it followed: codes 1, 2 and NONE"),
    ItemRole("outcome", ("choice",), True, "how the event ended, or how it stands"),
)}})
# The vital signs log: one row per time point of one infusion.
VS_ROLES: Mapping[str, ItemRole] = MappingProxyType({**LOG_ROLES, **{r.name: r for r in (
    ItemRole("infusion", ("choice",), True, "the infusion the measures belong to: codes 1 and 2"),
    ItemRole("timepoint", ("choice",), True, "the time point around the infusion: one row each"),
)}})

# The ACEI/ARB log adds what the trend of proteinuria reads: each row a drug at a dose.
MEDICATION_ROLES: Mapping[str, ItemRole] = MappingProxyType({**LOG_ROLES, **{r.name: r for r in (
    ItemRole("end", ("date",), True, "the date the drug or dose stopped"),
    ItemRole("ongoing", ("yesno",), True, "that it is still given"),
    ItemRole("drug", ("choice",), True, f"the drug, with the code {OTHER} for one named in "
             "drug_other"),
    ItemRole("drug_other", ("text",), True, f"the name of a drug coded {OTHER}"),
    ItemRole("dose", ("number",), True, "the dose, in the unit chosen beside it"),
    ItemRole("frequency", ("choice",), False, "how often it is given"),
    ItemRole("change", ("choice",), True, "what changed on the start date"),
    ItemRole("change_note", ("text",), False, f"the words for a change coded {OTHER}"),
)}})


# Early termination (one row per withdrawn child) adds its reason and what some reasons need.
TERMINATION_ROLES: Mapping[str, ItemRole] = MappingProxyType({**LOG_ROLES, **{r.name: r for r in (
    ItemRole("category", ("choice",), True, "the reason the child leaves the study: codes "
             "AE and OTHER among them"),
    ItemRole("event", ("integer",), True, "the number of the adverse event the child leaves "
             "for"),
    ItemRole("detail", ("text",), True, "the reason in words, required for OTHER"),
    ItemRole("last_contact", ("date",), True, "the date of the last contact"),
)}})
# The reason codes the termination rules read: AE links an adverse event, OTHER needs words.
ADVERSE_EVENT_REASON = "AE"
OTHER_REASON = "OTHER"


def _check_item_roles(top: TomlTable, fields: tuple[Field, ...],
                      roles: Mapping[str, ItemRole]) -> None:
    """Every role is known, declared at most once (once if required), on an item of its type."""
    for i, field in enumerate(fields):
        if field.role and field.role not in roles:
            raise top.fail(f"fields[{i}].role", field.role, "one of " + ", ".join(roles))
    for role in roles.values():
        found = [f for f in fields if f.role == role.name]
        if len(found) > 1 or (role.required and not found):
            raise top.fail("fields.role", sorted(f.role for f in fields if f.role),
                           f'{"exactly" if role.required else "at most"} one field with '
                           f'role = "{role.name}": {role.what}')
        if found and found[0].type not in role.types:
            at = f"fields[{fields.index(found[0])}].type"
            raise top.fail(at, found[0].type, " or ".join(role.types) + f" (role {role.name})")
    has = {f.role for f in fields}
    if ("end" in has) != ("ongoing" in has):
        raise top.fail("fields.role", sorted(r for r in has if r),
                       'both role = "end" and role = "ongoing", or neither')


@dataclass(frozen=True)
class SuggestedTerm:
    """The adverse event a measure outside its usual range on one side suggests (a high
    temperature: fever)."""

    item: str  # the key of a number item with a usual range
    side: str  # "above" or "below" that range
    label: str
    label_zh: str


@dataclass(frozen=True)
class LogForm:
    """A log form (one row per entry) and what its file says beyond the items."""

    name: str  # the file's stem, in addresses and stored with each entry: "adverse_events"
    form: CaseReportForm
    alert_hours: int  # > 0: a yes to the "serious" item must be acknowledged within these hours
    # >= 0: a start or change this many days or fewer before a visit's sample is flagged beside
    # its proteinuria outcome; -1: never.
    flag_days_before_sample: int = -1
    starts_before_consent: bool = False  # an entry may start before consent (a medication)
    suggested_terms: tuple[SuggestedTerm, ...] = ()  # in the order they are offered
    outcomes: OutcomeRules | None = None  # an adverse event log: its grade, outcome and dates
    # Pairs of number items whose first is below its second (diastolic, systolic).
    ordered: tuple[tuple[str, str], ...] = ()
    # The deviations log: (kind, category) for each deviation the record computes by itself and
    # the exports list (edc.protocol.codes.HAPPENED_DEVIATIONS), the category a code of its
    # "category" item.
    computed: tuple[tuple[str, str], ...] = ()

    def suggested_term(self, item: str, side: str) -> SuggestedTerm | None:
        """The adverse event a measure outside its usual range on this side suggests."""
        return next((t for t in self.suggested_terms if (t.item, t.side) == (item, side)), None)


def _suggested_terms(top: TomlTable, form: CaseReportForm) -> tuple[SuggestedTerm, ...]:
    """Read [[suggested_terms]]: each names a number item with a usual range and a side."""
    if "suggested_terms" not in top.data:
        return ()
    ranged = [f.key for f in form.fields if f.units and f.canonical_unit.warn is not None]
    terms = []
    for t in top.tables("suggested_terms"):
        item = t.text("item")
        if item not in ranged:
            raise t.fail("item", item, "the key of a number item with a usual range (warn): "
                         + (", ".join(ranged) or "(there is none)"))
        side = t.text("side")
        if side not in ("above", "below"):
            raise t.fail("side", side, "above or below")
        terms.append(SuggestedTerm(item, side, t.text("label"), t.text("label_zh")))
    pairs = [(t.item, t.side) for t in terms]
    if len(set(pairs)) != len(pairs):
        raise top.fail("suggested_terms", [f"{i} {s}" for i, s in pairs],
                       "one term per item and side")
    return tuple(terms)


@dataclass(frozen=True)
class OutcomeRules:
    """What an adverse event's grade, outcome, seriousness and dates must agree on (codes of
    the lists of the items with roles grade, outcome and criteria)."""

    fatal_grade: str  # CTCAE grade 5: the event caused death
    fatal_outcome: str  # the outcome "fatal"
    death_criterion: str  # the serious criterion "death"
    ended: tuple[str, ...]  # outcomes of an event that has ended (it has an end date)
    ongoing: tuple[str, ...]  # outcomes of an event still going on


def _outcome_rules(top: TomlTable, form: CaseReportForm) -> OutcomeRules | None:
    """Read [outcome_rules]: each code must be one of its item's list."""
    if "outcome_rules" not in top.data:
        return None
    t = top.table("outcome_rules")
    roles = {f.role: f for f in form.fields if f.role}

    def codes(role: str) -> tuple[str, ...]:
        item = roles.get(role)
        if item is None or item.choices is None:
            raise t.fail(role, None, f'an item with role = "{role}" and a list of choices')
        return item.choices.codes

    def one(key: str, role: str) -> str:
        code = t.text(key)
        if code not in codes(role):
            raise t.fail(key, code, f"one of the {role} codes: " + ", ".join(codes(role)))
        return code

    def some(key: str) -> tuple[str, ...]:
        found = t.texts(key)
        wrong = [c for c in found if c not in codes("outcome")]
        if wrong or not found:
            raise t.fail(key, list(found), "outcome codes: " + ", ".join(codes("outcome")))
        return found

    return OutcomeRules(fatal_grade=one("fatal_grade", "grade"),
                        fatal_outcome=one("fatal_outcome", "outcome"),
                        death_criterion=one("death_criterion", "criteria"),
                        ended=some("ended"), ongoing=some("ongoing"))


def load_log_form(forms_dir: str | Path, name: str, *, domain: str,
                  roles: Mapping[str, ItemRole] = LOG_ROLES) -> LogForm:
    """Read and check a log form (forms/<name>.toml) of a domain, with its roles."""
    # A findings log (vital signs) refuses impossible values: each measure has its range.
    form = load_form(forms_dir, f"{name}.toml", item_roles=roles,
                     limits_required=domain in FINDINGS)
    if form.kind != "log":
        raise StudyDefinitionError(form.file, "kind", form.kind, "log (one row per entry)")
    if form.domain != domain:
        raise StudyDefinitionError(form.file, "domain", form.domain, domain)
    top = read_toml(Path(forms_dir), f"{name}.toml")
    hours = top.integer("alert_hours", minimum=1) if "alert_hours" in top.data else 0
    if hours and "serious" not in {f.role for f in form.fields}:
        raise top.fail("alert_hours", hours, 'no alert_hours: no item has role = "serious"')
    flag = -1
    if "flag_days_before_sample" in top.data:
        flag = top.integer("flag_days_before_sample", minimum=0)
        if "change" not in {f.role for f in form.fields}:
            raise top.fail("flag_days_before_sample", flag,
                           'no flag_days_before_sample: no item has role = "change"')
    _check_other(top, form)
    return LogForm(name=name, form=form, alert_hours=hours, flag_days_before_sample=flag,
                   starts_before_consent=top.flag("starts_before_consent"),
                   suggested_terms=_suggested_terms(top, form),
                   outcomes=_outcome_rules(top, form), ordered=_ordered(top, form),
                   computed=tuple(_computed(top, form).items()))


def _computed(top: TomlTable, form: CaseReportForm) -> dict[str, str]:
    """Read [computed]: a category code of the "category" item for each deviation the record
    computes, every one named."""
    if "computed" not in top.data:
        return {}
    table = top.table("computed")
    item = next((f for f in form.fields if f.key == "category" and f.choices is not None), None)
    if item is None:
        raise top.fail("computed", sorted(table.data), 'no [computed]: no choice item "category"')
    assert item.choices is not None
    if sorted(table.data) != sorted(HAPPENED_DEVIATIONS):
        raise top.fail("computed", sorted(table.data),
                       "the keys " + ", ".join(HAPPENED_DEVIATIONS))
    codes = list(item.choices.codes)
    found = {kind: table.text(kind) for kind in HAPPENED_DEVIATIONS}
    for kind, code in found.items():
        if code not in codes:
            raise table.fail(kind, code, "one of " + ", ".join(codes))
    return found


def _ordered(top: TomlTable, form: CaseReportForm) -> tuple[tuple[str, str], ...]:
    """Read `ordered`: pairs [low, high] of number items of the form."""
    numbers = [f.key for f in form.fields if f.type in NUMBER_TYPES]
    pairs = []
    for pair in top.get("ordered", []):
        if (not isinstance(pair, list) or len(pair) != 2
                or not all(key in numbers for key in pair)):
            raise top.fail("ordered", pair, "pairs [low, high] of number items: "
                           + ", ".join(numbers))
        pairs.append((pair[0], pair[1]))
    return tuple(pairs)


def _check_other(top: TomlTable, form: CaseReportForm) -> None:
    """A drug named in drug_other needs the code OTHER in the drug's list."""
    roles = {f.role: f for f in form.fields if f.role}
    if "drug_other" not in roles or "drug" not in roles:
        return
    drug = roles["drug"]
    codes = drug.choices.codes if drug.choices is not None else ()
    if OTHER not in codes:
        raise top.fail(f"choices.{drug.choices.name if drug.choices else drug.key}", list(codes),
                       f"the code {OTHER} among them: the drug named in "
                       f"{roles['drug_other'].key}")


ENROLMENT_ROLES: Mapping[str, Role] = MappingProxyType(
    {name: RESULT_ROLES[name] for name in ("weight", "height")})


def load_enrolment_form(forms_dir: str | Path, results: CaseReportForm,
                        questions: Iterable[Field] = (),
                        name: str = "enrolment.toml") -> CaseReportForm:
    """Read the enrolment form, its weight and height taken by role from results, and append the
    eligibility questions."""
    form = load_form(forms_dir, name, roles=ENROLMENT_ROLES, results=results)
    if form.kind != "once":
        raise StudyDefinitionError(form.file, "kind", form.kind, "once")
    fields = form.fields + tuple(questions)
    keys = [f.key for f in fields]
    if len(set(keys)) != len(keys):
        raise StudyDefinitionError(form.file, "fields", keys,
                                   "keys distinct from the eligibility questions'")
    return replace(form, fields=fields)


def yes_no_item(key: str, label: str, label_zh: str, *, message: str, message_zh: str,
                domain: str, variable: str) -> Field:
    """A required yes/no item (an eligibility question, say)."""
    return Field(key=key, label=label, label_zh=label_zh, required=True, trend=False,
                 domain=domain, specimen="", units=(), qualitative=(),
                 warn_high_inclusive=False, warn_mg_m2_h=None, type="yesno", variable=variable,
                 message=message, message_zh=message_zh)

