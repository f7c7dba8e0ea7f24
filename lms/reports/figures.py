"""A figure: one table of numbers the PMO reports, with the chart drawn from it.

Every report page (the KPI dashboard, the impact view) is a list of figures built by one
or a few aggregate queries; the page, its CSV and XLSX exports and the board-report PDF
are all drawn from the same `Figure`s, so their numbers cannot disagree. Cells are plain
values: counts are `int`, rates and averages `Decimal` already rounded to what the page
shows (one place for a percentage, two for a 1-5 score), text `str`, and an unknown
value (a rate over nobody) `None`, shown as a dash and left empty in the exports.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

Cell = int | Decimal | str | None

ONE_PLACE = Decimal("0.1")
TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class Chart:
    """How the figure's table is drawn: `bar` draws a bar per row for each value column
    (horizontal, labelled by `label_column`), `line` a line per value column across the
    rows (a trend by month). `maximum` fixes the scale's end (100 for a percentage, 5 for
    a score); otherwise the largest value sets it."""

    kind: Literal["bar", "line"] = "bar"
    label_column: int = 0
    value_columns: tuple[int, ...] = (1,)
    maximum: Decimal | int | None = None


@dataclass(frozen=True)
class Figure:
    key: str  # a slug: the page's anchor, the CSV's file name, the XLSX sheet's name
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    chart: Chart | None = None
    note: str = ""  # a plain explanation or warning shown with the figure
    notes: tuple[str, ...] = field(default=())  # further lines (e.g. small-group warnings)
    # The page and the board report show the first this many rows (a figure per course
    # may have hundreds); the CSV and XLSX have them all. None: every row everywhere.
    page_rows: int | None = None

    @property
    def is_empty(self) -> bool:
        return not self.rows

    def on_page(self) -> Figure:
        """The figure as the page shows it: its first `page_rows` rows, saying so."""
        if self.page_rows is None or len(self.rows) <= self.page_rows:
            return self
        return replace(
            self,
            rows=self.rows[: self.page_rows],
            notes=(
                *self.notes,
                f"The first {self.page_rows} of {len(self.rows):,} rows are shown here; the "
                "CSV and the spreadsheet have them all.",
            ),
        )


def percent(part: int, whole: int) -> Decimal | None:
    """`part` of `whole` as a percentage to one place (half up); None over nobody."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(ONE_PLACE, ROUND_HALF_UP)


def average(value: Decimal | float | int | None) -> Decimal | None:
    """An average (of 1-5 scores, say) to two places, half up; None for no answers."""
    if value is None:
        return None
    return Decimal(str(value)).quantize(TWO_PLACES, ROUND_HALF_UP)


def shown(cell: Cell) -> str:
    """A cell as the page prints it."""
    if cell is None:
        return "\N{EN DASH}"
    if isinstance(cell, int) and not isinstance(cell, bool):
        return f"{cell:,}"
    return str(cell)
