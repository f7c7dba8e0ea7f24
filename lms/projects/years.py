"""Financial years: the twelve months, 1 April to 31 March, the PMO's targets count over.

Unlike the CPD year (`lms.cpd.years`, which a trust may move with CPD_YEAR_START), the
financial year always starts on 1 April. It is a `CpdYear` all the same, so it has the
same first and last days, label ("2026/27") and arithmetic.
"""

from __future__ import annotations

from datetime import date

from lms.cpd.years import EARLIEST, CpdYear, year_of, year_starting

START = (4, 1)  # (month, day): 1 April
YEARS_OFFERED = 6  # next year, this year and the four before it; an older ?year= is added


def financial_year_of(day: date) -> CpdYear:
    """The financial year the day is in: 31 March 2027 is in 2026/27, 1 April in 2027/28."""
    return year_of(day, START)


def financial_year(starts: int) -> CpdYear:
    """The financial year starting on 1 April of the calendar year `starts`."""
    return year_starting(starts, START)


def chosen_financial_year(text: str | None, today: date) -> CpdYear | None:
    """The year a `?year=2025` query names (by the calendar year it starts in), if it is a
    sane one: from 1900 to next financial year (support is agreed ahead). None otherwise."""
    if not text or not (text.isascii() and text.isdigit()) or len(text) != 4:
        return None
    starts = int(text)
    if not EARLIEST <= starts <= financial_year_of(today).starts + 1:
        return None
    return financial_year(starts)


def years_offered(today: date, chosen: CpdYear | None = None) -> list[CpdYear]:
    """Next financial year, this one and a few before it, newest first, with the chosen
    year added when it is older."""
    current = financial_year_of(today)
    years = [financial_year(current.starts + 1 - back) for back in range(YEARS_OFFERED)]
    if chosen is not None and chosen not in years:
        years.append(chosen)
    return years
