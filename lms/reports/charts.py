"""A figure's chart: laid out once, drawn as SVG on the page and with ReportLab in the PDF.

`plot(figure, measure)` turns a figure with a `Chart` into a `Plot`: boxes, lines, markers
and labels in a 640-unit-wide space whose y axis points down, as SVG's does. `svg` writes
that as an inline SVG for the report pages; lms/reports/board.py draws the same `Plot`
into the board report, so the page and the PDF show the same chart. `measure` says how
wide a text is (the PDF asks its embedded font; the page estimates, as the browser's font
is not known here), so long names are shortened to fit and month labels turned when they
would overlap. `bar_plots` lays a long bar chart out in parts on one scale, for a PDF
page that cannot hold it whole.

"bar": one group per row, labelled with the row's label column above its bars, one
horizontal bar per value column (in the legend's order and colours), the value printed
at the bar's end; an unknown value draws no bar and says "no data". The scale runs from 0
to the chart's `maximum`, or to the largest value when that is larger or no maximum is
given (rounded up to a tidy number then), with light gridlines at tidy steps.
"line": one line per value column across the rows (months, left to right), each point
marked (a different shape and dash for each line, so colour is never the only
difference), a gap where a value is unknown, the y axis from 0 with a few gridlines and
a legend naming each line.

The page's SVG is for seeing: it is an image named "Chart: <title>" whose description
points to the table below it, which is what screen readers read. The CSP forbids inline
styles, so only SVG presentation attributes are used. The output depends on the figure
alone: the same figure gives the same bytes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from functools import lru_cache

from markupsafe import Markup, escape

from lms.reports.figures import Cell, Figure, shown

WIDTH = 640

# Fills and lines, in order: each at least 3:1 against white (6.4, 4.5, 15.2, 5.1, 6.3 and
# 7.8), and neighbours differ in hue and lightness (blue, dark orange, purple, green...).
PALETTE = ("#005eb8", "#c05a00", "#330072", "#007f3b", "#ae2573", "#425563")
DASHES = ("", "7 4", "2 3", "10 3 2 3", "4 4", "1 2")
MARKERS = ("circle", "square", "diamond", "triangle")
TEXT = "#212b32"  # NHS.UK text colour
SECONDARY = "#4c6272"  # NHS.UK secondary text: 7:1 on white
GRID = "#d8dde0"  # NHS.UK border grey
AXIS = "#768692"

LABEL_SIZE = 14
SMALL_SIZE = 12
BAR_HEIGHT = 18
BAR_GAP = 4
GROUP_GAP = 12
NO_DATA = "no data"
ELLIPSIS = "\N{HORIZONTAL ELLIPSIS}"

Measure = Callable[[str, float, bool], float]  # (text, font size, bold) -> width


def estimated_width(text: str, size: float, bold: bool = False) -> float:
    """A text's width in a proportional sans-serif (Frutiger, Arial), erring wide: the
    page's font is the browser's, so the SVG can only estimate."""
    narrow = sum(1 for char in text if char in " .,:;'|!iIlj()[]-")
    wide = sum(1 for char in text if char in "mwMW@%")
    per = 0.6 if bold else 0.56
    return size * (per * (len(text) - narrow - wide) + 0.3 * narrow + 0.9 * wide)


# --- what a plot is made of ----------------------------------------------------------------


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float
    fill: str


@dataclass(frozen=True)
class Segment:
    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str
    width: float = 1.0


@dataclass(frozen=True)
class Line:
    points: tuple[tuple[float, float], ...]
    stroke: str
    width: float = 2.5
    dash: str = ""  # "7 4": drawn 7, gap 4


@dataclass(frozen=True)
class Marker:
    shape: str  # one of MARKERS
    x: float
    y: float
    fill: str
    size: float = 5.0  # half its width


@dataclass(frozen=True)
class Label:
    x: float
    y: float  # the baseline
    text: str
    size: float = SMALL_SIZE
    fill: str = TEXT
    anchor: str = "start"  # "start", "middle" or "end", as SVG's text-anchor
    bold: bool = False
    angle: float = 0  # degrees clockwise on the page, about (x, y)


Item = Box | Segment | Line | Marker | Label


@dataclass(frozen=True)
class Plot:
    width: float
    height: float
    items: tuple[Item, ...]


# --- numbers and words ---------------------------------------------------------------------

# What XML 1.0 cannot hold, and other control characters; tabs and line breaks are spaces.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def printable(text: str) -> str:
    """`text` on one line, without characters an SVG (XML) or PDF cannot hold."""
    return _UNPRINTABLE.sub("", re.sub(r"[\t\r\n]+", " ", text)).strip()


def fit(text: str, size: float, room: float, measure: Measure, bold: bool = False) -> str:
    """`text`, shortened with an ellipsis if it is wider than `room`."""
    text = printable(text)
    if measure(text, size, bold) <= room:
        return text
    low, high = 0, len(text)  # the longest prefix that fits with the ellipsis
    while low < high:
        middle = (low + high + 1) // 2
        if measure(text[:middle].rstrip() + ELLIPSIS, size, bold) <= room:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + ELLIPSIS


def value_of(cell: Cell) -> Decimal | None:
    """A cell as a number to draw; None for an unknown value or text."""
    if isinstance(cell, bool) or cell is None or isinstance(cell, str):
        return None
    value = Decimal(str(cell)) if isinstance(cell, float) else Decimal(cell)
    return value if value.is_finite() else None


def number_text(value: Decimal) -> str:
    """A scale's number: "25", "1,000", "2.5", "0.25"."""
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return format(value.normalize(), "f")


def _steps() -> Iterable[Decimal]:
    for power in range(-6, 40):
        for multiple in (1, 2, Decimal("2.5"), 5):
            yield Decimal(multiple).scaleb(power)


def scale(largest: Decimal, maximum: Decimal | int | None) -> tuple[Decimal, tuple[Decimal, ...]]:
    """The scale's end and its gridlines (from 0): the chart's `maximum` if the values
    fit under it (gridlines at a tidy step that divides it, if one does), else the largest
    value rounded up to a tidy step."""
    fixed = Decimal(str(maximum)) if maximum is not None else None
    if fixed is not None and fixed > 0 and largest <= fixed:
        top = fixed
        step = next(
            (s for s in _steps() if top / s <= 6 and top % s == 0),
            next(s for s in _steps() if top / s <= 6),
        )
    else:
        largest = max(largest, Decimal(0))
        if largest == 0:
            return Decimal(1), (Decimal(0), Decimal(1))
        step = next(s for s in _steps() if (largest / s).to_integral_value(ROUND_CEILING) <= 5)
        top = (largest / step).to_integral_value(ROUND_CEILING) * step
    count = int((top / step).to_integral_value(ROUND_CEILING))
    ticks = tuple(step * n for n in range(count + 1) if step * n <= top)
    return top, ticks


def figure_scale(figure: Figure) -> tuple[Decimal, tuple[Decimal, ...]]:
    """The scale of the figure's chart: from 0 to its end, with its gridlines."""
    chart = figure.chart
    assert chart is not None
    known = [
        value
        for row in figure.rows
        for value in (value_of(row[column]) for column in chart.value_columns)
        if value is not None
    ]
    return scale(max(known, default=Decimal(0)), chart.maximum)


def _label(cell: Cell) -> str:
    return "" if cell is None else shown(cell)


def _legend(
    names: Sequence[str], top: float, measure: Measure, *, lines: bool
) -> tuple[list[Item], float]:
    """A key naming each value column, wrapped to the width; its items and its bottom."""
    items: list[Item] = []
    x, y = 0.0, top
    row_height = LABEL_SIZE + 8
    for number, name in enumerate(names):
        colour = PALETTE[number % len(PALETTE)]
        text = fit(name, SMALL_SIZE, WIDTH - 40, measure)
        entry = 30 + measure(text, SMALL_SIZE, False) + 18
        if x and x + entry > WIDTH:
            x, y = 0.0, y + row_height
        middle = y + row_height / 2
        if lines:
            items.append(
                Line(
                    ((x, middle), (x + 24, middle)),
                    colour,
                    dash=DASHES[number % len(DASHES)],
                )
            )
            items.append(Marker(MARKERS[number % len(MARKERS)], x + 12, middle, colour))
        else:
            items.append(Box(x + 4, middle - 8, 16, 16, colour))
        items.append(Label(x + 30, middle + SMALL_SIZE * 0.35, text))
        x += entry
    return items, y + row_height


def _coordinate(value: float) -> float:
    return round(value, 2)


# --- bar charts ----------------------------------------------------------------------------


def bar_plots(
    figure: Figure,
    measure: Measure,
    max_height: float | None = None,
    first_height: float | None = None,
) -> list[Plot]:
    """A bar chart, in parts of whole rows each no taller than `max_height` if it is given
    (the first no taller than `first_height`; each at least a row), all on the same scale
    and each with the legend and the scale: for a page that cannot hold a long chart in
    one piece."""
    chart = figure.chart
    assert chart is not None
    names = [figure.columns[column] for column in chart.value_columns]
    top, ticks = figure_scale(figure)

    texts = [shown(row[column]) for row in figure.rows for column in chart.value_columns]
    texts.append(NO_DATA)
    right_room = max(measure(text, SMALL_SIZE, False) for text in texts) + 10
    last_tick = measure(number_text(ticks[-1]), SMALL_SIZE, False) / 2 + 2
    left, right = 1.0, WIDTH - max(right_room, last_tick)
    per_unit = (right - left) / float(top)

    legend, legend_bottom = [], 0.0
    if len(names) > 1:
        legend, legend_bottom = _legend(names, 0, measure, lines=False)
        legend_bottom += 6
    group = LABEL_SIZE + 8 + len(names) * (BAR_HEIGHT + BAR_GAP) + GROUP_GAP - BAR_GAP
    scale_room = 22 - GROUP_GAP / 2
    rows = list(figure.rows)
    parts = [rows]
    if max_height is not None:

        def fitting(height: float) -> int:
            return max(int((height - legend_bottom - scale_room) // group), 1)

        first = fitting(first_height if first_height is not None else max_height)
        size = fitting(max_height)
        parts = [rows[:first]]
        parts += [rows[start : start + size] for start in range(first, len(rows), size)]

    def part(chunk: list[tuple[Cell, ...]]) -> Plot:
        front: list[Item] = list(legend)
        bands: list[tuple[float, float]] = []  # the bars' extent, group by group
        y = legend_bottom
        for row in chunk:
            text = fit(_label(row[chart.label_column]), LABEL_SIZE, WIDTH, measure)
            front.append(Label(0, y + LABEL_SIZE, text, LABEL_SIZE))
            y += LABEL_SIZE + 8
            extent = len(names) * (BAR_HEIGHT + BAR_GAP) - 1
            bands.append((_coordinate(y - 3), _coordinate(y + extent)))
            for number, column in enumerate(chart.value_columns):
                baseline = y + BAR_HEIGHT / 2 + SMALL_SIZE * 0.35
                value = value_of(row[column])
                if value is None:
                    front.append(Label(left + 6, baseline, NO_DATA, fill=SECONDARY))
                else:
                    # A bar for every known value, however short (a zero is a bar 0 wide).
                    length = max(min(float(value), float(top)), 0.0) * per_unit
                    colour = PALETTE[number % len(PALETTE)]
                    front.append(Box(left, _coordinate(y), _coordinate(length), BAR_HEIGHT, colour))
                    front.append(
                        Label(_coordinate(left + length + 6), baseline, shown(row[column]))
                    )
                y += BAR_HEIGHT + BAR_GAP
            y += GROUP_GAP - BAR_GAP
        bottom = y - GROUP_GAP / 2

        back: list[Item] = []
        for tick in ticks:
            x = _coordinate(left + float(tick) * per_unit)
            # Lines behind each group's bars, not through the rows' names above them.
            colour = AXIS if tick == 0 else GRID
            back += [Segment(x, start, x, end, colour) for start, end in bands]
            anchor = "start" if tick == 0 else "middle"
            back.append(
                Label(x - 1 if tick == 0 else x, bottom + 16, number_text(tick), anchor=anchor)
            )
        return Plot(WIDTH, _coordinate(bottom + scale_room + GROUP_GAP / 2), tuple(back + front))

    return [part(chunk) for chunk in parts]


# --- line charts ---------------------------------------------------------------------------

TURN = 45  # degrees the month labels turn when they would overlap level


def _line_plot(figure: Figure, measure: Measure) -> Plot:
    chart = figure.chart
    assert chart is not None
    names = [figure.columns[column] for column in chart.value_columns]
    count = len(figure.rows)
    series = [[value_of(row[column]) for row in figure.rows] for column in chart.value_columns]
    top, ticks = figure_scale(figure)

    items: list[Item] = []
    legend, legend_bottom = _legend(names, 0, measure, lines=True)
    plot_top = legend_bottom + 14

    labels = [fit(_label(row[chart.label_column]), SMALL_SIZE, 110, measure) for row in figure.rows]
    widest = max((measure(text, SMALL_SIZE, False) for text in labels), default=0.0)
    tick_room = max(measure(number_text(tick), SMALL_SIZE, False) for tick in ticks) + 8
    left, right = tick_room, WIDTH - 8.0
    inset = 14.0
    spacing = (right - left - 2 * inset) / (count - 1) if count > 1 else 0.0
    turned = count > 1 and widest + 8 > spacing
    if turned:
        drop = widest * math.sin(math.radians(TURN)) + SMALL_SIZE + 6
        # The first label, turned, reaches back left of its point.
        reach = widest * math.cos(math.radians(TURN)) - inset + 2
        left = max(left, reach)
        spacing = (right - left - 2 * inset) / (count - 1)
    else:
        drop = SMALL_SIZE + 10
        half = widest / 2 - inset + 2
        left, right = max(left, half), min(right, WIDTH - max(half, 0))
        spacing = (right - left - 2 * inset) / (count - 1) if count > 1 else 0.0
    height = 220.0
    plot_bottom = plot_top + height

    def x_of(index: int) -> float:
        if count == 1:
            return _coordinate((left + right) / 2)
        return _coordinate(left + inset + index * spacing)

    def y_of(value: Decimal) -> float:
        share = min(max(float(value) / float(top), 0.0), 1.0)
        return _coordinate(plot_bottom - share * height)

    for tick in ticks:
        y = y_of(tick)
        items.append(Segment(left, y, right, y, AXIS if tick == 0 else GRID))
        items.append(
            Label(left - 6, _coordinate(y + SMALL_SIZE * 0.35), number_text(tick), anchor="end")
        )
    items.append(Segment(left, plot_top - 4, left, plot_bottom, AXIS))
    for index, text in enumerate(labels):
        x = x_of(index)
        items.append(Segment(x, plot_bottom, x, plot_bottom + 4, AXIS))
        if turned:
            y = plot_bottom + SMALL_SIZE + 2
            items.append(Label(x + 4, y, text, anchor="end", angle=-TURN))
        else:
            items.append(Label(x, plot_bottom + SMALL_SIZE + 8, text, anchor="middle"))

    for number, values in enumerate(series):
        colour = PALETTE[number % len(PALETTE)]
        run: list[tuple[float, float]] = []
        runs = [run]
        for index, value in enumerate(values):
            if value is None:
                run = []
                runs.append(run)
            else:
                run.append((x_of(index), y_of(value)))
        for points in runs:
            if len(points) > 1:
                items.append(Line(tuple(points), colour, dash=DASHES[number % len(DASHES)]))
        shape = MARKERS[number % len(MARKERS)]
        items += [Marker(shape, x, y, colour) for points in runs for x, y in points]
    items += legend
    return Plot(WIDTH, _coordinate(plot_bottom + drop + 4), tuple(items))


def plot(figure: Figure, measure: Measure = estimated_width) -> Plot | None:
    """The figure's chart laid out; None for a figure without a chart or without rows."""
    if figure.chart is None or not figure.rows:
        return None
    if figure.chart.kind == "line":
        return _line_plot(figure, measure)
    return bar_plots(figure, measure)[0]


# --- SVG -----------------------------------------------------------------------------------


def _n(value: float) -> str:
    """A coordinate as few characters as it needs: 12, 12.5, 12.25."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _attributes(**values: object) -> str:
    return "".join(
        f' {name.replace("_", "-")}="{escape(value)}"'
        for name, value in values.items()
        if value not in (None, "")
    )


def marker_corners(marker: Marker) -> tuple[tuple[float, float], ...]:
    """The corners of a diamond or triangle marker, in the plot's space (y down)."""
    x, y, size = marker.x, marker.y, marker.size
    if marker.shape == "diamond":
        size *= 1.3
        return ((x, y - size), (x + size, y), (x, y + size), (x - size, y))
    size *= 1.25
    return ((x, y - size), (x + size, y + size * 0.8), (x - size, y + size * 0.8))


def _svg_item(item: Item) -> str:
    if isinstance(item, Box):
        return f"<rect{_attributes(x=_n(item.x), y=_n(item.y), width=_n(item.width), height=_n(item.height), fill=item.fill)}/>"  # noqa: E501
    if isinstance(item, Segment):
        return f"<line{_attributes(x1=_n(item.x1), y1=_n(item.y1), x2=_n(item.x2), y2=_n(item.y2), stroke=item.stroke, stroke_width=_n(item.width))}/>"  # noqa: E501
    if isinstance(item, Line):
        points = " ".join(f"{_n(x)},{_n(y)}" for x, y in item.points)
        return (
            f"<polyline{_attributes(points=points, fill='none', stroke=item.stroke)}"
            f"{_attributes(stroke_width=_n(item.width), stroke_dasharray=item.dash)}"
            f"{_attributes(stroke_linejoin='round', stroke_linecap='round')}/>"
        )
    if isinstance(item, Marker):
        outline = _attributes(fill=item.fill, stroke="#ffffff", stroke_width="1")
        if item.shape == "circle":
            return f"<circle{_attributes(cx=_n(item.x), cy=_n(item.y), r=_n(item.size))}{outline}/>"
        if item.shape == "square":
            side = item.size * 1.8
            box = _attributes(
                x=_n(item.x - side / 2), y=_n(item.y - side / 2), width=_n(side), height=_n(side)
            )
            return f"<rect{box}{outline}/>"
        points = " ".join(f"{_n(a)},{_n(b)}" for a, b in marker_corners(item))
        return f"<polygon{_attributes(points=points)}{outline}/>"
    assert isinstance(item, Label)
    turn = f"rotate({_n(item.angle)} {_n(item.x)} {_n(item.y)})" if item.angle else None
    anchor = None if item.anchor == "start" else item.anchor
    return (
        f"<text{_attributes(x=_n(item.x), y=_n(item.y), font_size=_n(item.size), fill=item.fill)}"
        f"{_attributes(text_anchor=anchor, font_weight='bold' if item.bold else None)}"
        f"{_attributes(transform=turn)}>{escape(item.text)}</text>"
    )


def chart_id(figure: Figure) -> str:
    """The SVG's id prefix: "chart-" and the figure's key, safe in an attribute."""
    return "chart-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", figure.key).strip("-") or "figure")


def describe(figure: Figure) -> str:
    """The chart in words, for the SVG's description: what is drawn against what."""
    chart = figure.chart
    assert chart is not None
    names = [printable(figure.columns[column]) for column in chart.value_columns]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    by = printable(figure.columns[chart.label_column])
    kind = "Line chart" if chart.kind == "line" else "Bar chart"
    return f"{kind} of {listed} by {by}. The same figures are in the table below."


def svg(figure: Figure) -> Markup:
    """The figure's chart as an inline SVG for its page; empty without a chart or rows."""
    laid_out = plot(figure)
    if laid_out is None:
        return Markup("")
    prefix = chart_id(figure)
    title = printable(f"Chart: {figure.title}")
    body = "\n".join(_svg_item(item) for item in laid_out.items)
    # Every text and attribute value in it was escaped as it was written.
    return Markup(  # noqa: S704
        '<svg xmlns="http://www.w3.org/2000/svg" class="lms-chart"'
        f' viewBox="0 0 {_n(laid_out.width)} {_n(laid_out.height)}"'
        f' role="img" aria-labelledby="{prefix}-title {prefix}-desc">\n'
        f'<title id="{prefix}-title">{escape(title)}</title>\n'
        f'<desc id="{prefix}-desc">{escape(describe(figure))}</desc>\n'
        f"{body}\n</svg>"
    )


def charts_for(figures: Iterable[Figure]) -> dict[str, Markup]:
    """Each figure's SVG by its key, for a page to hand its template: the figure macro
    (reports/macros/figure.html) takes the chart as its second argument."""
    return {figure.key: drawn(figure) for figure in figures}


@lru_cache(maxsize=256)
def drawn(figure: Figure) -> Markup:
    """`svg(figure)`, drawn once per process for as long as the figure is the same: a
    page kept as a snapshot serves the same figures for minutes, and drawing its charts
    was half the work of serving it (the impact view's ~1,000 SVG elements). A Figure is
    frozen, and equal only to a figure with the same rows, so a changed one is drawn
    anew."""
    return svg(figure)
