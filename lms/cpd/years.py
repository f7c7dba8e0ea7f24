"""CPD years: the twelve months a learner's CPD is counted over.

The trust's year starts on CPD_YEAR_START (default 1 April, the NHS financial year, as
`--04-01`); a year is named by the calendar year it starts in ("2026/27", or "2026"
when it starts on 1 January). A day belongs to the year whose start is the latest one
on or before it: 31 March 2027 is in 2026/27, 1 April 2027 in 2027/28.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import Integer, case, cast, extract
from sqlalchemy.sql.elements import ColumnElement

DEFAULT_START = (4, 1)  # (month, day): 1 April


@dataclass(frozen=True, order=True)
class CpdYear:
    starts: int  # the calendar year it starts in
    month: int = DEFAULT_START[0]
    day: int = DEFAULT_START[1]

    @property
    def first_day(self) -> date:
        return date(self.starts, self.month, self.day)

    @property
    def last_day(self) -> date:
        """The day before the next year's first day."""
        return date.fromordinal(self.following.first_day.toordinal() - 1)

    @property
    def following(self) -> CpdYear:
        return CpdYear(self.starts + 1, self.month, self.day)

    @property
    def before(self) -> CpdYear:
        return CpdYear(self.starts - 1, self.month, self.day)

    @property
    def label(self) -> str:
        """ "2026/27", or "2026" for a year starting on 1 January."""
        if (self.month, self.day) == (1, 1):
            return str(self.starts)
        return f"{self.starts}/{(self.starts + 1) % 100:02d}"

    def __contains__(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day

    def __str__(self) -> str:
        return self.label


def configured_start() -> tuple[int, int]:
    return current_app.config.get("CPD_YEAR_START", DEFAULT_START)


def year_of(day: date, start: tuple[int, int] | None = None) -> CpdYear:
    month, first = start or configured_start()
    starts = day.year if (day.month, day.day) >= (month, first) else day.year - 1
    return CpdYear(starts, month, first)


def year_starting(starts: int, start: tuple[int, int] | None = None) -> CpdYear:
    month, first = start or configured_start()
    return CpdYear(starts, month, first)


def starting_year_of(column, start: tuple[int, int] | None = None) -> ColumnElement[int]:
    """SQL for the calendar year the CPD year of the date `column` starts in, on SQLite
    and PostgreSQL alike: its year, less one before the year's first day."""
    month, first = start or configured_start()
    year = cast(extract("year", column), Integer)
    if (month, first) == (1, 1):
        return year
    column_month = cast(extract("month", column), Integer)
    column_day = cast(extract("day", column), Integer)
    before_start = (column_month < month) | ((column_month == month) & (column_day < first))
    return case((before_start, year - 1), else_=year)


EARLIEST = 1900  # the earliest year a date field takes (lms.web.forms.SensibleDate)


def chosen_year(text: str | None, today: date) -> CpdYear | None:
    """The year a `?year=2025` query names (by the calendar year it starts in), if it is
    a sane one: from 1900 to the current CPD year. None for anything else."""
    current = year_of(today)
    if not text or not (text.isascii() and text.isdigit()) or len(text) != 4:
        return None
    starts = int(text)
    if not EARLIEST <= starts <= current.starts:
        return None
    return CpdYear(starts, current.month, current.day)
