"""Study definition text the study might add later, appended to a copy of forms/*.toml."""

from __future__ import annotations

# An analyte the study might add later: serum albumin, in g/L or g/dL.
ALBUMIN = """
[[fields]]
key = "albumin"
label = "Serum albumin"
label_zh = "血清白蛋白"
required = false
domain = "LB"
specimen = "SERUM"
cdisc = "ALB"
loinc = "1751-7"
block = [5, 70]
warn = [30, 55]
units = [
    { code = "g/L", label = "g/L", factor = 1 },
    { code = "g/dL", label = "g/dL", factor = 10 },
]
"""
