"""Staff import: create or update people from a staff CSV export (ESR or similar).

One pass checks every row against the file and the database, a second sets line
managers once everyone is known (a manager may appear later in the file), and the
changes are written in bulk: existing people, departments and service groups are
loaded in a few queries, new people are inserted in batches, and nothing is flushed
per row. The caller commits once, so an import is saved whole or not at all.

Each existing person the import changes gets one `user.updated` audit event with the
fields that changed, before and after, as the people pages write it; someone whose
login email changed is told so at their old address.
"""

from __future__ import annotations

import csv
import enum
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import lazyload

from lms.audit import audit
from lms.auth import accounts
from lms.auth.models import User
from lms.core.domain import DomainError
from lms.core.extensions import db
from lms.core.outbox import queue_many_mail
from lms.people.models import Department, ServiceGroup
from lms.web.forms import one_line

REQUIRED_COLUMNS = (
    "staff_number",
    "first_name",
    "last_name",
    "email",
    "job_title",
    "department",
    "service_group",
    "line_manager_staff_number",
)
STAFF_NUMBER = re.compile(r"^[A-Za-z0-9-]{1,20}$")
NAME_LENGTH = 200  # full name, job title, department and service group columns
PROGRESS_EVERY = 500  # rows between calls to the progress callback

Progress = Callable[[int, int], None]
"""Called with (rows done, rows in total) while an import runs."""


class ImportFileError(DomainError):
    """The file as a whole cannot be imported; nothing was changed."""

    field = "file"


class RowOutcome(enum.StrEnum):
    REJECTED = "rejected"  # the row was not saved
    WARNING = "warning"  # the row was saved, without a line manager

    @property
    def label(self) -> str:
        return {"rejected": "Not saved", "warning": "Saved without a manager"}[self.value]


@dataclass(frozen=True)
class RowProblem:
    line: int  # the header is line 1
    outcome: RowOutcome
    reason: str


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    invited: int | None = None  # None when invitations were not asked for
    told_of_new_email: int = 0  # people mailed at their old address about their new one

    @property
    def rejected(self) -> int:
        return sum(1 for problem in self.problems if problem.outcome is RowOutcome.REJECTED)

    @property
    def warnings(self) -> int:
        return sum(1 for problem in self.problems if problem.outcome is RowOutcome.WARNING)

    def counts(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "warnings": self.warnings,
        }


@dataclass
class _Row:
    line: int
    cells: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return self.cells[column]


@dataclass
class _Person:
    """An accepted row: who it is for and what they should look like."""

    line: int
    user: User | None  # the existing account, or None for someone new
    email: str
    full_name: str
    job_title: str | None
    staff_number: str | None
    department: Department | None
    service_group: ServiceGroup | None
    manager_staff_number: str | None
    manager: int | None = None  # a node of the management graph, set by _resolve_managers


class _Rejected(Exception):
    pass


# --- reading the file ----------------------------------------------------------------------


def _text(source: bytes | BinaryIO | Any) -> str:
    data = source if isinstance(source, bytes | bytearray | memoryview) else source.read()
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    data = bytes(data)
    if b"\x00" in data:
        raise ImportFileError("The selected file is not a CSV file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")  # what Excel on Windows saves as "CSV"
    except UnicodeDecodeError:
        raise ImportFileError(
            "The selected file could not be read. Save it from your spreadsheet as "
            "“CSV UTF-8” and try again"
        ) from None


def _normalise_header(name: str) -> str:
    return "_".join(name.strip().lower().split())


def _rows(text: str) -> list[_Row]:
    """The data rows that are not blank, each with its line number (the header's is 1)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    rows: list[_Row] = []
    line = 1
    try:
        for record in reader:
            cells = [one_line(cell) for cell in record]  # no line breaks or hidden characters
            if any(cells):
                if header is None:
                    header = [_normalise_header(cell) for cell in cells]
                    _check_columns(header)
                else:
                    rows.append(_Row(line, _by_column(header, cells)))
            line = reader.line_num + 1
    except csv.Error as error:
        raise ImportFileError(
            f"Line {reader.line_num} of the file could not be read. Check that the file "
            "is saved as CSV and try again"
        ) from error
    if header is None:
        raise ImportFileError("The selected file is empty")
    return rows


def _check_columns(header: list[str]) -> None:
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if len(missing) == len(REQUIRED_COLUMNS):
        raise ImportFileError(
            "The selected file is not a staff CSV file. Its first line must name the "
            "columns: " + ", ".join(REQUIRED_COLUMNS)
        )
    if missing:
        raise ImportFileError(
            "The selected file is missing "
            + ("the column " if len(missing) == 1 else "the columns ")
            + ", ".join(missing)
        )


def _by_column(header: list[str], cells: list[str]) -> dict[str, str]:
    """Required cells by column name; the first column of a name wins, short rows read as empty."""
    values: dict[str, str] = {}
    for position, name in enumerate(header):
        if name in REQUIRED_COLUMNS and name not in values:
            values[name] = cells[position] if position < len(cells) else ""
    return values


# --- the import ----------------------------------------------------------------------------


def import_staff(
    source: bytes | BinaryIO,
    *,
    by: User | None,
    progress: Progress | None = None,
    invite: bool = False,
) -> ImportReport:
    """Creates or updates people from a staff CSV file; never changes a password.

    People are matched by staff number, else by email (rows without a staff number are
    external people, matched by email). A row with a missing or malformed email, or a
    staff number or email already used on an earlier line, is rejected and not saved.
    A row whose line manager is unknown, is the person themself, or would close a loop
    in the management chain is saved without a manager and warned about. Raises
    ImportFileError, changing nothing, when the file itself cannot be imported.
    With `invite`, everyone the import creates is mailed an invitation (in bulk, through
    the outbox); people who already had an account are not. Flushes; the caller commits.
    """
    rows = _rows(_text(source))
    total = len(rows)
    report = ImportReport()
    state = _Directory.load()

    people: list[_Person] = []
    for done, row in enumerate(rows, start=1):
        try:
            people.append(state.accept(row))
        except _Rejected as refusal:
            report.problems.append(RowProblem(row.line, RowOutcome.REJECTED, str(refusal)))
        if progress is not None and (done % PROGRESS_EVERY == 0 or done == total):
            progress(done, total)

    report.problems.extend(_resolve_managers(people, state))
    emails_before = {user.id: user.email for user in state.users_by_id.values()}
    before = _snapshots(people, state)
    created = _save(people, state, report)
    after = _snapshots(people, state)
    emails_after = emails_before | _emails(people) | created
    changes = _changes(people, (before, emails_before), (after, emails_after))
    audit.record_many([audit.build(by, "user.updated", *change) for change in changes])
    report.told_of_new_email = _tell_old_addresses(changes)
    report.problems.sort(key=lambda problem: problem.line)
    counts = report.counts()
    if invite:
        report.invited = counts["invited"] = accounts.send_invitations(list(created), by=by)
    audit.record(by, "people.imported", None, None, counts, entity_type="User")
    return report


class _Directory:
    """The people, departments and service groups that exist, loaded once, by key."""

    def __init__(self, users: list[User], departments, service_groups):
        self.users_by_id: dict[int, User] = {user.id: user for user in users}
        self.by_staff_number: dict[str, User] = {
            user.staff_number: user for user in users if user.staff_number
        }
        self.by_email: dict[str, User] = {user.email.lower(): user for user in users}
        self.departments: dict[str, Department] = {d.name.lower(): d for d in departments}
        self.service_groups: dict[str, ServiceGroup] = {g.name.lower(): g for g in service_groups}
        self.new_places: list[Department | ServiceGroup] = []
        self.staff_numbers_seen: dict[str, int] = {}  # staff number -> line of an accepted row
        self.emails_seen: dict[str, int] = {}  # lower-case email -> line of an accepted row

    @classmethod
    def load(cls) -> _Directory:
        # Roles are not needed here; keep them from being loaded for every person.
        users = db.session.scalars(select(User).options(lazyload(User.role_grants))).all()
        return cls(
            list(users),
            db.session.scalars(select(Department)).all(),
            db.session.scalars(select(ServiceGroup)).all(),
        )

    def accept(self, row: _Row) -> _Person:
        """The person a row describes, or _Rejected with the reason."""
        email = _valid_email(row["email"])
        staff_number = row["staff_number"] or None
        if staff_number is not None and not STAFF_NUMBER.match(staff_number):
            raise _Rejected(
                f"Staff number {staff_number} must be up to 20 letters, numbers and hyphens"
            )
        if staff_number and staff_number in self.staff_numbers_seen:
            raise _Rejected(
                f"Staff number {staff_number} is already used on line "
                f"{self.staff_numbers_seen[staff_number]}"
            )
        key = email.lower()
        if key in self.emails_seen:
            raise _Rejected(
                f"Email address {email} is already used on line {self.emails_seen[key]}"
            )
        full_name = " ".join(part for part in (row["first_name"], row["last_name"]) if part)
        if not full_name:
            raise _Rejected("First name and last name are both missing")
        for label, value in (
            ("Full name", full_name),
            ("Job title", row["job_title"]),
            ("Department", row["department"]),
            ("Service group", row["service_group"]),
        ):
            if len(value) > NAME_LENGTH:
                raise _Rejected(f"{label} is longer than {NAME_LENGTH} characters")

        user = self._match(staff_number, email)
        if staff_number:
            self.staff_numbers_seen[staff_number] = row.line
        self.emails_seen[key] = row.line
        if user is not None and user.email.lower() == key:
            email = user.email  # a change of case only is not a change
        return _Person(
            line=row.line,
            user=user,
            email=email,
            full_name=full_name,
            job_title=row["job_title"] or None,
            staff_number=staff_number,
            department=self._place(self.departments, Department, row["department"]),
            service_group=self._place(self.service_groups, ServiceGroup, row["service_group"]),
            manager_staff_number=row["line_manager_staff_number"] or None,
        )

    def _match(self, staff_number: str | None, email: str) -> User | None:
        """The existing account a row is for, refusing rows that would take another's email."""
        holder = self.by_email.get(email.lower())
        user = self.by_staff_number.get(staff_number) if staff_number else None
        if user is None and holder is not None:
            if holder.staff_number:
                raise _Rejected(
                    f"Email address {email} belongs to staff number {holder.staff_number}"
                )
            return holder  # an external person, or someone added without a staff number
        if holder is not None and holder is not user:
            raise _Rejected(
                f"Email address {email} belongs to another person"
                + (f" (staff number {holder.staff_number})" if holder.staff_number else "")
            )
        return user

    def _place(self, known: dict, model, name: str):
        if not name:
            return None
        place = known.get(name.lower())
        if place is None:
            place = known[name.lower()] = model(name=name)
            self.new_places.append(place)
        return place


def _valid_email(value: str) -> str:
    if not value:
        raise _Rejected("Email address is missing")
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise _Rejected(f"Email address {value} is not in the correct format") from None


# --- line managers -------------------------------------------------------------------------


def _resolve_managers(people: list[_Person], state: _Directory) -> Iterator[RowProblem]:
    """Points each person at their manager; yields a warning for each link left unset.

    The management graph has a node per person: existing accounts by their id, new
    people by a negative number. Links from the file replace the database's.
    """

    def node(person: _Person, index: int) -> int:
        return person.user.id if person.user is not None else -(index + 1)

    by_staff_number = {
        person.staff_number: node(person, index)
        for index, person in enumerate(people)
        if person.staff_number
    }
    graph: dict[int, int | None] = {
        user.id: user.line_manager_id for user in state.users_by_id.values()
    }
    for index, person in enumerate(people):
        wanted = person.manager_staff_number
        target: int | None = None
        if wanted is None:
            pass
        elif wanted == person.staff_number:
            yield RowProblem(
                person.line,
                RowOutcome.WARNING,
                "Line manager is the person themself; saved without one",
            )
        elif wanted in by_staff_number:
            target = by_staff_number[wanted]
        elif wanted in state.by_staff_number:
            target = state.by_staff_number[wanted].id
        else:
            yield RowProblem(
                person.line,
                RowOutcome.WARNING,
                f"Line manager {wanted} is not in the file or the system; saved without one",
            )
        person.manager = target
        graph[node(person, index)] = target

    on_loops = _nodes_on_loops(graph)
    for index, person in enumerate(people):
        if person.manager is not None and node(person, index) in on_loops:
            yield RowProblem(
                person.line,
                RowOutcome.WARNING,
                f"Line manager {person.manager_staff_number} would make a loop in the "
                "management chain; saved without one",
            )
            person.manager = None


def _nodes_on_loops(graph: dict[int, int | None]) -> set[int]:
    """The nodes on a cycle of a graph in which each node has at most one successor."""
    finished: set[int] = set()
    on_loops: set[int] = set()
    for start in graph:
        path: dict[int, int] = {}  # node -> position on the current walk
        current: int | None = start
        while current is not None and current not in finished and current not in path:
            path[current] = len(path)
            current = graph.get(current)
        if current is not None and current in path:
            on_loops.update(list(path)[path[current] :])
        finished.update(path)
    return on_loops


# --- writing -------------------------------------------------------------------------------


def _save(people: list[_Person], state: _Directory, report: ImportReport) -> dict[int, str]:
    """Inserts new people and updates changed ones in a few batched statements.

    Returns the id and email of each person created.
    """
    session = db.session
    if state.new_places:
        session.add_all(state.new_places)
        session.flush()

    changed: set[int] = set()  # positions in `people` of existing accounts that changed
    new_rows: list[dict[str, Any]] = []
    for index, person in enumerate(people):
        values = {
            "email": person.email,
            "full_name": person.full_name,
            "job_title": person.job_title,
            "staff_number": person.staff_number,
            "department_id": person.department.id if person.department else None,
            "service_group_id": person.service_group.id if person.service_group else None,
        }
        if person.user is None:
            # Managers who already have an id are set now; new ones once they have theirs.
            values["line_manager_id"] = person.manager if (person.manager or 0) > 0 else None
            new_rows.append(values)
        elif _assign(person.user, values):
            changed.add(index)

    new_ids: dict[int, int] = {}  # graph node of each new person -> their id
    if new_rows:
        # One executemany, not one INSERT per person: the ORM's unit of work cannot batch
        # inserts that must return autoincrement ids on SQLite.
        session.execute(insert(User), new_rows)
        ids = dict(session.execute(select(func.lower(User.email), User.id)).all())
        new_ids = {
            -(index + 1): ids[person.email.lower()]
            for index, person in enumerate(people)
            if person.user is None
        }

    later_links: list[dict[str, int]] = []
    for index, person in enumerate(people):
        manager_id = new_ids[person.manager] if (person.manager or 0) < 0 else person.manager
        if person.user is not None:
            if _assign(person.user, {"line_manager_id": manager_id}):
                changed.add(index)
        elif person.manager is not None and person.manager < 0:
            later_links.append({"id": new_ids[-(index + 1)], "line_manager_id": manager_id})
    if later_links:
        session.execute(update(User), later_links)
    for index in changed:
        # The columns changed underneath these; reload them if anything asks.
        session.expire(people[index].user, ["department", "service_group", "line_manager"])
    session.flush()

    report.created = len(new_rows)
    report.updated = len(changed)
    report.unchanged = len(people) - report.created - report.updated
    return {new_ids[-(index + 1)]: p.email for index, p in enumerate(people) if p.user is None}


def _assign(user: User, values: dict[str, Any]) -> bool:
    """Sets the values that differ; True if any did."""
    changed = False
    for name, value in values.items():
        if getattr(user, name) != value:
            setattr(user, name, value)
            changed = True
    return changed


# --- auditing and telling ------------------------------------------------------------------

_Change = tuple[User, dict[str, Any], dict[str, Any]]  # the person, before, after


def _emails(people: list[_Person]) -> dict[int, str]:
    """The email each existing person in the file has after the import, by id."""
    return {person.user.id: person.email for person in people if person.user is not None}


def _snapshots(people: list[_Person], state: _Directory) -> dict[int, dict[str, Any]]:
    """Each existing person in the file as the audit log describes them (as
    lms.people.directory does: names, not ids; the line manager's id until `_changes`
    names them), by position in `people`. Read from columns and the loaded directory,
    so it costs no statement."""
    departments = {d.id: d.name for d in state.departments.values() if d.id is not None}
    service_groups = {g.id: g.name for g in state.service_groups.values() if g.id is not None}
    return {
        index: {
            "email": user.email,
            "full_name": user.full_name,
            "job_title": user.job_title,
            "staff_number": user.staff_number,
            "department": departments.get(user.department_id),
            "service_group": service_groups.get(user.service_group_id),
            "line_manager": user.line_manager_id,
        }
        for index, person in enumerate(people)
        if (user := person.user) is not None
    }


def _changes(
    people: list[_Person],
    before: tuple[dict[int, dict], dict[int, str]],
    after: tuple[dict[int, dict], dict[int, str]],
) -> list[_Change]:
    """For each existing person the import changed: the fields that changed, before and
    after (each a pair of `_snapshots` and everyone's email by id, which names managers:
    a manager whose own email changed is still the same manager)."""
    (was_all, emails_was), (now_all, emails_now) = before, after
    changes = []
    for index, was in was_all.items():
        now = now_all[index]
        changed = [key for key in was if was[key] != now[key]]
        if changed:
            was = {key: was[key] for key in changed}
            now = {key: now[key] for key in changed}
            if "line_manager" in was:
                was["line_manager"] = emails_was.get(was["line_manager"])
                now["line_manager"] = emails_now.get(now["line_manager"])
            changes.append((people[index].user, was, now))
    return changes


def _tell_old_addresses(changes: list[_Change]) -> int:
    """Mails each person whose login email changed at their old address (in one INSERT
    into the outbox), so someone who did not expect it can say so. Returns how many."""
    service_name = current_app.config["SERVICE_NAME"]
    return queue_many_mail(
        "people/mail/login_email_changed",
        [
            (
                was["email"],
                f"Your login email for {service_name} has changed",
                {
                    "full_name": user.full_name,
                    "old_email": was["email"],
                    "new_email": now["email"],
                    "support_contact": current_app.config["SUPPORT_CONTACT"],
                    "from_staff_records": True,
                },
            )
            for user, was, now in changes
            if "email" in was
        ],
    )
