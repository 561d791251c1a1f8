"""What every use case shares: refusals with messages per field, and the site's today."""

from __future__ import annotations

from datetime import date, datetime

from dateutil.relativedelta import relativedelta
from flask_babel import gettext as _

from edc.study import Study

GENERAL = "__all__"


class Refused(Exception):
    """The input was refused; errors maps a form field (or GENERAL) to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(m for ms in errors.values() for m in ms))
        self.errors = errors


class Errors(dict[str, list[str]]):
    """Messages collected per field, so every problem is reported at once."""

    def add(self, name: str, message: str) -> None:
        self.setdefault(name, []).append(message)

    def raise_if_any(self) -> None:
        if self:
            raise Refused(dict(self))


def today(study: Study) -> date:
    """Today's date at the study site."""
    return datetime.now(study.tz).date()


def whole_years(born: date, on: date) -> int:
    """Age in completed years, as on a birthday card."""
    return relativedelta(on, born).years


def check_range(
    errors: Errors, name: str, label: str, value: float, unit: str, limits: tuple[float, float]
) -> None:
    """Refuse a value outside its possible range, naming the value, unit and range."""
    low, high = limits
    if not low <= value <= high:
        errors.add(
            name,
            _(
                "%(label)s %(value)s %(unit)s is outside the possible range "
                "%(low)s-%(high)s %(unit)s.",
                label=label,
                value=f"{value:g}",
                unit=unit,
                low=f"{low:g}",
                high=f"{high:g}",
            ),
        )


WEIGHT_CHANGE_PERCENT = 10  # a weight this much off the last recorded one is worth a second look


def check_measure(errors: Errors, study: Study, name: str, key: str, label: str, value: float,
                  confirmed: bool, confirm_name: str) -> None:
    """Height or weight against its ranges in forms/results.toml: outside the possible range
    is refused; outside the usual range needs the nurse's confirmation."""
    field = study.results.field(key)
    unit = field.canonical_unit
    check_range(errors, name, label, value, unit.label, unit.block)
    if name in errors or confirmed or unit.warn is None:
        return
    low, high = unit.warn
    if not low <= value <= high:
        errors.add(confirm_name, _(
            "%(label)s %(value)s %(unit)s is outside the usual range %(low)s-%(high)s %(unit)s "
            "for these children. Check it and tick the box to save it.", label=label,
            value=f"{value:g}", unit=unit.label, low=f"{low:g}", high=f"{high:g}"))
