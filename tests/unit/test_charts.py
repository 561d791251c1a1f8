"""Unit tests of edc.formats.charts: valid, self-contained SVG with hand-checked pixel positions."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest

from edc.formats.charts import Point, Series, format_value, nice_max, trend_svg

SVG = "{http://www.w3.org/2000/svg}"
GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "trend_chart.svg"

VISITS = [("BL", date(2026, 3, 16)), ("M01", date(2026, 4, 13)), ("M03", date(2026, 6, 16)),
          ("M06", date(2026, 9, 15)), ("M09", date(2026, 12, 15)), ("M12", date(2027, 3, 16))]
UPCR = [1.24, 0.95, 0.62, 0.45, 0.31, 0.18]
EGFR = [112.4, 108.9, 115.2, 110.0, 106.7, 109.3]


def at_visits(values: list[float]) -> tuple[Point, ...]:
    """Return one point per visit of VISITS."""
    return tuple(Point(day, v, code) for (code, day), v in zip(VISITS, values, strict=True))


def example() -> list[Series]:
    """Return the golden example: UPCR and eGFR at baseline and five visits."""
    return [
        Series("UPCR", "mg/mg", at_visits(UPCR), reference=0.2),
        Series("eGFR", "mL/min/1.73m²", at_visits(EGFR)),
    ]


def parse(svg: str) -> ET.Element:
    """Parse the SVG as XML and check the root element."""
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def circles(root: ET.Element) -> list[tuple[float, float]]:
    """Return the (cx, cy) of every circle in document order."""
    found = root.iter(f"{SVG}circle")
    return [(float(c.get("cx", "nan")), float(c.get("cy", "nan"))) for c in found]


def texts(root: ET.Element) -> list[str]:
    """Return the content of every <text> element."""
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def test_chart_is_valid_svg_with_namespace_viewbox_role_and_title() -> None:
    root = parse(trend_svg(example(), title="AS-001"))
    assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"
    assert root.get("role") == "img"
    assert root.get("version") == "1.1"
    assert root[0].tag == f"{SVG}title" and root[0].text == "AS-001"


def test_chart_without_title_is_titled_after_its_series() -> None:
    root = parse(trend_svg(example()))
    assert root[0].tag == f"{SVG}title" and root[0].text == "UPCR, eGFR over time"


@pytest.mark.parametrize("forbidden", ["<script", "<style", "style=", "href", "url(", "http"])
def test_chart_loads_nothing_from_anywhere(forbidden: str) -> None:
    svg = trend_svg(example(), title="AS-001")
    body = svg.replace('xmlns="http://www.w3.org/2000/svg"', "", 1)  # a name, not a link
    assert forbidden not in body.lower()
    root = parse(svg)
    assert not [e for e in root.iter() if e.tag in (f"{SVG}script", f"{SVG}style")]
    assert not [k for e in root.iter() for k in e.attrib if "href" in k]


def test_one_circle_per_point_each_with_a_tooltip() -> None:
    root = parse(trend_svg(example()))
    found = list(root.iter(f"{SVG}circle"))
    assert len(found) == len(UPCR) + len(EGFR)
    tips = [c.find(f"{SVG}title").text for c in found]  # type: ignore[union-attr]
    assert "M03 2026-06-16: 0.62 mg/mg" in tips
    assert "M12 2027-03-16: 109 mL/min/1.73m²" in tips


def test_circles_move_right_with_date_and_up_with_value() -> None:
    root = parse(trend_svg(example()))
    upcr = circles(root)[: len(UPCR)]
    xs = [x for x, _ in upcr]
    ys = [y for _, y in upcr]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)
    assert ys == sorted(ys)  # UPCR falls at every visit, so y (pixels down) rises
    egfr = circles(root)[len(UPCR):]
    assert [x for x, _ in egfr] == xs  # one time axis shared by both panels
    by_value = sorted(zip(EGFR, (y for _, y in egfr), strict=True))
    assert [y for _, y in by_value] == sorted((y for _, y in egfr), reverse=True)


def test_points_given_out_of_order_are_joined_in_date_order() -> None:
    points = (Point(date(2026, 3, 1), 1.5, "B"), Point(date(2026, 1, 1), 1.0, "A"))
    root = parse(trend_svg([Series("UPCR", "mg/mg", points)]))
    polyline = next(root.iter(f"{SVG}polyline"))
    assert polyline.get("points") == "80,106 680,71"


def test_two_point_chart_pixels_match_the_layout_by_hand() -> None:
    # No title: the panel starts at y=8; its plot area spans y 8+28=36 to 8+180-12=176 (140 px).
    # x: margin 64 + pad 16 = 80 for the first day, 720 - 24 - 16 = 680 for the last.
    # Largest value 1.5 -> axis 0..2: y(1.0) = 176 - 140 * 1.0/2 = 106, y(1.5) = 176 - 105 = 71.
    points = (Point(date(2026, 1, 1), 1.0, "A"), Point(date(2026, 3, 1), 1.5, "B"))
    root = parse(trend_svg([Series("UPCR", "mg/mg", points)]))
    assert circles(root) == [(80.0, 106.0), (680.0, 71.0)]
    assert root.get("height") == str(8 + 180 + 24)
    assert {"0", "0.5", "1", "1.5", "2"} <= set(texts(root))  # y ticks at 2/4 steps


def test_midpoint_in_time_lands_midway_between_the_ends() -> None:
    points = tuple(Point(date(2026, 1, 1 + 10 * i), 1.0, f"V{i}") for i in range(3))
    root = parse(trend_svg([Series("UPCR", "mg/mg", points)]))
    assert [x for x, _ in circles(root)] == [80.0, 380.0, 680.0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.43, 0.5), (1.7, 2), (2.2, 2.5), (7, 10), (140, 200), (0.012, 0.02), (2, 2.5),
     (0.5, 1), (99, 100), (0, 1), (-3, 1)],
)
def test_nice_max_is_the_next_1_2_2_5_or_5_times_a_power_of_ten(value: float,
                                                                  expected: float) -> None:
    assert nice_max(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.45, "0.45"), (0.2, "0.2"), (112.4, "112"), (98.57, "98.6"), (1234, "1230"),
     (0.01234, "0.0123"), (2.5, "2.5"), (0, "0"), (9.996, "10"), (1.0, "1")],
)
def test_values_are_shown_with_up_to_3_significant_digits(value: float, expected: str) -> None:
    assert format_value(value) == expected


def test_reference_line_is_dashed_and_labelled() -> None:
    root = parse(trend_svg(example()))
    dashed = [line for line in root.iter(f"{SVG}line") if line.get("stroke-dasharray")]
    across = [line for line in dashed if float(line.get("x2", 0)) - float(line.get("x1", 0)) > 500]
    assert len(across) == 1  # only UPCR has a reference
    # Axis 0..2 (largest 1.24): y(0.2) = 176 - 140 * 0.2/2 = 162.
    assert across[0].get("y1") == across[0].get("y2") == "162"
    assert "reference 0.2 mg/mg" in texts(root)


def test_reference_above_every_value_stretches_the_axis() -> None:
    points = (Point(date(2026, 1, 1), 0.1, "BL"),)
    root = parse(trend_svg([Series("UPCR", "mg/mg", points, reference=0.3)]))
    assert "0.5" in texts(root) and "reference 0.3 mg/mg" in texts(root)


def test_series_without_values_shows_an_empty_panel() -> None:
    root = parse(trend_svg([example()[0], Series("eGFR", "mL/min/1.73m²", ())]))
    assert "No values yet" in texts(root)
    assert "eGFR (mL/min/1.73m²)" in texts(root)
    assert len(circles(root)) == len(UPCR)


def test_no_series_or_no_values_at_all_still_draws() -> None:
    assert "No values yet" in texts(parse(trend_svg([])))
    root = parse(trend_svg([Series("UPCR", "mg/mg", ()), Series("eGFR", "", ())]))
    assert texts(root).count("No values yet") == 2


def test_single_point_is_drawn_in_the_middle_without_dividing_by_zero() -> None:
    root = parse(trend_svg([Series("UPCR", "mg/mg", (Point(date(2026, 6, 16), 0.45, "M03"),))]))
    assert circles(root) == [(380.0, pytest.approx(176 - 140 * 0.45 / 0.5))]
    assert "2026-06-16" in texts(root)
    assert not list(root.iter(f"{SVG}polyline"))


def test_zero_values_sit_on_the_axis() -> None:
    points = (Point(date(2026, 1, 1), 0.0, "A"), Point(date(2026, 1, 2), 0.0, "B"))
    root = parse(trend_svg([Series("UPCR", "mg/mg", points)]))
    assert [y for _, y in circles(root)] == [176.0, 176.0]


def test_long_range_is_ticked_at_month_starts() -> None:
    labels = texts(parse(trend_svg(example())))
    assert "2026-05" in labels and "2027-01" in labels
    assert not any(len(label) == 10 and label[4] == "-" for label in labels)  # no day dates


def test_short_range_is_ticked_at_the_points() -> None:
    points = (Point(date(2026, 3, 16), 1.0, "BL"), Point(date(2026, 4, 13), 1.1, "M01"))
    labels = texts(parse(trend_svg([Series("UPCR", "mg/mg", points)])))
    assert "2026-03-16" in labels and "2026-04-13" in labels


def test_text_is_escaped() -> None:
    points = (Point(date(2026, 6, 16), 0.45, "<M03&>"),)
    svg = trend_svg([Series("U<P>CR & co", "mg/mg", points)], title='A "title" <b>')
    root = parse(svg)
    tip = next(root.iter(f"{SVG}circle")).find(f"{SVG}title")
    assert tip is not None and tip.text == "<M03&> 2026-06-16: 0.45 mg/mg"
    assert "U<P>CR & co (mg/mg)" in texts(root)
    assert root[0].text == 'A "title" <b>'
    assert "<M03" not in svg and "<b>" not in svg


@pytest.mark.parametrize("bad", [math.nan, math.inf, -0.1])
def test_point_refuses_values_a_chart_cannot_place(bad: float) -> None:
    with pytest.raises(ValueError, match="Got value .* for M03. Expected a finite number"):
        Point(date(2026, 6, 16), bad, "M03")


def test_output_is_deterministic_whatever_the_order_of_the_points() -> None:
    assert trend_svg(example(), title="AS-001") == trend_svg(example(), title="AS-001")
    shuffled = [Series(s.name, s.unit, s.points[::-1], s.reference) for s in example()]
    assert trend_svg(shuffled) == trend_svg(example())


def test_chart_matches_the_golden_file() -> None:
    # After an intended change, look at the chart, then regenerate: python -m tests.unit.test_charts
    assert trend_svg(example(), title="AS-001: UPCR and eGFR").encode("utf-8") == (
        GOLDEN.read_bytes()
    )


if __name__ == "__main__":
    GOLDEN.write_bytes(trend_svg(example(), title="AS-001: UPCR and eGFR").encode("utf-8"))
