"""Attendance per course over a date range, for the PMO's reports."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, distinct, func, select

from courses.attendance.expected import expected_at, record_of
from courses.attendance.rates import Rate, attended_sum, excused_sum
from courses.models import AttendanceRecord, Cohort, Course, Enrolment, Session
from lms.core.extensions import db


@dataclass(frozen=True)
class CourseAttendance:
    course_id: int
    code: str
    title: str
    min_attendance_percent: int
    cohorts: int
    sessions: int
    rate: Rate  # over every expected learner at every session held in the range


def _held(starts: datetime, ends: datetime, now: datetime):
    return and_(
        Session.cohort_id == Cohort.id,
        Session.cancelled.is_(False),
        Session.starts_at >= starts,
        Session.starts_at < ends,
        Session.starts_at < now,
    )


def courses_reported(starts: datetime, ends: datetime, now: datetime) -> Select:
    """Courses with learners expected at a session held between `starts` and `ends`, by
    code; the caller paginates and then asks `course_attendance` about one page."""
    expected = (
        select(Enrolment.id)
        .join(Cohort, Cohort.course_id == Course.id)
        .join(Session, _held(starts, ends, now))
        .where(expected_at(Session.starts_at, Session.cohort_id))
        .correlate(Course)
    )
    return select(Course).where(expected.exists()).order_by(Course.code)


def course_attendance(
    courses: Iterable[Course], starts: datetime, ends: datetime, now: datetime
) -> list[CourseAttendance]:
    """Attendance of each of `courses` at the sessions held between `starts` and `ends`,
    in one aggregate query over those courses only: attended ÷ (expected places less
    excused ones), as for one learner.
    """
    courses = list(courses)
    if not courses:
        return []
    rows = db.session.execute(
        select(
            Course.id,
            func.count(distinct(Cohort.id)),
            func.count(distinct(Session.id)),
            func.count(Enrolment.id),
            attended_sum(),
            excused_sum(),
            func.count(AttendanceRecord.id),
        )
        .join(Cohort, Cohort.course_id == Course.id)
        .join(Session, _held(starts, ends, now))
        .join(Enrolment, expected_at(Session.starts_at, Session.cohort_id))
        .outerjoin(AttendanceRecord, record_of(Session.id, Enrolment.id))
        .where(Course.id.in_([course.id for course in courses]))
        .group_by(Course.id)
    )
    found = {row[0]: row for row in rows}
    return [
        CourseAttendance(
            course_id=course.id,
            code=course.code,
            title=course.title,
            min_attendance_percent=course.min_attendance_percent,
            cohorts=int(found[course.id][1]),
            sessions=int(found[course.id][2]),
            rate=Rate(*(int(value) for value in found[course.id][3:])),
        )
        for course in courses
        if course.id in found
    ]
