"""A report's figures as CSV and XLSX (lms/reports/exports.py), from figures built by hand:
the values exactly as the figure holds them, text safe to open, the workbook's sheets
named as Excel allows and the same bytes for the same figures at the same moment."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from lms.reports.exports import (
    XLSX_TYPE,
    csv_response,
    figure_csv,
    sheet_names,
    workbook_bytes,
    xlsx_response,
)
from lms.reports.figures import Chart, Figure
from tests.lms.reports.sample_figures import (
    ALL,
    AMPERSAND,
    APPLIED,
    EMPTY,
    FORMULA,
    HOSTILE,
    RATES,
    SCRIPT,
    TREND,
)

MOMENT = datetime(2026, 5, 1, 9, 30, 15, tzinfo=UTC)  # 10:30 in London (BST)


def csv_rows(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff"), "a byte-order mark, so Excel reads UTF-8"
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def book(data: bytes):
    return load_workbook(io.BytesIO(data))


# --- CSV -----------------------------------------------------------------------------------


def test_a_csv_has_the_columns_then_each_row_exactly():
    text = figure_csv(RATES)
    assert text == (
        "\ufeffMeasure,Count,Out of,Rate (%)\r\n"
        "Attendance,1234,1371,90.0\r\n"
        "Completion,3,7,42.9\r\n"
        "Pass rate,0,0,\r\n"
    )


def test_a_csvs_decimals_keep_their_places_and_text_is_made_safe():
    rows = csv_rows(figure_csv(HOSTILE))
    assert rows[0] == ["Course", "Responses", "Average score"]
    assert rows[1:] == [
        [SCRIPT, "12", "4.25"],
        ["'" + FORMULA, "3", "3.00"],
        [AMPERSAND, "1", ""],
        # Text starting with "-" is guarded; a negative number stays a number.
        ["'-1 meeting", "-1", "-0.50"],
    ]


def test_an_empty_figures_csv_is_its_header():
    assert csv_rows(figure_csv(EMPTY)) == [["Trainer", "Responses", "Average score"]]


def test_a_decimal_is_never_written_with_an_exponent():
    figure = Figure(
        key="x", title="X", columns=("A", "B"), rows=(("big", Decimal("1E+3")),), chart=None
    )
    assert csv_rows(figure_csv(figure))[1] == ["big", "1000"]


def test_the_csv_is_served_as_an_attachment():
    response = csv_response(TREND, "kpi-trend-2026.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="kpi-trend-2026.csv"'
    assert response.headers["Cache-Control"] == "private, no-store"
    rows = csv_rows(response.get_data(as_text=True))
    assert rows[0] == list(TREND.columns)
    assert rows[1] == ["April 2026", "0", "0", "0"]
    assert len(rows) == 13


# --- XLSX ----------------------------------------------------------------------------------


def expected_cell(value):
    """What a workbook cell holds for a figure's value: the value itself (text is stored
    as text, so "=..." needs no quote and reads as the page shows it)."""
    return value


@pytest.fixture(scope="module")
def workbook():
    return book(
        workbook_bytes(
            ALL,
            title="KPI dashboard",
            subtitle="Financial year 2026/27, Surgery",
            generated_at=MOMENT,
        )
    )


def test_every_cell_of_every_sheet_is_the_figures(workbook):
    assert workbook.sheetnames == ["About", *(figure.key for figure in ALL)]
    for figure in ALL:
        sheet = workbook[figure.key]
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0] == figure.columns
        assert len(rows) == 1 + len(figure.rows), figure.key
        for found, row in zip(rows[1:], figure.rows, strict=True):
            for cell, value in zip(found, row, strict=True):
                if isinstance(value, Decimal):
                    # A number (90.0 is written, and read back, as 90), not text.
                    assert isinstance(cell, int | float)
                    assert Decimal(str(cell)) == value, (figure.key, cell, value)
                elif isinstance(value, int):
                    assert type(cell) is int and cell == value
                else:
                    assert cell == expected_cell(value), (figure.key, cell, value)


def test_numbers_show_the_places_the_figure_holds(workbook):
    rates, courses = workbook["rates"], workbook["courses"]
    assert rates["B2"].number_format == "#,##0"
    assert rates["D2"].number_format == "#,##0.0"  # 90.0, shown as 90.0 not 90
    assert courses["C2"].number_format == "#,##0.00"  # 4.25
    assert courses["C3"].number_format == "#,##0.00"  # 3.00
    assert rates["D4"].value is None  # unknown: an empty cell


def test_headers_are_bold_and_text_cannot_run_as_a_formula(workbook):
    sheet = workbook["courses"]
    assert all(cell.font.b for cell in sheet[1])
    assert sheet["A3"].value == FORMULA  # as the page shows it, and stored as text:
    assert sheet["A3"].data_type == "s"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row if cell.value)
    assert sheet.freeze_panes == "A2"


def test_columns_are_sized_to_their_text(workbook):
    sheet = workbook["applied"]
    widths = [sheet.column_dimensions[letter].width for letter in "ABC"]
    assert widths[0] == len("PM101 Project management") + 2
    assert 8 <= widths[1] <= 15
    assert widths[2] == len("A risk register for the ward's move") + 2


def test_the_about_sheet_says_what_when_and_which_sheet_is_which(workbook):
    about = [row for row in workbook["About"].iter_rows(values_only=True) if any(row)]
    assert about[0][0] == "KPI dashboard"
    assert about[1][0] == "Financial year 2026/27, Surgery"
    assert about[2][0] == "Generated on 1 May 2026 at 10:30 (UK time)"
    assert about[3] == ("Sheet", "Figure", "Notes")
    listed = {row[0]: row[1:] for row in about[4:]}
    assert listed["rates"][0] == RATES.title
    assert RATES.note in listed["rates"][1] and RATES.notes[0] in listed["rates"][1]
    assert listed["applied"] == (APPLIED.title, None)
    assert workbook["About"]["A1"].font.b


def test_the_same_figures_at_the_same_moment_give_the_same_bytes():
    first = workbook_bytes(ALL, title="T", subtitle="S", generated_at=MOMENT)
    again = workbook_bytes(ALL, title="T", subtitle="S", generated_at=MOMENT)
    assert first == again
    later = workbook_bytes(ALL, title="T", subtitle="S", generated_at=datetime(2027, 1, 1))
    assert later != first
    properties = book(first).properties
    assert properties.created == properties.modified == datetime(2026, 5, 1, 9, 30, 15)
    assert properties.title == "T" and properties.subject == "S"
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(2026, 5, 1, 9, 30, 14)}


def test_sheet_names_are_unique_short_and_allowed():
    long = "a-figure-key-that-is-far-longer-than-excel-allows"
    figures = [
        Figure(key=long, title="First", columns=("A",), rows=()),
        Figure(key=long, title="Second", columns=("A",), rows=()),
        Figure(key=long.upper(), title="Third", columns=("A",), rows=()),
        Figure(key="about", title="About", columns=("A",), rows=()),
        Figure(key="history", title="History", columns=("A",), rows=()),
        Figure(key="a/b:c*d?e[f]g\\h", title="Odd", columns=("A",), rows=()),
        Figure(key="", title="", columns=("A",), rows=()),
        Figure(key="'quoted'", title="Quoted", columns=("A",), rows=()),
        # No key: the title, however long, and the same title twice.
        Figure(key="", title="Confidence before and after, by course", columns=("A",), rows=()),
        Figure(key="", title="Confidence before and after, by course", columns=("A",), rows=()),
    ]
    names = sheet_names(figures)
    assert all(0 < len(name) <= 31 for name in names)
    folded = [name.casefold() for name in names] + ["about"]
    assert len(set(folded)) == len(folded)
    assert not any(char in name for name in names for char in "[]:*?/\\")
    assert names[0] == long[:31]
    assert names[1] == long[:29] + "-2"
    assert names[2] == long.upper()[:29] + "-3"
    assert names[3] == "about-2"
    assert names[4] == "history-2"
    assert names[5] == "a-b-c-d-e-f-g-h"
    assert names[6] == "Figure 7"
    assert names[7] == "quoted"
    assert names[8] == "Confidence before and after, by"  # 31 characters
    assert names[9] == "Confidence before and after,-2"
    # openpyxl (and so Excel) takes them all.
    opened = book(workbook_bytes(figures, title="Names", generated_at=MOMENT))
    assert opened.sheetnames == ["About", *names]


def test_characters_a_workbook_cannot_hold_are_dropped():
    figure = Figure(
        key="odd",
        title="Odd",
        columns=("Name", "Count"),
        rows=(("Bell\x07 and\x00 null", 1),),
        chart=Chart(value_columns=(1,)),
    )
    sheet = book(workbook_bytes([figure], title="Odd", generated_at=MOMENT))["odd"]
    assert sheet["A2"].value == "Bell and null"


def test_the_workbook_is_served_as_an_attachment(app):
    response = xlsx_response(
        [RATES, TREND], "kpi-dashboard-2026.xlsx", title="KPI dashboard", generated_at=MOMENT
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == XLSX_TYPE
    assert (
        response.headers["Content-Disposition"] == 'attachment; filename="kpi-dashboard-2026.xlsx"'
    )
    opened = book(response.get_data())
    assert opened.sheetnames == ["About", "rates", "trend"]
    assert opened.properties.creator == app.config["ORGANISATION_NAME"]
