"""The team view's numbers: each person's counted CPD hours in a year against their
target, for a line manager's reports or for the staff an admin's filters find.

A line manager is anyone with active reports (`User.line_manager_id`), direct reports
only: a manager's reports' reports belong to their own manager. The hours are the
entries that count (`lms.cpd.models.counts`: a revoked certificate's entry does not)
dated in the year; the target is the person's own (`CpdProfile.target_hours`) or the
trust's. A page of people, with their hours and targets, is one statement whatever its
size; so is the CSV of everyone matching.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Bundle, defer, joinedload, lazyload
from sqlalchemy.sql.elements import ColumnElement

from certificates.models import Certificate
from courses.catalogue.catalogue import hours_text
from lms.auth.models import User
from lms.core.extensions import db
from lms.cpd import record
from lms.cpd.models import CpdEntry, CpdProfile, counts
from lms.cpd.years import CpdYear
from lms.people.models import Department, ServiceGroup


@dataclass(frozen=True)
class TeamFilter:
    """Which staff an admin asked for; None or "" leaves that part open."""

    department_id: int | None = None
    service_group_id: int | None = None
    text: str | None = None


@dataclass(frozen=True)
class TeamRow:
    """One person of the team view, every number worked out."""

    person_id: int
    name: str
    job_title: str | None
    staff_number: str | None
    department: str | None
    service_group: str | None
    hours: Decimal
    target: Decimal
    own_target: bool  # the person set a target of their own (their professional body's)

    @property
    def percent(self) -> int:
        return record.percent_of(self.hours, self.target)

    @property
    def hours_text(self) -> str:
        return hours_text(self.hours)

    @property
    def target_text(self) -> str:
        return hours_text(self.target)

    @property
    def bar(self) -> int:
        """The progress bar's value: the percentage, at most 100."""
        return min(self.percent, 100)


# --- who --------------------------------------------------------------------------------------


def has_reports(user: User) -> bool:
    """Whether `user` line-manages anyone active: who may see a team."""
    return bool(
        db.session.scalar(
            select(
                exists().where(User.line_manager_id == user.id, User.is_active_account.is_(True))
            )
        )
    )


def may_see(viewer: User, person: User) -> bool:
    """An admin sees anyone's year; a line manager, their active direct reports'; nobody
    else, the person themself included (they have their own record at /cpd/)."""
    if viewer.is_admin:
        return True
    return (
        person.id != viewer.id and person.line_manager_id == viewer.id and person.is_active_account
    )


def _matching(filters: TeamFilter) -> list[ColumnElement[bool]]:
    conditions = []
    if filters.department_id is not None:
        conditions.append(User.department_id == filters.department_id)
    if filters.service_group_id is not None:
        conditions.append(User.service_group_id == filters.service_group_id)
    text = (filters.text or "").strip()
    if text:
        conditions.append(
            or_(
                func.lower(User.full_name).contains(text.lower(), autoescape=True),
                # As typed too: SQLite's lower() leaves letters beyond ASCII ("Ł") alone.
                User.full_name.contains(text, autoescape=True),
            )
        )
    return conditions


def departments() -> list[Department]:
    """Every department, by name: the admin's filter offers each."""
    return list(db.session.scalars(select(Department).order_by(func.lower(Department.name))))


def service_groups() -> list[ServiceGroup]:
    return list(db.session.scalars(select(ServiceGroup).order_by(func.lower(ServiceGroup.name))))


# --- the numbers -------------------------------------------------------------------------------


def _counted_hours(year: CpdYear):
    """The person's counted hours in the year, as a column of a query over User: one
    index range (learner, date) per person shown."""
    return (
        select(func.coalesce(func.sum(CpdEntry.hours), 0))
        .select_from(CpdEntry)
        .outerjoin(Certificate, Certificate.id == CpdEntry.certificate_id)
        .where(
            CpdEntry.learner_id == User.id,
            CpdEntry.activity_on.between(year.first_day, year.last_day),
            counts(),
        )
        .correlate(User)
        .scalar_subquery()
    )


def team(
    year: CpdYear, *, manager: User | None = None, filters: TeamFilter | None = None
) -> Select:
    """Active staff, by name — `manager`'s direct reports when given, otherwise everyone —
    narrowed by `filters`, each with their counted hours in `year` and their own target
    (None: the trust's). Rows for `rows()`; the caller pages through it or reads it all."""
    # One bundle of columns per person: pages (which read one value a row) keep it whole.
    person_row = Bundle(
        "person",
        User.id,
        User.full_name,
        User.job_title,
        User.staff_number,
        Department.name.label("department"),
        ServiceGroup.name.label("service_group"),
        _counted_hours(year).label("hours"),
        CpdProfile.target_hours,
    )
    query = (
        select(person_row)
        .select_from(User)
        .outerjoin(Department, Department.id == User.department_id)
        .outerjoin(ServiceGroup, ServiceGroup.id == User.service_group_id)
        .outerjoin(CpdProfile, CpdProfile.learner_id == User.id)
        .where(User.is_active_account.is_(True), *_matching(filters or TeamFilter()))
        .order_by(func.lower(User.full_name), User.id)
    )
    if manager is not None:
        query = query.where(User.line_manager_id == manager.id)
    return query


def rows(results: list[Row], trust_target: Decimal) -> list[TeamRow]:
    """`team()`'s rows with each target settled and the percentages worked out."""
    return [
        TeamRow(
            person_id=row.id,
            name=row.full_name,
            job_title=row.job_title,
            staff_number=row.staff_number,
            department=row.department,
            service_group=row.service_group,
            hours=Decimal(row.hours or 0),
            target=row.target_hours if row.target_hours is not None else trust_target,
            own_target=row.target_hours is not None,
        )
        for row in results
    ]


# --- one person's year -------------------------------------------------------------------------


def person(person_id: int) -> User | None:
    """The person, with where they sit in the trust (their roles are not needed here)."""
    return db.session.get(
        User,
        person_id,
        options=[
            joinedload(User.department),
            joinedload(User.service_group),
            lazyload(User.role_grants),
        ],
    )


@dataclass(frozen=True)
class EntryRow:
    """One of the person's entries as their manager sees it."""

    entry: CpdEntry  # its reflections loaded only when the person shares them
    counted: bool  # False for a revoked certificate's entry, which no total includes
    category: str


def entries(person_id: int, year: CpdYear, *, with_reflections: bool) -> Select:
    """The person's entries in the year, newest first, with their categories.

    Without `with_reflections` the reflections are not even read, and touching them
    raises: a manager never sees what the person has not shared."""
    query = (
        select(CpdEntry)
        .options(joinedload(CpdEntry.category), joinedload(CpdEntry.certificate))
        .where(
            CpdEntry.learner_id == person_id,
            CpdEntry.activity_on.between(year.first_day, year.last_day),
        )
        .order_by(CpdEntry.activity_on.desc(), CpdEntry.id.desc())
    )
    if not with_reflections:
        query = query.options(
            defer(CpdEntry.learned, raiseload=True), defer(CpdEntry.applied, raiseload=True)
        )
    return query


def entry_rows(page: list[CpdEntry]) -> list[EntryRow]:
    """A page of `entries()`, each with whether it counts and its category's name."""
    return [
        EntryRow(
            entry=entry,
            counted=entry.counted,
            category=entry.category_name,
        )
        for entry in page
    ]
