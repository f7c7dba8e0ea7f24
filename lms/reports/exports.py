"""A report's figures as files: one figure as CSV, all of a page's as an XLSX workbook.

Both hold the values the page shows, unrounded no further: counts as whole numbers,
rates and averages as the `Decimal`s the figure holds ("45.5", "3.40"), an unknown value
as an empty cell. A course called "=HYPERLINK(...)" opens as text rather than running as a
formula: the CSV's text goes through `safe_cell` (a leading quote), the workbook's is
stored as text (no quote needed, so it reads as the page does). `figure_csv` and
`workbook_bytes` make the files; `csv_response` and `xlsx_response` serve them.

The workbook is deterministic: its document properties and the dates inside its ZIP are
the `generated_at` passed in, so the same figures at the same moment give the same bytes.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

from flask import Response, current_app
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from lms.core.timezones import format_local
from lms.reports.figures import Cell, Figure, shown
from lms.web.forms import attachment
from lms.web.spreadsheets import safe_cell

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff"  # so Excel reads the CSV as UTF-8, as the CPD exports do

ABOUT = "About"
SHEET_NAME_LIMIT = 31  # Excel's
CELL_LIMIT = 32_767  # characters in a cell, Excel's
_NOT_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\\x00-\x1f]+")
_RESERVED = {"history"}  # Excel keeps this sheet name for itself

MIN_WIDTH, MAX_WIDTH = 8, 60  # columns' widths, in characters


def _download_headers(filename: str) -> dict[str, str]:
    return {
        "Content-Disposition": attachment(filename),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    }


def _is_count(cell: Cell) -> bool:
    return isinstance(cell, int) and not isinstance(cell, bool)


# --- CSV -----------------------------------------------------------------------------------


def csv_cell(cell: Cell) -> str:
    """A cell as CSV text: 12, 45.5, empty for unknown, text safe to open."""
    if cell is None:
        return ""
    if _is_count(cell):
        return str(cell)
    if isinstance(cell, Decimal):
        return format(cell, "f")  # every place it holds, never an exponent
    return safe_cell(cell)


def figure_csv(figure: Figure) -> str:
    """The figure as CSV text: a byte-order mark, its columns, then a line per row."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(name) for name in figure.columns])
    writer.writerows([csv_cell(cell) for cell in row] for row in figure.rows)
    return BOM + out.getvalue()


def csv_response(figure: Figure, filename: str) -> Response:
    """The figure's CSV as an attachment called `filename`."""
    return Response(figure_csv(figure), content_type=CSV_TYPE, headers=_download_headers(filename))


# --- XLSX ----------------------------------------------------------------------------------


def sheet_names(figures: Sequence[Figure]) -> list[str]:
    """A sheet name for each figure: its key (else its title) as Excel allows one: at most
    31 characters, none of []:*?/\\, not "History", not "About" (the first sheet's) and
    no two alike (Excel ignores case), "-2", "-3"... added to tell them apart."""
    taken = {ABOUT.casefold()}
    names = []
    for number, figure in enumerate(figures, start=1):
        base = ""
        for wanted in (figure.key, figure.title):
            base = _NOT_IN_SHEET_NAMES.sub("-", wanted).strip().strip("'").strip()
            if base:
                break
        base = (base or f"Figure {number}")[:SHEET_NAME_LIMIT].rstrip()
        name, copy = base, 1
        while name.casefold() in taken or name.casefold() in _RESERVED:
            copy += 1
            suffix = f"-{copy}"
            name = base[: SHEET_NAME_LIMIT - len(suffix)].rstrip() + suffix
        taken.add(name.casefold())
        names.append(name)
    return names


def _text(value: str) -> str:
    """Text for a cell, without characters a workbook cannot hold, and no longer than
    Excel's limit for a cell. It is stored as text (`_write_cell`), never as a formula, so
    it needs no leading quote and reads exactly as the page shows it."""
    return ILLEGAL_CHARACTERS_RE.sub("", value)[:CELL_LIMIT]


def number_format(value: Decimal) -> str:
    """The format that shows a Decimal's places: "#,##0.0" for 45.5, "#,##0.00" for 3.40."""
    exponent = value.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return "#,##0." + "0" * places if places else "#,##0"


def _write_cell(sheet: Worksheet, row: int, column: int, value: Cell) -> None:
    if value is None:
        return
    cell = sheet.cell(row=row, column=column)
    if _is_count(value):
        cell.value = value
        cell.number_format = "#,##0"
    elif isinstance(value, Decimal):
        cell.value = float(value)
        cell.number_format = number_format(value)
    else:
        _put_text(sheet, row, column, str(value))


def _put_text(sheet: Worksheet, row: int, column: int, text: str):
    """Text in a cell, stored as text even when it starts with "=" (which openpyxl would
    otherwise write as a formula)."""
    cell = sheet.cell(row=row, column=column, value=_text(text))
    cell.data_type = "s"
    return cell


def _size_columns(sheet: Worksheet, columns: Sequence[Sequence[str]]) -> None:
    """Each column as wide as its longest text (within limits); longer text wraps."""
    for number, texts in enumerate(columns, start=1):
        longest = max(
            (len(line) for text in texts for line in text.splitlines() or [""]), default=0
        )
        width = min(max(longest + 2, MIN_WIDTH), MAX_WIDTH)
        sheet.column_dimensions[get_column_letter(number)].width = width
        if longest + 2 > MAX_WIDTH:
            for cell in sheet.iter_rows(min_row=2, min_col=number, max_col=number):
                cell[0].alignment = Alignment(wrap_text=True, vertical="top")


def _figure_sheet(sheet: Worksheet, figure: Figure) -> None:
    bold = Font(bold=True)
    for column, name in enumerate(figure.columns, start=1):
        cell = _put_text(sheet, 1, column, name)
        cell.font = bold
    for row_number, row in enumerate(figure.rows, start=2):
        for column, value in enumerate(row, start=1):
            _write_cell(sheet, row_number, column, value)
    sheet.freeze_panes = "A2"
    _size_columns(
        sheet,
        [
            [name] + [shown(row[index]) for row in figure.rows if index < len(row)]
            for index, name in enumerate(figure.columns)
        ],
    )


def _about_sheet(
    sheet: Worksheet,
    figures: Sequence[Figure],
    names: Sequence[str],
    *,
    title: str,
    subtitle: str,
    generated_at: datetime,
) -> None:
    _put_text(sheet, 1, 1, title).font = Font(bold=True, size=14)
    line = 2
    if subtitle:
        _put_text(sheet, line, 1, subtitle)
        line += 1
    generated = format_local(generated_at.replace(tzinfo=UTC), "%-d %B %Y at %H:%M")
    sheet.cell(row=line, column=1, value=f"Generated on {generated} (UK time)")
    line += 2
    bold = Font(bold=True)
    for column, heading in enumerate(("Sheet", "Figure", "Notes"), start=1):
        sheet.cell(row=line, column=column, value=heading).font = bold
    top = line
    for figure, name in zip(figures, names, strict=True):
        line += 1
        sheet.cell(row=line, column=1, value=name)
        _put_text(sheet, line, 2, figure.title)
        notes = " ".join(part for part in (figure.note, *figure.notes) if part)
        if notes:
            cell = _put_text(sheet, line, 3, notes)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.column_dimensions["A"].width = max([len(name) + 2 for name in names] + [MIN_WIDTH, 12])
    sheet.column_dimensions["B"].width = min(
        max([len(figure.title) + 2 for figure in figures] + [MIN_WIDTH]), MAX_WIDTH
    )
    sheet.column_dimensions["C"].width = 90
    for row in sheet.iter_rows(min_row=top + 1, max_col=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def _utc_naive(moment: datetime | None) -> datetime:
    """`moment` (now if None) in UTC to the second, without its zone, as openpyxl keeps it."""
    moment = moment or datetime.now(UTC)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def _fixed_zip(data: bytes, moment: datetime) -> bytes:
    """The ZIP `data` again with every member dated `moment`, in the same order."""
    stamp = (max(moment.year, 1980), *moment.timetuple()[1:6])
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for member in source.infolist():
            info = zipfile.ZipInfo(member.filename, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            target.writestr(info, source.read(member.filename))
    return out.getvalue()


def workbook_bytes(
    figures: Sequence[Figure],
    *,
    title: str,
    subtitle: str = "",
    generated_at: datetime | None = None,
    creator: str = "",
) -> bytes:
    """An XLSX workbook: an "About" sheet (title, subtitle, when, and each sheet's figure
    and notes), then a sheet per figure with its columns in bold and a row per row."""
    moment = _utc_naive(generated_at)
    names = sheet_names(figures)
    book = Workbook()
    about = book.active
    about.title = ABOUT
    _about_sheet(about, figures, names, title=title, subtitle=subtitle, generated_at=moment)
    for figure, name in zip(figures, names, strict=True):
        _figure_sheet(book.create_sheet(name), figure)
    properties = book.properties
    properties.title = _text(title)
    properties.subject = _text(subtitle) or None
    properties.creator = _text(creator) or None
    properties.lastModifiedBy = None
    properties.created = properties.modified = moment
    out = io.BytesIO()
    # openpyxl's save_workbook would stamp `modified` with the time of saving.
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(book, archive).save()
    return _fixed_zip(out.getvalue(), moment)


def xlsx_response(
    figures: Sequence[Figure],
    filename: str,
    *,
    title: str,
    subtitle: str = "",
    generated_at: datetime | None = None,
) -> Response:
    """The figures' workbook as an attachment called `filename`."""
    body = workbook_bytes(
        figures,
        title=title,
        subtitle=subtitle,
        generated_at=generated_at,
        creator=current_app.config.get("ORGANISATION_NAME", ""),
    )
    return Response(body, content_type=XLSX_TYPE, headers=_download_headers(filename))
