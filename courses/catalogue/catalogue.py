"""The course catalogue: admins run courses and their categories; learners find published ones.

Admin changes are audited with the fields they changed, before and after. The learner
listings are functions that return a `select()`, so the caller paginates.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import Select, Text, and_, cast, func, or_, select
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.elements import ColumnElement

from courses.cohorts.sessions import session_dates
from courses.enrolment.enrolment import seats_left
from courses.models import (
    Cohort,
    CohortStatus,
    Course,
    CourseCategory,
    CourseStatus,
    DeliveryMode,
    course_prerequisite,
)
from lms.audit import audit
from lms.auth.models import User
from lms.core.db import utcnow
from lms.core.domain import DomainError
from lms.core.extensions import db

CODE_FORMAT = re.compile(r"^[A-Z0-9]+(?:-[A-Z0-9]+)*$", re.ASCII)
CODE_LENGTH = 20
MAX_CPD_HOURS = Decimal("999.75")
QUARTER_HOUR = Decimal("0.25")
MAX_CERTIFICATE_MONTHS = 120
OUTCOME_LENGTH = 500
CATEGORY_NAME_LENGTH = 100
LAPSE_WARNING_DAYS = 60
# Cohorts a learner may still join or follow; closed and cancelled ones are history.
UPCOMING_COHORT_STATUSES = (CohortStatus.PLANNED, CohortStatus.OPEN, CohortStatus.RUNNING)
_TEXT_LIMITS = {
    "title": ("Course title", 200),
    "accreditation_body": ("Accrediting body", 200),
    "accreditation_reference": ("Accreditation reference", 100),
}


class CatalogueError(DomainError):
    """A catalogue rule refused a change."""


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str


class CourseInvalid(CatalogueError):
    """A course's details break one or more rules.

    `str(error)` and `field` describe the first problem; `problems` lists every one, so
    a form can show them all at once.
    """

    def __init__(self, problems: Sequence[FieldProblem]):
        super().__init__(problems[0].message, field=problems[0].field)
        self.problems = tuple(problems)


class CategoryInvalid(CatalogueError):
    field = "name"


class StatusChangeRefused(CatalogueError):
    pass


@dataclass
class CourseDetails:
    """What an admin may set on a course. The form checks shape; `_validated` the rules."""

    code: str
    title: str
    summary: str = ""
    learning_outcomes: list[str] = field(default_factory=list)
    category_id: int | None = None
    delivery_mode: DeliveryMode = DeliveryMode.IN_PERSON
    cpd_hours: Decimal = Decimal("0")
    accreditation_body: str | None = None
    accreditation_reference: str | None = None
    accreditation_valid_from: date | None = None
    accreditation_valid_to: date | None = None
    prerequisite_ids: list[int] = field(default_factory=list)
    requires_approval: bool = False
    min_attendance_percent: int = 80
    certificate_validity_months: int | None = None
    allows_recertification: bool = False


@dataclass(frozen=True)
class UpcomingCohort:
    """A cohort as the course page lists it: its dates come from its sessions."""

    cohort: Cohort
    starts_at: datetime | None
    ends_at: datetime | None
    seats_left: int
    # Whether a learner may enrol now: the rule the catalogue's "open for enrolment"
    # filter uses, so the page's tag and the filter agree.
    open_for_enrolment: bool = False


# --- small helpers shared with the views -----------------------------------------------------


def hours_text(hours: Decimal) -> str:
    """CPD hours without trailing zeros: 18, 3.5, 1.25."""
    return f"{hours.normalize():f}"


def accreditation_lapsed(course: Course, today: date) -> bool:
    """True once the accreditation's last valid day has passed."""
    return course.accreditation_valid_to is not None and course.accreditation_valid_to < today


def accreditation_lapses_soon(course: Course, today: date) -> bool:
    """True while the accreditation is valid but ends within the next 60 days."""
    valid_to = course.accreditation_valid_to
    return valid_to is not None and today <= valid_to <= today + timedelta(LAPSE_WARNING_DAYS)


def visible_to(course: Course, user: User) -> bool:
    """Learners see published courses only; admins may preview drafts and archived ones."""
    return course.status is CourseStatus.PUBLISHED or user.is_admin


# --- validation ---------------------------------------------------------------------------


def _clean(text: str | None) -> str:
    return (text or "").strip()


def _normal_code(code: str | None) -> str:
    return _clean(code).upper()


def _courses_needing(course_id: int) -> set[int]:
    """Every course that needs `course_id` completed first, directly or through others."""
    edge = course_prerequisite
    needing = (
        select(edge.c.course_id)
        .where(edge.c.prerequisite_id == course_id)
        .cte("needing", recursive=True)
    )
    needing = needing.union(
        select(edge.c.course_id).join(needing, edge.c.prerequisite_id == needing.c.course_id)
    )
    return set(db.session.scalars(select(needing.c.course_id)))


def _validated(
    details: CourseDetails, course: Course | None
) -> tuple[CourseCategory | None, list[Course]]:
    """Checks every rule; returns the category and prerequisites the details name.

    Every problem is collected, so the form shows them all at once.
    """
    problems: list[FieldProblem] = []

    def refuse(field: str, message: str) -> None:
        problems.append(FieldProblem(field, message))

    _check_code(details.code, course, refuse)
    _check_texts(details, refuse)
    _check_numbers(details, refuse)
    _check_accreditation(details, refuse)
    category = None
    if details.category_id is not None:
        category = db.session.get(CourseCategory, details.category_id)
        if category is None:
            refuse("category_id", "Choose a category from the list")
    prerequisites = _prerequisites(details.prerequisite_ids, course, refuse)
    if problems:
        raise CourseInvalid(problems)
    return category, prerequisites


def _check_code(typed: str, course: Course | None, refuse) -> None:
    code = _normal_code(typed)
    if not code:
        refuse("code", "Enter a course code")
    elif len(code) > CODE_LENGTH:
        refuse("code", f"Course code must be {CODE_LENGTH} characters or fewer")
    elif not CODE_FORMAT.match(code):
        refuse(
            "code",
            "Course code can only contain letters and numbers, with single hyphens "
            "between parts, like PM-OCC",
        )
    else:
        taken = db.session.scalar(select(Course).where(func.upper(Course.code) == code))
        if taken is not None and taken is not course:
            refuse("code", f"Another course already has the code {code}")


def _check_texts(details: CourseDetails, refuse) -> None:
    if not _clean(details.title):
        refuse("title", "Enter the course title")
    for name, (label, limit) in _TEXT_LIMITS.items():
        if len(_clean(getattr(details, name))) > limit:
            refuse(name, f"{label} must be {limit} characters or fewer")
    if any(len(_clean(outcome)) > OUTCOME_LENGTH for outcome in details.learning_outcomes):
        refuse(
            "learning_outcomes",
            f"Each learning outcome must be {OUTCOME_LENGTH} characters or fewer",
        )


def _check_numbers(details: CourseDetails, refuse) -> None:
    try:
        hours = Decimal(details.cpd_hours)
    except (InvalidOperation, TypeError, ValueError):
        hours = Decimal("NaN")
    if not hours.is_finite() or not 0 <= hours <= MAX_CPD_HOURS:
        refuse("cpd_hours", "CPD hours must be from 0 to 999.75")
    elif hours % QUARTER_HOUR:
        refuse("cpd_hours", "CPD hours must be in quarter hours, like 1.25, 1.5 or 1.75")

    attendance = details.min_attendance_percent
    if not isinstance(attendance, int) or not 0 <= attendance <= 100:
        refuse("min_attendance_percent", "Minimum attendance must be from 0% to 100%")

    months = details.certificate_validity_months
    if months is not None and not 1 <= months <= MAX_CERTIFICATE_MONTHS:
        refuse(
            "certificate_validity_months",
            f"Certificate validity must be from 1 to {MAX_CERTIFICATE_MONTHS} months, "
            "or empty if certificates never expire",
        )
    if details.allows_recertification and months is None:
        refuse(
            "allows_recertification",
            "Recertification needs certificates that expire: set how many months they are "
            "valid for, or untick recertification",
        )


def _check_accreditation(details: CourseDetails, refuse) -> None:
    valid_from, valid_to = details.accreditation_valid_from, details.accreditation_valid_to
    if valid_from and valid_to and valid_to < valid_from:
        refuse(
            "accreditation_valid_to",
            "The accreditation's valid to date must be the same as or after its valid from date",
        )
    if not _clean(details.accreditation_body) and (
        _clean(details.accreditation_reference) or valid_from or valid_to
    ):
        refuse(
            "accreditation_body",
            "Enter the accrediting body, or remove the accreditation reference and dates",
        )


def _prerequisites(ids: Sequence[int], course: Course | None, refuse) -> list[Course]:
    wanted = set(ids)
    if course is not None and course.id in wanted:
        refuse("prerequisite_ids", "A course cannot be its own prerequisite")
        wanted.discard(course.id)
    if not wanted:
        return []
    found = list(
        db.session.scalars(select(Course).where(Course.id.in_(wanted)).order_by(Course.code))
    )
    if len(found) != len(wanted):
        refuse("prerequisite_ids", "Choose prerequisites from the list")
    if course is not None and course.id is not None:
        needing = _courses_needing(course.id)
        for prerequisite in found:
            if prerequisite.id in needing:
                refuse(
                    "prerequisite_ids",
                    f"{prerequisite.code} cannot be a prerequisite of this course, because it "
                    "needs this course to be completed first",
                )
    return found


# --- admin: courses -----------------------------------------------------------------------


def _snapshot(course: Course) -> dict:
    return {
        "code": course.code,
        "title": course.title,
        "summary": course.summary,
        "learning_outcomes": list(course.learning_outcomes or []),
        "category": course.category.name if course.category else None,
        "delivery_mode": DeliveryMode(course.delivery_mode).value,
        "cpd_hours": hours_text(Decimal(course.cpd_hours)),
        "accreditation_body": course.accreditation_body,
        "accreditation_reference": course.accreditation_reference,
        "accreditation_valid_from": course.accreditation_valid_from,
        "accreditation_valid_to": course.accreditation_valid_to,
        "prerequisites": sorted(prerequisite.code for prerequisite in course.prerequisites),
        "requires_approval": course.requires_approval,
        "min_attendance_percent": course.min_attendance_percent,
        "certificate_validity_months": course.certificate_validity_months,
        "allows_recertification": course.allows_recertification,
    }


def _apply(
    course: Course,
    details: CourseDetails,
    category: CourseCategory | None,
    prerequisites: list[Course],
) -> None:
    course.code = _normal_code(details.code)
    course.title = _clean(details.title)
    course.summary = _clean(details.summary)
    course.learning_outcomes = [
        _clean(outcome) for outcome in details.learning_outcomes if _clean(outcome)
    ]
    course.category = category
    course.delivery_mode = DeliveryMode(details.delivery_mode)
    course.cpd_hours = Decimal(details.cpd_hours)
    course.accreditation_body = _clean(details.accreditation_body) or None
    course.accreditation_reference = _clean(details.accreditation_reference) or None
    course.accreditation_valid_from = details.accreditation_valid_from
    course.accreditation_valid_to = details.accreditation_valid_to
    course.prerequisites = prerequisites
    course.requires_approval = bool(details.requires_approval)
    course.min_attendance_percent = details.min_attendance_percent
    course.certificate_validity_months = details.certificate_validity_months
    course.allows_recertification = bool(details.allows_recertification)


def create_course(details: CourseDetails, *, by: User) -> Course:
    """Adds a course as a draft: learners see it only once it is published."""
    category, prerequisites = _validated(details, None)
    course = Course(status=CourseStatus.DRAFT)
    _apply(course, details, category, prerequisites)
    db.session.add(course)
    db.session.flush()
    audit.record(by, "course.created", course, None, _snapshot(course))
    return course


def update_course(course: Course, details: CourseDetails, *, by: User) -> None:
    """Changes a course's details; the audit event holds each changed field before and after."""
    category, prerequisites = _validated(details, course)
    before = _snapshot(course)
    _apply(course, details, category, prerequisites)
    after = _snapshot(course)
    if before != after:
        db.session.flush()
        audit.record_changes(by, "course.updated", course, before, after)


def _set_status(course: Course, status: CourseStatus, action: str, by: User) -> None:
    before = course.status
    course.status = status
    db.session.flush()
    audit.record(by, action, course, {"status": before.value}, {"status": status.value})


def publish(course: Course, *, by: User) -> None:
    """Shows a draft course in the catalogue. Publishing it again changes nothing."""
    if course.status is CourseStatus.PUBLISHED:
        return
    if course.status is CourseStatus.ARCHIVED:
        raise StatusChangeRefused("An archived course cannot be published again")
    _set_status(course, CourseStatus.PUBLISHED, "course.published", by)


def archive(course: Course, *, by: User) -> None:
    """Takes a course out of the catalogue for good; its cohorts and records are kept."""
    if course.status is CourseStatus.ARCHIVED:
        return
    _set_status(course, CourseStatus.ARCHIVED, "course.archived", by)


# --- admin: categories --------------------------------------------------------------------


def _category_name(name: str | None, category: CourseCategory | None) -> str:
    name = _clean(name)
    if not name:
        raise CategoryInvalid("Enter a name for the category")
    if len(name) > CATEGORY_NAME_LENGTH:
        raise CategoryInvalid(f"Category name must be {CATEGORY_NAME_LENGTH} characters or fewer")
    taken = db.session.scalar(
        select(CourseCategory).where(func.lower(CourseCategory.name) == name.lower())
    )
    if taken is not None and taken is not category:
        raise CategoryInvalid(f"There is already a category called {taken.name}")
    return name


def add_category(name: str, *, by: User) -> CourseCategory:
    """Adds a category to the list admins file courses under; names are unique in any case."""
    category = CourseCategory(name=_category_name(name, None))
    db.session.add(category)
    db.session.flush()
    audit.record(by, "category.created", category, None, {"name": category.name})
    return category


def rename_category(category: CourseCategory, name: str, *, by: User) -> None:
    """Renames a category; every course filed under it moves with it."""
    name = _category_name(name, category)
    if name == category.name:
        return
    before = category.name
    category.name = name
    db.session.flush()
    audit.record(by, "category.renamed", category, {"name": before}, {"name": name})


# --- listings -----------------------------------------------------------------------------


def categories() -> Select:
    return select(CourseCategory).order_by(func.lower(CourseCategory.name), CourseCategory.id)


def prerequisite_choices(course: Course | None) -> Select:
    """(id, code, title) of the courses an admin may make prerequisites of `course`.

    Archived courses are left out unless the course already needs them.
    """
    query = select(Course.id, Course.code, Course.title).order_by(Course.code)
    keep = [prerequisite.id for prerequisite in course.prerequisites] if course else []
    query = query.where(or_(Course.status != CourseStatus.ARCHIVED, Course.id.in_(keep)))
    if course is not None:
        query = query.where(Course.id != course.id)
    return query


def _matching(text: str | None) -> ColumnElement[bool] | None:
    """Title, summary or a learning outcome contains `text`, in any case.

    The outcomes are a JSON list, searched as its JSON text: written without ASCII
    escaping (see SQLALCHEMY_ENGINE_OPTIONS), but with quotes and backslashes
    escaped, so the search looks for the term as JSON writes it.
    """
    term = _clean(text).lower()
    if not term:
        return None
    as_json = json.dumps(term, ensure_ascii=False)[1:-1]
    return or_(
        func.lower(Course.title).contains(term, autoescape=True),
        func.lower(Course.summary).contains(term, autoescape=True),
        func.lower(cast(Course.learning_outcomes, Text)).contains(as_json, autoescape=True),
    )


def open_for_enrolment(now: datetime) -> ColumnElement[bool]:
    """SQL: the cohort is open and `now` is inside its enrolment window.

    The window includes its opening moment and excludes its closing one; an empty
    bound means no limit on that side.
    """
    return and_(
        Cohort.status == CohortStatus.OPEN,
        or_(Cohort.enrolment_opens_at.is_(None), Cohort.enrolment_opens_at <= now),
        or_(Cohort.enrolment_closes_at.is_(None), Cohort.enrolment_closes_at > now),
    )


def published_courses(
    search: str | None = None,
    category_id: int | None = None,
    delivery_mode: DeliveryMode | None = None,
    open_only: bool = False,
    *,
    now: datetime | None = None,
) -> Select:
    """The learner catalogue: published courses matching the search and filters, by title."""
    query = (
        select(Course)
        .where(Course.status == CourseStatus.PUBLISHED)
        .options(selectinload(Course.category))
        .order_by(func.lower(Course.title), Course.id)
    )
    matching = _matching(search)
    if matching is not None:
        query = query.where(matching)
    if category_id is not None:
        query = query.where(Course.category_id == category_id)
    if delivery_mode is not None:
        query = query.where(Course.delivery_mode == delivery_mode)
    if open_only:
        open_cohort = select(Cohort.id).where(
            Cohort.course_id == Course.id, open_for_enrolment(now or utcnow())
        )
        query = query.where(open_cohort.exists())
    return query


def admin_courses(search: str | None = None, status: CourseStatus | None = None) -> Select:
    """Every course for the admin list, by code; search matches code or title."""
    query = select(Course).options(selectinload(Course.category)).order_by(Course.code)
    term = _clean(search).lower()
    if term:
        query = query.where(
            or_(
                func.lower(Course.code).contains(term, autoescape=True),
                func.lower(Course.title).contains(term, autoescape=True),
            )
        )
    if status is not None:
        query = query.where(Course.status == status)
    return query


def course_by_code(code: str) -> Course | None:
    """The course with this code in any case, with what its page shows loaded."""
    return db.session.scalar(
        select(Course)
        .where(func.upper(Course.code) == _normal_code(code))
        .options(selectinload(Course.category), selectinload(Course.prerequisites))
    )


def upcoming_cohorts(course: Course, *, now: datetime | None = None) -> list[UpcomingCohort]:
    """The course's planned, open and running cohorts that have not ended, by first session.

    Two statements whatever the number of cohorts: one for the cohorts with their dates
    (from their sessions, cancelled ones aside), one for the seats left in all of them.
    A cohort without sessions has no end yet, so it is listed, last.
    """
    now = now or utcnow()
    dates = session_dates(select(Cohort.id).where(Cohort.course_id == course.id))
    query = (
        select(Cohort, dates.c.starts_at, dates.c.ends_at, open_for_enrolment(now))
        .outerjoin(dates, dates.c.cohort_id == Cohort.id)
        .where(
            Cohort.course_id == course.id,
            Cohort.status.in_(UPCOMING_COHORT_STATUSES),
            or_(dates.c.ends_at.is_(None), dates.c.ends_at > now),
        )
        .order_by(dates.c.starts_at.asc().nulls_last(), Cohort.code)
    )
    rows = db.session.execute(query).all()
    seats = seats_left(cohort.id for cohort, *_ in rows)
    return [
        UpcomingCohort(cohort, starts_at, ends_at, seats[cohort.id], bool(enrolling))
        for cohort, starts_at, ends_at, enrolling in rows
    ]
