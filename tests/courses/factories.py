"""Factories for courses, cohorts and enrolments, shared by every test of the courses package."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from courses.models import (
    Cohort,
    CohortStatus,
    Course,
    CourseCategory,
    CourseStatus,
    Enrolment,
    EnrolmentStatus,
    Session,
)
from lms.auth.models import Role, User
from lms.core.db import utcnow
from lms.core.extensions import db


def _category(name: str) -> CourseCategory:
    found = db.session.scalar(
        select(CourseCategory).where(func.lower(CourseCategory.name) == name.lower())
    )
    return found or CourseCategory(name=name)


@pytest.fixture
def make_course(app) -> Callable[..., Course]:
    """`make_course(**fields)`: a published course with a unique code, saved.

    Any Course field may be given; `category` may be a name ("Workshop"), made on first use.
    """
    numbers = iter(range(1, 100_000))

    def make(**fields) -> Course:
        number = next(numbers)
        fields.setdefault("code", f"COURSE-{number}")
        fields.setdefault("title", f"Course {number}")
        fields.setdefault("status", CourseStatus.PUBLISHED)
        fields.setdefault("cpd_hours", Decimal("3"))
        fields.setdefault("learning_outcomes", [])
        if isinstance(fields.get("category"), str):
            fields["category"] = _category(fields["category"])
        course = Course(**fields)
        db.session.add(course)
        db.session.commit()
        return course

    return make


@pytest.fixture
def course(make_course) -> Course:
    """The course most tests need: PM-OCC, Project management, 80% attendance to complete."""
    return make_course(code="PM-OCC", title="Project management", min_attendance_percent=80)


@pytest.fixture
def make_cohort(app) -> Callable[..., Cohort]:
    """`make_cohort(course, capacity=12, status=OPEN, sessions=[(start, end), ...], **fields)`.

    Without `sessions`, the cohort has one three-hour session a fortnight from now;
    `sessions=[]` gives it none. Times must be timezone-aware.
    """
    numbers = iter(range(1, 100_000))

    def make(
        course: Course,
        *,
        capacity: int = 12,
        status: CohortStatus = CohortStatus.OPEN,
        sessions: Iterable[tuple[datetime, datetime]] | None = None,
        **fields,
    ) -> Cohort:
        if sessions is None:
            start = utcnow().replace(microsecond=0) + timedelta(days=14)
            sessions = [(start, start + timedelta(hours=3))]
        fields.setdefault("code", f"{course.code}-{next(numbers):02d}")
        cohort = Cohort(course=course, capacity=capacity, status=status, **fields)
        cohort.sessions = [
            Session(title=f"Session {number}", starts_at=start, ends_at=end)
            for number, (start, end) in enumerate(sessions, start=1)
        ]
        db.session.add(cohort)
        db.session.commit()
        return cohort

    return make


@pytest.fixture
def make_enrolment(app, make_user) -> Callable[..., Enrolment]:
    """`make_enrolment(cohort, learner=None, status=CONFIRMED)`: a new learner unless given."""

    def make(
        cohort: Cohort,
        learner: User | None = None,
        status: EnrolmentStatus = EnrolmentStatus.CONFIRMED,
        **fields,
    ) -> Enrolment:
        fields.setdefault("requested_at", utcnow())
        if status is EnrolmentStatus.CONFIRMED:
            fields.setdefault("confirmed_at", fields["requested_at"])
        enrolment = Enrolment(
            cohort=cohort, learner=learner or make_user(), status=status, **fields
        )
        db.session.add(enrolment)
        db.session.commit()
        return enrolment

    return make


@pytest.fixture
def trainer(make_user):
    """The trainer most tests need: Tomasz Nowak, with the trainer role."""
    return make_user("trainer@example.nhs.uk", full_name="Tomasz Nowak", roles=[Role.TRAINER])
