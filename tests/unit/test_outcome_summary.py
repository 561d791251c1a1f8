"""The DMC's outcome summary: Wilson intervals checked by hand, and the counts per visit."""

from __future__ import annotations

import math

import pytest

from edc.rules.outcome_summary import ChildAtVisit, Proportion, summarise, wilson


@pytest.mark.parametrize(("x", "n", "low", "high"), [
    # By hand, with the other closed form: (2x + z² ± z·sqrt(z² + 4x(1 - x/n))) / 2(n + z²),
    # z = 1.959964 (z² = 3.841459); 5/10 and 0/10 are also the textbook values.
    (5, 10, 0.236593, 0.763407),
    (0, 10, 0.0, 0.277533),
    (10, 10, 0.722467, 1.0),
    (1, 40, 0.004427, 0.128814),
    (20, 40, 0.351995, 0.648005),
])
def test_wilson_intervals_agree_with_the_hand_computed_ones(x: int, n: int, low: float,
                                                            high: float) -> None:
    found = wilson(x, n)
    assert found is not None
    assert math.isclose(found[0], low, abs_tol=1e-6) and math.isclose(found[1], high,
                                                                      abs_tol=1e-6)


def test_no_denominator_has_no_interval_and_impossible_counts_are_refused() -> None:
    assert wilson(0, 0) is None and Proportion(0, 0).share is None
    with pytest.raises(ValueError, match="Got 3 of 2. Expected 0 <= x <= n."):
        wilson(3, 2)


def test_each_visit_counts_the_children_due_those_judged_and_those_missing() -> None:
    children = [
        {"W02": ChildAtVisit(True, "complete", "remission", "improved"),
         "W04": ChildAtVisit(True, "partial", "none", "not_improved")},
        {"W02": ChildAtVisit(True, "none", "not_assessable", None),
         "W04": ChildAtVisit(True, None)},  # due, nothing measured: missing
        {"W02": ChildAtVisit(True, "not_assessable"),  # no baseline: not judged, not missing
         "W04": ChildAtVisit(False)},  # not due yet: left out
    ]
    w02, w04 = summarise(["W02", "W04"], children)
    assert (w02.due, w02.with_data) == (3, 2)
    assert (w02.complete.x, w02.partial.x, w02.no_remission.x, w02.complete.n) == (1, 0, 1, 2)
    assert (w02.hematuria.x, w02.hematuria.n, w02.renal.x, w02.renal.n) == (1, 1, 1, 1)
    assert (w02.not_assessable.x, w02.not_assessable.n) == (1, 3)
    assert (w02.missing.x, w02.missing.n) == (0, 3)
    assert (w04.due, w04.with_data, w04.partial.x, w04.missing.x) == (2, 1, 1, 1)
    assert w04.not_assessable.x == 0
