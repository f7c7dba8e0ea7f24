"""The reports' charts (lms/reports/charts.py) and the figure macro that shows a figure on
its page (reports/macros/figure.html), drawn from figures built by hand."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from flask import render_template_string
from markupsafe import Markup

from lms.reports import charts
from lms.reports.charts import PALETTE, charts_for, scale, svg
from lms.reports.figures import Chart, Figure
from tests.lms.reports.sample_figures import (
    ALL,
    AMPERSAND,
    APPLIED,
    CONFIDENCE,
    EMPTY,
    FORMULA,
    HOSTILE,
    MONTHS,
    RATES,
    SCRIPT,
    TREND,
)

SVG = "{http://www.w3.org/2000/svg}"


def parsed(figure: Figure) -> ET.Element:
    """The figure's SVG as XML: parsing fails on anything not well formed."""
    return ET.fromstring(str(svg(figure)))  # noqa: S314 (our own output)


def texts(root: ET.Element) -> list[str]:
    return [element.text or "" for element in root.iter(f"{SVG}text")]


def bars(root: ET.Element) -> list[ET.Element]:
    """The bars: rectangles of the bars' height (the legend's keys are smaller)."""
    return [
        rect for rect in root.iter(f"{SVG}rect") if rect.get("height") == str(charts.BAR_HEIGHT)
    ]


# --- the SVG -------------------------------------------------------------------------------


@pytest.mark.parametrize("figure", [RATES, CONFIDENCE, TREND, HOSTILE], ids=lambda f: f.key)
def test_a_chart_is_an_image_named_by_its_title_and_pointing_to_the_table(figure):
    root = parsed(figure)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-hidden") is None
    assert re.fullmatch(r"0 0 640 \d+(\.\d+)?", root.get("viewBox"))
    assert root.get("width") is None and root.get("height") is None  # it scales
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title.text == f"Chart: {figure.title}"
    assert "The same figures are in the table below." in desc.text
    assert root.get("aria-labelledby").split() == [title.get("id"), desc.get("id")]


@pytest.mark.parametrize("figure", ALL, ids=lambda f: f.key)
def test_no_inline_style_script_or_randomness(figure):
    drawn = str(svg(figure))
    assert "style" not in drawn and "<script" not in drawn and "on" + "load" not in drawn
    assert drawn == str(svg(figure))  # the same figure, the same bytes


def test_a_bar_for_each_known_value_and_no_data_for_an_unknown_one():
    root = parsed(RATES)
    drawn = bars(root)
    assert len(drawn) == 2  # 90.0 and 42.9; the pass rate is unknown
    assert {rect.get("fill") for rect in drawn} == {PALETTE[0]}
    words = texts(root)
    assert words.count("no data") == 1
    assert "90.0" in words and "42.9" in words
    names = [row[0] for row in RATES.rows]
    assert [word for word in words if word in names] == names  # each group labelled


def test_bars_are_to_scale_from_0_to_the_charts_maximum():
    root = parsed(RATES)
    widths = [float(rect.get("width")) for rect in bars(root)]
    assert widths[1] / widths[0] == pytest.approx(42.9 / 90.0, rel=0.01)
    # The scale ends at 100 (the chart's maximum), not at 90.0 (the largest value).
    assert "100" in texts(root) and "0" in texts(root)
    starts = {rect.get("x") for rect in bars(root)}
    assert len(starts) == 1  # every bar starts at 0


def test_two_value_columns_draw_two_bars_a_row_in_two_colours_with_a_legend():
    root = parsed(CONFIDENCE)
    drawn = bars(root)
    assert len(drawn) == 3  # 2.50, 3.75, then no data and 4.00
    assert [rect.get("fill") for rect in drawn] == [PALETTE[0], PALETTE[1], PALETTE[1]]
    words = texts(root)
    assert "Average before" in words and "Average after" in words
    assert words.count("no data") == 1
    assert {"2.50", "3.75", "4.00"} <= set(words)


def test_without_a_maximum_the_largest_value_sets_the_scale():
    figure = Figure(
        key="funnel",
        title="From enrolment to leading a project",
        columns=("Stage", "Enrolments"),
        rows=(("Enrolled", 1234), ("Completed", 800), ("Nobody", 0)),
        chart=Chart(value_columns=(1,)),
    )
    root = parsed(figure)
    words = texts(root)
    assert "1,234" in words and "800" in words and "0" in words
    assert "1,250" in words  # rounded up to a tidy step
    widths = [float(rect.get("width")) for rect in bars(root)]
    assert len(widths) == 3 and widths[2] == 0  # a zero is a bar of no length


def test_names_and_values_are_escaped():
    drawn = str(svg(HOSTILE))
    assert "<script" not in drawn and "<b>" not in drawn
    assert "&lt;script&gt;" in drawn
    assert "Risk &amp; issues: R&amp;D" in drawn
    root = ET.fromstring(drawn)  # noqa: S314 (our own output)
    words = texts(root)
    assert SCRIPT in words and FORMULA in words and AMPERSAND in words
    assert root.find(f"{SVG}title").text == f"Chart: {HOSTILE.title}"


def test_control_characters_and_long_names_still_make_a_well_formed_chart():
    name = "Course\x00 with\x0b control\ttabs and a very long name " + "that goes on " * 20
    figure = Figure(
        key="odd key/with spaces",
        title="Odd\x1f title",
        columns=("Course", "Score"),
        rows=((name, Decimal("3.50")),),
        chart=Chart(value_columns=(1,), maximum=5),
    )
    root = parsed(figure)
    label = texts(root)[-2]  # the row's name, then its value
    assert label.startswith("Course with control tabs and a very long name")
    assert label.endswith("\N{HORIZONTAL ELLIPSIS}")
    assert re.fullmatch(r"[A-Za-z0-9_-]+", root.find(f"{SVG}title").get("id"))


def test_a_trend_draws_a_line_for_each_column_across_the_twelve_months():
    root = parsed(TREND)
    lines = list(root.iter(f"{SVG}polyline"))
    drawn = [line for line in lines if len(line.get("points").split()) == 12]
    assert len(drawn) == 3
    assert [line.get("stroke") for line in drawn] == list(PALETTE[:3])
    assert len({line.get("stroke-dasharray") for line in drawn}) == 3  # not colour alone
    words = texts(root)
    assert all(month in words for month in MONTHS)
    assert {"Enrolments confirmed", "Completions", "People trained"} <= set(words)
    # Every point marked: 3 x 12, and one in each of the legend's 3 keys.
    markers = [
        element
        for element in root.iter()
        if element.tag in (f"{SVG}circle", f"{SVG}polygon")
        or (element.tag == f"{SVG}rect" and element.get("stroke") == "#ffffff")
    ]
    assert len(markers) == 3 * 12 + 3
    # The y axis runs from 0 to a tidy number above the largest value (33).
    assert "0" in words and "40" in words


def test_a_trend_leaves_a_gap_for_an_unknown_month():
    rows = list(TREND.rows)
    rows[5] = (rows[5][0], None, rows[5][2], rows[5][3])
    root = parsed(Figure(**{**TREND.__dict__, "rows": tuple(rows)}))
    first = [
        line.get("points").split()
        for line in root.iter(f"{SVG}polyline")
        if line.get("stroke") == PALETTE[0] and len(line.get("points").split()) > 2
    ]
    assert sorted(len(points) for points in first) == [5, 6]  # April-August, October-March


def test_no_chart_or_no_rows_draws_nothing():
    assert svg(APPLIED) == Markup("")
    assert svg(EMPTY) == Markup("")
    assert isinstance(svg(RATES), Markup)
    assert charts_for([APPLIED, RATES]).keys() == {"applied", "rates"}


def test_each_chart_on_a_page_has_its_own_ids():
    ids = [
        element.get("id")
        for figure in (RATES, CONFIDENCE, TREND, HOSTILE)
        for element in parsed(figure).iter()
        if element.get("id")
    ]
    assert len(ids) == len(set(ids)) == 8


@pytest.mark.parametrize(
    "largest, maximum, top, ticks",
    [
        ("90.0", 100, "100", ["0", "20", "40", "60", "80", "100"]),
        ("4.9", 5, "5", ["0", "1", "2", "3", "4", "5"]),
        ("33", None, "40", ["0", "10", "20", "30", "40"]),
        ("1234", None, "1250", ["0", "250", "500", "750", "1000", "1250"]),
        ("0", None, "1", ["0", "1"]),
        ("0.35", None, "0.4", ["0", "0.1", "0.2", "0.3", "0.4"]),
        ("137.5", "137.5", "137.5", ["0", "25", "50", "75", "100", "125"]),
        ("150", 100, "150", ["0", "50", "100", "150"]),  # a value past the maximum
    ],
)
def test_the_scale_ends_at_the_maximum_or_a_tidy_number(largest, maximum, top, ticks):
    end, steps = scale(Decimal(largest), Decimal(maximum) if maximum is not None else None)
    assert end == Decimal(top)
    assert [Decimal(step) for step in ticks] == list(steps)


# --- the figure macro ----------------------------------------------------------------------

MACRO = (
    '{% from "reports/macros/figure.html" import figure %}{{ figure(fig, chart, csv_url=csv_url) }}'
)


def rendered(figure: Figure, csv_url: str | None = "/reports/dashboard/x.csv") -> str:
    return render_template_string(MACRO, fig=figure, chart=svg(figure), csv_url=csv_url)


def test_the_macro_shows_heading_note_chart_table_and_csv_link(app):
    page = rendered(RATES, "/reports/dashboard/rates.csv?year=2026")
    assert '<h2 id="rates">Attendance, completion and pass rates</h2>' in page
    assert "Sessions attended as a share of the places expected." in page
    inset = re.search(r'<div class="nhsuk-inset-text">(.*?)</div>', page, re.S).group(1)
    assert "Fewer than 5 learners took an assessment" in inset
    assert page.index("<svg") < page.index("<table")
    caption = re.search(r"<caption[^>]*>(.*?)</caption>", page, re.S).group(1)
    assert caption == RATES.title
    assert re.findall(r'<th scope="col"[^>]*>(.*?)</th>', page) == list(RATES.columns)
    assert re.findall(r'<th scope="row"[^>]*>(.*?)</th>', page) == [
        "Attendance",
        "Completion",
        "Pass rate",
    ]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", page)
    assert cells == ["1,234", "1,371", "90.0", "3", "7", "42.9", "0", "0", "–"]
    assert page.count("nhsuk-table__cell--numeric") == 9
    assert page.count("nhsuk-table__header--numeric") == 3
    link = re.search(r'<a href="([^"]*)">Download CSV', page)
    assert link.group(1) == "/reports/dashboard/rates.csv?year=2026"
    assert "style=" not in page


def test_a_column_of_text_is_not_aligned_as_numbers(app):
    page = rendered(APPLIED)
    assert "<svg" not in page  # no chart for this figure
    headers = re.findall(r'<th scope="col" class="([^"]*)"', page)
    assert headers == [
        "nhsuk-table__header",
        "nhsuk-table__header nhsuk-table__header--numeric",
        "nhsuk-table__header",
    ]


def test_an_empty_figure_says_so_instead_of_a_table(app):
    page = rendered(EMPTY, None)
    assert '<h2 id="nothing">' in page
    assert "There is nothing to show for this year and these filters." in page
    assert "<table" not in page and "<svg" not in page and "Download CSV" not in page


def test_the_macro_escapes_what_users_typed(app):
    page = rendered(HOSTILE)
    assert "<script" not in page and "<b>" not in page and "<i>" not in page
    assert "&lt;script&gt;alert(" in page
    assert "Risk &amp; issues: R&amp;D" in page
    assert "&lt;i&gt;markup&lt;/i&gt; &amp; all" in page
    assert '<td class="nhsuk-table__cell nhsuk-table__cell--numeric">-1</td>' in page


def test_without_a_chart_passed_the_macro_shows_the_table_alone(app):
    page = render_template_string(
        '{% from "reports/macros/figure.html" import figure %}'
        "{{ figure(fig, csv_url='/x.csv') }}{{ figure(fig, charts[fig.key]) }}",
        fig=RATES,
    )
    assert "<svg" not in page
    assert page.count("<table") == 2


@pytest.fixture
def fresh_drawings():
    """The process's kept drawings emptied before and after (the test draws fakes)."""
    charts.drawn.cache_clear()
    yield
    charts.drawn.cache_clear()


def test_a_page_s_charts_are_drawn_once_while_its_figures_stay_the_same(
    monkeypatch, fresh_drawings
):
    drawings = []
    monkeypatch.setattr(charts, "svg", lambda figure: drawings.append(figure) or Markup("<svg/>"))
    charts_for([RATES, TREND])
    charts_for([RATES, TREND])
    assert drawings == [RATES, TREND]
    changed = Figure(**{**RATES.__dict__, "rows": RATES.rows[:1]})
    charts_for([changed, TREND])
    assert drawings == [RATES, TREND, changed]
