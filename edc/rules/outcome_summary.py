"""The outcome summary for the data monitoring committee: per follow-up visit, how many children
have data, how many are in complete, partial or no proteinuria remission, in hematuria
remission, with improved renal function, how many were measured but cannot be judged (no
baseline) and how many are missing, each as a proportion with its 95 % Wilson interval. Pure:
the children's trends come in, counts go out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

Z_95 = 1.959963984540054  # the normal quantile of 0.975


@dataclass(frozen=True)
class Proportion:
    """x of n with its Wilson score interval (None for n = 0)."""

    x: int
    n: int

    @property
    def share(self) -> float | None:
        return self.x / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson(self.x, self.n)


def wilson(x: int, n: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval of x successes in n trials (None when n is 0)."""
    if n == 0:
        return None
    if not 0 <= x <= n:
        raise ValueError(f"Got {x} of {n}. Expected 0 <= x <= n.")
    p = x / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class ChildAtVisit:
    """What one child's record says of one visit: due (its window has closed, or it took
    place), and its outcomes (None: not measured; "not_assessable": no baseline)."""

    due: bool
    proteinuria: str | None = None
    hematuria: str | None = None
    renal_function: str | None = None


@dataclass(frozen=True)
class VisitSummary:
    code: str
    due: int  # children for whom the visit is due or done
    with_data: int  # of those, with a proteinuria outcome that could be judged
    complete: Proportion
    partial: Proportion
    no_remission: Proportion
    hematuria: Proportion  # in remission, of those assessed
    renal: Proportion  # improved, of those assessed
    not_assessable: Proportion  # due and measured, but no baseline to judge by, of those due
    missing: Proportion  # due without a proteinuria measurement, of those due


def summarise(codes: Sequence[str],
              children: Iterable[Mapping[str, ChildAtVisit]]) -> list[VisitSummary]:
    """One summary per visit code, in the schedule's order."""
    records = list(children)
    found = []
    for code in codes:
        at = [child[code] for child in records if code in child and child[code].due]
        judged = [c for c in at if c.proteinuria in ("complete", "partial", "none")]
        n = len(judged)
        hematuria = [c for c in at if c.hematuria in ("remission", "none")]
        renal = [c for c in at if c.renal_function in ("improved", "not_improved")]
        found.append(VisitSummary(
            code=code, due=len(at), with_data=n,
            complete=Proportion(sum(c.proteinuria == "complete" for c in judged), n),
            partial=Proportion(sum(c.proteinuria == "partial" for c in judged), n),
            no_remission=Proportion(sum(c.proteinuria == "none" for c in judged), n),
            hematuria=Proportion(sum(c.hematuria == "remission" for c in hematuria),
                                 len(hematuria)),
            renal=Proportion(sum(c.renal_function == "improved" for c in renal), len(renal)),
            not_assessable=Proportion(sum(c.proteinuria == "not_assessable" for c in at),
                                      len(at)),
            missing=Proportion(sum(c.proteinuria is None for c in at), len(at)),
        ))
    return found
