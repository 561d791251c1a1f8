"""The trial's outcome thresholds (forms/outcomes.toml): remission, improvement, lab agreement.

Pure. This is the only copy of the numbers: the rules and the chart take them from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from edc.protocol.toml import TomlTable


@dataclass(frozen=True)
class Outcomes:
    """Remission and improvement thresholds, from forms/outcomes.toml."""

    complete_mg_mg: float = 0.2
    complete_mg_mmol: float = 20.0
    upper_mg_mg: float = 2.0
    upper_mg_mmol: float = 200.0
    fall_percent: float = 50.0
    max_per_hpf: float = 5.0
    max_per_ul: float = 28.0
    improvement_percent: float = 10.0
    lab_difference_percent: float = 20.0



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
