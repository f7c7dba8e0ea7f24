"""The PMO's quarterly board report: a report page's figures as an A4 PDF, charts included.

A cover (the title, the year and filters, the date it was made and a list of what
follows), then each figure: its heading, its explanation and warnings, its chart and its
table. A figure's heading never sits at the foot of a page without its chart (the two are
kept together); its table follows, repeating its header on each page it runs to. Each
page's footer names the report and says "Page n of N" (lms/core/pdf.py).

The chart is the page's (lms/reports/charts.py lays it out once), drawn here with
ReportLab's graphics and measured with the embedded font, so the numbers and the shapes
agree with the page and the exports. Deterministic as the CPD exports are: invariant mode
and metadata from the arguments alone, so the same figures give the same bytes.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from xml.sax.saxutils import escape

from flask import current_app, has_app_context
from reportlab.graphics.shapes import (
    Circle,
    Drawing,
    Group,
    Polygon,
    PolyLine,
    Rect,
    String,
    mmult,
    rotate,
    translate,
)
from reportlab.graphics.shapes import Line as RlLine
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from certificates.render import uk_date
from lms.core.fonts import Fonts, register_fonts
from lms.core.pdf import NumberedCanvas
from lms.reports import charts
from lms.reports.figures import Cell, Figure, shown

MARGIN = 18 * mm
NHS_BLUE = colors.HexColor("#005EB8")
NHS_DARK_BLUE = colors.HexColor("#003087")
TEXT = colors.HexColor("#212B32")
SECONDARY = colors.HexColor("#4C6272")
RULE = colors.HexColor("#D8DDE0")
WHITE = colors.white

EMPTY = "There is nothing to show for this year and these filters."
CELL_SIZE = 9
FRAME_PADDING = 12  # a platypus frame's padding, above and below
CHART_SHARE = 0.55  # of the page's height, at most, so a heading and its chart fit a page


@dataclass(frozen=True)
class _Styles:
    title: ParagraphStyle
    subtitle: ParagraphStyle
    detail: ParagraphStyle
    contents: ParagraphStyle
    heading: ParagraphStyle
    note: ParagraphStyle
    warning: ParagraphStyle
    cell: ParagraphStyle
    number: ParagraphStyle
    header: ParagraphStyle
    header_number: ParagraphStyle


def _styles(fonts: Fonts) -> _Styles:
    base = ParagraphStyle("base", fontName=fonts.regular, fontSize=10, leading=13, textColor=TEXT)
    bold = ParagraphStyle("bold", base, fontName=fonts.bold)
    cell = ParagraphStyle("cell", base, fontSize=CELL_SIZE, leading=11.5)
    header = ParagraphStyle("header", cell, fontName=fonts.bold)
    return _Styles(
        title=ParagraphStyle(
            "title", bold, fontSize=24, leading=30, textColor=NHS_DARK_BLUE, spaceAfter=10
        ),
        subtitle=ParagraphStyle("subtitle", bold, fontSize=14, leading=18, spaceAfter=6),
        detail=ParagraphStyle("detail", base, fontSize=11, leading=15, spaceAfter=18),
        contents=ParagraphStyle(
            "contents",
            base,
            fontSize=11,
            leading=15,
            leftIndent=12,
            bulletIndent=0,
            bulletFontName=fonts.regular,
        ),
        heading=ParagraphStyle(
            "heading",
            bold,
            fontSize=14,
            leading=18,
            textColor=NHS_BLUE,
            spaceBefore=14,
            spaceAfter=6,
        ),
        note=ParagraphStyle(
            "note", base, fontSize=9, leading=12, textColor=SECONDARY, spaceAfter=6
        ),
        warning=ParagraphStyle("warning", base, fontSize=10, leading=13),
        cell=cell,
        number=ParagraphStyle("number", cell, alignment=TA_RIGHT),
        header=header,
        header_number=ParagraphStyle("header_number", header, alignment=TA_RIGHT),
    )


def _text(text: str) -> str:
    """`text` for a Paragraph: escaped, line breaks kept, control characters dropped."""
    lines = [
        "".join(
            " " if char == "\t" else char
            for char in line
            if char == "\t" or unicodedata.category(char) not in ("Cc", "Cs")
        )
        for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    ]
    return "<br/>".join(escape(line) for line in lines)


# --- the chart -----------------------------------------------------------------------------


def _measure(fonts: Fonts):
    def measure(text: str, size: float, bold: bool = False) -> float:
        return stringWidth(text, fonts.bold if bold else fonts.regular, size)

    return measure


def chart_drawings(
    figure: Figure, width: float, max_height: float, first_height: float | None = None
) -> list[Drawing]:
    """The figure's chart as ReportLab drawings `width` wide and at most `max_height` tall
    (the first at most `first_height`): one, or for a bar chart too long for that, one for
    each few rows, on the same scale, rather than one shrunk past reading. No drawings for
    a figure without a chart or without rows."""
    fonts = register_fonts()
    measure = _measure(fonts)
    plot = charts.plot(figure, measure)
    if plot is None:
        return []
    factor = width / plot.width
    first = max_height if first_height is None else min(first_height, max_height)
    assert figure.chart is not None
    if plot.height * factor <= first or figure.chart.kind != "bar":
        return [_drawing(plot, min(factor, first / plot.height), fonts)]
    parts = charts.bar_plots(figure, measure, max_height / factor, first / factor)
    return [
        _drawing(part, min(factor, (first if number == 0 else max_height) / part.height), fonts)
        for number, part in enumerate(parts)
    ]


def _drawing(plot: charts.Plot, factor: float, fonts: Fonts) -> Drawing:
    """The plot drawn at `factor` points a unit."""
    height = plot.height

    def y(value: float) -> float:  # the plot's y runs down the page, ReportLab's up
        return height - value

    shapes = Group(transform=(factor, 0, 0, factor, 0, 0))
    for item in plot.items:
        if isinstance(item, charts.Box):
            shapes.add(
                Rect(
                    item.x,
                    y(item.y + item.height),
                    item.width,
                    item.height,
                    fillColor=colors.HexColor(item.fill),
                    strokeColor=None,
                    strokeWidth=0,
                )
            )
        elif isinstance(item, charts.Segment):
            shapes.add(
                RlLine(
                    item.x1,
                    y(item.y1),
                    item.x2,
                    y(item.y2),
                    strokeColor=colors.HexColor(item.stroke),
                    strokeWidth=item.width,
                )
            )
        elif isinstance(item, charts.Line):
            points = [value for x, top in item.points for value in (x, y(top))]
            shapes.add(
                PolyLine(
                    points,
                    strokeColor=colors.HexColor(item.stroke),
                    strokeWidth=item.width,
                    strokeDashArray=[float(part) for part in item.dash.split()] or None,
                    strokeLineJoin=1,
                    strokeLineCap=1,
                )
            )
        elif isinstance(item, charts.Marker):
            _marker(shapes, item, y)
        else:
            _label(shapes, item, y, fonts)
    drawing = Drawing(plot.width * factor, plot.height * factor)
    drawing.add(shapes)
    drawing.hAlign = "LEFT"
    return drawing


def _marker(shapes: Group, marker: charts.Marker, y) -> None:
    look = {
        "fillColor": colors.HexColor(marker.fill),
        "strokeColor": WHITE,
        "strokeWidth": 1,
    }
    if marker.shape == "circle":
        shapes.add(Circle(marker.x, y(marker.y), marker.size, **look))
    elif marker.shape == "square":
        side = marker.size * 1.8
        shapes.add(Rect(marker.x - side / 2, y(marker.y) - side / 2, side, side, **look))
    else:
        corners = charts.marker_corners(marker)
        shapes.add(Polygon([value for x, top in corners for value in (x, y(top))], **look))


def _label(shapes: Group, label: charts.Label, y, fonts: Fonts) -> None:
    text = String(
        0,
        0,
        label.text,
        fontName=fonts.bold if label.bold else fonts.regular,
        fontSize=label.size,
        fillColor=colors.HexColor(label.fill),
        textAnchor=label.anchor,
    )
    # The plot turns clockwise down the page; ReportLab's angles turn anticlockwise.
    place = translate(label.x, y(label.y))
    shapes.add(Group(text, transform=mmult(place, rotate(-label.angle)) if label.angle else place))


# --- the table -----------------------------------------------------------------------------


def _numeric_columns(figure: Figure) -> list[bool]:
    """Which columns hold only numbers (and unknowns); never the first, the rows' names."""
    return [
        index > 0 and not any(isinstance(row[index], str) for row in figure.rows)
        for index in range(len(figure.columns))
    ]


def _grow(widths: list[float], targets: Sequence[float], room: float) -> float:
    """Widens `widths` towards `targets` with up to `room`, each by its share of how far
    short it is; returns the room left."""
    wants = [max(target - width, 0.0) for width, target in zip(widths, targets, strict=True)]
    wanted = sum(wants)
    if not wanted or room <= 0:
        return room
    used = min(room, wanted)
    for index, want in enumerate(wants):
        widths[index] += used * want / wanted
    return room - used


def _widths(figure: Figure, numeric: Sequence[bool], width: float, fonts: Fonts) -> list[float]:
    """Columns' widths sharing `width`. Each gets at least its longest word (of its heading
    or cells: nothing breaks inside a word or number); then the cells' text on one line,
    then the headings' (the columns furthest short gaining most); room left over widens
    the columns of text."""
    padding = 6 + 2  # the cells' left and right padding, and a little slack

    def measure(text: str, bold: bool = False) -> float:
        return stringWidth(text, fonts.bold if bold else fonts.regular, CELL_SIZE)

    least, cells, whole = [], [], []
    for index, name in enumerate(figure.columns):
        lines = [line for row in figure.rows for line in shown(row[index]).splitlines()]
        words = [measure(word, bold=True) for word in name.split()]
        words += [measure(word) for line in lines for word in line.split()]
        least.append(min(max([*words, 0.0]), width / 3) + padding)
        cells.append(max([measure(line) for line in lines] + [0.0]) + padding)
        whole.append(max(cells[-1], measure(name, bold=True) + padding))
    if sum(least) >= width:
        return [share * width / sum(least) for share in least]
    widths = list(least)
    room = _grow(widths, cells, width - sum(least))
    room = _grow(widths, whole, room)
    if room > 0:
        text = [not number for number in numeric]
        _grow(
            widths, [w + room if grows else w for w, grows in zip(widths, text, strict=True)], room
        )
    return widths


def _cell(value: Cell, style: ParagraphStyle) -> Paragraph:
    return Paragraph(_text(shown(value)), style)


def figure_table(figure: Figure, styles: _Styles, width: float) -> Table:
    numeric = _numeric_columns(figure)
    rows = [
        [
            Paragraph(_text(name), styles.header_number if numeric[index] else styles.header)
            for index, name in enumerate(figure.columns)
        ]
    ]
    rows += [
        [
            _cell(value, styles.number if numeric[index] else styles.cell)
            for index, value in enumerate(row)
        ]
        for row in figure.rows
    ]
    table = Table(
        rows,
        colWidths=_widths(figure, numeric, width, register_fonts()),
        repeatRows=1,
        splitInRow=1,  # a row of text taller than a page runs on to the next
        hAlign="LEFT",
    )
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 1, TEXT),
                ("LINEBELOW", (0, 1), (-1, -1), 0.5, RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _warnings(lines: Sequence[str], styles: _Styles, width: float) -> Table:
    """Warnings as the page's inset text: a blue bar down the left."""
    inset = Table(
        [[[Paragraph(_text(line), styles.warning) for line in lines]]],
        colWidths=[width],
        hAlign="LEFT",
    )
    inset.setStyle(
        TableStyle(
            [
                ("LINEBEFORE", (0, 0), (0, -1), 4, NHS_BLUE),
                ("LEFTPADDING", (0, 0), (-1, -1), 10),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return inset


def _figure(figure: Figure, styles: _Styles, width: float, height: float) -> list[Flowable]:
    top: list[Flowable] = [Paragraph(_text(figure.title), styles.heading)]
    if figure.note:
        top.append(Paragraph(_text(figure.note), styles.note))
    if figure.notes:
        top += [_warnings(figure.notes, styles, width), Spacer(0, 6)]
    if figure.is_empty:
        return [KeepTogether([*top, Paragraph(EMPTY, styles.warning)])]
    # The first part of the chart shares a page with the heading; any others fill pages.
    drawings = chart_drawings(figure, width, height - 3 * FRAME_PADDING, height * CHART_SHARE)
    rest: list[Flowable] = []
    if drawings:
        top += [Spacer(0, 4), drawings[0]]
        rest = [flowable for drawing in drawings[1:] for flowable in (Spacer(0, 8), drawing)]
        rest.append(Spacer(0, 8))
    table = figure_table(figure, styles, width)
    # The heading stays with its chart; the table with them too when the whole fits a
    # page. (KeepTogether inside KeepTogether would always start a new page: the inner
    # one says it is too tall to make its container split.)
    if _height([*top, *rest, table], width) <= height - FRAME_PADDING:
        return [KeepTogether([*top, *rest, table])]
    return [KeepTogether(top), *rest, table]


def _height(flowables: Sequence[Flowable], width: float) -> float:
    """How tall the flowables are, one above the other, `width` wide."""
    total = 0.0
    for flowable in flowables:
        total += flowable.wrap(width, 1e6)[1]
        total += flowable.getSpaceBefore() + flowable.getSpaceAfter()
    return total


# --- the document --------------------------------------------------------------------------


class _NumberedCanvas(NumberedCanvas):
    footer_margin = MARGIN
    footer_y = MARGIN - 8 * mm
    footer_size = 8.5
    footer_colour = TEXT


def _footer(text: str, fonts: Fonts, room: float) -> str:
    """`text` shortened to fit `room` at the footer's size."""
    text = " ".join(text.split())
    return charts.fit(text, _NumberedCanvas.footer_size, room, _measure(fonts))


def _cover(
    figures: Sequence[Figure], styles: _Styles, title: str, subtitle: str, generated_on: date
) -> list[Flowable]:
    flowables: list[Flowable] = [Spacer(0, 30 * mm), Paragraph(_text(title), styles.title)]
    if subtitle:
        flowables.append(Paragraph(_text(subtitle), styles.subtitle))
    flowables.append(Paragraph(f"Generated on {escape(uk_date(generated_on))}", styles.detail))
    if figures:
        flowables.append(Paragraph("In this report", styles.heading))
        flowables += [
            Paragraph(_text(figure.title), styles.contents, bulletText="\N{BULLET}")
            for figure in figures
        ]
    return [*flowables, PageBreak()]


def board_report_pdf(
    figures: Sequence[Figure], *, title: str, subtitle: str, generated_on: date
) -> bytes:
    """The figures as an A4 portrait PDF; the same arguments always give the same bytes,
    so the last few are kept (laying the report out takes ~0.5 s at a trust's scale, and
    the figures it is drawn from are kept for minutes as snapshots)."""
    organisation = current_app.config.get("ORGANISATION_NAME", "") if has_app_context() else ""
    return _laid_out(tuple(figures), title, subtitle, generated_on, organisation)


@lru_cache(maxsize=8)
def _laid_out(
    figures: tuple[Figure, ...], title: str, subtitle: str, generated_on: date, organisation: str
) -> bytes:
    fonts = register_fonts()
    styles = _styles(fonts)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=title,
        author=organisation,
        subject=subtitle,
        creator=organisation,
        invariant=1,
    )
    words = f"{title}: {subtitle}" if subtitle else title

    class Numbered(_NumberedCanvas):
        footer_text = _footer(words, fonts, doc.width - 80)

    story = _cover(figures, styles, title, subtitle, generated_on)
    for figure in figures:
        story += _figure(figure, styles, doc.width, doc.height)
    doc.build(story, canvasmaker=Numbered)
    return buffer.getvalue()
