"""Importing past CPD entries into a learner's own record from a CSV file.

Each row is read into an `EntryDetails` and checked by `record.entry_problems`, the
rules the entry form uses, so the import refuses the same things in the same words; the
import adds its own words only where a cell cannot be read at all (a date that is not a
date, hours that are not a number, a category that is not offered). Rows with a problem
are reported by line and not saved; the others are saved together, in bulk, each with
the `cpd_entry.added` audit event `record.add_entry` writes. A row repeating an entry
already in the record (the same date, title and hours) is skipped and reported, so a
file imported twice adds nothing the second time.

Lines are numbered as a spreadsheet shows the file: the header is line 1, and a cell
holding several lines of text still makes one line.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import BinaryIO

from sqlalchemy import insert, select

from lms.audit import audit
from lms.auth.models import User
from lms.core.extensions import db
from lms.core.timezones import local_today
from lms.cpd.categories import categories
from lms.cpd.models import CpdCategory, CpdEntry, EntrySource
from lms.cpd.record import EntryDetails, apply_details, audit_facts, entry_problems, parse_hours
from lms.web.forms import DATE_FORMATS, one_line, plain_text
from lms.web.spreadsheets import (
    UnreadableFile,
    csv_records,
    csv_text,
    header_key,
    read_limited,
    safe_cell,
)

MAX_BYTES = 1024 * 1024
MAX_ROWS = 2000
TOO_LARGE = "The selected file must be smaller than 1 MB"
EARLIEST_YEAR, LATEST_YEAR = 1900, 2200  # as the entry form's dates (SensibleDate)


@dataclass(frozen=True)
class Column:
    name: str  # as the page, the template file and the report write it
    field: str  # the EntryDetails field it fills, which entry_problems names
    required: bool = True
    several_lines: bool = False

    @property
    def key(self) -> str:
        return header_key(self.name)


COLUMNS = (
    Column("date", "activity_on"),
    Column("title", "title"),
    Column("category", "category_id"),
    Column("hours", "hours"),
    Column("reflection", "learned", several_lines=True),
    Column("end date", "ended_on", required=False),
    Column("provider", "provider", required=False),
    Column("applied", "applied", required=False, several_lines=True),
)
REQUIRED = tuple(column for column in COLUMNS if column.required)
EXAMPLE = {
    "date": "2025-11-20",
    "title": "Project risk workshop",
    "hours": "3.5",
    "reflection": "How to write a risk register that the project board reads",
    "end date": "",
    "provider": "Association for Project Management",
    "applied": "I rewrote the risk register for my project",
}


ImportFileError = UnreadableFile  # the file as a whole is refused; nothing is saved


@dataclass(frozen=True)
class RowProblem:
    column: str | None  # a Column's name; None when it is about the whole row
    message: str


@dataclass(frozen=True)
class RowNotAdded:
    line: int  # the header is line 1
    problems: tuple[RowProblem, ...]
    already_there: bool = False  # a repeat, not a mistake


@dataclass
class ImportReport:
    added: int = 0
    not_added: list[RowNotAdded] = field(default_factory=list)

    @property
    def already_there(self) -> int:
        return sum(1 for row in self.not_added if row.already_there)

    @property
    def refused(self) -> int:
        return len(self.not_added) - self.already_there


# --- the import ----------------------------------------------------------------------------


def import_entries(
    source: bytes | BinaryIO, *, learner: User, today: date | None = None
) -> ImportReport:
    """Adds the valid rows of a CPD CSV file to the learner's own record, as external
    entries; reports the others by line. Raises ImportFileError, saving nothing, when the
    file itself cannot be imported. Flushes; the caller commits."""
    rows = _rows(source)
    rules = _Rules(_offered(), today or local_today())
    report = ImportReport()
    accepted: list[tuple[int, EntryDetails]] = []
    for line, cells in rows:
        details, problems = rules.check(cells)
        if problems:
            report.not_added.append(RowNotAdded(line, problems))
        else:
            accepted.append((line, details))

    new_entries = []
    first_line = _already_recorded(learner, [details for _, details in accepted])
    for line, details in accepted:
        key = _same_entry(details.activity_on, details.title, details.hours)
        if key in first_line:
            earlier = first_line[key]
            report.not_added.append(RowNotAdded(line, (_repeat(earlier),), already_there=True))
            continue
        first_line[key] = line
        entry = CpdEntry(learner_id=learner.id, source=EntrySource.EXTERNAL)
        apply_details(entry, details)  # exactly as the entry form's add_entry stores it
        new_entries.append(entry)
    _insert(learner, new_entries)
    report.added = len(new_entries)
    report.not_added.sort(key=lambda row: row.line)
    return report


def offered_category_names() -> list[str]:
    """The categories a file may name, in the order the entry form offers them."""
    return [category.name for category in _offered()]


def template_csv() -> str:
    """A file to fill in: the header row and one example row."""
    offered = _offered()
    example = EXAMPLE | {"category": offered[0].name if offered else "Course"}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([column.name for column in COLUMNS])
    writer.writerow([safe_cell(example[column.name]) for column in COLUMNS])
    return out.getvalue()


def _offered() -> list[CpdCategory]:
    return list(db.session.scalars(categories(offered_only=True)))


# --- reading the file ----------------------------------------------------------------------


def _rows(source: bytes | BinaryIO) -> list[tuple[int, dict[str, str]]]:
    """Each data row that is not blank, by line, as {column name: tidied cell}."""
    positions, records = csv_records(
        csv_text(read_limited(source, MAX_BYTES, TOO_LARGE)),
        header=_positions,
        max_rows=MAX_ROWS,
        rows_are="entries",
    )
    return [(line, _cells(record, positions)) for line, record in records]


def _positions(header: list[str]) -> dict[str, int]:
    """Where each column is; the first of two with one name wins. Others are ignored."""
    found: dict[str, int] = {}
    for position, cell in enumerate(header):
        found.setdefault(header_key(one_line(cell)), position)
    missing = [column.name for column in REQUIRED if column.key not in found]
    if len(missing) == len(REQUIRED):
        raise ImportFileError(
            "The selected file is not a CPD CSV file. Its first line must name the "
            "columns: " + ", ".join(missing)
        )
    if missing:
        raise ImportFileError(
            "The selected file is missing "
            + ("the column " if len(missing) == 1 else "the columns ")
            + ", ".join(missing)
        )
    return {column.name: found[column.key] for column in COLUMNS if column.key in found}


def _cells(record: list[str], positions: dict[str, int]) -> dict[str, str]:
    """Every column's cell, tidied as the forms tidy text; a short row's last cells and
    an optional column the file leaves out read as empty."""
    cells = {}
    for column in COLUMNS:
        position = positions.get(column.name)
        cell = record[position] if position is not None and position < len(record) else ""
        cells[column.name] = plain_text(cell) if column.several_lines else one_line(cell)
    return cells


# --- checking a row ------------------------------------------------------------------------


class _Rules:
    """What a row is checked against: the offered categories and today's date."""

    def __init__(self, offered: list[CpdCategory], today: date):
        self.by_id = {category.id: category for category in offered}
        self.by_name = {_name_key(category.name): category for category in offered}
        self.today = today
        self.category_words = (
            "Enter one of these categories: " + ", ".join(c.name for c in offered)
            if offered
            else "No categories are open for new entries. Contact the PMO team"
        )

    def check(self, cells: dict[str, str]) -> tuple[EntryDetails, tuple[RowProblem, ...]]:
        """The entry a row describes, and what is wrong with it by column (none: it is
        fine). Our words where a cell cannot be read; entry_problems' for the rest."""
        unreadable: dict[str, str] = {}  # field -> what to do

        def read_date(column: str, field_name: str, what: str) -> date | None:
            text = cells[column]
            day = _date(text) if text else None
            if text and day is None:
                unreadable[field_name] = (
                    f"Enter {what} as a real date, like 2026-04-01 or 01/04/2026"
                )
            elif day is not None and not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
                unreadable[field_name] = (
                    f"Enter a date between the years {EARLIEST_YEAR} and {LATEST_YEAR}"
                )
                return None
            return day

        activity_on = read_date("date", "activity_on", "the date of the activity")
        ended_on = read_date("end date", "ended_on", "the end date")
        hours = parse_hours(cells["hours"]) if cells["hours"] else None
        if cells["hours"] and hours is None:
            unreadable["hours"] = "Enter the hours as a number, like 1.5"
        category = self.by_name.get(_name_key(cells["category"]))
        if category is None:
            unreadable["category_id"] = self.category_words
        details = EntryDetails(
            title=cells["title"],
            category_id=category.id if category else None,
            activity_on=activity_on,
            ended_on=ended_on,
            hours=hours,
            provider=cells["provider"],
            learned=cells["reflection"],
            applied=cells["applied"],
        )
        messages = dict(unreadable)
        for problem in entry_problems(details, today=self.today, categories=self.by_id):
            messages.setdefault(problem.field, problem.message)
        problems = [
            RowProblem(column.name, messages.pop(column.field))
            for column in COLUMNS
            if column.field in messages
        ]
        problems += [RowProblem(None, message) for message in messages.values()]
        return details, tuple(problems)


def _date(text: str) -> date | None:
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _name_key(name: str) -> str:
    return " ".join(name.casefold().split())


# --- repeats -------------------------------------------------------------------------------


def _same_entry(activity_on: date | None, title: str, hours: Decimal | None) -> tuple:
    """What makes two entries the same: the date, the title in any case, the hours."""
    return (activity_on, " ".join(title.casefold().split()), hours)


def _already_recorded(learner: User, rows: list[EntryDetails]) -> dict[tuple, int]:
    """The learner's entries on the dates of `rows` (one query), as `_same_entry` keys,
    each mapped to 0: already in the record before this file."""
    days = [details.activity_on for details in rows if details.activity_on]
    if not days:
        return {}
    found = db.session.execute(
        select(CpdEntry.activity_on, CpdEntry.title, CpdEntry.hours).where(
            CpdEntry.learner_id == learner.id,
            CpdEntry.activity_on.between(min(days), max(days)),
        )
    )
    return {_same_entry(*entry): 0 for entry in found}


def _repeat(earlier_line: int) -> RowProblem:
    if earlier_line == 0:
        return RowProblem(None, "Already in your record (the same date, title and hours)")
    return RowProblem(None, f"The same as line {earlier_line} (the same date, title and hours)")


# --- saving --------------------------------------------------------------------------------

_SAVED = ("learner_id", "source", "title", "category_id", "activity_on", "ended_on", "hours")
_SAVED += ("provider", "learned", "applied")


def _insert(learner: User, entries: list[CpdEntry]) -> None:
    """Inserts the entries and their audit events in a few statements, whatever their
    number. The RETURNING rows come in no set order (asking for one makes SQLite send one
    INSERT per entry), so each is matched back to its entry by date, title and hours:
    unique among the entries added, as repeats were skipped."""
    if not entries:
        return
    inserted = db.session.execute(
        insert(CpdEntry).returning(
            CpdEntry.id, CpdEntry.activity_on, CpdEntry.title, CpdEntry.hours
        ),
        [{name: getattr(entry, name) for name in _SAVED} for entry in entries],
    )
    by_key = {(entry.activity_on, entry.title, entry.hours): entry for entry in entries}
    for entry_id, *key in inserted:
        by_key[tuple(key)].id = entry_id
    audit.record_many(
        [
            audit.build(learner, "cpd_entry.added", entry, None, audit_facts(entry))
            for entry in entries
        ]
    )
