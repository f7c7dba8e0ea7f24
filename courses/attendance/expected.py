"""Who is expected at a session: the rule every register, rate and report counts by.

A learner is *expected* at a session when their place was confirmed on or before the
session started and they had not left the cohort by then. Only expected learners can
be marked, are marked absent automatically, and count in their rate: someone who
enrolled after a session is never absent from it.

The same rule is written twice, once as SQL (`expected_at`) for the bulk statements and
the aggregates, and once in Python (`is_expected`) for the grid; keep them together.
"""

from __future__ import annotations

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import joinedload

from courses.models import AttendanceRecord, Cohort, Enrolment, EnrolmentStatus, Session
from lms.auth.models import User
from lms.core.extensions import db

# Statuses of a learner who kept their place to the end of the cohort (or still holds it).
STAYED = (EnrolmentStatus.CONFIRMED, EnrolmentStatus.COMPLETED, EnrolmentStatus.NOT_COMPLETED)
# Statuses of a learner who left part-way: expected only at sessions before they left.
LEFT = (EnrolmentStatus.WITHDRAWN, EnrolmentStatus.CANCELLED)


def expected_at(starts_at, cohort_id):
    """SQL: the enrolment was confirmed for a session of `cohort_id` starting at `starts_at`.

    Both arguments may be columns (for joins across many sessions) or plain values.
    """
    return and_(
        Enrolment.cohort_id == cohort_id,
        Enrolment.confirmed_at <= starts_at,
        or_(
            Enrolment.status.in_(STAYED),
            and_(Enrolment.status.in_(LEFT), Enrolment.ended_at > starts_at),
        ),
    )


def held_and_expected(now):
    """SQL join condition: the sessions held before `now` at which the enrolment was
    expected (join Session to a query of Enrolment with it)."""
    return and_(
        Session.cancelled.is_(False),
        Session.starts_at < now,
        expected_at(Session.starts_at, Session.cohort_id),
    )


def is_expected(enrolment: Enrolment, session: Session) -> bool:
    """The Python twin of `_expected`, for pages that already hold both objects."""
    if enrolment.confirmed_at is None or enrolment.confirmed_at > session.starts_at:
        return False
    if enrolment.status in STAYED:
        return True
    return (
        enrolment.status in LEFT
        and enrolment.ended_at is not None
        and enrolment.ended_at > session.starts_at
    )


def expected_query(session: Session):
    """The enrolments expected at `session`, by learner name, learners loaded."""
    return (
        select(Enrolment)
        .join(User, User.id == Enrolment.learner_id)
        .where(expected_at(session.starts_at, session.cohort_id))
        .order_by(User.full_name, Enrolment.id)
        .options(joinedload(Enrolment.learner))
    )


def expected_enrolments(session: Session) -> list[Enrolment]:
    """Everyone confirmed for `session`: confirmed on or before it started, and still on
    the cohort then (a withdrawn learner is expected only at sessions before they left).
    """
    return list(db.session.scalars(expected_query(session)))


def cohort_learners(cohort: Cohort):
    """Enrolments expected at one or more of the cohort's sessions, by name; the caller
    paginates. These are the rows of the attendance grid.
    """
    return (
        select(Enrolment)
        .join(User, User.id == Enrolment.learner_id)
        .where(
            Enrolment.cohort_id == cohort.id,
            exists().where(
                Session.cohort_id == cohort.id,
                Session.cancelled.is_(False),
                expected_at(Session.starts_at, Session.cohort_id),
            ),
        )
        .order_by(User.full_name, Enrolment.id)
        .options(joinedload(Enrolment.learner))
    )


def record_of(session_id, enrolment_id):
    return and_(
        AttendanceRecord.session_id == session_id, AttendanceRecord.enrolment_id == enrolment_id
    )
