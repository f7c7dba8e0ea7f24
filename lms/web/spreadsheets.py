"""Cells for the CSV files people open in a spreadsheet."""

from __future__ import annotations

# A cell starting with one of these is run as a formula by Excel, LibreOffice and Sheets.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """A cell a spreadsheet will not run as a formula: a leading quote makes it text."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text
