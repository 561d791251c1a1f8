"""Numbers in units: conversion of limits into the typed unit, and how values are written.

Pure: no Flask, no SQLAlchemy. The conversion factors themselves live in forms/results.toml.
"""

from __future__ import annotations

import math
import re

from edc.protocol.crf import Unit

NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)


# A number with its thousands grouped by commas (1,200 or 12,500.5): not a decimal comma.
GROUPED = re.compile(r"\d{1,3}(,\d{3})+(\.\d+)?", re.ASCII)


def grouped_thousands(text: str) -> str | None:
    """The number typed with thousands separators ("1,200"), without them ("1200"); None for
    anything else, a decimal comma ("0,45") among them."""
    return text.replace(",", "") if GROUPED.fullmatch(text) else None


def parse_number(text: str) -> float | None:
    """A finite number written with ASCII digits and a decimal point ("24.5", "1e3"), or None."""
    text = text.strip()
    if not NUMBER.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def significant(value: float, digits: int = 3) -> str:
    """Write a value with `digits` significant digits, no trailing zeros: 0.0995, 884, 1230."""
    if value == 0 or not math.isfinite(value):
        return "0" if value == 0 else str(value)
    decimals = digits - 1 - math.floor(math.log10(abs(value)))
    rounded = round(value, decimals)
    if decimals <= 0:
        return str(int(rounded))
    return f"{rounded:.{decimals}f}".rstrip("0").rstrip(".")


def significant_bound(value: float, upward: bool, digits: int = 3) -> str:
    """A range limit with `digits` significant digits, rounded away from the inside so that a
    value outside the range never reads as its own limit: low 0.099547 -> 0.0996."""
    if value == 0 or not math.isfinite(value):
        return significant(value, digits)
    scale = 10 ** (digits - 1 - math.floor(math.log10(abs(value))))
    rounded = (math.ceil(value * scale - 1e-9) if upward else math.floor(value * scale + 1e-9))
    return significant(rounded / scale, digits)


def limits_in(unit: Unit, limits: tuple[float, float]) -> tuple[float, float]:
    """Canonical limits expressed in the unit the nurse chose."""
    low, high = limits
    return unit.from_canonical(low), unit.from_canonical(high)
