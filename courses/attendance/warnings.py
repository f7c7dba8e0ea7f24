"""Warnings when a learner's attendance falls below their course's minimum."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import aliased, selectinload

from courses.attendance.expected import held_and_expected, record_of
from courses.attendance.rates import Rate, attendance_rates, attended_sum, excused_sum
from courses.cohorts.cohorts import teaching_trainers
from courses.models import (
    AttendanceRecord,
    Cohort,
    CohortStatus,
    Course,
    Enrolment,
    EnrolmentStatus,
    Session,
)
from lms.core.extensions import db
from lms.core.outbox import queue_mail
from lms.web.urls import external_url


def send_attendance_warnings(cohort: Cohort | None, now: datetime) -> int:
    """Tells a learner, and each of their trainers, once, when the learner's attendance
    falls below the course's minimum while the cohort still has sessions to come.

    `cohort=None` checks every cohort. Sessions count once their register says
    something (or `mark_unmarked_absent` has marked them), so nobody is warned in the
    minutes between a session starting and its register being taken. Each enrolment is
    claimed by a conditional UPDATE of `attendance_warning_sent_at`, so two runs at once
    never warn twice. Returns how many learners were warned.
    """
    below = _below_their_minimum(now)
    if cohort is not None:
        below = below.where(Enrolment.cohort_id == cohort.id)
    claimed = db.session.scalars(
        update(Enrolment)
        .where(
            Enrolment.id.in_(below.scalar_subquery()),
            Enrolment.attendance_warning_sent_at.is_(None),
        )
        .values(attendance_warning_sent_at=now)
        .returning(Enrolment.id)
        .execution_options(synchronize_session=False)
    ).all()
    if not claimed:
        return 0
    rates = attendance_rates(claimed, now)
    enrolments = db.session.scalars(
        select(Enrolment)
        .where(Enrolment.id.in_(claimed))
        .options(
            selectinload(Enrolment.learner),
            selectinload(Enrolment.cohort).options(
                selectinload(Cohort.course),
                selectinload(Cohort.trainers),  # with their roles (User.role_grants is selectin)
                selectinload(Cohort.sessions),
            ),
        )
        .execution_options(populate_existing=True)
    )
    count = 0
    for enrolment in enrolments:
        _warn(enrolment, rates[enrolment.id], now)
        count += 1
    return count


def _below_their_minimum(now: datetime):
    """Confirmed enrolments not yet warned, on cohorts with sessions to come, whose marked
    sessions so far put them below their course's minimum attendance."""
    counted = func.count(AttendanceRecord.id) - excused_sum()
    later = aliased(Session)
    to_come = exists().where(
        later.cohort_id == Enrolment.cohort_id,
        later.cancelled.is_(False),
        later.starts_at > now,
    )
    return (
        select(Enrolment.id)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .join(Course, Course.id == Cohort.course_id)
        .join(Session, held_and_expected(now))
        .join(AttendanceRecord, record_of(Session.id, Enrolment.id))
        .where(
            Enrolment.status == EnrolmentStatus.CONFIRMED,
            Enrolment.attendance_warning_sent_at.is_(None),
            Cohort.status.not_in([CohortStatus.CLOSED, CohortStatus.CANCELLED]),
            to_come,
        )
        .group_by(Enrolment.id, Course.min_attendance_percent)
        .having(counted > 0, attended_sum() * 100 < Course.min_attendance_percent * counted)
    )


def _warn(enrolment: Enrolment, rate: Rate, now: datetime) -> None:
    cohort = enrolment.cohort
    course = cohort.course
    context = {
        "learner": enrolment.learner,
        "enrolment": enrolment,
        "cohort": cohort,
        "course": course,
        "rate": rate,
        "trainers": teaching_trainers(cohort),
        "sessions": [s for s in cohort.sessions if not s.cancelled and s.starts_at > now],
    }
    queue_mail(
        enrolment.learner.email,
        f"Your attendance is below {course.min_attendance_percent}%: {course.title}",
        "attendance/mail/attendance_warning",
        cohort_link=external_url("cohorts.show", cohort_id=cohort.id),
        **context,
    )
    grid_link = external_url("attendance.cohort_grid", cohort_id=cohort.id)
    for trainer in context["trainers"]:
        queue_mail(
            trainer.email,
            f"{enrolment.learner.full_name}'s attendance is below "
            f"{course.min_attendance_percent}%: {cohort.code}",
            "attendance/mail/attendance_warning_trainer",
            trainer=trainer,
            grid_link=grid_link,
            **context,
        )
