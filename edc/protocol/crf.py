"""The results case report form (forms/results.toml) as frozen dataclasses.

Pure: no Flask, no SQLAlchemy. Each field knows its units; each unit knows how it converts to the
canonical unit (or that it is a test of its own), its codes and its limits in its canonical unit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

from edc.protocol.toml import TomlTable, read_toml

DOMAINS = ("LB", "VS")


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

    def to_canonical(self, value: float) -> float:
        """The typed value in the canonical unit."""
        return value if self.factor is None else value * self.factor / self.divisor

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
class Field:
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


@dataclass(frozen=True)
class ResultsForm:
    title: str
    title_zh: str
    fields: tuple[Field, ...]

    def field(self, key: str) -> Field:
        return next(f for f in self.fields if f.key == key)


def _unit(field: TomlTable, t: TomlTable) -> Unit:
    has_factor = "factor" in t.data or "divisor" in t.data
    factor = t.number("factor", minimum=0) if "factor" in t.data else 1.0
    divisor = t.number("divisor", minimum=0) if "divisor" in t.data else 1.0
    if factor == 0 or divisor == 0:
        raise t.fail("factor", [factor, divisor], "a factor and divisor above 0")
    code = t.text("code")
    block = t.optional_limits("block") or field.optional_limits("block")
    if block is None:
        raise t.fail("block", None, "[low, high] here or on the field")
    warn = t.optional_limits("warn") if "warn" in t.data else field.optional_limits("warn")
    cdisc = t.text("cdisc", default="") or field.text("cdisc", default="")
    if not cdisc:
        raise t.fail("cdisc", None, "a CDISC test code here or on the field")
    return Unit(
        code=code,
        label=t.text("label"),
        factor=factor if has_factor else None,
        divisor=divisor,
        canonical="" if has_factor else code,  # filled in by _field for converted units
        cdisc=cdisc,
        loinc=t.text("loinc", default="") or field.text("loinc", default=""),
        block=block,
        warn=warn,
        integer=t.flag("integer"),
    )


def _field(t: TomlTable) -> Field:
    domain = t.text("domain")
    if domain not in DOMAINS:
        raise t.fail("domain", domain, "one of " + ", ".join(DOMAINS))
    units = [_unit(t, u) for u in t.tables("units")]
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
    for text in t.texts("qualitative"):
        if len(text) > 32:
            raise t.fail("qualitative", text, "qualitative results of at most 32 characters")
    warn_rate = t.get("warn_mg_m2_h", None)
    age_rule = (_age_median_limit(t.table("warn_above_age_median"), units)
                if "warn_above_age_median" in t.data else None)
    return Field(
        key=t.text("key", pattern=r"[a-z][a-z0-9_]{0,31}"),
        label=t.text("label"),
        label_zh=t.text("label_zh", default=""),
        required=t.flag("required"),
        trend=t.flag("trend"),
        domain=domain,
        specimen=t.text("specimen", default=""),
        units=tuple(units),
        qualitative=t.texts("qualitative"),
        warn_high_inclusive=t.flag("warn_high_inclusive"),
        warn_mg_m2_h=None if warn_rate is None else t.number("warn_mg_m2_h"),
        warn_above_age_median=age_rule,
    )


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


def load_results_form(forms_dir: str | Path, name: str = "results.toml") -> ResultsForm:
    """Read and check a results form definition."""
    top = read_toml(Path(forms_dir), name)
    fields = tuple(_field(f) for f in top.tables("fields"))
    keys = [f.key for f in fields]
    if len(set(keys)) != len(keys):
        raise top.fail("fields", keys, "distinct field keys")
    return ResultsForm(title=top.text("title"), title_zh=top.text("title_zh", default=""),
                       fields=fields)
