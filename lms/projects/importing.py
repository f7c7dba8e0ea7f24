"""Importing projects from the PPM platform's project export (a CSV file).

Projects are matched by PPM reference (in any case; a reference is stored as the file
first gave it, and a change of case only is not a change), and created or updated from
the row. People are matched by email address (in any case) or staff number. For each
project the row names a lead, project managers and team members: anyone not yet on the
project is added in that role, anyone already on it in another role has their role
changed, and people on the project whom the file does not name (added in the app) are
left alone: the import never removes anyone. A person named in two columns of a row
takes the higher role (lead, then project manager, then team member).

The file is the source for the columns it has: an empty cell empties the field (Status
excepted: empty keeps the project's status, or makes a new one Proposed), and a column
left out of the file leaves that field as it is. A row with any problem (no reference
or title, a service group, status or person the service does not know, a date that is
not a date or an end before the start, a reference already on an earlier line) is
reported with every reason by column and not saved; the other rows are. Importing a
file twice changes nothing the second time: every row is reported unchanged and no
statement or audit event is written for it.

The work costs a few statements whatever the number of rows: the projects the file
names and their people are loaded in two queries, everyone's email and staff number and
the service groups in two more, then new projects, new links, changed roles, changed
projects and the audit events are each written in one statement (`record_many`).

Lines are numbered as a spreadsheet shows the file: the header is line 1, and a cell
holding several lines of text still makes one line.
"""

from __future__ import annotations

import csv
import enum
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, BinaryIO

from sqlalchemy import func, insert, select, update

from lms.audit import audit
from lms.auth.models import User
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.core.timezones import local_today, to_local
from lms.people.importing import STAFF_NUMBER
from lms.people.models import ServiceGroup
from lms.projects.models import (
    Project,
    ProjectMember,
    ProjectRole,
    ProjectStatus,
    derived_dates,
)
from lms.projects.register import (
    DESCRIPTION_LENGTH,
    REFERENCE_LENGTH,
    SPONSOR_LENGTH,
    TITLE_LENGTH,
)
from lms.web.forms import DATE_FORMATS, one_line, plain_text
from lms.web.spreadsheets import (
    UnreadableFile,
    csv_records,
    csv_text,
    header_key,
    read_limited,
    safe_cell,
)

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 2000
TOO_LARGE = "The selected file must be smaller than 5 MB"
EARLIEST_YEAR, LATEST_YEAR = 1900, 2200  # as the forms' dates (lms.web.forms.SensibleDate)
# The register's limits, in the register form's words.
LENGTHS = {
    "Reference": (REFERENCE_LENGTH, f"Enter a reference of {REFERENCE_LENGTH} characters or fewer"),
    "Title": (TITLE_LENGTH, f"Enter a title of {TITLE_LENGTH} characters or fewer"),
    "Sponsor": (SPONSOR_LENGTH, f"Enter a name of {SPONSOR_LENGTH} characters or fewer"),
    "Description": (DESCRIPTION_LENGTH, f"Enter {DESCRIPTION_LENGTH} characters or fewer"),
}
ACTION = "project.imported"


@dataclass(frozen=True)
class Column:
    name: str  # as the page, the template file and the report write it
    required: bool = False  # the file's first line must name it
    several_lines: bool = False

    @property
    def key(self) -> str:
        return header_key(self.name)


COLUMNS = (
    Column("Reference", required=True),
    Column("Title", required=True),
    Column("Description", several_lines=True),
    Column("Service group"),
    Column("Sponsor"),
    Column("Start date"),
    Column("Planned end date"),
    Column("Status"),
    Column("Lead"),
    Column("Project manager"),
    Column("Team members"),
)
REQUIRED = tuple(column for column in COLUMNS if column.required)
# The people columns, highest role first: a person in two columns takes the first.
PEOPLE_COLUMNS = {
    "Lead": ProjectRole.LEAD,
    "Project manager": ProjectRole.PROJECT_MANAGER,
    "Team members": ProjectRole.MEMBER,
}
_RANK = {role: rank for rank, role in enumerate(PEOPLE_COLUMNS.values())}
EXAMPLE = {
    "Reference": "PPM-0101",
    "Title": "Digital outpatient letters",
    "Description": "Send clinic letters to patients through the NHS App instead of by post.",
    "Service group": "Corporate",
    "Sponsor": "Chief Clinical Information Officer",
    "Start date": "2026-04-01",
    "Planned end date": "31/03/2027",
    "Status": "Active",
    "Lead": "lead.person@nhs.net",
    "Project manager": "20005",
    "Team members": "first.member@nhs.net; 20001",
}

# The project's fields an import sets, as columns of `project`, and the column of the
# file that fills each.
FIELDS = {
    "title": "Title",
    "description": "Description",
    "service_group_id": "Service group",
    "sponsor": "Sponsor",
    "starts_on": "Start date",
    "planned_end_on": "Planned end date",
    "status": "Status",
}
NEW_PROJECT = {
    "title": "",
    "description": "",
    "service_group_id": None,
    "sponsor": None,
    "starts_on": None,
    "planned_end_on": None,
    "status": ProjectStatus.PROPOSED,
}


ImportFileError = UnreadableFile  # the file as a whole is refused; nothing is saved


class Outcome(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"  # the row was not saved

    @property
    def label(self) -> str:
        return {
            "created": "Created",
            "updated": "Updated",
            "unchanged": "Unchanged",
            "rejected": "Not saved",
        }[self.value]


@dataclass(frozen=True)
class RowProblem:
    column: str | None  # a Column's name; None when it is about the whole row
    message: str


@dataclass(frozen=True)
class LineResult:
    """What became of one line of the file."""

    line: int  # the header is line 1
    reference: str
    outcome: Outcome
    problems: tuple[RowProblem, ...] = ()  # why a rejected row was not saved
    changed: tuple[str, ...] = ()  # the columns an update changed ("People" for links)


@dataclass
class ImportReport:
    lines: list[LineResult] = field(default_factory=list)

    def _count(self, outcome: Outcome) -> int:
        return sum(1 for line in self.lines if line.outcome is outcome)

    @property
    def created(self) -> int:
        return self._count(Outcome.CREATED)

    @property
    def updated(self) -> int:
        return self._count(Outcome.UPDATED)

    @property
    def unchanged(self) -> int:
        return self._count(Outcome.UNCHANGED)

    @property
    def rejected(self) -> int:
        return self._count(Outcome.REJECTED)

    def counts(self) -> dict[str, int]:
        return {outcome.value: self._count(outcome) for outcome in Outcome}

    def summary(self) -> str:
        """The counts in words, like "8 created, 0 updated, 0 unchanged, 5 rejected"."""
        return ", ".join(f"{number} {outcome}" for outcome, number in self.counts().items())


# --- the import ----------------------------------------------------------------------------


def import_projects(source: bytes | BinaryIO, *, by: User) -> ImportReport:
    """Creates or updates a project for each valid row of a PPM project export, links
    the people it names, and reports every line; rows with a problem are not saved.
    Raises ImportFileError, changing nothing, when the file itself cannot be imported.
    Flushes; the caller commits."""
    present, rows = _rows(source)
    known = _Known.load([cells["Reference"] for _, cells in rows])
    report = ImportReport()
    plans: list[_Plan] = []
    first_line: dict[str, int] = {}  # reference in any case -> the first line giving it
    for line, cells in rows:
        plan, problems = known.check(line, cells, present, first_line)
        if problems:
            report.lines.append(LineResult(line, cells["Reference"], Outcome.REJECTED, problems))
        else:
            plans.append(plan)
    new = [plan for plan in plans if plan.stored is None]
    changed = [plan for plan in plans if plan.stored is not None and plan.changed]
    _save(new, changed, by)
    audit.record_many([plan.audit_event(by, known.emails) for plan in (*new, *changed)])
    report.lines.extend(plan.result() for plan in plans)
    report.lines.sort(key=lambda result: result.line)
    return report


def template_csv() -> str:
    """A file to fill in: the header row and one example row."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([column.name for column in COLUMNS])
    writer.writerow([safe_cell(EXAMPLE[column.name]) for column in COLUMNS])
    return out.getvalue()


def status_words() -> list[str]:
    return [status.label for status in ProjectStatus]


# --- reading the file ----------------------------------------------------------------------


def _rows(source: bytes | BinaryIO) -> tuple[frozenset[str], list[tuple[int, dict[str, str]]]]:
    """The columns the file has, and each data row that is not blank, by line, as
    {column name: tidied cell}."""
    positions, records = csv_records(
        csv_text(read_limited(source, MAX_BYTES, TOO_LARGE)),
        header=_positions,
        max_rows=MAX_ROWS,
        rows_are="projects",
    )
    return frozenset(positions), [(line, _cells(record, positions)) for line, record in records]


def _positions(header: list[str]) -> dict[str, int]:
    """Where each column is; the first of two with one name wins. Others are ignored."""
    found: dict[str, int] = {}
    for position, cell in enumerate(header):
        found.setdefault(header_key(one_line(cell)), position)
    missing = [column.name for column in REQUIRED if column.key not in found]
    if len(missing) == len(REQUIRED):
        raise ImportFileError(
            "The selected file is not a PPM project export. Its first line must name the "
            "columns " + " and ".join(missing) + ", and may name the others this page lists"
        )
    if missing:
        raise ImportFileError("The selected file is missing the column " + missing[0])
    return {column.name: found[column.key] for column in COLUMNS if column.key in found}


def _cells(record: list[str], positions: dict[str, int]) -> dict[str, str]:
    """Every column's cell, tidied as the forms tidy text; a short row's last cells and a
    column the file leaves out read as empty."""
    cells = {}
    for column in COLUMNS:
        position = positions.get(column.name)
        cell = record[position] if position is not None and position < len(record) else ""
        cells[column.name] = plain_text(cell) if column.several_lines else one_line(cell)
    return cells


def _date(text: str) -> date | None:
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _name_key(name: str) -> str:
    return " ".join(name.casefold().split())


def _status_key(word: str) -> str:
    return "".join(char for char in word.casefold() if char.isalnum())


STATUSES = {_status_key(status.label): status for status in ProjectStatus}


# --- what the file names: projects, people, service groups ---------------------------------


@dataclass
class _Stored:
    """An existing project as the import compares it (its columns, and its people by id:
    (link id, role)). `id` lets the audit log name it."""

    id: int
    ppm_reference: str
    values: dict[str, Any]
    people: dict[int, tuple[int, ProjectRole]]
    registered_on: date  # the UK day it was registered (lms.projects.models.derived_dates)


@dataclass
class _Plan:
    """An accepted row: the project it makes or changes, and its people."""

    line: int
    reference: str
    stored: _Stored | None  # None: a new project
    values: dict[str, Any]  # every field of FIELDS, as the project should be
    people: dict[int, ProjectRole]  # person id -> role, from the file
    service_groups: dict[int, str] = field(repr=False, default_factory=dict)
    id: int | None = None  # a new project's, once inserted

    @property
    def changes(self) -> list[str]:
        """The fields of FIELDS that differ from the stored project (all, for a new one)."""
        before = self.stored.values if self.stored else NEW_PROJECT
        return [name for name in FIELDS if self.values[name] != before[name]]

    @property
    def new_links(self) -> dict[int, ProjectRole]:
        stored = self.stored.people if self.stored else {}
        return {person: role for person, role in self.people.items() if person not in stored}

    @property
    def role_changes(self) -> dict[int, tuple[int, ProjectRole, ProjectRole]]:
        """person id -> (link id, role before, role now), for links whose role changes."""
        if self.stored is None:
            return {}
        return {
            person: (link, was, self.people[person])
            for person, (link, was) in self.stored.people.items()
            if person in self.people and self.people[person] != was
        }

    @property
    def people_changed(self) -> bool:
        return bool(self.new_links or self.role_changes)

    @property
    def changed(self) -> bool:
        """Whether an existing project changes at all: a detail, or its people."""
        return bool(self.changes) or self.people_changed

    def result(self) -> LineResult:
        if self.stored is None:
            return LineResult(self.line, self.reference, Outcome.CREATED)
        changed = [FIELDS[name] for name in self.changes]
        if self.people_changed:
            changed.append("People")
        outcome = Outcome.UPDATED if changed else Outcome.UNCHANGED
        return LineResult(self.line, self.reference, outcome, changed=tuple(changed))

    def audit_event(self, by: User, emails: dict[int, str]) -> audit.AuditEvent:
        """`project.imported`: a new project's facts, or what an update changed, before
        and after. People are named by email, with their role (None: not on the project)."""
        entity = _Entity(self.id if self.stored is None else self.stored.id)
        if self.stored is None:
            after = {"ppm_reference": self.reference} | self._facts(self.values, FIELDS)
            after["people"] = {emails[person]: role.value for person, role in self.people.items()}
            return audit.build(by, ACTION, entity, None, after, entity_type="Project")
        changes = self.changes
        before = self._facts(self.stored.values, changes)
        after = self._facts(self.values, changes)
        if self.people_changed:
            linked = self.new_links | {p: now for p, (_, _, now) in self.role_changes.items()}
            before["people"] = {
                emails[person]: (
                    self.role_changes[person][1].value if person in self.role_changes else None
                )
                for person in linked
            }
            after["people"] = {emails[person]: role.value for person, role in linked.items()}
        return audit.build(by, ACTION, entity, before, after, entity_type="Project")

    def _facts(self, values: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
        """The fields as the audit log reads them: the service group by name."""
        facts = {}
        for name in names:
            value = values[name]
            if name == "service_group_id":
                facts["service_group"] = self.service_groups.get(value)
            else:
                facts[name] = value.value if isinstance(value, ProjectStatus) else value
        return facts


@dataclass(frozen=True)
class _Entity:
    """What `audit.build` needs to name a project it has no loaded object for."""

    id: int


class _Known:
    """The projects a file names, everyone's email and staff number, and the service
    groups, each loaded once, by key."""

    def __init__(self, stored: list[_Stored], people, service_groups):
        self.by_reference: dict[str, list[_Stored]] = {}
        for project in stored:
            self.by_reference.setdefault(project.ppm_reference.casefold(), []).append(project)
        self.emails: dict[int, str] = {}
        self.by_email: dict[str, int] = {}
        self.by_staff_number: dict[str, int] = {}
        for person_id, email, staff_number in people:
            self.emails[person_id] = email
            self.by_email[email.casefold()] = person_id
            if staff_number:
                self.by_staff_number[staff_number.casefold()] = person_id
        self.service_groups: dict[str, int] = {_name_key(name): id_ for id_, name in service_groups}
        self.service_group_names: dict[int, str] = {id_: name for id_, name in service_groups}

    @classmethod
    def load(cls, references: list[str]) -> _Known:
        keys = sorted({reference.casefold() for reference in references if reference})
        stored: dict[int, _Stored] = {}
        if keys:
            # PPM references are codes in ASCII, which lower() folds alike in every database.
            matching = func.lower(Project.ppm_reference).in_(sorted({k.lower() for k in keys}))
            columns = [getattr(Project, name) for name in FIELDS]
            for project_id, reference, created_at, *values in db.session.execute(
                select(Project.id, Project.ppm_reference, Project.created_at, *columns).where(
                    matching
                )
            ):
                stored[project_id] = _Stored(
                    project_id,
                    reference,
                    dict(zip(FIELDS, values, strict=True)),
                    {},
                    to_local(created_at).date(),
                )
            links = db.session.execute(
                select(
                    ProjectMember.id,
                    ProjectMember.project_id,
                    ProjectMember.person_id,
                    ProjectMember.role,
                )
                .join(Project, Project.id == ProjectMember.project_id)
                .where(matching)
            )
            for link_id, project_id, person_id, role in links:
                stored[project_id].people[person_id] = (link_id, role)
        # Everyone, not only the people the file names: a file may name thousands, more
        # than a statement's list of values should hold, and three columns cost little.
        people = db.session.execute(select(User.id, User.email, User.staff_number)).all()
        service_groups = db.session.execute(select(ServiceGroup.id, ServiceGroup.name)).all()
        return cls(list(stored.values()), people, service_groups)

    # --- checking a row ------------------------------------------------------------------

    def check(
        self,
        line: int,
        cells: dict[str, str],
        present: frozenset[str],
        first_line: dict[str, int],
    ) -> tuple[_Plan | None, tuple[RowProblem, ...]]:
        """The plan a row makes, or what is wrong with it, by column, in the file's order."""
        problems: list[RowProblem] = []

        def refuse(column: str | None, message: str) -> None:
            problems.append(RowProblem(column, message))

        reference = cells["Reference"]
        stored = None
        if not reference:
            refuse("Reference", "Enter the project's PPM reference")
        else:
            key = reference.casefold()
            if key in first_line:
                refuse(
                    "Reference",
                    f"{reference} is also on line {first_line[key]}: a project may be in "
                    "the file once",
                )
            else:
                first_line[key] = line
            stored = self._project(reference, refuse)
        if not cells["Title"]:
            refuse("Title", "Enter the project's title")
        for column, (most, message) in LENGTHS.items():
            if len(cells[column]) > most:
                refuse(column, message)

        values = dict(stored.values if stored else NEW_PROJECT)
        values["title"] = cells["Title"]
        if "Description" in present:
            values["description"] = cells["Description"]
        if "Sponsor" in present:
            values["sponsor"] = cells["Sponsor"] or None
        if "Service group" in present:
            values["service_group_id"] = self._service_group(cells["Service group"], refuse)
        if "Status" in present and cells["Status"]:
            status = STATUSES.get(_status_key(cells["Status"]))
            if status is None:
                refuse(
                    "Status",
                    f"{cells['Status']} is not a status. Enter one of: "
                    + ", ".join(status_words()),
                )
            values["status"] = status or values["status"]
        for name, column in (("starts_on", "Start date"), ("planned_end_on", "Planned end date")):
            if column in present:
                values[name] = _read_date(cells[column], column, refuse)
        starts_on, ends_on = values["starts_on"], values["planned_end_on"]
        if starts_on and ends_on and ends_on < starts_on:
            refuse(
                "Planned end date",
                f"The planned end must be on or after the start date ({starts_on.isoformat()})",
            )

        people: dict[int, ProjectRole] = {}
        for column, role in PEOPLE_COLUMNS.items():
            for person in self._people(cells[column], column, refuse):
                if person not in people or _RANK[role] < _RANK[people[person]]:
                    people[person] = role
        if problems:
            order = [column.name for column in COLUMNS]
            problems.sort(key=lambda p: order.index(p.column) if p.column else len(order))
            return None, tuple(problems)
        return (
            _Plan(
                line,
                stored.ppm_reference if stored else reference,
                stored,
                values,
                people,
                self.service_group_names,
            ),
            (),
        )

    def _project(self, reference: str, refuse) -> _Stored | None:
        """The project with this reference: the one written exactly so, else the only one
        written so in another case."""
        found = self.by_reference.get(reference.casefold(), [])
        exact = [project for project in found if project.ppm_reference == reference]
        if exact or len(found) <= 1:
            return (exact or found or [None])[0]
        refuse(
            "Reference",
            f"{reference} matches {len(found)} projects in different cases ("
            + ", ".join(sorted(project.ppm_reference for project in found))
            + "): give the reference exactly as one of them has it",
        )
        return None

    def _service_group(self, name: str, refuse) -> int | None:
        if not name:
            return None
        found = self.service_groups.get(_name_key(name))
        if found is None:
            names = sorted(self.service_group_names.values(), key=str.casefold)
            refuse(
                "Service group",
                f"{name} is not a service group in the system. "
                + (
                    "Enter one of: " + ", ".join(names)
                    if names
                    else "There are none yet: import staff first, or leave it empty"
                ),
            )
        return found

    def _people(self, cell: str, column: str, refuse) -> list[int]:
        """The ids of the people a cell names (emails or staff numbers, separated by
        semicolons or commas), refusing each one not found."""
        found = []
        for word in (part.strip() for part in cell.replace(",", ";").split(";")):
            if not word:
                continue
            if "@" in word:
                person = self.by_email.get(word.casefold())
                if person is None:
                    refuse(column, f"Nobody in the system has the email address {word}")
            elif STAFF_NUMBER.match(word):
                person = self.by_staff_number.get(word.casefold())
                if person is None:
                    refuse(column, f"Nobody in the system has the staff number {word}")
            else:
                person = None
                refuse(column, f"{word} is not an email address or a staff number")
            if person is not None and person not in found:
                found.append(person)
        return found


def _read_date(text: str, column: str, refuse) -> date | None:
    if not text:
        return None
    day = _date(text)
    what = column[0].lower() + column[1:]
    if day is None:
        refuse(column, f"Enter the {what} as a real date, like 2026-04-01 or 01/04/2026")
    elif not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        refuse(column, f"Enter a date between the years {EARLIEST_YEAR} and {LATEST_YEAR}")
        return None
    return day


# --- saving --------------------------------------------------------------------------------


def _save(new: list[_Plan], changed: list[_Plan], by: User) -> None:
    """Inserts the new projects and their people, then changes roles and projects, each
    in one statement whatever the number of rows (a second INSERT past 1,000 projects).

    The RETURNING rows come in no set order (asking for one makes SQLite send one INSERT
    per project), so each is matched back to its plan by reference: unique in the file."""
    session = db.session
    if new:
        inserted = session.execute(
            insert(Project).returning(Project.id, Project.ppm_reference),
            [
                {"ppm_reference": plan.reference, "created_by_id": by.id}
                | plan.values
                | derived_dates(plan.values["starts_on"], local_today())
                for plan in new
            ],
        )
        by_reference = {plan.reference: plan for plan in new}
        for project_id, reference in inserted:
            by_reference[reference].id = project_id
    links = [
        {"project_id": plan.id or plan.stored.id, "person_id": person, "role": role}
        for plan in (*new, *changed)
        for person, role in plan.new_links.items()
    ]
    if links:
        session.execute(insert(ProjectMember), links)
    roles = [
        {"id": link, "role": now} for plan in changed for link, _, now in plan.role_changes.values()
    ]
    if roles:
        session.execute(update(ProjectMember), roles)
    if changed:
        now = utcnow()
        session.execute(
            update(Project),
            [
                {"id": plan.stored.id, "updated_at": now}
                | plan.values
                | derived_dates(plan.values["starts_on"], plan.stored.registered_on)
                for plan in changed
            ],
        )
