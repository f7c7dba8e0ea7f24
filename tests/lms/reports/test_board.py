"""The board report (lms/reports/board.py): figures built by hand as an A4 PDF that real
clients read (qpdf, pypdf), with its charts, its tables' numbers and numbered pages, the
same bytes for the same figures."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4

from lms.reports import board
from lms.reports.board import MARGIN, board_report_pdf, chart_drawings
from lms.reports.figures import Chart, Figure
from tests.helpers import run_tool
from tests.lms.reports.sample_figures import (
    ALL,
    AMPERSAND,
    APPLIED,
    CONFIDENCE,
    EMPTY,
    HOSTILE,
    RATES,
    SCRIPT,
    TREND,
)

TITLE = "KPI dashboard: board report"
SUBTITLE = "Financial year 2026/27, Surgery"
ON = date(2026, 12, 7)


def words(text: str) -> str:
    """Whitespace collapsed: pypdf breaks lines where the layout wrapped them."""
    return " ".join(text.split())


def report(figures=ALL, **changes) -> bytes:
    arguments = {"title": TITLE, "subtitle": SUBTITLE, "generated_on": ON, **changes}
    return board_report_pdf(figures, **arguments)


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return report()


def pages_text(pdf: bytes) -> list[str]:
    return [words(page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


def test_qpdf_finds_nothing_wrong(pdf, tmp_path):
    path = tmp_path / "board.pdf"
    path.write_bytes(pdf)
    checked = run_tool("qpdf", "--check", str(path))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_cover_names_the_report_its_filters_its_date_and_its_figures(pdf):
    cover = pages_text(pdf)[0]
    assert TITLE in cover and SUBTITLE in cover
    assert "Generated on 7 December 2026" in cover
    for figure in ALL:
        assert words(figure.title) in cover


def test_every_figure_has_its_title_notes_and_table_numbers(pdf):
    text = " ".join(pages_text(pdf)[1:])
    for figure in ALL:
        assert figure.title in text
    assert RATES.note in text and RATES.notes[0] in text
    # A number from each table, as the page shows it.
    for shown in ("1,234", "42.9", "3.75", "March 2027", "The RAID log, every week", "4.25"):
        assert shown in text, shown
    assert "There is nothing to show for this year and these filters." in text


def test_names_print_as_text_not_markup(pdf):
    text = " ".join(pages_text(pdf))
    assert SCRIPT in text
    assert AMPERSAND in text
    assert "Reaction scores by course <b>& more</b>" in text
    assert "<i>markup</i> & all" in text


def test_every_page_is_numbered_and_names_the_report(pdf):
    pages = pages_text(pdf)
    assert len(pages) > 2
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
        assert f"{TITLE}: {SUBTITLE}" in text


def test_the_metadata_comes_from_the_arguments(pdf):
    metadata = PdfReader(io.BytesIO(pdf)).metadata
    assert metadata.title == TITLE
    assert metadata.subject == SUBTITLE


def test_the_same_figures_give_the_same_bytes(pdf):
    laid_out_afresh = board._laid_out.__wrapped__(tuple(ALL), TITLE, SUBTITLE, ON, "")
    assert laid_out_afresh == pdf
    assert report(generated_on=date(2026, 12, 8)) != pdf


def test_the_same_report_is_laid_out_once_and_another_anew(app, monkeypatch):
    """The bytes are kept by everything they are made from, the organisation too."""
    board._laid_out.cache_clear()
    first = report()
    calls = board._laid_out.cache_info().misses
    assert report() == first and board._laid_out.cache_info().misses == calls
    monkeypatch.setitem(app.config, "ORGANISATION_NAME", "Another Trust")
    assert report() != first and board._laid_out.cache_info().misses == calls + 1


def test_charts_are_drawn_for_figures_with_one():
    width, height = A4[0] - 2 * MARGIN, 400
    for figure in (RATES, CONFIDENCE, TREND, HOSTILE):
        [drawing] = chart_drawings(figure, width, height)
        assert isinstance(drawing, Drawing)
        assert drawing.width == pytest.approx(width)
        assert drawing.height <= height
    assert chart_drawings(APPLIED, width, height) == []  # no chart
    assert chart_drawings(EMPTY, width, height) == []  # no rows


def test_a_chart_adds_its_labels_to_the_page(pdf):
    text = " ".join(pages_text(pdf))
    # The trend's legend and the bars' "no data" are drawn, not only the tables.
    assert "Enrolments confirmed" in text
    assert "no data" in text


def test_a_long_table_runs_on_with_its_header_repeated():
    rows = tuple(
        (f"PM{n:03} Course {n}", n, "Words about what they applied " * (1 + n % 4), Decimal("1.5"))
        for n in range(120)
    )
    figure = Figure(
        key="long",
        title="A long table",
        columns=("Course", "Months after", "What they applied", "Score"),
        rows=rows,
    )
    pdf = report([figure])
    pages = pages_text(pdf)
    assert len(pages) > 3
    for text in pages[1:]:
        assert "Course Months after What they applied Score" in text
    everything = " ".join(pages)
    assert all(f"PM{n:03} Course {n}" in everything for n in (0, 59, 119))


def test_a_long_bar_chart_is_drawn_in_parts_on_one_scale(tmp_path):
    figure = Figure(
        key="many",
        title="Many courses",
        columns=("Course", "Before", "After"),
        rows=tuple((f"Course {n}", Decimal("2.00"), Decimal("4.00")) for n in range(40)),
        chart=Chart(value_columns=(1, 2), maximum=5),
    )
    width, height, first = A4[0] - 2 * MARGIN, 600, 300
    drawings = chart_drawings(figure, width, height, first)
    assert len(drawings) > 2
    # Each part full width (the text as large as in any chart), none taller than allowed.
    assert all(drawing.width == pytest.approx(width) for drawing in drawings)
    assert drawings[0].height <= first < drawings[1].height <= height
    pdf = report([figure])
    path = tmp_path / "long.pdf"
    path.write_bytes(pdf)
    assert run_tool("qpdf", "--check", str(path)).returncode == 0
    text = " ".join(pages_text(pdf))
    assert "Course 39" in text
    # Every part has its legend (and the table its header).
    assert text.count("Before") > 3


def test_a_report_of_no_figures_is_still_a_pdf():
    pdf = report([])
    assert pdf.startswith(b"%PDF")
    assert TITLE in pages_text(pdf)[0]


def test_an_answer_longer_than_a_page_runs_on_to_the_next(tmp_path):
    figure = Figure(
        key="applied",
        title="What follow-up respondents applied",
        columns=("Course", "Months after", "What they applied"),
        rows=(("PM101", 3, "lesson " * 3000), ("PM102", 6, "A short answer")),
    )
    pdf = report([figure])
    text = " ".join(pages_text(pdf))
    assert text.count("lesson") == 3000
    assert "PM102 6 A short answer" in text
    path = tmp_path / "long-answer.pdf"
    path.write_bytes(pdf)
    assert run_tool("qpdf", "--check", str(path)).returncode == 0
