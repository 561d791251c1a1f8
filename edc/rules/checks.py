"""Range and plausibility checks of one typed result -> findings (block or warn).

Pure: no Flask, no SQLAlchemy. A finding carries what a message needs (the value, the unit, the
range in the typed unit, another unit the value would fit); the app turns it into words.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from edc.protocol.crf import Field, Unit
from edc.rules.numbers import limits_in

Level = Literal["block", "warn"]
Kind = Literal["below_range", "above_range", "not_integer", "below_plausible", "above_plausible",
               "rate_high", "above_age_median"]


@dataclass(frozen=True)
class Finding:
    level: Level
    kind: Kind
    field: Field
    value: float  # as typed
    unit: Unit  # as chosen
    low: float | None = None  # the range, in the typed unit
    high: float | None = None
    other_unit: Unit | None = None  # a unit the value would fit, when it does not fit its own
    rate: float | None = None  # for rate_high: mg/m2/h
    age_years: float | None = None  # for above_age_median: the age the limit (high) is for


def _fits(unit: Unit, value: float) -> bool:
    low, high = unit.block
    return low <= unit.to_canonical(value) <= high


def _other_unit(field: Field, unit: Unit, value: float) -> Unit | None:
    """Another convertible unit of the field in which the typed number would be possible."""
    if unit.factor is None:
        return None
    return next((u for u in field.units
                 if u is not unit and u.factor is not None and _fits(u, value)), None)


def check_value(field: Field, unit: Unit, value: float, bsa_m2: float | None = None,
                age_years: float | None = None) -> list[Finding]:
    """What is wrong with this value: block findings refuse it, warn findings need confirming.

    age_years (at the sample date) is needed for a field whose warn limit depends on age;
    without it that warning is not given.
    """
    canonical = unit.to_canonical(value)
    low, high = unit.block
    if canonical < low or canonical > high:
        kind: Kind = "below_range" if canonical < low else "above_range"
        typed_low, typed_high = limits_in(unit, unit.block)
        return [Finding("block", kind, field, value, unit, typed_low, typed_high,
                        other_unit=_other_unit(field, unit, value))]
    if unit.integer and value != int(value):
        return [Finding("block", "not_integer", field, value, unit)]
    findings = []
    if unit.warn is not None:
        warn_low, warn_high = unit.warn
        above = canonical >= warn_high if field.warn_high_inclusive else canonical > warn_high
        if canonical < warn_low or above:
            typed_low, typed_high = limits_in(unit, unit.warn)
            kind = "below_plausible" if canonical < warn_low else "above_plausible"
            findings.append(Finding("warn", kind, field, value, unit, typed_low, typed_high))
    age_limit = None if age_years is None else field.age_warn_limit(age_years)
    # Above, not at: a value typed at the limit in another unit must not warn by float noise.
    if (age_limit is not None and canonical > age_limit
            and not math.isclose(canonical, age_limit, rel_tol=1e-9)):
        findings.append(Finding("warn", "above_age_median", field, value, unit,
                                high=unit.from_canonical(age_limit), age_years=age_years))
    if field.warn_mg_m2_h is not None and bsa_m2:
        rate = canonical / (bsa_m2 * 24)
        if rate >= field.warn_mg_m2_h:
            findings.append(Finding("warn", "rate_high", field, value, unit,
                                    high=field.warn_mg_m2_h, rate=rate))
    return findings
