"""Attendance per course over a date range, for the PMO's reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, distinct, func, select

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


def course_attendance(starts: datetime, ends: datetime, now: datetime) -> list[CourseAttendance]:
    """Attendance per course at the sessions held between `starts` and `ends`, in one
    aggregate query: attended ÷ (expected places less excused ones), as for one learner.
    """
    held = and_(
        Session.cohort_id == Cohort.id,
        Session.cancelled.is_(False),
        Session.starts_at >= starts,
        Session.starts_at < ends,
        Session.starts_at < now,
    )
    rows = db.session.execute(
        select(
            Course.id,
            Course.code,
            Course.title,
            Course.min_attendance_percent,
            func.count(distinct(Cohort.id)),
            func.count(distinct(Session.id)),
            func.count(Enrolment.id),
            attended_sum(),
            excused_sum(),
            func.count(AttendanceRecord.id),
        )
        .join(Cohort, Cohort.course_id == Course.id)
        .join(Session, held)
        .join(Enrolment, expected_at(Session.starts_at, Session.cohort_id))
        .outerjoin(AttendanceRecord, record_of(Session.id, Enrolment.id))
        .group_by(Course.id, Course.code, Course.title, Course.min_attendance_percent)
        .order_by(Course.code)
    )
    return [
        CourseAttendance(
            course_id=row[0],
            code=row[1],
            title=row[2],
            min_attendance_percent=row[3],
            cohorts=int(row[4]),
            sessions=int(row[5]),
            rate=Rate(int(row[6]), int(row[7]), int(row[8]), int(row[9])),
        )
        for row in rows
    ]
