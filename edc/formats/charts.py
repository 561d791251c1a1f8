"""Draw trend charts (UPCR, eGFR over time) as standalone SVG, on the server.

Pure: standard library and edc.rules.numbers only. The output uses presentation attributes only (no
<style>, no script, no external reference), so it renders on a hospital network without
internet, inline in a page or as a file. Same input, same bytes: golden files can pin it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape

from edc.protocol.outcomes import UPCR_MG_MG
from edc.rules.numbers import significant
from edc.rules.trends import EGFR_UNIT, Trend

SVG_NS = "http://www.w3.org/2000/svg"
MARGIN_LEFT = 64  # room for the y tick labels
MARGIN_RIGHT = 24
PLOT_PAD_X = 16  # keeps the first and last point off the axis lines
TOP_WITH_TITLE = 36
TOP_WITHOUT_TITLE = 8
PANEL_HEADING = 28  # from the panel top to its plot area
PANEL_GAP = 12  # from a plot area's bottom to the next panel
AXIS_HEIGHT = 24  # the shared date labels under the last panel
SHORT_RANGE_DAYS = 60  # under ~2 months: ticks at the points instead of month starts
MIN_LABEL_SPACING = 64  # px between two date labels
COLOURS = ("#1f5fa8", "#b45309", "#047857", "#7c3aed")
GRID = "#e5e7eb"
AXIS = "#9ca3af"
TEXT = "#374151"
REFERENCE = "#15803d"
MARKER = "#be185d"  # a treatment change: a vertical line across every panel
# A marker this many days or fewer before the first point widens the chart to show it; an
# older one is left out (the table lists it), so a drug started years ago does not squash the
# values into a corner.
MARKER_DAYS_BEFORE_FIRST = 92
_NICE_STEPS = ((1.0, 5), (2.0, 4), (2.5, 5), (5.0, 5))  # mantissa, tick divisions


@dataclass(frozen=True)
class Point:
    """One measured value on one day; label is the visit code (e.g. "M03")."""

    day: date
    value: float
    label: str

    def __post_init__(self) -> None:
        if not (math.isfinite(self.value) and self.value >= 0):
            raise ValueError(
                f"Got value {self.value} for {self.label}. Expected a finite number of 0 or more."
            )


@dataclass(frozen=True)
class Series:
    """One analyte over time, with an optional horizontal reference line (e.g. remission)."""

    name: str
    unit: str
    points: tuple[Point, ...]
    reference: float | None = None


@dataclass(frozen=True)
class Marker:
    """A dated event drawn as a vertical line (a dose change); title names it for a screen
    reader and as a tooltip."""

    day: date
    title: str


@dataclass(frozen=True)
class ChartWords:
    """The chart's words in the reader's language (the page translates them)."""

    no_values: str = "No values yet"
    reference: str = "reference"  # before the line's value and unit
    over_time: str = "{names} over time"  # the SVG title when the chart has none


def nice_max(value: float) -> float:
    """Return the smallest 1, 2, 2.5 or 5 x 10^k strictly above value (1 for 0 or less)."""
    return _nice(value)[0]


def _nice(value: float) -> tuple[float, int]:
    """Return the nice axis maximum above value and its number of tick divisions."""
    if not value > 0:
        return 1.0, 5
    exponent = math.floor(math.log10(value))
    for k in (exponent, exponent + 1):
        for mantissa, divisions in _NICE_STEPS:
            candidate = float(f"{mantissa}e{k}")  # decimal-exact: 0.5, not 0.5000000001
            if candidate > value:
                return candidate, divisions
    raise AssertionError("unreachable: 10^(k+1) is above value")  # pragma: no cover


def format_value(value: float) -> str:
    """Format a number with up to 3 significant digits, without trailing zeros."""
    return significant(value, 3)


def _n(number: float) -> str:
    """Format a coordinate with one decimal, dropping ".0"."""
    text = f"{number:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _text(x: float, y: float, content: str, **attrs: str) -> str:
    """Return an SVG <text> element with escaped content."""
    extra = "".join(f' {key.replace("_", "-")}="{value}"' for key, value in attrs.items())
    return f'<text x="{_n(x)}" y="{_n(y)}"{extra}>{escape(content)}</text>'


def _line(x1: float, y1: float, x2: float, y2: float, stroke: str, **attrs: str) -> str:
    """Return an SVG <line> element."""
    extra = "".join(f' {key.replace("_", "-")}="{value}"' for key, value in attrs.items())
    return (f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" '
            f'stroke="{stroke}"{extra}/>')


def _month_ticks(first: date, last: date, px_per_day: float) -> list[tuple[date, str]]:
    """Return the month starts from first to last; label every one, or every 2nd, 3rd... month."""
    step = next((s for s in (1, 2, 3, 6, 12) if s * 30.44 * px_per_day >= MIN_LABEL_SPACING), 12)
    index = first.year * 12 + first.month - 1 + (first.day > 1)
    ticks = []
    while (day := date(index // 12, index % 12 + 1, 1)) <= last:
        ticks.append((day, day.strftime("%Y-%m") if index % step == 0 else ""))
        index += 1
    return ticks


def _day_ticks(days: Sequence[date], x_of: Callable[[date], float]) -> list[tuple[date, str]]:
    """Return one tick per distinct point date; drop a label that would touch the previous one."""
    ticks: list[tuple[date, str]] = []
    last_x = -math.inf
    for day in sorted(set(days)):
        labelled = x_of(day) - last_x >= MIN_LABEL_SPACING * 1.2
        ticks.append((day, day.isoformat() if labelled else ""))
        last_x = x_of(day) if labelled else last_x
    return ticks


def _panel(series: Series, index: int, top: float, height: int, width: int,
           x_of: Callable[[date], float], ticks: Sequence[tuple[date, str]],
           words: ChartWords) -> list[str]:
    """Return the SVG elements of one series' panel: heading, axes, grid, line and points."""
    left, right = MARGIN_LEFT, width - MARGIN_RIGHT
    plot_top, plot_bottom = top + PANEL_HEADING, top + height - PANEL_GAP
    colour = COLOURS[index % len(COLOURS)]
    heading = f"{series.name} ({series.unit})" if series.unit else series.name
    out = [_text(left, top + 16, heading, font_size="13", font_weight="bold", fill=TEXT)]
    out += [_line(x_of(day), plot_top, x_of(day), plot_bottom, GRID) for day, _ in ticks]
    if not series.points:
        out.append(_line(left, plot_bottom, right, plot_bottom, AXIS))
        out.append(_text((left + right) / 2, (plot_top + plot_bottom) / 2, words.no_values,
                         text_anchor="middle", fill=AXIS, font_size="13"))
        return out
    highest = max([p.value for p in series.points] + [series.reference or 0.0])
    y_max, divisions = _nice(highest)

    def y_of(value: float) -> float:
        return plot_bottom - value / y_max * (plot_bottom - plot_top)

    for i in range(divisions + 1):
        tick = y_max * i / divisions
        out.append(_line(left, y_of(tick), right, y_of(tick), GRID if i else AXIS))
        out.append(_text(left - 6, y_of(tick) + 4, format_value(tick), text_anchor="end",
                         fill=TEXT, font_size="11"))
    out.append(_line(left, plot_top, left, plot_bottom, AXIS))
    if series.reference is not None:
        y_ref = y_of(series.reference)
        dashed = {"stroke_width": "1.5", "stroke_dasharray": "6 4"}
        out.append(_line(left, y_ref, right, y_ref, REFERENCE, **dashed))
        # The legend sits in the heading row, where no point or value label can cover it.
        out.append(_line(right - 28, top + 12, right, top + 12, REFERENCE, **dashed))
        out.append(_text(right - 34, top + 16,
                         f"{words.reference} {format_value(series.reference)} {series.unit}"
                         .rstrip(),
                         text_anchor="end", fill=REFERENCE, font_size="11"))
    points = sorted(series.points, key=lambda p: p.day)
    if len(points) > 1:
        path = " ".join(f"{_n(x_of(p.day))},{_n(y_of(p.value))}" for p in points)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2" '
                   'stroke-linejoin="round"/>')
    for p in points:
        x, y = x_of(p.day), y_of(p.value)
        tip = f"{p.label} {p.day.isoformat()}: {format_value(p.value)} {series.unit}".rstrip()
        out.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="4" fill="#ffffff" stroke="{colour}" '
                   f'stroke-width="2"><title>{escape(tip)}</title></circle>')
        label_y = y + 16 if y - plot_top < 16 else y - 8
        out.append(_text(x, label_y, format_value(p.value), text_anchor="middle", fill=TEXT,
                         font_size="10"))
    return out


def _shown(markers: Sequence[Marker], days: Sequence[date]) -> list[Marker]:
    """The markers to draw: none without a point; none long before the first."""
    if not days:
        return []
    return [m for m in markers if (min(days) - m.day).days <= MARKER_DAYS_BEFORE_FIRST]


def _marker(marker: Marker, x: float, top: float, bottom: float) -> str:
    """A vertical line with a small triangle at its head, titled."""
    head = f"{_n(x - 5)},{_n(top)} {_n(x + 5)},{_n(top)} {_n(x)},{_n(top + 8)}"
    return (f'<g class="marker"><title>{escape(marker.title)}</title>'
            + _line(x, top, x, bottom, MARKER, stroke_width="1.5", stroke_dasharray="2 3")
            + f'<polygon points="{head}" fill="{MARKER}"/></g>')


def trend_svg(series: Sequence[Series], *, width: int = 720, height_per_series: int = 180,
              title: str = "", words: ChartWords = ChartWords(),
              markers: Sequence[Marker] = ()) -> str:
    """Return an SVG document with one panel per series, stacked on a shared time axis, and a
    vertical line at each marker's day."""
    top = TOP_WITH_TITLE if title else TOP_WITHOUT_TITLE
    panels = max(len(series), 1)
    height = top + panels * height_per_series + AXIS_HEIGHT
    left, right = MARGIN_LEFT + PLOT_PAD_X, width - MARGIN_RIGHT - PLOT_PAD_X
    days = [p.day for s in series for p in s.points]
    markers = _shown(markers, days)
    days += [m.day for m in markers]
    first, last = (min(days), max(days)) if days else (date.min, date.min)
    span = (last - first).days
    px_per_day = (right - left) / span if span else 0.0

    def x_of(day: date) -> float:
        return left + (day - first).days * px_per_day if span else (left + right) / 2

    if not days:
        ticks: list[tuple[date, str]] = []
    elif span >= SHORT_RANGE_DAYS:
        ticks = _month_ticks(first, last, px_per_day)
    else:
        ticks = _day_ticks(days, x_of)
    names = ", ".join(s.name for s in series)
    out = [
        f'<svg xmlns="{SVG_NS}" version="1.1" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" font-family="sans-serif">',
        f"<title>{escape(title or words.over_time.format(names=names))}</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    if title:
        out.append(_text(MARGIN_LEFT, 22, title, font_size="15", font_weight="bold", fill=TEXT))
    for i, one in enumerate(series):
        out += _panel(one, i, top + i * height_per_series, height_per_series, width, x_of, ticks,
                      words)
    if not series:
        out.append(_text(width / 2, top + height_per_series / 2, words.no_values,
                         text_anchor="middle", fill=AXIS, font_size="13"))
    axis_y = top + panels * height_per_series - PANEL_GAP
    for marker in sorted(markers, key=lambda m: m.day):
        out.append(_marker(marker, x_of(marker.day), top + PANEL_HEADING, axis_y))
    for day, label in ticks:
        out.append(_line(x_of(day), axis_y, x_of(day), axis_y + 4, AXIS))
        if label:
            out.append(_text(x_of(day), axis_y + 16, label, text_anchor="middle", fill=TEXT,
                             font_size="11"))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def chart_series(trend: Trend, upcr_name: str = "UPCR") -> list[Series]:
    """Return the UPCR (mg/mg, with the complete-remission line of forms/outcomes.toml) and the
    reference eGFR series to draw; upcr_name is the UPCR item's label as the reader reads it."""
    upcr: list[Point] = []
    egfr: list[Point] = []
    for row in trend.rows:
        m = row.measurements.get(trend.upcr_key)
        # The stored value is canonical mg/mg whatever unit the lab reported.
        if m is not None and m.is_number and m.value is not None and m.unit == UPCR_MG_MG:
            upcr.append(Point(row.sample_date, m.value, row.code))
        if row.summary.egfr_reference is not None:
            egfr.append(Point(row.sample_date, row.summary.egfr_reference, row.code))
    return [
        Series(upcr_name, UPCR_MG_MG, tuple(upcr), reference=trend.outcomes.complete_mg_mg),
        Series("eGFR", EGFR_UNIT, tuple(egfr)),
    ]
