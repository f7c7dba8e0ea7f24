"""Figures built by hand for the renderers' tests (charts, exports, the board report): a bar
chart with an unknown value, a year's trend by month, a table of text without a chart, an
empty figure, and one whose names are markup, a formula and an ampersand."""

from __future__ import annotations

from decimal import Decimal

from lms.reports.figures import Chart, Figure

MONTHS = tuple(
    f"{month} {year}"
    for month, year in zip(
        (
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
            "January",
            "February",
            "March",
        ),
        (2026,) * 9 + (2027,) * 3,
        strict=True,
    )
)

RATES = Figure(
    key="rates",
    title="Attendance, completion and pass rates",
    columns=("Measure", "Count", "Out of", "Rate (%)"),
    rows=(
        ("Attendance", 1234, 1371, Decimal("90.0")),
        ("Completion", 3, 7, Decimal("42.9")),
        ("Pass rate", 0, 0, None),
    ),
    chart=Chart(kind="bar", value_columns=(3,), maximum=100),
    note="Sessions attended as a share of the places expected.",
    notes=("Fewer than 5 learners took an assessment: read the pass rate with care.",),
)

CONFIDENCE = Figure(
    key="confidence",
    title="Confidence before and after, by course",
    columns=("Course", "Learners", "Average before", "Average after"),
    rows=(
        ("PM101 Project management", 4, Decimal("2.50"), Decimal("3.75")),
        ("PM102 Risk", 2, None, Decimal("4.00")),
    ),
    chart=Chart(kind="bar", value_columns=(2, 3), maximum=5),
)

TREND = Figure(
    key="trend",
    title="Trend by month",
    columns=("Month", "Enrolments confirmed", "Completions", "People trained"),
    rows=tuple(
        (month, number * 3, (number * 5) % 11, number) for number, month in enumerate(MONTHS)
    ),
    chart=Chart(kind="line", value_columns=(1, 2, 3)),
    note="Each UK calendar month of the year.",
)

APPLIED = Figure(
    key="applied",
    title="What follow-up respondents applied",
    columns=("Course", "Months after", "What they applied"),
    rows=(
        ("PM101 Project management", 3, "The RAID log, every week"),
        ("PM102 Risk", 6, "A risk register for the ward's move"),
    ),
)

EMPTY = Figure(
    key="nothing",
    title="Reaction scores by trainer",
    columns=("Trainer", "Responses", "Average score"),
    rows=(),
    chart=Chart(value_columns=(2,), maximum=5),
    note="Answers to the reaction questions in the year.",
)

SCRIPT = "<script>alert('x')</script> Basics"
FORMULA = '=HYPERLINK("http://evil.example","Click")'
AMPERSAND = "Risk & issues: R&D"

HOSTILE = Figure(
    key="courses",
    title="Reaction scores by course <b>& more</b>",
    columns=("Course", "Responses", "Average score"),
    rows=(
        (SCRIPT, 12, Decimal("4.25")),
        (FORMULA, 3, Decimal("3.00")),
        (AMPERSAND, 1, None),
        ("-1 meeting", -1, Decimal("-0.50")),
    ),
    chart=Chart(value_columns=(2,), maximum=5),
    note="Course names are as their authors typed them: <i>markup</i> & all.",
)

ALL = (RATES, CONFIDENCE, TREND, APPLIED, EMPTY, HOSTILE)
