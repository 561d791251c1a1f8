"""The trial's outcome thresholds (forms/outcomes.toml): remission, improvement, lab agreement.

Pure. This is the only copy of the numbers: the rules and the chart take them from here. The
thresholds are written per unit the lab reports in (complete_mg_mg, max_per_hpf, ...); the unit
codes below are the ones forms/results.toml gives those fields, checked when the study loads.
"""

from __future__ import annotations

from dataclasses import dataclass

from edc.protocol.toml import TomlTable

UPCR_MG_MG = "mg/mg"
UPCR_MG_MMOL = "mg/mmol"
UPCR_UNITS = (UPCR_MG_MG, UPCR_MG_MMOL)  # the units with proteinuria thresholds
RBC_PER_HPF = "/HPF"  # microscopy
RBC_PER_UL = "/uL"  # analyser: a test of its own, never converted to or from /HPF
RBC_UNITS = (RBC_PER_HPF, RBC_PER_UL)


@dataclass(frozen=True)
class ProteinuriaLimits:
    """The proteinuria thresholds in one reporting unit."""

    complete: float  # complete remission at or below
    upper: float  # no remission at or above
    fall_percent: float  # partial: a fall of this much or more from baseline, between the two


@dataclass(frozen=True)
class Outcomes:
    """Remission and improvement thresholds, from forms/outcomes.toml."""

    complete_mg_mg: float
    complete_mg_mmol: float
    upper_mg_mg: float
    upper_mg_mmol: float
    fall_percent: float
    max_per_hpf: float
    max_per_ul: float
    improvement_percent: float
    lab_difference_percent: float

    def proteinuria(self, unit: str) -> ProteinuriaLimits:
        """Return the proteinuria thresholds for a UPCR reported in unit."""
        if unit == UPCR_MG_MG:
            return ProteinuriaLimits(self.complete_mg_mg, self.upper_mg_mg, self.fall_percent)
        if unit == UPCR_MG_MMOL:
            return ProteinuriaLimits(self.complete_mg_mmol, self.upper_mg_mmol,
                                     self.fall_percent)
        raise ValueError(f"Got UPCR unit '{unit}'. Expected {_either(UPCR_UNITS)}.")

    def hematuria_limit(self, unit: str) -> float:
        """Return the highest urine RBC count in remission for a count in unit."""
        if unit == RBC_PER_HPF:
            return self.max_per_hpf
        if unit == RBC_PER_UL:
            return self.max_per_ul
        raise ValueError(f"Got urine RBC unit '{unit}'. Expected {_either(RBC_UNITS)}.")


def _either(codes: tuple[str, str]) -> str:
    return f"'{codes[0]}' or '{codes[1]}'"


def load_outcomes(t: TomlTable) -> Outcomes:
    """Read the [proteinuria], [hematuria] and [renal_function] thresholds."""
    protein, blood, kidney = t.table("proteinuria"), t.table("hematuria"), t.table(
        "renal_function")
    return Outcomes(
        complete_mg_mg=protein.number("complete_mg_mg"),
        complete_mg_mmol=protein.number("complete_mg_mmol"),
        upper_mg_mg=protein.number("upper_mg_mg"),
        upper_mg_mmol=protein.number("upper_mg_mmol"),
        fall_percent=protein.number("fall_percent"),
        max_per_hpf=blood.number("max_per_hpf"),
        max_per_ul=blood.number("max_per_ul"),
        improvement_percent=kidney.number("improvement_percent"),
        lab_difference_percent=kidney.number("lab_difference_percent"),
    )
