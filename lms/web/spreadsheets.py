"""CSV files people open in, and upload from, a spreadsheet: cells safe to open, and the
reading every CSV import shares (size, encoding, headers in any spelling, rows by line)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import BinaryIO, TypeVar

from lms.core.domain import DomainError

# A cell starting with one of these is run as a formula by Excel, LibreOffice and Sheets.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

NOT_CSV = "The selected file is not a CSV file. Save it from your spreadsheet as CSV and try again"
UNREADABLE = (
    "The selected file could not be read. Save it from your spreadsheet as “CSV UTF-8” and "
    "try again"
)

Header = TypeVar("Header")


def safe_cell(value) -> str:
    """A cell a spreadsheet will not run as a formula: a leading quote makes it text."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


class UnreadableFile(DomainError):
    """The file as a whole cannot be imported; nothing was saved."""

    field = "file"


def read_limited(source: bytes | BinaryIO, max_bytes: int, too_large: str) -> bytes:
    """The upload's bytes, refused with `too_large` past `max_bytes` (read no further)."""
    data = bytes(source) if isinstance(source, bytes | bytearray) else source.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UnreadableFile(too_large)
    return data


def csv_text(data: bytes) -> str:
    """UTF-8 (with or without a byte-order mark), else Windows-1252, as Excel saves CSV."""
    if b"\x00" in data or data.startswith((b"%PDF", b"PK\x03\x04")):
        raise UnreadableFile(NOT_CSV)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise UnreadableFile(UNREADABLE) from None


def header_key(name: str) -> str:
    """The key a header cell is matched on: "Start date", "start_date", "StartDate" are one."""
    return "".join(char for char in name.casefold() if char.isalnum())


def csv_records(
    text: str, *, header: Callable[[list[str]], Header], max_rows: int, rows_are: str
) -> tuple[Header, list[tuple[int, list[str]]]]:
    """The first non-blank line read by `header` (which refuses a wrong one), and each
    non-blank line below it with its line number. `rows_are` names them in messages:
    "entries", "projects"."""
    reader = csv.reader(io.StringIO(text, newline=""))
    columns: Header | None = None
    seen_header = False
    records: list[tuple[int, list[str]]] = []
    line = 0
    try:
        for line, record in enumerate(reader, start=1):
            if not any(cell.strip() for cell in record):
                continue
            if not seen_header:
                columns, seen_header = header(record), True
            elif len(records) == max_rows:
                raise UnreadableFile(
                    f"The selected file has more than {max_rows:,} {rows_are}. "
                    f"Split it into files of {max_rows:,} {rows_are} or fewer"
                )
            else:
                records.append((line, record))
    except csv.Error as error:
        raise UnreadableFile(
            f"Line {line + 1} of the file could not be read. Check that the file is saved "
            "as CSV and try again"
        ) from error
    if not seen_header:
        raise UnreadableFile("The selected file is empty")
    if not records:
        raise UnreadableFile(f"The selected file has no {rows_are} below its first line")
    return columns, records
